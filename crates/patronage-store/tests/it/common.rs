//! The server every test starts (a moto of its own, so tests do not see each
//! other's objects), and SYNTHETIC bytes of a given size.

use std::path::Path;

use patronage_store::s3_test_server::S3TestServer;

/// A server with bucket `patronage-test`, or `None` when the test is skipped.
pub fn server() -> Option<S3TestServer> {
    S3TestServer::start_or_skip(Path::new(env!("CARGO_TARGET_TMPDIR")), "patronage-test")
}

/// SYNTHETIC bytes: `n` of them, a pattern with period 251 offset by `seed`
/// (prime, so no block boundary lines up with it).
pub fn bytes(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| ((i % 251) as u8).wrapping_add(seed))
        .collect()
}
