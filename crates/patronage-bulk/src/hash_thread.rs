//! SHA-256 of a mapped input on a thread of its own, overlapping the fold.
//!
//! Invariant: the hash is of the file's bytes as the file system serves them,
//! read once from the page cache by this thread (through its own mappings, 16
//! MiB at a time, each dropped once hashed, so nothing is copied and memory
//! stays at a window) while the fold reads the same pages through its
//! mappings; it costs wall time only when hashing is slower than the fold. `sha2` picks the CPU's SHA extensions (SHA-NI) at run time
//! where the CPU has them. The byte count comes back with the hash so the
//! caller can check it against the size it folded.

use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

/// A hash being computed (or none, when not asked for).
pub struct PendingHash {
    handle: Option<JoinHandle<std::io::Result<(u64, String)>>>,
    path: PathBuf,
}

impl PendingHash {
    /// Start hashing `path` when `hash` is true.
    pub fn start(path: &Path, hash: bool) -> Self {
        let owned = path.to_path_buf();
        let handle = hash.then(|| {
            let p = owned.clone();
            std::thread::spawn(move || sha256_mapped(&p))
        });
        PendingHash {
            handle,
            path: owned,
        }
    }

    /// Wait for the hash: `(bytes, hex SHA-256)`, or `None` when not asked for.
    pub fn finish(self) -> std::io::Result<Option<(u64, String)>> {
        match self.handle {
            None => Ok(None),
            Some(h) => match h.join() {
                Ok(r) => r.map(Some),
                Err(_) => Err(std::io::Error::other(format!(
                    "{}: the hashing thread stopped",
                    self.path.display()
                ))),
            },
        }
    }
}

/// Size and SHA-256 of a file, hashed through mappings of 16 MiB (read when
/// the file cannot be mapped).
fn sha256_mapped(path: &Path) -> std::io::Result<(u64, String)> {
    const WINDOW: u64 = 16 << 20;
    let file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    if crate::input::map(&file, 0, 1).is_err() || len == 0 {
        return patronage_tables::sha256_read(file);
    }
    let windows = (0..len.div_ceil(WINDOW)).map(|i| {
        let at = i * WINDOW;
        crate::input::map(&file, at, WINDOW.min(len - at) as usize)
    });
    patronage_tables::sha256_parts(windows)
}
