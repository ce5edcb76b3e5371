//! The download cache: every response body stored exactly as received, under
//! the SHA-256 of its bytes and with a name that says what it is
//! (`objects/ab/abcdef.../BACI_HS17_V202401.zip`, so a reader sees a `.zip` as
//! a zip and a release's file names as published). A file is written under a
//! temporary name and renamed, so the cache never holds a partial body under a
//! hash; an object whose bytes no longer hash to its name is not used.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::FetchError;

/// A cache folder.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

impl Cache {
    /// The cache in `dir` (created when something is stored).
    pub fn new(dir: &Path) -> Cache {
        Cache {
            dir: dir.to_path_buf(),
        }
    }

    /// The cache folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the body with hash `sha256`, named `name`, is stored (`name` kept
    /// to letters, digits, `.`, `-` and `_`).
    pub fn object(&self, sha256: &str, name: &str) -> PathBuf {
        let prefix = sha256.get(..2).unwrap_or("00");
        let safe: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "._-".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let safe = if safe.trim_matches('.').is_empty() {
            "body".to_string()
        } else {
            safe
        };
        self.dir
            .join("objects")
            .join(prefix)
            .join(sha256)
            .join(safe)
    }

    /// Whether the body `sha256` is stored as `name` with `bytes` bytes (the
    /// size is checked here, the hash by [`Cache::verify`]).
    pub fn has(&self, sha256: &str, name: &str, bytes: u64) -> bool {
        std::fs::metadata(self.object(sha256, name)).is_ok_and(|m| m.is_file() && m.len() == bytes)
    }

    /// Whether the stored body still hashes to its name.
    pub fn verify(&self, sha256: &str, name: &str) -> bool {
        patronage_tables::sha256_file(&self.object(sha256, name)).is_ok_and(|(_, h)| h == sha256)
    }

    /// Store `bytes` as `name`; returns their hash.
    pub fn put(&self, bytes: &[u8], name: &str) -> Result<String, FetchError> {
        let sha256 = patronage_tables::sha256_hex(bytes);
        let path = self.object(&sha256, name);
        if self.has(&sha256, name, bytes.len() as u64) {
            return Ok(sha256);
        }
        let folder = path.parent().unwrap_or(&self.dir).to_path_buf();
        let io = |source| FetchError::Io {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(&folder).map_err(io)?;
        let tmp = folder.join(format!(".part.{}", std::process::id()));
        let mut f = std::fs::File::create(&tmp).map_err(io)?;
        f.write_all(bytes).map_err(io)?;
        f.sync_all().map_err(io)?;
        std::fs::rename(&tmp, &path).map_err(io)?;
        Ok(sha256)
    }
}
