//! Each switch fixes its cause, measured in one process against the same service.
//!
//! Speed is asserted only with generous ratios (machines and CI runners differ); the exact
//! numbers are printed (`--nocapture`) for the record.

#![allow(clippy::print_stderr)]

use std::time::{Duration, Instant};

use crate::support::{bounded, demo, records, stats, Client, Reply};

/// Records per ingestion request in the batching comparison.
const RECORDS: usize = 100;

/// Regression guard: unbatched writes (one fsync'd transaction per record) must stay the
/// bottleneck the demo investigation finds, and batching must fix it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batched_ingestion_is_clearly_faster() {
    let demo = demo();
    bounded(60, async {
        let mut c = Client::h1(demo.addr).await;
        c.post("/ingest?batch_size=50", &records(10, "warm")).await;
        let mut unbatched = Duration::MAX;
        let mut batched = Duration::MAX;
        for round in 0..2 {
            for (batch, best) in [(1, &mut unbatched), (50, &mut batched)] {
                let took = ingest_timed(&mut c, batch, &format!("r{round}b{batch}")).await;
                *best = (*best).min(took);
            }
        }
        let stats = stats(&mut c).await;
        // 2 rounds × (100 one-record transactions + 2 of 50) + the warm-up's one.
        assert_eq!(stats["transactions"], 2 * (RECORDS + 2) + 1);
        let ratio = unbatched.as_secs_f64() / batched.as_secs_f64();
        eprintln!(
            "ingest {RECORDS} records: batch_size=1 {unbatched:?}, batch_size=50 {batched:?}, {ratio:.1}x"
        );
        assert!(ratio >= 2.0, "batching gained only {ratio:.2}x");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wal_with_normal_sync_speeds_up_unbatched_commits() {
    let demo = demo();
    bounded(60, async {
        let mut c = Client::h1(demo.addr).await;
        let full = ingest_timed(&mut c, 1, "full").await;
        let r = c.post("/config", br#"{"synchronous_full": false}"#).await;
        assert_eq!(r.json()["synchronous_full"], false);
        let wal = ingest_timed(&mut c, 1, "wal").await;
        let ratio = full.as_secs_f64() / wal.as_secs_f64();
        eprintln!(
            "ingest {RECORDS} records one per transaction: FULL {full:?}, WAL+NORMAL {wal:?}, {ratio:.1}x"
        );
        assert!(ratio >= 1.5, "WAL gained only {ratio:.2}x");
    })
    .await;
}

#[tokio::test]
async fn n_plus_one_off_issues_one_query_instead_of_one_per_item() {
    let demo = demo();
    bounded(20, async {
        let mut c = Client::h1(demo.addr).await;
        let queries = |stats: serde_json::Value| stats["queries"].as_u64().expect("queries");
        let q0 = queries(stats(&mut c).await);
        let slow = c.get("/items?limit=50").await;
        let q1 = queries(stats(&mut c).await);
        c.post("/config", br#"{"n_plus_one": false}"#).await;
        let fast = c.get("/items?limit=50").await;
        let q2 = queries(stats(&mut c).await);
        eprintln!(
            "/items?limit=50: n_plus_one {} queries (db {:.2} ms), join {} query (db {:.2} ms)",
            q1 - q0,
            slow.server_timing_ms("db"),
            q2 - q1,
            fast.server_timing_ms("db")
        );
        assert_eq!(q1 - q0, 1 + 2 * 50);
        assert_eq!(q2 - q1, 1);
        assert_eq!(
            slow.body, fast.body,
            "both read paths return the same items"
        );
    })
    .await;
}

#[tokio::test]
async fn fast_serialization_shrinks_the_serialize_phase() {
    let demo = demo();
    bounded(30, async {
        let mut c = Client::h1(demo.addr).await;
        let best = |replies: &[Reply]| {
            replies
                .iter()
                .map(|r| r.server_timing_ms("serialize"))
                .fold(f64::INFINITY, f64::min)
        };
        let mut slow = Vec::new();
        for _ in 0..3 {
            slow.push(c.get("/items?limit=200").await);
        }
        c.post("/config", br#"{"fast_serialization": true}"#).await;
        let mut fast = Vec::new();
        for _ in 0..3 {
            fast.push(c.get("/items?limit=200").await);
        }
        let (slow_ms, fast_ms) = (best(&slow), best(&fast));
        eprintln!(
            "/items?limit=200 serialize: render_item_slow {slow_ms:.3} ms, to_vec {fast_ms:.3} ms, {:.1}x",
            slow_ms / fast_ms
        );
        assert_eq!(slow[0].body, fast[0].body, "same bytes either way");
        assert!(slow_ms >= 2.0 * fast_ms, "slow {slow_ms} ms vs fast {fast_ms} ms");
    })
    .await;
}

/// Ingests [`RECORDS`] records with `?batch_size=batch`; the client-side wall time.
async fn ingest_timed(c: &mut Client, batch: usize, tag: &str) -> Duration {
    let body = records(RECORDS, tag);
    let t0 = Instant::now();
    let r = c.post(&format!("/ingest?batch_size={batch}"), &body).await;
    let took = t0.elapsed();
    assert_eq!(r.json()["ingested"], RECORDS);
    took
}
