//! `patronage fetch`: files downloaded from where the agencies publish them (UN
//! Comtrade's v1 API and bulk files, CEPII BACI releases, OCHA FTS), stored
//! exactly as received in a content-addressed cache and recorded in
//! `fetch.lock` (request without the key, time, size, SHA-256). The same
//! requests a second time make no HTTP request; the subscription key is never
//! written to a file, a log line, an error or a path.
//!
//! The crate sits beside the readers: it knows bytes and requests, never rows.
//! It imports only `patronage-core` (country codes, the clock) and
//! `patronage-tables` (the SHA-256 helpers); `patronage-pipeline` imports it to
//! fetch what a source's `fetch = {...}` names.

mod baci;
mod bulk;
mod cache;
mod comtrade;
mod error;
mod fetcher;
mod fts;
mod http;
mod key;
mod lock;
mod query;

pub use cache::Cache;
pub use comtrade::cap as record_cap;
pub use error::FetchError;
pub use fetcher::{Check, Fetched, Fetcher, Request, Settings};
pub use http::{Event, Log, Retry};
pub use key::Key;
pub use lock::{Lock, LockEntry, LOCK_VERSION};
pub use query::{periods, BaciRelease, BulkQuery, Codes, ComtradeQuery, Endpoints, FtsQuery, Spec};

/// Fetch what `spec` names from `endpoints`; the files, in request order.
pub fn fetch(
    f: &mut Fetcher,
    spec: &Spec,
    endpoints: &Endpoints,
) -> Result<Vec<Fetched>, FetchError> {
    match spec {
        Spec::Comtrade(q) => comtrade::fetch(f, q, &endpoints.comtrade),
        Spec::ComtradeBulk(q) => bulk::fetch(f, q, &endpoints.comtrade),
        Spec::Baci(r) => baci::fetch(f, r, &endpoints.baci),
        Spec::Fts(q) => fts::fetch(f, q, &endpoints.fts),
    }
}
