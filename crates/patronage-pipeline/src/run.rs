//! The runner: extract every source file (in parallel), normalize, aggregate,
//! write the tables and the manifest. Results are gathered in declaration order,
//! so parallelism never changes an output byte.

use std::path::{Path, PathBuf};

use patronage_aggregate::WindowResult;
use patronage_core::tables::{self, TableSpec};
use polars::prelude::*;
use rayon::prelude::*;

use crate::config::{Domain, Pipeline};
use crate::manifest::{Manifest, OutputEntry, PipelineEntry, RowAccount};
use crate::parquet::{write_atomic, write_table, Provenance, Written};
use crate::source::{self, table_error, RejectRow, SourceOutput};
use crate::{trade, PipelineError, TOOL_VERSION};

/// Options a caller may set on a run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Output folder; overrides the pipeline's `output` and the default `out/<name>`.
    pub output: Option<PathBuf>,
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

/// What a run did.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// Output folder.
    pub output_dir: PathBuf,
    /// Tables written, in dictionary order.
    pub tables: Vec<Written>,
    /// Accounting per source, in priority order.
    pub sources: Vec<SourceAccount>,
    /// The windows computed, in key order.
    pub windows: Vec<WindowResult>,
    /// The manifest written.
    pub manifest: Manifest,
    /// Data check results, by check name.
    pub checks: Vec<crate::CheckResult>,
}

impl RunReport {
    /// The checks of error severity that failed: the run's exit code is 1 when
    /// there is one (every table is written all the same).
    pub fn blocking_checks(&self) -> Vec<&crate::CheckResult> {
        self.checks.iter().filter(|c| c.is_blocking()).collect()
    }
}

/// A run that finished, wrote every table, and failed data checks of error
/// severity (exit code 1).
#[derive(Debug, thiserror::Error)]
#[error("{} data check(s) of error severity failed: {}; every table was written (see check_results)", names.len(), names.join(", "))]
pub struct ChecksFailed {
    /// The failed checks' names.
    pub names: Vec<String>,
}

fn rejects_frame(rows: &[&RejectRow]) -> PolarsResult<DataFrame> {
    macro_rules! column {
        ($name:literal, $f:expr) => {
            Series::new($name.into(), rows.iter().map($f).collect::<Vec<_>>()).into_column()
        };
    }
    DataFrame::new_infer_height(vec![
        column!("stage", |r| r.stage),
        column!("source_id", |r| r.source_id.clone()),
        column!("source_file", |r| r.source_file.clone()),
        column!("source_line", |r| r.reject.line as i64),
        column!("reason", |r| r.reject.reason),
        column!("detail", |r| r.reject.detail.clone()),
        column!("raw", |r| r.reject.raw.clone()),
    ])
}

/// Run a pipeline file end to end.
pub fn run(pipeline_path: &Path, options: &RunOptions) -> Result<RunReport, PipelineError> {
    let p = Pipeline::load(pipeline_path)?;
    let output_dir = options
        .output
        .clone()
        .or_else(|| p.output.clone())
        .unwrap_or_else(|| Path::new("out").join(&p.name));

    let outputs: Vec<SourceOutput> = p
        .sources
        .par_iter()
        .map(|s| source::read_source(&p, s))
        .collect::<Result<_, _>>()?;

    let mut inputs = Vec::new();
    let mut sources: Vec<SourceAccount> = Vec::new();
    let mut rejects: Vec<&RejectRow> = Vec::new();
    for o in &outputs {
        inputs.extend(o.inputs.iter().cloned());
        sources.push(o.account.clone());
        rejects.extend(&o.rejects);
    }
    rejects.sort_by(|a, b| {
        (a.stage, &a.source_id, &a.source_file, a.reject.line).cmp(&(
            b.stage,
            &b.source_id,
            &b.source_file,
            b.reject.line,
        ))
    });

    let inputs_sha256 = crate::sha256_hex(
        inputs
            .iter()
            .map(|i| i.sha256.as_str())
            .collect::<Vec<_>>()
            .join("\n")
            .as_bytes(),
    );
    let prov = Provenance {
        pipeline: p.name.clone(),
        pipeline_sha256: p.sha256.clone(),
        inputs_sha256: inputs_sha256.clone(),
    };

    let trade_flows = source::canonical(Domain::Trade, &outputs)?;
    let (trade_tables, windows) = trade::aggregate(&p, &trade_flows)?;
    let mut frames: Vec<(&'static TableSpec, DataFrame)> =
        vec![(&tables::TRADE_FLOWS, trade_flows)];
    frames.extend(trade_tables);
    frames.push((
        &tables::REJECTS,
        rejects_frame(&rejects).map_err(table_error(&tables::REJECTS))?,
    ));
    // Checks see every table: keep this after the last table is added to `frames`.
    let checks = crate::check_run::evaluate(&p, &frames, &sources)?;
    frames.push((
        &tables::CHECK_RESULTS,
        crate::check_run::results_frame(&checks).map_err(table_error(&tables::CHECK_RESULTS))?,
    ));
    drop(outputs);
    // Dictionary order, whatever order the domains produced them in.
    frames.sort_by_key(|(spec, _)| {
        tables::ALL_TABLES
            .iter()
            .position(|t| t.name == spec.name)
            .unwrap_or(usize::MAX)
    });
    let mut written = Vec::with_capacity(frames.len());
    for (spec, df) in &mut frames {
        written.push(write_table(&output_dir, spec, df, &prov)?);
    }

    let manifest = Manifest {
        tool: "patronage",
        tool_version: TOOL_VERSION,
        schema_version: tables::SCHEMA_VERSION,
        pipeline: PipelineEntry {
            name: p.name.clone(),
            file: p
                .path
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default(),
            sha256: p.sha256.clone(),
            focus: p.focus.clone(),
        },
        inputs_sha256,
        inputs,
        outputs: written
            .iter()
            .map(|w| OutputEntry {
                table: w.table.to_string(),
                file: format!("{}.parquet", w.table),
                rows: w.rows,
                bytes: w.bytes,
                sha256: w.sha256.clone(),
            })
            .collect(),
    };
    write_atomic(
        &output_dir.join("manifest.json"),
        manifest.to_json().as_bytes(),
    )?;
    Ok(RunReport {
        output_dir,
        tables: written,
        sources,
        windows,
        manifest,
        checks,
    })
}
