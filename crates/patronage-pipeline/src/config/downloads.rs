//! A source's `fetch = {...}`: the files it names are read from the project's
//! download cache (`<project>/data/cache`, recorded in `<project>/fetch.lock`,
//! the project being the pipeline's root, or the folder above the pipeline's
//! folder when the operator lifted the limit), downloaded first when the load
//! is allowed to (`patronage run`); otherwise what the cache lacks is listed as
//! pending, never read, so `plan` can show it and `run --offline` can refuse
//! it by name. The endpoints are the agencies' own unless
//! `PATRONAGE_COMTRADE_URL`, `PATRONAGE_BACI_URL` or `PATRONAGE_FTS_URL` name
//! another (a mirror, or a test's local server); the key comes from
//! `COMTRADE_API_KEY` only.

use std::path::{Path, PathBuf};

use super::source::PendingObject;
use patronage_fetch::{Endpoints, FetchError, Fetcher, Key, LockEntry, Retry, Settings, Spec};

/// What a source's `fetch` resolves to.
#[derive(Debug, Clone, Default)]
pub(crate) struct Resolved {
    /// The cached files, in request order.
    pub files: Vec<PathBuf>,
    /// Their lock entries.
    pub downloads: Vec<LockEntry>,
    /// Requests the cache lacks (URLs without the key), when not downloading.
    pub pending: Vec<String>,
    /// Objects on object storage the cache lacks (a source `path` that is a URL).
    pub objects: Vec<PendingObject>,
}

/// The cache folder and lock file of the project at `project`.
pub(crate) fn cache_and_lock(project: &Path) -> (PathBuf, PathBuf) {
    (
        project.join("data").join("cache"),
        project.join("fetch.lock"),
    )
}

/// The endpoints: the agencies', or those the environment names.
fn endpoints() -> Endpoints {
    let d = Endpoints::default();
    let var = |name: &str, default: String| std::env::var(name).unwrap_or(default);
    Endpoints {
        comtrade: var("PATRONAGE_COMTRADE_URL", d.comtrade),
        baci: var("PATRONAGE_BACI_URL", d.baci),
        fts: var("PATRONAGE_FTS_URL", d.fts),
    }
}

/// Resolve `spec` in the cache of `project`, downloading what is missing when
/// `download` is set.
pub(crate) fn resolve(spec: &Spec, project: &Path, download: bool) -> Result<Resolved, String> {
    let (cache, lock) = cache_and_lock(project);
    let settings = Settings {
        cache,
        lock,
        offline: !download,
        refresh: false,
        retry: Retry::default(),
        progress: false,
    };
    let key = Key::find(None).map_err(|e| e.to_string())?;
    let mut fetcher = Fetcher::new(settings, key).map_err(|e| e.to_string())?;
    match patronage_fetch::fetch(&mut fetcher, spec, &endpoints()) {
        Ok(files) => Ok(Resolved {
            files: files.iter().map(|f| f.path.clone()).collect(),
            downloads: files.into_iter().map(|f| f.entry).collect(),
            ..Resolved::default()
        }),
        Err(FetchError::Offline { missing, .. }) if !download => Ok(Resolved {
            pending: missing,
            ..Resolved::default()
        }),
        Err(e) => Err(e.to_string()),
    }
}
