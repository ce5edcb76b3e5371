//! `fetch.lock`: what was downloaded, so a run's inputs can be fetched again by
//! someone else and a second fetch of the same requests makes no request. For
//! each file: the request (URL and parameters, never the key), the source, the
//! time, the size and the SHA-256 of the bytes as received (the name of the
//! file in the cache), and for a bulk file its publication date. Requests known
//! to return the record cap (and so fetched as smaller requests) are listed
//! too. Entries are sorted by URL and the file is replaced whole (written under
//! a temporary name, then renamed), so it is never half written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::FetchError;

/// The version of the lock's layout.
pub const LOCK_VERSION: u32 = 1;

/// One downloaded file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockEntry {
    /// The URL requested, with its query; never the key (it is a header).
    pub url: String,
    /// Which source: `comtrade`, `comtrade_preview`, `comtrade_bulk`, `baci`, `fts`.
    pub source: String,
    /// The request's parameters as the user gave them (reporter, period, ...).
    pub params: BTreeMap<String, String>,
    /// A file name that says what the file is (the cache names it by hash).
    pub name: String,
    /// When it was downloaded (RFC 3339, UTC).
    pub fetched_at: String,
    /// Size in bytes, as received.
    pub bytes: u64,
    /// SHA-256 of the bytes as received.
    pub sha256: String,
    /// A bulk file's publication date, as the file list gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
}

/// The lock file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lock {
    /// Layout version.
    pub version: u32,
    /// Files, sorted by URL.
    pub files: Vec<LockEntry>,
    /// Requests whose answer reached the record cap, fetched as smaller requests.
    #[serde(default)]
    pub split: Vec<String>,
}

impl Lock {
    /// The lock at `path`; an empty one when there is no file.
    pub fn read(path: &Path) -> Result<Lock, FetchError> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Lock {
                    version: LOCK_VERSION,
                    ..Lock::default()
                })
            }
            Err(source) => {
                return Err(FetchError::Io {
                    path: path.to_path_buf(),
                    source,
                })
            }
        };
        let lock: Lock = serde_json::from_slice(&bytes).map_err(|e| FetchError::Lock {
            path: path.to_path_buf(),
            message: format!("not a fetch.lock: {e}"),
        })?;
        if lock.version != LOCK_VERSION {
            return Err(FetchError::Lock {
                path: path.to_path_buf(),
                message: format!(
                    "version {} (this tool reads version {LOCK_VERSION})",
                    lock.version
                ),
            });
        }
        Ok(lock)
    }

    /// The entry of `url`.
    pub fn get(&self, url: &str) -> Option<&LockEntry> {
        self.files
            .binary_search_by(|e| e.url.as_str().cmp(url))
            .ok()
            .map(|i| &self.files[i])
    }

    /// Add or replace the entry of its URL.
    pub fn put(&mut self, entry: LockEntry) {
        match self
            .files
            .binary_search_by(|e| e.url.as_str().cmp(&entry.url))
        {
            Ok(i) => self.files[i] = entry,
            Err(i) => self.files.insert(i, entry),
        }
    }

    /// Record that `url` answers with the record cap.
    pub fn put_split(&mut self, url: &str) {
        if let Err(i) = self.split.binary_search_by(|u| u.as_str().cmp(url)) {
            self.split.insert(i, url.to_string());
        }
    }

    /// Whether `url` is known to answer with the record cap.
    pub fn is_split(&self, url: &str) -> bool {
        self.split.binary_search_by(|u| u.as_str().cmp(url)).is_ok()
    }

    /// Write the lock to `path`, replacing it whole.
    pub fn write(&self, path: &Path) -> Result<(), FetchError> {
        let io = |source| FetchError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let tmp: PathBuf = path.with_extension(format!("lock.{}.part", std::process::id()));
        std::fs::write(&tmp, text).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }
}
