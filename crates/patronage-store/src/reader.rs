//! [`ObjectReader`]: an object read as a file is (`Read + Seek + Send`) by
//! ranged GETs of [`BLOCK`] bytes, the next block fetched on a thread while the
//! caller works through the current one, so the network overlaps the parse.
//! Invariant: the bytes read are the object's bytes as they were when the
//! reader was opened: every block is asked for with the ETag seen then
//! (`If-Match`) and must come back whole, so an object replaced, grown or cut
//! while it is read, or a short answer, is an error naming the URL, never
//! different bytes.

use std::io::{Read, Seek, SeekFrom};
use std::sync::Arc;
use std::thread::JoinHandle;

use bytes::Bytes;
use object_store::{GetOptions, GetRange, ObjectStore};

use crate::{ObjectUrl, Store, StoreError};

/// The size of one ranged GET: 8 MiB.
pub const BLOCK: u64 = 8 << 20;

/// A block being fetched: its start and the thread fetching it.
type Pending = (u64, JoinHandle<Result<Bytes, StoreError>>);

/// An object read by ranged GETs, with a block fetched ahead.
pub struct ObjectReader {
    store: Store,
    url: ObjectUrl,
    path: Arc<object_store::path::Path>,
    size: u64,
    etag: Option<String>,
    block: u64,
    pos: u64,
    /// The block in hand: its start and bytes.
    current: Option<(u64, Bytes)>,
    ahead: Option<Pending>,
}

impl std::fmt::Debug for ObjectReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ObjectReader({}, {} bytes)", self.url, self.size)
    }
}

impl Store {
    /// Open `url` for reading in blocks of [`BLOCK`] bytes.
    pub fn reader(&self, url: &ObjectUrl) -> Result<ObjectReader, StoreError> {
        self.reader_with_block(url, BLOCK)
    }

    /// Open `url` for reading in blocks of `block` bytes (tests use small ones).
    pub fn reader_with_block(
        &self,
        url: &ObjectUrl,
        block: u64,
    ) -> Result<ObjectReader, StoreError> {
        let info = self.info(url)?;
        Ok(ObjectReader {
            store: self.clone(),
            url: url.clone(),
            path: Arc::new(self.path("read", url)?),
            size: info.size,
            etag: info.etag,
            block: block.max(1),
            pos: 0,
            current: None,
            ahead: None,
        })
    }
}

/// Fetch `start..start+len` of the object, checking the size and ETag.
fn fetch(
    store: &Store,
    url: &ObjectUrl,
    path: &object_store::path::Path,
    etag: Option<&str>,
    size: u64,
    start: u64,
    len: u64,
) -> Result<Bytes, StoreError> {
    let opts = GetOptions::new()
        .with_range(Some(GetRange::Bounded(start..start + len)))
        .with_if_match(etag.map(str::to_string));
    let got = store.block_on(async {
        let r = store.inner.get_opts(path, opts).await?;
        let meta_size = r.meta.size;
        r.bytes().await.map(|b| (meta_size, b))
    });
    let (now, bytes) = got.map_err(|e| match e {
        object_store::Error::Precondition { .. } => store.error(
            "read",
            url,
            "the object changed while it was read (its ETag differs)",
        ),
        e => store.error("read", url, e),
    })?;
    if now != size {
        return Err(store.error(
            "read",
            url,
            format!("the object changed size while it was read ({size} bytes, now {now})"),
        ));
    }
    if bytes.len() as u64 != len {
        return Err(store.error(
            "read",
            url,
            format!(
                "short read: {} bytes at offset {start}, {len} asked for",
                bytes.len()
            ),
        ));
    }
    Ok(bytes)
}

impl ObjectReader {
    /// The object's size when opened.
    pub fn size(&self) -> u64 {
        self.size
    }

    fn len_at(&self, start: u64) -> u64 {
        self.block.min(self.size - start)
    }

    /// Start fetching the block at `start` on a thread.
    fn spawn(&self, start: u64) -> Pending {
        let (store, url, path, etag) = (
            self.store.clone(),
            self.url.clone(),
            Arc::clone(&self.path),
            self.etag.clone(),
        );
        let (size, len) = (self.size, self.len_at(start));
        let handle = std::thread::spawn(move || {
            fetch(&store, &url, &path, etag.as_deref(), size, start, len)
        });
        (start, handle)
    }

    /// Make the block holding `self.pos` the current one, and start fetching
    /// the one after it.
    fn load(&mut self) -> std::io::Result<()> {
        let start = self.pos - self.pos % self.block;
        let bytes = match self.ahead.take() {
            Some((s, h)) if s == start => h.join().map_err(|_| {
                std::io::Error::other(format!("read {}: the fetching thread panicked", self.url))
            })?,
            // A block fetched ahead for another position is dropped unread.
            _ => fetch(
                &self.store,
                &self.url,
                &self.path,
                self.etag.as_deref(),
                self.size,
                start,
                self.len_at(start),
            ),
        }
        .map_err(std::io::Error::other)?;
        self.current = Some((start, bytes));
        let next = start + self.block;
        if next < self.size {
            self.ahead = Some(self.spawn(next));
        }
        Ok(())
    }
}

impl Read for ObjectReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() || self.pos >= self.size {
            return Ok(0);
        }
        let in_hand = matches!(&self.current, Some((s, b)) if self.pos >= *s && self.pos < *s + b.len() as u64);
        if !in_hand {
            self.load()?;
        }
        // The loaded block holds `pos` (fetch checks each block's length); a
        // block that does not is an error, never a panic.
        let at = self.pos;
        let from = (self.current.as_ref())
            .and_then(|(start, bytes)| {
                let from = usize::try_from(at.checked_sub(*start)?).ok()?;
                (from < bytes.len()).then_some((from, bytes))
            })
            .ok_or_else(|| {
                std::io::Error::other(format!("read {}: no block holds byte {at}", self.url))
            })?;
        let (from, bytes) = from;
        let n = buf.len().min(bytes.len() - from);
        buf[..n].copy_from_slice(&bytes[from..from + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for ObjectReader {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.size.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        let target = target.ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("read {}: seek before the start", self.url),
            )
        })?;
        self.pos = target;
        Ok(target)
    }
}
