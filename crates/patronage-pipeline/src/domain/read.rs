//! One source through extract and normalize: its files read by its format's
//! reader, every file's rows accounted for, the kept rows framed as the domain's
//! canonical table (`trade_flows`, ...); and a domain's canonical table from all
//! its sources, sorted by key so declaration order never shows in the output.

use polars::prelude::*;

use super::format::Reader;
use super::manifest::{InputEntry, RowAccount};
use super::outcome::{table_error, FileMeta, FileOutcome, RejectRow, SourceAccount, SourceOutput};
use super::{aid, events, files, formats, labor, trade};
use crate::config::{Domain, Pipeline, Source};
use crate::PipelineError;

/// Read every file of a source with its format's reader.
pub(crate) fn read_source(p: &Pipeline, source: &Source) -> Result<SourceOutput, PipelineError> {
    let format = formats::of(source).ok_or_else(|| PipelineError::Invalid {
        path: p.path.clone(),
        line: 0,
        message: format!(
            "source `{}`: format `{}` has no reader (a defect in the tool)",
            source.id, source.format.name
        ),
    })?;
    match format.reader {
        Reader::Trade(read) => assemble(
            source,
            files::read_each(p, source, read)?,
            trade::canonical_frame,
        ),
        Reader::Aid(read) => assemble(
            source,
            files::read_each(p, source, read)?,
            aid::canonical_frame,
        ),
        Reader::AidSource(read) => assemble(source, read(p, source)?, aid::canonical_frame),
        Reader::Labor(read) => assemble(
            source,
            files::read_each(p, source, read)?,
            labor::canonical_frame,
        ),
        Reader::Events(read) => assemble(
            source,
            files::read_each(p, source, read)?,
            events::canonical_frame,
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
        Domain::Trade => trade::canonical_frame(Vec::new()),
        Domain::Aid => aid::canonical_frame(Vec::new()),
        Domain::Labor => labor::canonical_frame(Vec::new()),
        Domain::Events => events::canonical_frame(Vec::new()),
    }
}

/// Check each file's accounting, then gather the files' outcomes (in the order
/// given) into the source's output.
fn assemble<T, F>(
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
            return Err(patronage_core::Unbalanced {
                file: meta.file,
                read: account.read,
                kept: account.kept,
                dropped: account.dropped_total(),
                rejected: account.rejected,
            }
            .into());
        }
        let entry = InputEntry {
            source_id: source.id.clone(),
            format: source.format.name,
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
    let domain = source.format.domain;
    let canonical = frame(rows).map_err(table_error(domain.canonical_table()))?;
    Ok(SourceOutput {
        domain,
        canonical,
        rejects,
        inputs,
        account,
    })
}
