//! A validated source declaration: its id, its format, the files its path or glob
//! matched (sorted), how monthly rows are read, and its format's own options.

use std::path::{Path, PathBuf};

use patronage_normalize::MonthlyFigures;

use super::format::{FormatOptions, FormatSpec};

/// A validated source declaration.
#[derive(Debug, Clone)]
pub struct Source {
    /// Source id, unique in the pipeline.
    pub id: String,
    /// File format.
    pub format: &'static FormatSpec,
    /// The path or glob as written.
    pub pattern: String,
    /// How monthly rows are read.
    pub monthly: MonthlyFigures,
    /// Files matched, sorted, one path per physical file.
    pub files: Vec<PathBuf>,
    /// Other paths the pattern reached to a file or folder already matched
    /// (`file \`b.csv\` is \`a.csv\` (read once)`), relative to the pipeline's
    /// folder: shown to the user, never read.
    pub aliases: Vec<String>,
    /// The format's own options.
    pub options: FormatOptions,
    /// Files the source's reader consults besides its inputs (a code list).
    pub auxiliary: Vec<PathBuf>,
    /// The `fetch.lock` entries of the downloaded files it reads (`fetch`).
    pub downloads: Vec<patronage_fetch::LockEntry>,
    /// Downloads its `fetch` names that the cache lacks (URLs without the
    /// key): the source cannot be read until they are fetched.
    pub pending: Vec<String>,
    /// The objects on object storage its `path` names that the download cache
    /// lacks (also in `pending`, by URL), with their listed sizes.
    pub objects: Vec<PendingObject>,
}

impl Source {
    /// Files the source's reader consults besides its inputs (a BACI country-code
    /// list): their content is part of the source stage's fingerprint.
    pub fn auxiliary_files(&self) -> impl Iterator<Item = &Path> {
        self.auxiliary.iter().map(PathBuf::as_path)
    }

    /// The source's options, as the type its format builds; `None` for another.
    pub fn options<T: 'static>(&self) -> Option<&T> {
        self.options.get::<T>()
    }
}

/// An object a source names that the cache lacks (or holds in another
/// version), as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingObject {
    /// Its URL.
    pub url: String,
    /// Its size, as listed (the shard rule's weight).
    pub bytes: u64,
    /// Its ETag, as listed.
    pub etag: Option<String>,
    /// Where it goes in the download cache.
    pub path: PathBuf,
}
