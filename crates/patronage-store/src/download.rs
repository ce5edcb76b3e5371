//! Downloads: an object streamed to a local file, its SHA-256 taken while it is
//! written, under a temporary name in the same folder renamed into place only
//! once every byte is there, so a local file of that name is always whole;
//! and `pull`, every object under a prefix downloaded below a local folder at
//! its relative path (a key that would leave the folder is refused).

use std::io::Write;
use std::path::{Component, Path, PathBuf};

use futures::StreamExt;
use object_store::ObjectStoreExt;
use patronage_tables::HashingWriter;

use crate::{ObjectUrl, Store, StoreError};

/// What a download wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Downloaded {
    /// The object.
    pub url: ObjectUrl,
    /// The local file.
    pub path: PathBuf,
    /// Bytes written.
    pub size: u64,
    /// ETag of the object read.
    pub etag: Option<String>,
    /// SHA-256 of the bytes written, lower-case hex.
    pub sha256: String,
}

impl Store {
    /// Download `url` to `dest` (its folder must exist).
    pub fn download(&self, url: &ObjectUrl, dest: &Path) -> Result<Downloaded, StoreError> {
        let path = self.path("download", url)?;
        let local = |source: std::io::Error, at: &Path| StoreError::Local {
            op: "download",
            url: url.to_string(),
            path: at.to_path_buf(),
            source,
        };
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temp = dest.with_file_name(format!(".{name}.part-{}", std::process::id()));
        let file = std::fs::File::create(&temp).map_err(|e| local(e, &temp))?;
        let mut out = HashingWriter::new(std::io::BufWriter::with_capacity(1 << 20, file));
        let written: Result<(u64, Option<String>), StoreError> = self.block_on(async {
            let got = self
                .inner
                .get(&path)
                .await
                .map_err(|e| self.error("download", url, e))?;
            let (size, etag) = (got.meta.size, got.meta.e_tag.clone());
            let mut stream = got.into_stream();
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|e| self.error("download", url, e))?;
                out.write_all(&chunk).map_err(|e| local(e, &temp))?;
            }
            Ok((size, etag))
        });
        let finish = |written: Result<(u64, Option<String>), StoreError>| {
            let (size, etag) = written?;
            let (buf, n, sha256) = out.finish();
            let file = buf.into_inner().map_err(|e| local(e.into_error(), &temp))?;
            file.sync_all().map_err(|e| local(e, &temp))?;
            if n != size {
                return Err(self.error(
                    "download",
                    url,
                    format!("short read: {n} bytes of {size}"),
                ));
            }
            std::fs::rename(&temp, dest).map_err(|e| local(e, dest))?;
            Ok(Downloaded {
                url: url.clone(),
                path: dest.to_path_buf(),
                size,
                etag,
                sha256,
            })
        };
        let done = finish(written);
        if done.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        done
    }

    /// Download every object under `prefix` into `dir`, each at its key
    /// relative to the prefix (folders made as needed); in key order.
    pub fn pull(&self, prefix: &ObjectUrl, dir: &Path) -> Result<Vec<Downloaded>, StoreError> {
        self.pull_where(prefix, dir, |_| true)
    }

    /// [`Store::pull`] of the objects whose key relative to `prefix` `keep`
    /// accepts.
    pub fn pull_where(
        &self,
        prefix: &ObjectUrl,
        dir: &Path,
        keep: impl Fn(&str) -> bool,
    ) -> Result<Vec<Downloaded>, StoreError> {
        let base = prefix.key.trim_end_matches('/');
        let mut out = Vec::new();
        for object in self.list_under(prefix)? {
            // A listing of a prefix holds keys below it; anything else (a
            // key the service matched otherwise) is refused, never sliced.
            let Some(rel) = object.url.key.strip_prefix(base) else {
                return Err(self.error(
                    "pull",
                    &object.url,
                    "the key does not name a file below the prefix",
                ));
            };
            let rel = rel.trim_start_matches('/').to_string();
            if !rel.is_empty() && !keep(&rel) {
                continue;
            }
            let rel_path = Path::new(&rel);
            if rel.is_empty()
                || !rel_path
                    .components()
                    .all(|c| matches!(c, Component::Normal(_)))
            {
                return Err(self.error(
                    "pull",
                    &object.url,
                    "the key does not name a file below the prefix",
                ));
            }
            let dest = dir.join(rel_path);
            if let Some(parent) = dest.parent() {
                std::fs::create_dir_all(parent).map_err(|source| StoreError::Local {
                    op: "pull",
                    url: object.url.to_string(),
                    path: parent.to_path_buf(),
                    source,
                })?;
            }
            out.push(self.download(&object.url, &dest)?);
        }
        Ok(out)
    }
}
