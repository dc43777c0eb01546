//! `perfhive testbed`: the built-in testbed in the foreground, on 127.0.0.1.

use crate::cli::parse_duration;
use crate::exit::Code;
use crate::output::Printer;
use anyhow::Context;
use clap::Args;
use perfhive_testbed::TargetOptions;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// Arguments of `perfhive testbed`.
#[derive(Args, Debug)]
#[command(
    after_help = "Endpoints: /fast, /slow?ms=N, /error?rate=P, /status/CODE, /bytes?n=N, \
/chunked?n=N&chunks=K, /echo, /checkout (POST {\"items\":N}), /reset, /hang, POST /admin/stall?ms=N, \
GET /admin/stats.\nServes HTTP/1.1 and HTTP/2 (h2c prior knowledge) on the same port."
)]
pub struct TestbedArgs {
    /// Port to listen on (0 picks a free one).
    #[arg(short, long, default_value_t = 8080)]
    pub port: u16,
    /// Address to bind. Loopback by default; anything else exposes the target to the network.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// Serve HTTPS with a fresh self-signed certificate.
    #[arg(long)]
    pub tls: bool,
    /// Stall every request periodically (like a GC pause), e.g. 10s.
    #[arg(long, value_parser = parse_duration)]
    pub stall_every: Option<Duration>,
    /// Length of each stall.
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    pub stall_for: Duration,
    /// Default error rate of /error (0..1).
    #[arg(long, default_value_t = 0.1)]
    pub error_rate: f64,
    /// Default delay of /slow.
    #[arg(long, default_value = "50ms", value_parser = parse_duration)]
    pub delay: Duration,
    /// Server threads.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Stop by itself after this long (default: run until Ctrl-C).
    #[arg(long, value_parser = parse_duration)]
    pub duration: Option<Duration>,
}

/// Runs `perfhive testbed`.
pub fn exec(a: TestbedArgs, out: &mut Printer) -> anyhow::Result<Code> {
    if !a.bind.is_loopback() {
        out.warn(&format!(
            "binding {} exposes the testbed beyond this machine",
            a.bind
        ));
    }
    let opts = TargetOptions {
        bind: SocketAddr::new(a.bind, a.port),
        tls: a.tls,
        stall_every: a.stall_every,
        stall_for: a.stall_for,
        error_rate: a.error_rate,
        delay: a.delay,
        threads: a.threads.max(1),
    };
    let target = perfhive_testbed::spawn(opts).context("cannot start the testbed")?;
    writeln!(
        out.out(),
        "perfhive testbed listening on {}",
        target.base_url()
    )?;
    out.out().flush()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        match a.duration {
            Some(d) => {
                tokio::select! {
                    _ = tokio::time::sleep(d) => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            None => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    });
    target.shutdown();
    Ok(Code::OK)
}
