//! The conformance tests of normalization against the agencies' published
//! samples, linked as one test binary; `common` holds their helpers, once.

mod common;
mod shared_samples;
mod trade_samples;
