//! Integration tests of the testbed against real loopback connections: one binary, one
//! module per area. Every test is bounded in time by `support::bounded`.

mod endpoints;
mod faults;
mod protocols;
mod support;
