//! Why a download failed, naming the request by its URL without the key. No
//! variant holds the key: the key travels only in a request header, and any
//! text a server sends back is cleaned of it before it is kept here.

use std::path::PathBuf;

use patronage_core::{escape_bounded, MESSAGE_LIMIT};

fn shown(s: &str) -> String {
    escape_bounded(s, MESSAGE_LIMIT)
}

/// A download that failed, or a cache or lock that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The request's parameters are not ones the source takes.
    #[error("{}", shown(.0))]
    Request(String),
    /// The server answered with an error status (after the retries a 429 or a
    /// 5xx allows).
    #[error(
        "{}: HTTP {status} after {attempts} attempt(s): {}",
        shown(what),
        shown(message)
    )]
    Http {
        /// The request (URL without the key).
        what: String,
        /// The last status.
        status: u16,
        /// Attempts made.
        attempts: u32,
        /// The start of the server's answer.
        message: String,
    },
    /// The server refused the key (401 or 403).
    #[error(
        "{}: HTTP {status}: the server refused the subscription key (from {key_from}; the key \
         itself is not shown): check that it is current and subscribed to this API",
        shown(what)
    )]
    KeyRefused {
        /// The request.
        what: String,
        /// 401 or 403.
        status: u16,
        /// Where the key was read from (`COMTRADE_API_KEY`, a key file).
        key_from: String,
    },
    /// The connection failed or the body was cut short (after the retries).
    #[error("{}: {} (after {attempts} attempt(s))", shown(what), shown(message))]
    Transport {
        /// The request.
        what: String,
        /// What went wrong.
        message: String,
        /// Attempts made.
        attempts: u32,
    },
    /// The answer arrived but is not what the API promises (its `error` field
    /// set, broken JSON, a record cap no split can get under).
    #[error("{}: {}", shown(what), shown(message))]
    Api {
        /// The request.
        what: String,
        /// What the answer said.
        message: String,
    },
    /// `--offline` and downloads missing from the cache.
    #[error(
        "--offline: {} download(s) are not in the cache {}: {}; run without --offline to fetch them",
        missing.len(),
        cache.display(),
        shown(&missing.join(", "))
    )]
    Offline {
        /// The cache folder.
        cache: PathBuf,
        /// The requests missing (URLs without the key).
        missing: Vec<String>,
    },
    /// A file of the cache or the lock could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The lock file is not one this tool wrote.
    #[error("{}: {}", path.display(), shown(message))]
    Lock {
        /// The lock file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}
