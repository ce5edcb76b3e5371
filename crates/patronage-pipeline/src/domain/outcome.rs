//! What reading a source produces, before any table is built: each file's kept
//! rows, its rejects with the stage that made them and its counts, which must
//! balance (read = kept + dropped on purpose + rejected); and a source's output
//! gathered from its files in file order.

use std::collections::BTreeMap;

use patronage_core::RowReject;
use patronage_tables::contracts::TableSpec;
use polars::prelude::*;

use super::manifest::{InputEntry, RowAccount};
use crate::config::Domain;
use crate::PipelineError;

/// What one file became: kept rows, rejects with the stage that made them, and
/// the counts that must balance.
pub(crate) struct FileOutcome<T> {
    /// Rows kept, in file order, after those in `frames`.
    pub rows: Vec<T>,
    /// Rows kept already in the domain's canonical columns, in file order, before
    /// `rows`: a streamed file frames its kept rows block by block, so they are
    /// never held as records (empty for a file read whole).
    pub frames: Vec<DataFrame>,
    /// Rejects, each with its stage (`extract`, `normalize`).
    pub rejects: Vec<(&'static str, RowReject)>,
    /// Records the reader saw.
    pub read: u64,
    /// Rows dropped on purpose, by reason.
    pub dropped: BTreeMap<String, u64>,
    /// Size and SHA-256 of the unpacked bytes, taken by a streamed reader while
    /// it read them (`files::open_hashed`), so the manifest's record of the file
    /// costs no pass of its own; `None` for a file handed over as bytes.
    pub input: Option<(u64, String)>,
    /// The kept rows written to disk as they were read (`spill.rs`), in file
    /// order, instead of `frames` and `rows` (both then empty).
    pub spilled: Option<Spilled>,
}

impl<T> FileOutcome<T> {
    /// A file's outcome from what its reader and its normalizer returned: the
    /// reader's rejects first, then the normalizer's, each tagged with its stage.
    pub(crate) fn new(
        read: u64,
        extract_rejects: Vec<RowReject>,
        rows: Vec<T>,
        normalize_rejects: Vec<RowReject>,
        dropped: BTreeMap<String, u64>,
    ) -> Self {
        let rejects = extract_rejects
            .into_iter()
            .map(|r| ("extract", r))
            .chain(normalize_rejects.into_iter().map(|r| ("normalize", r)))
            .collect();
        FileOutcome {
            rows,
            frames: Vec::new(),
            rejects,
            read,
            dropped,
            input: None,
            spilled: None,
        }
    }

    /// Rows kept: those written to disk, those framed and those still held as
    /// records.
    pub(crate) fn kept(&self) -> u64 {
        self.spilled.as_ref().map_or(0, |s| s.rows)
            + (self.frames.iter().map(DataFrame::height).sum::<usize>() + self.rows.len()) as u64
    }
}

/// A file of canonical rows written to disk as they were read: one source
/// file's kept rows, in key order (checked as they were written).
#[derive(Debug, Clone)]
pub(crate) struct Spilled {
    /// The source file the rows came from (their `source_file`).
    pub source_file: String,
    /// Where the rows are.
    pub path: std::path::PathBuf,
    /// Rows.
    pub rows: u64,
    /// Size of the file.
    pub bytes: u64,
    /// SHA-256 of the file.
    pub sha256: String,
}

/// Tables a stage produced, each with its contract.
pub(crate) type Tables = Vec<(&'static TableSpec, DataFrame)>;

/// A reject with the source and file it came from.
pub(crate) struct RejectRow {
    pub stage: &'static str,
    pub source_id: String,
    pub source_file: String,
    pub reject: RowReject,
}

/// One source after extract and normalize.
pub(crate) struct SourceOutput {
    /// Which canonical table `canonical` is.
    pub domain: Domain,
    /// The kept rows as the domain's canonical table (empty when they are on
    /// disk, in `spilled`).
    pub canonical: DataFrame,
    /// The kept rows written to disk as they were read, a file per source file
    /// in `source_file` order; empty when they are held in `canonical`.
    pub spilled: Vec<Spilled>,
    /// Rejects of every file, in file then line order.
    pub rejects: Vec<RejectRow>,
    /// One manifest entry per file.
    pub inputs: Vec<InputEntry>,
    /// Accounting summed over the files.
    pub account: SourceAccount,
}

impl SourceOutput {
    /// Rows kept: held and on disk.
    pub(crate) fn rows(&self) -> u64 {
        self.canonical.height() as u64 + self.spilled.iter().map(|s| s.rows).sum::<u64>()
    }
}

/// Row accounting for one source, summed over its files.
#[derive(Debug, Clone)]
pub struct SourceAccount {
    /// Source id.
    pub source_id: String,
    /// Files read.
    pub files: usize,
    /// Rows.
    pub rows: RowAccount,
}

/// A source file's bytes were read: its path relative to the pipeline, size and hash.
pub(crate) struct FileMeta {
    /// File, relative to the pipeline file.
    pub file: String,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256 of the bytes.
    pub sha256: String,
}

/// Wrap a polars error with the table it was building.
pub(crate) fn table_error(
    spec: &'static TableSpec,
) -> impl Fn(PolarsError) -> PipelineError + Copy {
    let wrap = patronage_tables::table_error(spec);
    move |source| PipelineError::Tables(wrap(source))
}
