//! SHA-256 of a mapped input on a thread of its own, overlapping the fold.
//!
//! Invariant: the hash is of the file's bytes as the file system serves them,
//! in file order, each byte once, while the fold reads the same pages: either
//! through this thread's own mappings ([`PendingHash::start`], 16 MiB at a
//! time), or through the fold's own mappings handed on as pieces once folded
//! ([`PendingHash::of_pieces`]: the pages are mapped once for both, the pieces
//! put back in order here, at most a few held at a time since the fold waits
//! when the queue is full). Nothing is copied, each mapping is dropped once
//! hashed, and hashing costs wall time only when it is slower than the fold. `sha2` picks the CPU's SHA extensions (SHA-NI) at run time
//! where the CPU has them. The byte count comes back with the hash so the
//! caller can check it against the size it folded.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender};
use std::thread::JoinHandle;

use crate::fold_windows::Piece;

/// The pieces received, in file order: each held until the bytes before it
/// have been handed on. Ends at the file's end, or when the sender is gone
/// (the byte count then falls short of the file's size).
struct InOrder {
    rx: Receiver<Piece>,
    want: u64,
    len: u64,
    held: BTreeMap<u64, Piece>,
}

impl Iterator for InOrder {
    type Item = std::io::Result<Piece>;
    fn next(&mut self) -> Option<Self::Item> {
        while self.want < self.len {
            if let Some(p) = self.held.remove(&self.want) {
                self.want += p.len as u64;
                return Some(Ok(p));
            }
            let p = self.rx.recv().ok()?;
            self.held.insert(p.at, p);
        }
        None
    }
}

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

    /// Start hashing the `len` bytes of `path` from the pieces sent on the
    /// returned channel (any order, each byte once), when `hash` is true.
    pub fn of_pieces(path: &Path, hash: bool, len: u64) -> (Self, Option<SyncSender<Piece>>) {
        if !hash {
            return (PendingHash::start(path, false), None);
        }
        let (tx, rx) = std::sync::mpsc::sync_channel::<Piece>(4);
        let handle = std::thread::spawn(move || {
            patronage_tables::sha256_parts(InOrder {
                rx,
                want: 0,
                len,
                held: BTreeMap::new(),
            })
        });
        let pending = PendingHash {
            handle: Some(handle),
            path: path.to_path_buf(),
        };
        (pending, Some(tx))
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
