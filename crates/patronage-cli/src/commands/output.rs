//! Where a command's outputs go: a local folder, written in place; or an
//! object-storage URL (`s3://`, `gs://`, `az://`), written first into a local
//! staging folder by the same code as a local run, then published.
//!
//! Invariant: a remote output is changed only by [`Output::publish`], which
//! sends exactly the files the folder's manifest (`manifest.json`,
//! `mirror_all_report.json` or a shard's `shard.json`) lists, every part of
//! every file before any upload is completed, then completes them with the
//! manifest last and only then deletes what the previous manifest listed and
//! the new one does not. A command stopped before the completions leaves the
//! previous objects and manifest as they were; a reader who trusts the
//! manifest never sees a half-written run. Credentials come from each cloud's
//! environment and never reach a message.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::Context;
use patronage_store::{is_object_url, ObjectUrl, Store};

/// A command's output location.
pub struct Output {
    /// The folder the command writes: the output itself, or the staging
    /// folder of a remote one.
    pub dir: PathBuf,
    remote: Option<(ObjectUrl, Store)>,
}

/// Set to stop a command after its uploads' parts are sent and before any is
/// completed, as a process killed mid-upload would be (tests only).
const STOP_BEFORE_COMMIT: &str = "PATRONAGE_TEST_STOP_BEFORE_COMMIT";

impl Output {
    /// The output at `out`: a URL is staged in `$PATRONAGE_STAGING_DIR/<hash>`
    /// (default: the system's temporary folder), one folder per URL so a
    /// second run on the same machine finds its stage cache.
    pub fn at(out: &Path) -> anyhow::Result<Output> {
        let Some(text) = out.to_str().filter(|t| is_object_url(t)) else {
            return Ok(Output {
                dir: out.to_path_buf(),
                remote: None,
            });
        };
        let url = ObjectUrl::parse(text)?;
        anyhow::ensure!(
            url.scheme.writable(),
            "{url}: an http(s) URL is read only; write outputs to s3://, gs:// or az://"
        );
        let store = Store::open(&url)?;
        let base = std::env::var_os("PATRONAGE_STAGING_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| std::env::temp_dir().join("patronage-staging"));
        let name = patronage_tables::sha256_hex(url.to_string().as_bytes());
        let dir = base.join(&name[..16]);
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("staging folder {} for {url}", dir.display()))?;
        Ok(Output {
            dir,
            remote: Some((url, store)),
        })
    }

    /// The location as the user gave it: the URL, or the folder.
    pub fn shown(&self) -> String {
        match &self.remote {
            Some((url, _)) => url.to_string(),
            None => self.dir.display().to_string(),
        }
    }

    /// Bring the remote shards (`<url>/shards/...`) into the staging folder,
    /// replacing what it held, for a merge; nothing for a local folder.
    pub fn pull_shards(&self) -> anyhow::Result<()> {
        let Some((url, store)) = &self.remote else {
            return Ok(());
        };
        let local = self.dir.join("shards");
        if local.exists() {
            std::fs::remove_dir_all(&local)
                .with_context(|| format!("clearing {}", local.display()))?;
        }
        store.pull(&url.join("shards"), &local)?;
        Ok(())
    }

    /// Bring every output object below the URL (not the shards) into a folder
    /// beside the staging one, for `verify`; returns the folder to check.
    pub fn pull_outputs(&self) -> anyhow::Result<PathBuf> {
        let Some((url, store)) = &self.remote else {
            return Ok(self.dir.clone());
        };
        let dir = self.dir.with_extension("verify");
        if dir.exists() {
            std::fs::remove_dir_all(&dir).with_context(|| format!("clearing {}", dir.display()))?;
        }
        store.pull_where(url, &dir, |rel| !rel.starts_with("shards/"))?;
        Ok(dir)
    }

    /// Publish the files `sub/<manifest>` lists (`sub` is `""` for the job's
    /// outputs or `shards/I-of-N` for a shard), the manifest last; nothing for
    /// a local folder. Returns how many files went up.
    pub fn publish(&self, sub: &str, manifest: &str) -> anyhow::Result<Option<usize>> {
        let Some((url, store)) = &self.remote else {
            return Ok(None);
        };
        let dir = if sub.is_empty() {
            self.dir.clone()
        } else {
            self.dir.join(sub)
        };
        let prefix = if sub.is_empty() {
            url.clone()
        } else {
            url.join(sub)
        };
        let mut files = listed(&std::fs::read(dir.join(manifest)).with_context(|| {
            format!("{}: the manifest to publish", dir.join(manifest).display())
        })?)
        .with_context(|| format!("{}", dir.join(manifest).display()))?;
        let new: BTreeSet<String> = files.iter().cloned().collect();
        let stale: Vec<String> = match store.head(&prefix.join(manifest))? {
            Some(_) => listed(&store.get(&prefix.join(manifest))?)
                .unwrap_or_default()
                .into_iter()
                .filter(|f| !new.contains(f) && f != manifest)
                .collect(),
            None => Vec::new(),
        };
        files.push(manifest.to_string());
        let prepared = store.prepare_publish(&dir, &files, &prefix)?;
        if std::env::var_os(STOP_BEFORE_COMMIT).is_some() {
            // What a process killed here leaves: parts sent, none completed.
            std::mem::forget(prepared);
            std::process::exit(3);
        }
        let published = prepared.commit(&stale)?;
        Ok(Some(published.uploaded.len()))
    }
}

/// The files a manifest lists (`outputs[].file`), in its order.
fn listed(manifest: &[u8]) -> anyhow::Result<Vec<String>> {
    let v: serde_json::Value = serde_json::from_slice(manifest).context("not a manifest")?;
    let outputs = v
        .get("outputs")
        .and_then(|o| o.as_array())
        .context("no \"outputs\" list")?;
    outputs
        .iter()
        .map(|o| {
            o.get("file")
                .and_then(|f| f.as_str())
                .map(str::to_string)
                .context("an output without \"file\"")
        })
        .collect()
}
