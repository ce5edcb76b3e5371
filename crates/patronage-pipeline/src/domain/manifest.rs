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
    /// One entry per table written, in data-dictionary order.
    pub outputs: Vec<OutputEntry>,
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
