//! `trade_flows` kept on disk, at the end of a run: written out row group by
//! row group from the files its rows are in, and the rows the claims read.
//!
//! The table is streamed in key order into its output files (each year's
//! part, or the single file) through the pinned batch writer, so it is never
//! held whole: the bytes are those the whole-frame writer gives for the same
//! rows, the contract is checked on every batch, and each file's SHA-256 is
//! taken while it is written. The files go to their temporary paths beside
//! their final ones, flushed to disk, and are put in place with the other
//! outputs (`commit.rs`), parts first and `manifest.json` last.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use patronage_tables::contracts;
use patronage_tables::parquet::{check_contract, Provenance};
use patronage_tables::parts::PartsWriter;
use patronage_tables::stream::{table_schema, PinnedWriter};
use polars::prelude::*;

use super::commit::{temp_path, Prewritten};
use crate::config::Pipeline;
use crate::domain::spill::DiskTable;
use crate::quality::claims::ClaimSpec;
use crate::quality::filter::one_of;
use crate::PipelineError;

/// One output file of `trade_flows`, written.
pub(crate) struct Streamed {
    /// Path relative to the output folder.
    pub file: String,
    /// Rows.
    pub rows: usize,
    /// The file at its temporary path.
    pub written: Prewritten,
}

/// Write `table` as `trade_flows`: a part per value of the pipeline's
/// `partition_by` column, or one file; the files in the order of the manifest.
pub(crate) fn write_table(
    p: &Pipeline,
    output_dir: &Path,
    table: &DiskTable,
    prov: &Provenance,
) -> Result<Vec<Streamed>, PipelineError> {
    let spec = &contracts::TRADE_FLOWS;
    let open = |file: &str| -> std::io::Result<BufWriter<File>> {
        let tmp = temp_path(&output_dir.join(file));
        if let Some(dir) = tmp.parent() {
            std::fs::create_dir_all(dir)?;
        }
        Ok(BufWriter::with_capacity(1 << 20, File::create(tmp)?))
    };
    let done = |file: String, out: BufWriter<File>, rows, bytes, sha256| {
        let path = output_dir.join(&file);
        let synced = out
            .into_inner()
            .map_err(|e| e.into_error())
            .and_then(|f| f.sync_all());
        synced.map_err(|source| PipelineError::Write {
            path: path.clone(),
            source,
        })?;
        Ok::<_, PipelineError>(Streamed {
            file,
            rows,
            written: Prewritten {
                path,
                bytes,
                sha256,
            },
        })
    };
    match p.partition_by.first() {
        Some(by) => {
            let mut parts = PartsWriter::new(spec, prov, by, Box::new(open))?;
            table.for_each_batch(None, |batch| {
                check_contract(&batch, spec)?;
                Ok(parts.write(&batch)?)
            })?;
            parts
                .finish()?
                .into_iter()
                .map(|part| {
                    let f = part.finished;
                    done(part.file, part.out, f.rows, f.bytes, f.sha256)
                })
                .collect()
        }
        None => {
            let file = format!("{}.parquet", spec.name);
            let out = open(&file).map_err(|source| PipelineError::Write {
                path: output_dir.join(&file),
                source,
            })?;
            let mut w = PinnedWriter::table(out, spec, &table_schema(spec, None), prov, None)?;
            // Every row meets the contract before any is written; then each
            // row group is written a column at a time, so no group of rows
            // is ever held whole.
            table.for_each_batch(None, |batch| Ok(check_contract(&batch, spec)?))?;
            let mut failed = None;
            let written = w.write_columns(table.rows(), |name, offset, len| {
                table.column_rows(name, offset, len).map_err(|e| {
                    let message = e.to_string();
                    failed = Some(e);
                    patronage_tables::TablesError::Contract {
                        table: spec.name,
                        message,
                    }
                })
            });
            if let Some(e) = failed {
                return Err(e);
            }
            written?;
            let (out, f) = w.finish()?;
            Ok(vec![done(file, out, f.rows, f.bytes, f.sha256)?])
        }
    }
}

/// The rows of `trade_flows` on disk that the claims of that table read (those
/// their `where` matches, read a batch at a time), `None` when no claim
/// reads it. Each claim applies its own `where` to these rows again, so it
/// sees exactly its rows. A claim of `trade_flows` without `where` would need
/// the whole table held: an error naming the claim.
pub(crate) fn claim_rows(
    claims: &[ClaimSpec],
    table: Option<&DiskTable>,
) -> Result<Option<DataFrame>, PipelineError> {
    let Some(table) = table else {
        return Ok(None);
    };
    let mine: Vec<&ClaimSpec> = claims
        .iter()
        .filter(|c| c.table.name == contracts::TRADE_FLOWS.name)
        .collect();
    if mine.is_empty() {
        return Ok(None);
    }
    let mut any = lit(false);
    for c in mine {
        if c.filter.is_empty() {
            return Err(PipelineError::Refused {
                path: PathBuf::from(contracts::TRADE_FLOWS.name),
                message: format!(
                    "claim `{}` reads every row of trade_flows, which this run keeps on disk \
                     (partition_by): give it a `where`, or run without partition_by",
                    c.id
                ),
            });
        }
        let matches = c
            .filter
            .iter()
            .map(|(column, values)| one_of(column, values))
            .reduce(Expr::and)
            .unwrap_or(lit(true));
        any = any.or(matches);
    }
    table.filtered(any, None).map(Some)
}
