//! Integration tests of `patronage-fetch` against a local HTTP server on
//! 127.0.0.1 that serves the agencies' recorded answers (`../shared/formats`)
//! and archives made in the tests; no test reaches the network.

mod bulk_baci_fts;
mod comtrade;
mod server;
