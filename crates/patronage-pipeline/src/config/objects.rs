//! A source whose `path` is an object-storage URL (`s3://bucket/baci/*.csv`,
//! `gs://…`, `az://…`, `https://…`; a `.zip` object's members as
//! `s3://bucket/BACI_HS92_V202401.zip/*.csv`): the objects it names (a key, a
//! prefix, or a glob within one segment of the key) are listed, and each is
//! read from the project's download cache at
//! `data/cache/objects/<scheme>/<bucket>/<key>`, where [`download`] brings it,
//! hashed as it is written, with what the store said of it beside it
//! (`<file>.object.json`: URL, size, ETag, SHA-256, the file's modification
//! time). A stage fingerprints a plain object by that SHA-256 (the store's
//! size and ETag checked at load), without hashing the file again.
//!
//! Invariant: a cached object is read only while the store still lists it with
//! the size and ETag it was downloaded with and its file is as it was written;
//! otherwise (or when it was never
//! downloaded) it is pending, named by its URL, and never read. Loading lists
//! and never downloads; the engine downloads the pending objects of exactly
//! the sources a run or a shard reads, then loads again. The cache path depends
//! only on the URL, so every process of a fan-out names a file alike in the
//! outputs.

use std::path::{Path, PathBuf};

use patronage_store::{is_object_url, ObjectUrl, Store};
use serde::{Deserialize, Serialize};

use super::downloads::Resolved;
use super::source::PendingObject;

/// What the store said of a cached object when it was downloaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Sidecar {
    url: String,
    size: u64,
    etag: Option<String>,
    /// SHA-256 of the object's bytes (empty for a placeholder).
    sha256: String,
    /// The cached file's modification time once written (seconds,
    /// nanoseconds): a file changed in the cache since is not the object.
    modified: (u64, u32),
    /// SHA-256 of the input as a stage reads it (the bytes of a plain object,
    /// the inflated bytes of a `.gz` one), when known: a stage's fingerprint.
    #[serde(default)]
    input_sha256: Option<String>,
    /// A file of the object's size holding none of its bytes, written by a
    /// merge from what its shards read ([`place_holder`]); read by no stage.
    #[serde(default)]
    placeholder: bool,
}

/// A file's modification time, as the sidecar keeps it.
fn modified(file: &Path) -> Option<(u64, u32)> {
    let t = std::fs::metadata(file).ok()?.modified().ok()?;
    let d = t.duration_since(std::time::UNIX_EPOCH).ok()?;
    Some((d.as_secs(), d.subsec_nanos()))
}

/// The sidecar of a cached object whose file is still as it was written.
fn intact(file: &Path) -> Option<Sidecar> {
    let bytes = std::fs::read(sidecar_path(file)).ok()?;
    let s: Sidecar = serde_json::from_slice(&bytes).ok()?;
    let len = std::fs::metadata(file).ok()?.len();
    (len == s.size && modified(file) == Some(s.modified)).then_some(s)
}

/// The input SHA-256 recorded for the object at `file` (taken while it was
/// downloaded, or by the shards a merge's placeholder stands for), for the
/// stage fingerprint instead of hashing the file again; none for a `.zip`
/// member (fingerprinted by its own bytes) or a file not as it was written.
pub(crate) fn recorded_sha256(file: &Path) -> Option<String> {
    if patronage_extract::archive::container(file) != file {
        return None;
    }
    intact(file).and_then(|s| s.input_sha256)
}

/// The ETag a cached object was downloaded with (`None` for a file that is
/// not one, or a `.zip` member), for a shard to record what it read.
pub fn etag_of(file: &Path) -> Option<String> {
    if patronage_extract::archive::container(file) != file {
        return None;
    }
    intact(file).and_then(|s| s.etag)
}

/// Stand in for the pending object `o` in the download cache without its bytes:
/// a sparse file of its listed size and a sidecar marked as a placeholder,
/// carrying `input_sha256`, the SHA-256 the shards of a merge recorded for it.
/// Only a load that accepts placeholders (`patronage merge`, whose stages read
/// no source) takes the file as the object; any other sees it pending and
/// downloads it over the placeholder. Not for a `.zip` object, whose members
/// a load lists from its bytes.
pub fn place_holder(o: &PendingObject, input_sha256: &str) -> Result<(), String> {
    let io = |e: std::io::Error| format!("{}: {e}", o.path.display());
    if let Some(dir) = o.path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let file = std::fs::File::create(&o.path).map_err(io)?;
    file.set_len(o.bytes).map_err(io)?;
    drop(file);
    let sidecar = Sidecar {
        url: o.url.clone(),
        size: o.bytes,
        etag: o.etag.clone(),
        sha256: String::new(),
        modified: modified(&o.path).unwrap_or_default(),
        input_sha256: Some(input_sha256.to_string()),
        placeholder: true,
    };
    let json = serde_json::to_vec_pretty(&sidecar).unwrap_or_default();
    patronage_tables::parquet::write_atomic(&sidecar_path(&o.path), &json)
        .map_err(|e| e.to_string())
}

/// Whether a source's `path` is an object URL.
pub(crate) fn is_object_path(path: &str) -> bool {
    is_object_url(path)
}

/// The object pattern and the `.zip` members' glob of `pattern`
/// (`s3://b/R.zip/*.csv` is the object `s3://b/R.zip` and the members `*.csv`).
pub(crate) fn split_members(pattern: &str) -> Result<(String, Option<String>), String> {
    let url = ObjectUrl::parse(pattern).map_err(|e| e.to_string())?;
    let (object, members) = url.split_zip_member();
    Ok((object.to_string(), members))
}

/// The cache path of `url` under the project's cache: one folder per scheme
/// and bucket, the key's segments below it (`.` and `..` segments refused).
fn cache_path(cache: &Path, url: &ObjectUrl) -> Result<PathBuf, String> {
    let mut path = cache
        .join("objects")
        .join(url.scheme.as_str())
        .join(&url.bucket);
    for segment in url.key.split('/').filter(|s| !s.is_empty()) {
        if segment == "." || segment == ".." {
            return Err(format!("{url}: a key with `{segment}` cannot be cached"));
        }
        path.push(segment);
    }
    Ok(path)
}

/// The URL a file of the download cache's `objects` folder was downloaded
/// from (`…/data/cache/objects/s3/bucket/key` is `s3://bucket/key`), so the
/// tables and the manifest name an object by its URL wherever the project
/// lies; `None` for any other file.
pub(crate) fn url_of(file: &Path) -> Option<String> {
    let parts: Vec<String> = file
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let at = parts
        .windows(3)
        .rposition(|w| w[0] == "data" && w[1] == "cache" && w[2] == "objects")?;
    let rest = &parts[at + 3..];
    if rest.len() < 3 {
        return None;
    }
    Some(format!("{}://{}/{}", rest[0], rest[1], rest[2..].join("/")))
}

fn sidecar_path(file: &Path) -> PathBuf {
    let mut name = file.file_name().unwrap_or_default().to_os_string();
    name.push(".object.json");
    file.with_file_name(name)
}

/// List the objects `pattern` names, and split them into those the project's
/// cache (`cache`) holds as listed (files) and those it lacks (pending).
pub(crate) fn resolve(pattern: &str, cache: &Path, placeholders: bool) -> Result<Resolved, String> {
    let url = ObjectUrl::parse(pattern).map_err(|e| e.to_string())?;
    let store = Store::open(&url).map_err(|e| e.to_string())?;
    // A wildcard's matches, else the object at the key, else a prefix.
    let listed = store.resolve(&url).map_err(|e| e.to_string())?;
    if listed.is_empty() {
        return Err(format!("{url}: no object matches"));
    }
    let mut resolved = Resolved::default();
    for object in listed {
        let path = cache_path(cache, &object.url)?;
        // The store still lists the object with the size and ETag it was
        // downloaded with, and the cached file is as it was written.
        let current = intact(&path).is_some_and(|s| {
            s.size == object.size && s.etag == object.etag && (placeholders || !s.placeholder)
        });
        if current {
            resolved.files.push(path);
        } else {
            resolved.pending.push(object.url.to_string());
            resolved.objects.push(PendingObject {
                url: object.url.to_string(),
                bytes: object.size,
                etag: object.etag.clone(),
                path,
            });
        }
    }
    Ok(resolved)
}

/// Download `objects` into their cache paths, each hashed as written, with
/// what the store says of it beside it; returns how many were downloaded.
pub fn download(objects: &[PendingObject]) -> Result<usize, String> {
    for o in objects {
        let url = ObjectUrl::parse(&o.url).map_err(|e| e.to_string())?;
        let store = Store::open(&url).map_err(|e| e.to_string())?;
        if let Some(dir) = o.path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        let got = store.download(&url, &o.path).map_err(|e| e.to_string())?;
        // A plain object is read as it is; a `.gz` one is fingerprinted by its
        // inflated bytes, hashed by the stage.
        let plain = !patronage_extract::archive::is_gz(&o.path)
            && !patronage_extract::archive::is_zip(&o.path);
        let sidecar = Sidecar {
            url: o.url.clone(),
            size: got.size,
            etag: got.etag,
            input_sha256: plain.then(|| got.sha256.clone()),
            sha256: got.sha256,
            modified: modified(&o.path).unwrap_or_default(),
            placeholder: false,
        };
        let json = serde_json::to_vec_pretty(&sidecar).unwrap_or_default();
        patronage_tables::parquet::write_atomic(&sidecar_path(&o.path), &json)
            .map_err(|e| e.to_string())?;
    }
    Ok(objects.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zip_objects_members_are_split_from_its_url() {
        assert_eq!(
            split_members("s3://b/rel/BACI_HS92_V202401.zip/*.csv"),
            Ok((
                "s3://b/rel/BACI_HS92_V202401.zip".to_string(),
                Some("*.csv".to_string())
            ))
        );
        assert_eq!(
            split_members("s3://b/baci/*.csv"),
            Ok(("s3://b/baci/*.csv".into(), None))
        );
        // A bucket named like a zip is not an archive.
        assert_eq!(
            split_members("s3://x.zip/a.csv"),
            Ok(("s3://x.zip/a.csv".into(), None))
        );
    }

    #[test]
    fn the_cache_path_depends_on_the_url_only() {
        let url = ObjectUrl::parse("s3://bucket/baci/BACI_HS92_Y2019_V202401.csv").unwrap();
        assert_eq!(
            cache_path(Path::new("data/cache"), &url).unwrap(),
            Path::new("data/cache/objects/s3/bucket/baci/BACI_HS92_Y2019_V202401.csv")
        );
        assert_eq!(
            url_of(&Path::new("/p").join(cache_path(Path::new("data/cache"), &url).unwrap())),
            Some(url.to_string())
        );
        assert_eq!(url_of(Path::new("/p/data/cache/a.csv")), None);
        let bad = ObjectUrl::parse("s3://bucket/a/../b.csv").unwrap();
        assert!(cache_path(Path::new("c"), &bad).is_err());
        assert_eq!(
            sidecar_path(Path::new("c/a.csv")),
            Path::new("c/a.csv.object.json")
        );
    }
}
