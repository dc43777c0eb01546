//! Free loopback ports.
//!
//! The port is free when returned; a test that binds it later races only with other processes
//! asking the system for a free port, which hands out recently used ports last.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    free_addr().port()
}

/// A free TCP address on 127.0.0.1.
pub fn free_addr() -> SocketAddr {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
}
