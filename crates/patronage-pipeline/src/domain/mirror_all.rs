//! The `[mirror_all]` step's fold: the files of the named BACI and Comtrade bulk
//! sources folded by `patronage_bulk` (the engine behind `patronage mirror-all`,
//! through the same [`fold_inputs`] and [`mirror_frame`]) into `mirror_all`, its
//! rejects and its row accounting, then added to the tables a run writes.
//!
//! Invariant: the step's `mirror_all` rows are the command's rows for the same
//! files, with `source` holding the pipeline's source id where the command
//! writes the format's name; every file's rows balance (read = kept + dropped
//! by reason + rejected) and is accounted as `mirror_all:<source id>` (so the
//! source's own accounting and its row accounting check are untouched), each
//! reject is in `rejects` with stage `mirror_all` and that source id, and the
//! frame is in key order (source id, focus, partner, year) whatever
//! the thread count.

use patronage_bulk::mirror_all::{fold_inputs, mirror_frame, BulkFormat, BulkInput, Folded};
use patronage_core::CountryRegistry;
use patronage_tables::contracts::{self, MIRROR_ALL};
use polars::prelude::*;

use super::manifest::{InputEntry, RowAccount};
use super::outcome::{table_error, RejectRow, SourceAccount};
use super::tables::Built;
use crate::config::{MirrorAllStep, Pipeline, Source};
use crate::PipelineError;

/// The stage name of a reject made by the step.
pub const REJECT_STAGE: &str = "mirror_all";

/// What the step produced.
pub(crate) struct MirrorOutput {
    /// `mirror_all`, in key order.
    pub frame: DataFrame,
    /// Rows that could not be folded, in source, file and line order.
    pub rejects: Vec<RejectRow>,
    /// One entry per file folded, in the order the sources are declared in.
    pub inputs: Vec<InputEntry>,
}

impl MirrorOutput {
    /// Accounting per source folded, as `mirror_all:<id>`, in input order.
    pub fn accounts(&self) -> Vec<SourceAccount> {
        accounts_of(&self.inputs)
    }
}

/// Accounting per source of `inputs` (`mirror_all:<id>`), in their order.
pub(crate) fn accounts_of(inputs: &[InputEntry]) -> Vec<SourceAccount> {
    let mut out: Vec<SourceAccount> = Vec::new();
    for i in inputs {
        let id = accounted_as(&i.source_id);
        match out.iter_mut().find(|a| a.source_id == id) {
            Some(a) => {
                a.files += 1;
                a.rows.add(&i.rows);
            }
            None => out.push(SourceAccount {
                source_id: id,
                files: 1,
                rows: i.rows.clone(),
            }),
        }
    }
    out
}

/// The id the step's rows of source `id` are accounted under, in the run
/// report and in `rejects`: `mirror_all:<id>`.
pub(crate) fn accounted_as(id: &str) -> String {
    format!("{REJECT_STAGE}:{id}")
}

/// The named sources, in the order the pipeline declares them.
pub(crate) fn folded_sources<'p>(p: &'p Pipeline, step: &MirrorAllStep) -> Vec<&'p Source> {
    p.sources
        .iter()
        .filter(|s| step.sources.contains(&s.id))
        .collect()
}

fn format_of(source: &Source) -> BulkFormat {
    if source.format.name == BulkFormat::Baci.as_str() {
        BulkFormat::Baci
    } else {
        BulkFormat::ComtradeV1Bulk
    }
}

/// Fold every file of the step's sources, all at once, hashing each as it is
/// read (the caller checks the hashes against the stage's fingerprint).
pub(crate) fn fold(p: &Pipeline, step: &MirrorAllStep) -> Result<MirrorOutput, PipelineError> {
    let sources = folded_sources(p, step);
    let mut inputs = Vec::new();
    for s in &sources {
        let format = format_of(s);
        inputs.extend(s.files.iter().map(|path| BulkInput {
            format,
            path: path.clone(),
        }));
    }
    let registry = CountryRegistry::comtrade();
    let folded = fold_inputs(&inputs, registry, true).map_err(bulk_error)?;
    let mut rest: &[Folded] = &folded;
    let mut per_source: Vec<(&str, &[Folded])> = Vec::with_capacity(sources.len());
    for s in &sources {
        let (mine, after) = rest.split_at(s.files.len());
        per_source.push((s.id.as_str(), mine));
        rest = after;
    }
    let mut entries = Vec::with_capacity(folded.len());
    let mut rejects = Vec::new();
    for (id, files) in &per_source {
        for f in *files {
            let file = p.relative(&f.input.path);
            let a = &f.account;
            entries.push(InputEntry {
                source_id: id.to_string(),
                format: f.input.format.as_str(),
                file: file.clone(),
                bytes: a.bytes,
                sha256: a.sha256.clone().unwrap_or_default(),
                rows: RowAccount {
                    read: a.read,
                    kept: a.kept,
                    dropped: a.dropped.iter().map(|(r, n)| (r.to_string(), *n)).collect(),
                    rejected: a.rejected,
                },
            });
            rejects.extend(f.rejects.iter().map(|r| RejectRow {
                stage: REJECT_STAGE,
                source_id: accounted_as(id),
                source_file: file.clone(),
                reject: r.clone(),
            }));
        }
    }
    // Key order: by source id first, each source's frame already in key order.
    per_source.sort_by_key(|(id, _)| *id);
    let mut frame: Option<DataFrame> = None;
    for (id, files) in per_source {
        let mut df = mirror_frame(files, registry).map_err(bulk_error)?;
        let ids = Series::new("source".into(), vec![id; df.height()]);
        df.with_column(ids.into_column())
            .map_err(table_error(&MIRROR_ALL))?;
        frame = Some(match frame {
            None => df,
            Some(mut all) => {
                all.vstack_mut_owned(df).map_err(table_error(&MIRROR_ALL))?;
                all
            }
        });
    }
    let frame = match frame {
        Some(f) => f,
        None => mirror_frame(&[], registry).map_err(bulk_error)?,
    };
    rejects.sort_by(|a, b| {
        (&a.source_id, &a.source_file, a.reject.line, a.reject.column).cmp(&(
            &b.source_id,
            &b.source_file,
            b.reject.line,
            b.reject.column,
        ))
    });
    Ok(MirrorOutput {
        frame,
        rejects,
        inputs: entries,
    })
}

/// A bulk error as the pipeline's: the same kinds.
fn bulk_error(e: patronage_bulk::BulkError) -> PipelineError {
    match e {
        patronage_bulk::BulkError::Extract(e) => PipelineError::Extract(e),
        patronage_bulk::BulkError::Tables(e) => PipelineError::Tables(e),
        patronage_bulk::BulkError::Accounting(e) => PipelineError::Accounting(e),
        patronage_bulk::BulkError::Store(e) => PipelineError::Store(e),
    }
}

/// Add the step's output to the tables a run builds: `mirror_all`, its rejects
/// merged into `rejects` (kept in the table's key order), its accounting beside
/// the sources', and its inputs for the manifest.
pub(crate) fn add_to(built: &mut Built, output: MirrorOutput) -> Result<(), PipelineError> {
    let accounts = output.accounts();
    let rejects = super::tables::rejects_frame(&output.rejects.iter().collect::<Vec<_>>())
        .map_err(table_error(&contracts::REJECTS))?;
    if let Some((_, all)) = built
        .frames
        .iter_mut()
        .find(|(s, _)| s.name == contracts::REJECTS.name)
    {
        if rejects.height() > 0 {
            let merged = all
                .vstack(&rejects)
                .and_then(|df| {
                    df.sort(
                        contracts::REJECTS
                            .key
                            .iter()
                            .map(|k| k.to_string())
                            .collect::<Vec<_>>(),
                        SortMultipleOptions::default().with_maintain_order(true),
                    )
                })
                .map_err(table_error(&contracts::REJECTS))?;
            *all = merged;
        }
    }
    built.frames.push((&MIRROR_ALL, output.frame));
    built.sources.extend(accounts);
    built.mirror_inputs = output.inputs;
    Ok(())
}

/// The column `table` is written partitioned by: `trade_flows` by the
/// pipeline's `partition_by`, `mirror_all` by the step's.
pub(crate) fn partition_of<'p>(p: &'p Pipeline, table: &str) -> Option<&'p str> {
    if table == contracts::TRADE_FLOWS.name {
        p.partition_by.first().map(String::as_str)
    } else if table == MIRROR_ALL.name {
        p.mirror_all
            .as_ref()
            .and_then(|m| m.partition_by.as_deref())
    } else {
        None
    }
}
