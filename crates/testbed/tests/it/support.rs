//! The shared HTTP/1.1 and h2c test clients and the time bound of every test
//! (perfhive-test-support).

pub use perfhive_test_support::http::{bounded, Client, Reply};
