//! Free loopback ports, and plain blocking HTTP/1.1 requests to a server on one.
//!
//! The port is free when returned; a test that binds it later races only with other processes
//! asking the system for a free port, which hands out recently used ports last.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

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

/// One `GET path` to `127.0.0.1:port` on a new connection (`Connection: close`, a 30 s read
/// timeout); the response's status line (`HTTP/1.1 200 OK`).
pub fn http_status(port: u16, path: &str) -> std::io::Result<String> {
    let mut s = TcpStream::connect((Ipv4Addr::LOCALHOST, port))?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    s.write_all(request.as_bytes())?;
    let mut response = Vec::new();
    s.read_to_end(&mut response)?;
    let text = String::from_utf8_lossy(&response);
    Ok(text.lines().next().unwrap_or_default().to_owned())
}

/// Waits until `127.0.0.1:port` answers `GET path` (any status), polling every 50 ms; `false`
/// when `timeout` passes first.
pub fn wait_http(port: u16, path: &str, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if http_status(port, path).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_line_is_read_from_a_server_on_a_free_port() {
        let port = free_port();
        // nothing listens yet: no answer within the wait
        assert!(!wait_http(port, "/", Duration::from_millis(120)));
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port)).expect("the port was free");
        let server = std::thread::spawn(move || {
            for _ in 0..2 {
                let (mut conn, _) = listener.accept().expect("accept");
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && conn.read(&mut byte).expect("read") == 1 {
                    head.push(byte[0]);
                }
                let request = String::from_utf8_lossy(&head).into_owned();
                assert!(request.starts_with("GET /ping HTTP/1.1\r\n"), "{request}");
                conn.write_all(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
                    .expect("write");
            }
        });
        assert!(wait_http(port, "/ping", Duration::from_secs(5)));
        assert_eq!(
            http_status(port, "/ping").expect("answered"),
            "HTTP/1.1 204 No Content"
        );
        server.join().expect("the server thread");
    }
}
