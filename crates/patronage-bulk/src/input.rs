//! Where `mirror-all` reads a file from: mapped from the page cache where the
//! platform allows (a regular, non-empty file), else read through (pipes,
//! sockets, object-storage streams, anything else that is only a reader).
//!
//! Invariant: whatever the source, the windows hand on every byte of the input
//! exactly once and in order: [`Source::window`] shows the bytes from the
//! current position on (at least `size` of them unless the input ends first),
//! and [`Source::advance`] moves past the ones used. A mapped window is a
//! mapping of that range of the file, dropped (unmapped) once used, so memory
//! stays at a window however large the file; a read window is a buffer kept
//! between calls for the bytes not yet used.

use std::fs::File;
use std::io::Read;

/// An input, mapped or read.
pub enum Source<R> {
    /// A regular file, mapped a window at a time.
    Mapped {
        /// The open file.
        file: File,
        /// Its size when opened.
        len: u64,
        /// The first byte not yet used.
        at: u64,
    },
    /// Any reader, read into a buffer.
    Read {
        /// The reader.
        reader: R,
        /// Bytes read and not yet used.
        buf: Vec<u8>,
        /// The reader is exhausted.
        eof: bool,
    },
}

/// The bytes of a window.
pub enum Window<'a> {
    /// A mapping of part of a file.
    Mapped(memmap2::Mmap),
    /// Part of a read buffer.
    Read(&'a [u8]),
}

impl std::ops::Deref for Window<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Window::Mapped(m) => m,
            Window::Read(b) => b,
        }
    }
}

impl<R> Source<R> {
    /// Map `file` when it is a regular non-empty file and mapping works; else
    /// the file back, to be read as a stream.
    pub fn map_file(file: File) -> Result<Self, File> {
        let Ok(meta) = file.metadata() else {
            return Err(file);
        };
        // Probe: a file system that cannot map falls back to reading.
        if meta.is_file() && meta.len() > 0 && map(&file, 0, 1).is_ok() {
            return Ok(Source::Mapped {
                file,
                len: meta.len(),
                at: 0,
            });
        }
        Err(file)
    }
}

/// Map `len` bytes of `file` from `offset` (memmap2 aligns the offset to a
/// page itself).
pub(crate) fn map(file: &File, offset: u64, len: usize) -> std::io::Result<memmap2::Mmap> {
    let mut options = memmap2::MmapOptions::new();
    options.offset(offset).len(len);
    #[cfg(target_os = "linux")]
    options.populate();
    // SAFETY: the mapping is read-only and private to this process; it reads
    // what the file holds, and a file truncated by another process while it is
    // mapped is the one case the platform cannot guard (the same caveat as any
    // reader of a file that changes under it). `mirror-all` checks the hashed
    // byte count against the size it mapped.
    unsafe { options.map(file) }
}

impl<R: Read> Source<R> {
    /// Read `reader` through a buffer.
    pub fn reader(reader: R) -> Self {
        Source::Read {
            reader,
            buf: Vec::new(),
            eof: false,
        }
    }

    /// Whether the input is mapped.
    pub fn is_mapped(&self) -> bool {
        matches!(self, Source::Mapped { .. })
    }

    /// The bytes from the current position on: at least `size` of them unless
    /// the input ends first, and whether they reach its end. `None` once every
    /// byte has been used.
    pub fn window(&mut self, size: usize) -> std::io::Result<Option<(Window<'_>, bool)>> {
        match self {
            Source::Mapped { file, len, at } => {
                let left = *len - *at;
                if left == 0 {
                    return Ok(None);
                }
                let n = usize::try_from(left).map_or(size, |l| l.min(size));
                let m = map(file, *at, n)?;
                Ok(Some((Window::Mapped(m), n as u64 == left)))
            }
            Source::Read { reader, buf, eof } => {
                while !*eof && buf.len() < size {
                    let want = (size - buf.len()) as u64;
                    let got = reader.by_ref().take(want).read_to_end(buf)?;
                    if (got as u64) < want {
                        *eof = true;
                    }
                }
                if buf.is_empty() {
                    return Ok(None);
                }
                Ok(Some((Window::Read(buf), *eof)))
            }
        }
    }

    /// Move past the first `n` bytes of the last window.
    pub fn advance(&mut self, n: usize) {
        match self {
            Source::Mapped { at, .. } => *at += n as u64,
            Source::Read { buf, .. } => {
                buf.drain(..n.min(buf.len()));
            }
        }
    }

    /// The reader of a read source (to finish its hash), none when mapped.
    pub fn into_reader(self) -> Option<R> {
        match self {
            Source::Mapped { .. } => None,
            Source::Read { reader, .. } => Some(reader),
        }
    }
}
