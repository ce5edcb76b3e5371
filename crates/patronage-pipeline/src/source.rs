//! One source through extract and normalize: its files read in parallel, every
//! file's rows accounted for, the kept rows framed as the domain's canonical
//! table (`trade_flows`, ...). Results keep file order, so parallelism never
//! changes an output byte.

use std::collections::BTreeMap;
use std::path::Path;

use patronage_core::RowReject;
use patronage_tables::contracts::TableSpec;
use polars::prelude::*;
use rayon::prelude::*;

use crate::config::{Domain, Pipeline, Source};
use crate::manifest::{InputEntry, RowAccount};
use crate::run::SourceAccount;
use crate::PipelineError;

/// What one file became: kept rows, rejects with the stage that made them, and
/// the counts that must balance.
pub(crate) struct FileOutcome<T> {
    /// Rows kept, in file order.
    pub rows: Vec<T>,
    /// Rejects, each with its stage (`extract`, `normalize`).
    pub rejects: Vec<(&'static str, RowReject)>,
    /// Records the reader saw.
    pub read: u64,
    /// Rows dropped on purpose, by reason.
    pub dropped: BTreeMap<String, u64>,
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
            rejects,
            read,
            dropped,
        }
    }
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
    /// The kept rows as the domain's canonical table.
    pub canonical: DataFrame,
    /// Rejects of every file, in file then line order.
    pub rejects: Vec<RejectRow>,
    /// One manifest entry per file.
    pub inputs: Vec<InputEntry>,
    /// Accounting summed over the files.
    pub account: SourceAccount,
}

/// Read every file of a source with its domain's reader.
pub(crate) fn read_source(p: &Pipeline, source: &Source) -> Result<SourceOutput, PipelineError> {
    match source.format.domain() {
        Domain::Trade => read_files(
            p,
            source,
            crate::trade::read_file,
            crate::trade::canonical_frame,
        ),
        Domain::Aid => crate::aid::read_source(p, source),
        Domain::Labor => read_files(
            p,
            source,
            crate::labor::read_file,
            crate::labor::canonical_frame,
        ),
        Domain::Events => read_files(
            p,
            source,
            crate::events::read_file,
            crate::events::canonical_frame,
        ),
    }
}

/// The canonical table of a domain from its sources' frames, in declaration order;
/// an empty table of the right types when no source feeds it.
pub(crate) fn canonical(
    domain: Domain,
    outputs: &[SourceOutput],
) -> Result<DataFrame, PipelineError> {
    let spec = domain.canonical_table();
    let mut frames = outputs.iter().filter(|o| o.domain == domain);
    let Some(first) = frames.next() else {
        return empty_canonical(domain).map_err(table_error(spec));
    };
    let mut df = first.canonical.clone();
    for o in frames {
        df.vstack_mut(&o.canonical).map_err(table_error(spec))?;
    }
    // Sorted by the table's key, as every table is written: the order the sources
    // are declared in does not show in the output.
    df.sort(
        spec.key.iter().copied(),
        SortMultipleOptions::default().with_maintain_order(true),
    )
    .map_err(table_error(spec))
}

fn empty_canonical(domain: Domain) -> PolarsResult<DataFrame> {
    match domain {
        Domain::Trade => crate::trade::canonical_frame(Vec::new()),
        Domain::Aid => crate::aid::canonical_frame(Vec::new()),
        Domain::Labor => crate::labor::canonical_frame(Vec::new()),
        Domain::Events => crate::events::canonical_frame(Vec::new()),
    }
}

/// Wrap a polars error with the table it was building.
pub(crate) fn table_error(
    spec: &'static TableSpec,
) -> impl Fn(PolarsError) -> PipelineError + Copy {
    let wrap = patronage_tables::table_error(spec);
    move |source| PipelineError::Tables(wrap(source))
}

fn read_files<T, R, F>(
    p: &Pipeline,
    source: &Source,
    read: R,
    frame: F,
) -> Result<SourceOutput, PipelineError>
where
    T: Send,
    R: Fn(&Pipeline, &Source, &Path, &str, Vec<u8>) -> Result<FileOutcome<T>, PipelineError> + Sync,
    F: Fn(Vec<T>) -> PolarsResult<DataFrame>,
{
    let results: Vec<(FileMeta, FileOutcome<T>)> = source
        .files
        .par_iter()
        .map(|file| {
            let (meta, bytes) = if source.format.streams() {
                stream_meta(p, file)?
            } else {
                load_file(p, file)?
            };
            let outcome = read(p, source, file, &meta.file, bytes)?;
            Ok((meta, outcome))
        })
        .collect::<Result<_, PipelineError>>()?;
    assemble(source, results, frame)
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

/// Read a source file, with what the manifest records about it.
pub(crate) fn load_file(p: &Pipeline, file: &Path) -> Result<(FileMeta, Vec<u8>), PipelineError> {
    let bytes = patronage_extract::ExtractError::read(file)?;
    let meta = FileMeta {
        file: p.relative(file),
        bytes: bytes.len() as u64,
        sha256: patronage_tables::sha256_hex(&bytes),
    };
    Ok((meta, bytes))
}

/// What the manifest records about a file a streaming reader opens itself: the
/// file is hashed in blocks, never held whole; the bytes returned are empty.
fn stream_meta(p: &Pipeline, file: &Path) -> Result<(FileMeta, Vec<u8>), PipelineError> {
    let (bytes, sha256) = patronage_tables::sha256_file(file).map_err(|source| {
        patronage_extract::ExtractError::Io {
            path: file.to_path_buf(),
            source,
        }
    })?;
    let meta = FileMeta {
        file: p.relative(file),
        bytes,
        sha256,
    };
    Ok((meta, Vec::new()))
}

/// Check each file's accounting, then gather the files' outcomes (in the order
/// given) into the source's output.
pub(crate) fn assemble<T, F>(
    source: &Source,
    files: Vec<(FileMeta, FileOutcome<T>)>,
    frame: F,
) -> Result<SourceOutput, PipelineError>
where
    F: Fn(Vec<T>) -> PolarsResult<DataFrame>,
{
    let mut results: Vec<(InputEntry, FileOutcome<T>)> = Vec::with_capacity(files.len());
    for (meta, outcome) in files {
        let account = RowAccount {
            read: outcome.read,
            kept: outcome.rows.len() as u64,
            dropped: outcome.dropped.clone(),
            rejected: outcome.rejects.len() as u64,
        };
        if !account.balances() {
            return Err(PipelineError::Accounting {
                file: meta.file,
                read: account.read,
                kept: account.kept,
                dropped: account.dropped_total(),
                rejected: account.rejected,
            });
        }
        let entry = InputEntry {
            source_id: source.id.clone(),
            format: source.format.as_str(),
            file: meta.file,
            bytes: meta.bytes,
            sha256: meta.sha256,
            rows: account,
        };
        results.push((entry, outcome));
    }

    let mut account = SourceAccount {
        source_id: source.id.clone(),
        files: 0,
        rows: RowAccount::default(),
    };
    let (mut rows, mut rejects, mut inputs) = (Vec::new(), Vec::new(), Vec::new());
    for (entry, outcome) in results {
        account.files += 1;
        account.rows.add(&entry.rows);
        rows.extend(outcome.rows);
        rejects.extend(
            outcome
                .rejects
                .into_iter()
                .map(|(stage, reject)| RejectRow {
                    stage,
                    source_id: source.id.clone(),
                    source_file: entry.file.clone(),
                    reject,
                }),
        );
        inputs.push(entry);
    }
    let domain = source.format.domain();
    let canonical = frame(rows).map_err(table_error(domain.canonical_table()))?;
    Ok(SourceOutput {
        domain,
        canonical,
        rejects,
        inputs,
        account,
    })
}
