//! Every endpoint: status, body shape, `Server-Timing`, and the errors it refuses with.

use http::{Method, StatusCode};
use perfhive_demo::{Switches, DETAILS_PER_ITEM};
use serde_json::json;

use crate::support::{bounded, demo, records, stats, Client};

#[tokio::test]
async fn health_answers_with_server_timing() {
    let demo = demo();
    bounded(10, async {
        let mut c = Client::h1(demo.addr).await;
        let r = c.get("/health").await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.server_timing_ms("total") >= 0.0);
        assert!(demo.base_url().starts_with("http://127.0.0.1:"));
    })
    .await;
}

#[tokio::test]
async fn ingest_takes_an_array_or_one_object_and_counts() {
    let demo = demo();
    bounded(10, async {
        let mut c = Client::h1(demo.addr).await;
        let r = c.post("/ingest", &records(5, "a")).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.json(), json!({"ingested": 5}));
        assert!(r.server_timing_ms("db") > 0.0);
        assert!(r.server_timing_ms("parse") >= 0.0);
        let r = c
            .post("/ingest", br#"{"sensor": "s1", "value": 1.5}"#)
            .await;
        assert_eq!(r.json(), json!({"ingested": 1}));
        let r = c.post("/ingest?batch_size=4", &records(10, "b")).await;
        assert_eq!(r.json(), json!({"ingested": 10}));
        // 5 + 1 transactions of one record, then 10 records in batches of 4 → 3 transactions.
        let stats = stats(&mut c).await;
        assert_eq!(stats["records"], 16);
        assert_eq!(stats["transactions"], 9);
        assert_eq!(
            c.post("/ingest", b"[]").await.json(),
            json!({"ingested": 0})
        );
    })
    .await;
}

#[tokio::test]
async fn ingest_refuses_bad_input() {
    let demo = demo();
    bounded(10, async {
        let mut c = Client::h1(demo.addr).await;
        for body in [
            &b"not json"[..],
            br#"{"sensor": "s"}"#,
            br#"[{"value": 1}]"#,
        ] {
            assert_eq!(
                c.post("/ingest", body).await.status,
                StatusCode::BAD_REQUEST
            );
        }
        let zero = c.post("/ingest?batch_size=0", &records(1, "z")).await;
        assert_eq!(zero.status, StatusCode::BAD_REQUEST);
        let r = c.get("/ingest").await;
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(r.headers["allow"], "POST");
        assert_eq!(stats(&mut c).await["records"], 0);
    })
    .await;
}

#[tokio::test]
async fn items_are_seeded_with_details() {
    let demo = demo();
    bounded(10, async {
        let mut c = Client::h1(demo.addr).await;
        let r = c.get("/items").await;
        assert_eq!(r.status, StatusCode::OK);
        let body = r.json();
        assert_eq!(body["count"], 50);
        let items = body["items"].as_array().expect("items");
        assert_eq!(items.len(), 50);
        assert_eq!(items[0]["id"], 1);
        assert_eq!(
            items[0]["details"].as_array().expect("details").len(),
            DETAILS_PER_ITEM
        );
        assert!(r.server_timing_ms("db") > 0.0 && r.server_timing_ms("serialize") > 0.0);
        assert_eq!(c.get("/items?limit=3").await.json()["count"], 3);
        assert_eq!(c.get("/items?limit=0").await.json()["count"], 0);
        let too_many = c.get("/items?limit=10001").await;
        assert_eq!(too_many.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            c.get("/items?limit=x").await.status,
            StatusCode::BAD_REQUEST
        );
    })
    .await;
}

#[tokio::test]
async fn config_round_trips_and_validates() {
    let demo = demo();
    bounded(10, async {
        let mut c = Client::h1(demo.addr).await;
        let initial: Switches = serde_json::from_slice(&c.get("/config").await.body).expect("cfg");
        assert_eq!(initial, Switches::default());

        let r = c
            .post("/config", br#"{"batch_size": 64, "n_plus_one": false}"#)
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let expected = Switches {
            batch_size: 64,
            n_plus_one: false,
            ..Switches::default()
        };
        assert_eq!(
            serde_json::from_slice::<Switches>(&r.body).expect("cfg"),
            expected
        );
        let now: Switches = serde_json::from_slice(&c.get("/config").await.body).expect("cfg");
        assert_eq!(now, expected);

        let all_fast = serde_json::to_vec(&Switches::fast()).expect("json");
        assert_eq!(c.post("/config", &all_fast).await.status, StatusCode::OK);
        let now: Switches = serde_json::from_slice(&c.get("/config").await.body).expect("cfg");
        assert_eq!(now, Switches::fast());
        // WAL mode works for ingestion, and switching back to the rollback journal too.
        assert_eq!(
            c.post("/ingest", &records(3, "w")).await.json()["ingested"],
            3
        );
        let back = c.post("/config", br#"{"synchronous_full": true}"#).await;
        assert_eq!(back.status, StatusCode::OK);
        assert_eq!(
            c.post("/ingest", &records(3, "d")).await.json()["ingested"],
            3
        );

        for bad in [&br#"{"batch_size": 0}"#[..], br#"{"bogus": 1}"#, b"[]"] {
            assert_eq!(c.post("/config", bad).await.status, StatusCode::BAD_REQUEST);
        }
        let r = c
            .send(Method::DELETE, "/config", b"")
            .await
            .expect("DELETE");
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(c.get("/nope").await.status, StatusCode::NOT_FOUND);
    })
    .await;
}

#[test]
fn shutdown_is_prompt_and_the_port_closes() {
    let demo = demo();
    let addr = demo.addr;
    let start = std::time::Instant::now();
    demo.shutdown();
    assert!(start.elapsed() < std::time::Duration::from_secs(3));
    assert!(std::net::TcpStream::connect(addr).is_err());
}
