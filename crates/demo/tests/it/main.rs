//! Integration tests of the demo service against real loopback connections: one binary, one
//! module per area. Every test is bounded in time by `support::bounded`.

mod endpoints;
mod support;
mod switches;
mod tracing;
