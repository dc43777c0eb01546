//! The HTTP load engine behind `perfhive run`: open (arrival-rate) and closed (virtual-user)
//! models over HTTP/1.1 keep-alive and HTTP/2 (h2c and TLS), latency recorded into HDR
//! histograms from the intended send time (coordinated omission corrected, as wrk2 does) and
//! from the actual send, with bounded memory whatever the request count.
//!
//! Layout: [`schedule`] (when each request is due), [`timer`] (precise wake-ups), [`conn`],
//! [`http1`] and [`h2`] (the client side), [`stats`] (what is recorded), [`worker`] (one
//! thread's share of the load; `mix` picks each request), [`stop`] (stopping from outside or at
//! the deadline), [`engine`] (setup, aggregation with the time series, triggers and deadlines,
//! finish; [`run_blocking`] is the one call a program needs) and [`record`] (the result
//! record).

pub mod conn;
pub mod engine;
pub mod h2;
pub mod http1;
mod mix;
pub mod record;
pub mod schedule;
pub mod stats;
pub mod stop;
pub mod timer;
pub mod worker;

pub use engine::{
    run, run_blocking, LoadError, LoadOptions, NoProgress, Progress, RunResult, Tick, END_GRACE,
    MAX_THREADS, STOP_GRACE,
};
pub use record::{build_record, build_record_with};
pub use worker::StopSignal;
