//! `manifest.json`: what went in (bytes, SHA-256, row accounting) and what came out
//! (rows, SHA-256). Deterministic: no timestamps, no absolute paths, fixed key
//! order, so the same inputs give the same manifest on any machine.

use std::collections::BTreeMap;

use serde::Serialize;

/// The manifest.
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    /// Always "patronage".
    pub tool: &'static str,
    /// Tool version.
    pub tool_version: &'static str,
    /// Table contract version.
    pub schema_version: u32,
    /// The pipeline.
    pub pipeline: PipelineEntry,
    /// SHA-256 over the inputs' hashes in order; also in every Parquet footer.
    pub inputs_sha256: String,
    /// One entry per input file, in source priority order then path order.
    pub inputs: Vec<InputEntry>,
    /// One entry per file the `[mirror_all]` step folded (the same files as
    /// some of `inputs`, with the fold's accounting: kept rows are those summed
    /// into `mirror_all`), in source order then path order; absent without the
    /// step.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mirror_all_inputs: Vec<InputEntry>,
    /// One entry per table written, in data-dictionary order.
    pub outputs: Vec<OutputEntry>,
    /// The `fetch.lock` entries of the downloaded files the sources read (a
    /// source's `fetch = {...}`), in source order, so someone else can fetch the
    /// same inputs; the download time stays in `fetch.lock`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub downloads: Vec<Download>,
}

/// A downloaded file a source read, as `fetch.lock` records it (no time).
#[derive(Debug, Clone, Serialize)]
pub struct Download {
    /// Source id.
    pub source_id: String,
    /// Which agency's interface (`comtrade`, `comtrade_bulk`, `baci`, `fts`).
    pub source: String,
    /// The URL requested (never the key).
    pub url: String,
    /// The request's parameters.
    pub params: BTreeMap<String, String>,
    /// The file's name in the cache.
    pub name: String,
    /// Size as received.
    pub bytes: u64,
    /// SHA-256 as received.
    pub sha256: String,
    /// A bulk file's publication date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
}

impl Download {
    /// The entries of `source`'s downloads.
    pub fn of(source: &crate::config::Source) -> Vec<Download> {
        source
            .downloads
            .iter()
            .map(|e| Download {
                source_id: source.id.clone(),
                source: e.source.clone(),
                url: e.url.clone(),
                params: e.params.clone(),
                name: e.name.clone(),
                bytes: e.bytes,
                sha256: e.sha256.clone(),
                published: e.published.clone(),
            })
            .collect()
    }
}

/// The pipeline file.
#[derive(Debug, Clone, Serialize)]
pub struct PipelineEntry {
    /// Pipeline name.
    pub name: String,
    /// File name of the pipeline.
    pub file: String,
    /// SHA-256 of its bytes.
    pub sha256: String,
    /// Focus country.
    pub focus: String,
}

/// One input file.
#[derive(Debug, Clone, Serialize)]
pub struct InputEntry {
    /// Source id.
    pub source_id: String,
    /// Format name.
    pub format: &'static str,
    /// Path relative to the pipeline file.
    pub file: String,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256 of the bytes.
    pub sha256: String,
    /// Row accounting.
    pub rows: RowAccount,
}

/// Rows read = kept + dropped (by reason) + rejected.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct RowAccount {
    /// Data rows read.
    pub read: u64,
    /// Rows in `trade_flows`.
    pub kept: u64,
    /// Rows dropped on purpose, by reason.
    pub dropped: BTreeMap<String, u64>,
    /// Rows in `rejects`.
    pub rejected: u64,
}

impl RowAccount {
    /// Sum of the dropped counts.
    pub fn dropped_total(&self) -> u64 {
        self.dropped.values().sum()
    }

    /// Whether read = kept + dropped + rejected.
    pub fn balances(&self) -> bool {
        self.read == self.kept + self.dropped_total() + self.rejected
    }

    /// Add another account into this one.
    pub fn add(&mut self, other: &RowAccount) {
        self.read += other.read;
        self.kept += other.kept;
        self.rejected += other.rejected;
        for (k, v) in &other.dropped {
            *self.dropped.entry(k.clone()).or_default() += v;
        }
    }
}

/// One output table.
#[derive(Debug, Clone, Serialize)]
pub struct OutputEntry {
    /// Table name.
    pub table: String,
    /// File name in the output folder.
    pub file: String,
    /// Rows.
    pub rows: usize,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256 of the bytes.
    pub sha256: String,
}

impl Manifest {
    /// The JSON text, pretty-printed, ending in a newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}
