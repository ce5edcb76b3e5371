//! Publishing a local folder's files to a URL prefix, committed as a local run
//! commits. Every file that differs from its remote object goes up as a
//! multipart upload (parts of [`PART`] bytes, the last shorter), and ALL
//! files' parts are sent before ANY upload is completed ([`Prepared`]); then
//! the uploads are completed in the order given (tables first, the manifest
//! last). An object only changes when its upload is completed, so a process
//! killed before the completions leaves every old object and the old manifest
//! as they were; one killed among them leaves the old manifest, which still
//! vouches only for what it names. An upload that fails, or is prepared and
//! dropped, is aborted. A file whose object already has the same size and
//! SHA-256 (kept as the object's metadata when it was uploaded) is left alone.
//! Objects named stale are deleted only after the manifest is completed.

use std::io::Read;
use std::path::Path;

use object_store::{MultipartUpload, ObjectStore, PutMultipartOptions, PutPayload};

use crate::object::sha_attributes;
use crate::{ObjectUrl, Store, StoreError};

/// The size of one uploaded part: 8 MiB (services ask at least 5 MiB of every
/// part but the last).
pub const PART: usize = 8 << 20;

/// Parts sent at once.
const IN_FLIGHT: usize = 4;

/// What a publish did, by file name relative to the folder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Published {
    /// Files uploaded, in completion order.
    pub uploaded: Vec<String>,
    /// Files whose object already had their size and SHA-256.
    pub unchanged: Vec<String>,
    /// Stale objects deleted.
    pub deleted: Vec<String>,
}

/// One file's upload, its parts all sent, not yet completed.
struct Pending {
    rel: String,
    url: ObjectUrl,
    upload: Box<dyn MultipartUpload>,
}

/// Uploads whose parts are all sent and none completed: [`Prepared::commit`]
/// completes them in order; dropping it aborts them, leaving every object as
/// it was.
pub struct Prepared {
    store: Store,
    prefix: ObjectUrl,
    pending: Vec<Pending>,
    unchanged: Vec<String>,
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.pending.iter().map(|p| p.rel.as_str()).collect();
        write!(f, "Prepared({}: {names:?})", self.prefix)
    }
}

impl Store {
    /// Publish `files` (names relative to `dir`, in commit order: the manifest
    /// last) to `prefix`, then delete the `stale` names below it.
    pub fn publish(
        &self,
        dir: &Path,
        files: &[String],
        prefix: &ObjectUrl,
        stale: &[String],
    ) -> Result<Published, StoreError> {
        self.prepare_publish(dir, files, prefix)?.commit(stale)
    }

    /// Send every part of every file of `files` that differs from its object;
    /// complete none.
    pub fn prepare_publish(
        &self,
        dir: &Path,
        files: &[String],
        prefix: &ObjectUrl,
    ) -> Result<Prepared, StoreError> {
        self.writable("publish", prefix)?;
        let mut prepared = Prepared {
            store: self.clone(),
            prefix: prefix.clone(),
            pending: Vec::new(),
            unchanged: Vec::new(),
        };
        for rel in files {
            let url = prefix.join(rel);
            let local = dir.join(rel);
            let io = |source: std::io::Error| StoreError::Local {
                op: "publish",
                url: url.to_string(),
                path: local.clone(),
                source,
            };
            let (size, sha) = patronage_tables::sha256_file(&local).map_err(io)?;
            let remote = self.head(&url)?;
            if remote.is_some_and(|h| h.size == size && h.sha256.as_deref() == Some(sha.as_str())) {
                prepared.unchanged.push(rel.clone());
                continue;
            }
            let path = self.path("upload", &url)?;
            let opts = PutMultipartOptions::from(sha_attributes(&sha));
            let mut upload = self
                .block_on(self.inner.put_multipart_opts(&path, opts))
                .map_err(|e| self.error("upload", &url, e))?;
            let sent = self.send_parts(upload.as_mut(), &local, &url, size);
            // Kept whether its parts went or not: a failure aborts every
            // upload `prepared` holds when it is dropped, this one too.
            prepared.pending.push(Pending {
                rel: rel.clone(),
                url: url.clone(),
                upload,
            });
            sent?;
        }
        Ok(prepared)
    }
}

impl Store {
    /// Send every part of the file `local` (`size` bytes when hashed) to
    /// `upload`, [`IN_FLIGHT`] at a time; complete nothing.
    fn send_parts(
        &self,
        upload: &mut dyn MultipartUpload,
        local: &Path,
        url: &ObjectUrl,
        size: u64,
    ) -> Result<(), StoreError> {
        let io = |source: std::io::Error| StoreError::Local {
            op: "publish",
            url: url.to_string(),
            path: local.to_path_buf(),
            source,
        };
        let mut file = std::fs::File::open(local).map_err(io)?;
        let mut sent = 0u64;
        loop {
            let mut batch = Vec::new();
            for _ in 0..IN_FLIGHT {
                let mut part = Vec::with_capacity(PART);
                (&mut file)
                    .take(PART as u64)
                    .read_to_end(&mut part)
                    .map_err(io)?;
                if part.is_empty() {
                    break;
                }
                sent += part.len() as u64;
                batch.push(upload.put_part(PutPayload::from(part)));
            }
            if batch.is_empty() {
                break;
            }
            self.block_on(futures::future::try_join_all(batch))
                .map_err(|e| self.error("upload", url, e))?;
        }
        if sent != size {
            return Err(io(std::io::Error::other(format!(
                "the file changed while it was uploaded ({size} bytes hashed, {sent} sent)"
            ))));
        }
        Ok(())
    }
}

impl Prepared {
    /// The files whose parts are sent, in commit order.
    pub fn pending(&self) -> Vec<&str> {
        self.pending.iter().map(|p| p.rel.as_str()).collect()
    }

    /// Complete the uploads in order, then delete the `stale` names below the
    /// prefix. A completion that fails aborts the ones after it.
    pub fn commit(mut self, stale: &[String]) -> Result<Published, StoreError> {
        let mut published = Published {
            unchanged: std::mem::take(&mut self.unchanged),
            ..Published::default()
        };
        let store = self.store.clone();
        while !self.pending.is_empty() {
            let mut p = self.pending.remove(0);
            if let Err(e) = store.block_on(p.upload.complete()) {
                let _ = store.block_on(p.upload.abort());
                return Err(store.error("upload", &p.url, e));
            }
            published.uploaded.push(p.rel);
        }
        for rel in stale {
            store.delete(&self.prefix.join(rel))?;
            published.deleted.push(rel.clone());
        }
        Ok(published)
    }
}

impl Drop for Prepared {
    fn drop(&mut self) {
        for p in &mut self.pending {
            // Best effort: an upload never completed is not visible either way,
            // and services expire abandoned uploads.
            let _ = self.store.block_on(p.upload.abort());
        }
    }
}
