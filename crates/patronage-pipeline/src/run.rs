//! The runner: extract every source file (in parallel), normalize, aggregate,
//! write the tables and the manifest. Results are gathered in declaration order,
//! so parallelism never changes an output byte.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use patronage_aggregate::{
    compute_windows, mirror_rows, mirror_trade_frame, partner_share_frame, trade_windows_frame,
    MirrorSpec, WindowResult,
};
use patronage_core::tables::{self, TableSpec};
use patronage_core::{CountryRegistry, RowReject};
use patronage_extract::comtrade_v1;
use patronage_normalize::comtrade_v1::SourceContext;
use patronage_normalize::{trade_flows_frame, TradeFlow};
use polars::prelude::*;
use rayon::prelude::*;

use crate::config::{Pipeline, Source};
use crate::manifest::{InputEntry, Manifest, OutputEntry, PipelineEntry, RowAccount};
use crate::parquet::{write_atomic, write_table, Provenance, Written};
use crate::{PipelineError, TOOL_VERSION};

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
}

/// One input file after extraction and normalization.
struct FileResult {
    entry: InputEntry,
    flows: Vec<TradeFlow>,
    rejects: Vec<(&'static str, RowReject)>,
}

fn process_file(p: &Pipeline, source: &Source, file: &Path) -> Result<FileResult, PipelineError> {
    let bytes = patronage_extract::ExtractError::read(file)?;
    let (size, sha256) = (bytes.len() as u64, crate::sha256_hex(&bytes));
    let rel = p.relative(file);
    let extracted = comtrade_v1::parse(file, &bytes, source.format.comtrade_layout())?;
    drop(bytes); // parsed rows own what they need; free the file before normalizing
    let ctx = SourceContext {
        source_id: Arc::from(source.id.as_str()),
        source_file: Arc::from(rel.as_str()),
        monthly: source.monthly,
    };
    let rows_read = extracted.rows_read;
    let mut rejects: Vec<(&'static str, RowReject)> = extracted
        .rejects
        .into_iter()
        .map(|r| ("extract", r))
        .collect();
    let normalized = patronage_normalize::comtrade_v1::normalize(
        extracted.rows,
        &ctx,
        CountryRegistry::comtrade(),
    );
    rejects.extend(normalized.rejects.into_iter().map(|r| ("normalize", r)));
    let account = RowAccount {
        read: rows_read,
        kept: normalized.flows.len() as u64,
        dropped: normalized.dropped,
        rejected: rejects.len() as u64,
    };
    if !account.balances() {
        return Err(PipelineError::Accounting {
            file: rel,
            read: account.read,
            kept: account.kept,
            dropped: account.dropped_total(),
            rejected: account.rejected,
        });
    }
    Ok(FileResult {
        entry: InputEntry {
            source_id: source.id.clone(),
            format: source.format.as_str(),
            file: rel,
            bytes: size,
            sha256,
            rows: account,
        },
        flows: normalized.flows,
        rejects,
    })
}

fn rejects_frame(rows: &[(String, String, &'static str, RowReject)]) -> PolarsResult<DataFrame> {
    macro_rules! column {
        ($name:literal, $f:expr) => {
            Series::new($name.into(), rows.iter().map($f).collect::<Vec<_>>()).into_column()
        };
    }
    DataFrame::new_infer_height(vec![
        column!("stage", |r| r.2),
        column!("source_id", |r| r.0.clone()),
        column!("source_file", |r| r.1.clone()),
        column!("source_line", |r| r.3.line as i64),
        column!("reason", |r| r.3.reason),
        column!("detail", |r| r.3.detail.clone()),
        column!("raw", |r| r.3.raw.clone()),
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

    let units: Vec<(&Source, &PathBuf)> = p
        .sources
        .iter()
        .flat_map(|s| s.files.iter().map(move |f| (s, f)))
        .collect();
    let results: Vec<FileResult> = units
        .par_iter()
        .map(|(s, f)| process_file(&p, s, f))
        .collect::<Result<Vec<_>, _>>()?;

    let mut flows: Vec<TradeFlow> = Vec::new();
    let mut rejects: Vec<(String, String, &'static str, RowReject)> = Vec::new();
    let mut inputs = Vec::new();
    let mut sources: Vec<SourceAccount> = Vec::new();
    for r in results {
        match sources.last_mut() {
            Some(acc) if acc.source_id == r.entry.source_id => {
                acc.files += 1;
                acc.rows.add(&r.entry.rows);
            }
            _ => sources.push(SourceAccount {
                source_id: r.entry.source_id.clone(),
                files: 1,
                rows: r.entry.rows.clone(),
            }),
        }
        flows.extend(r.flows);
        for (stage, rej) in r.rejects {
            rejects.push((r.entry.source_id.clone(), r.entry.file.clone(), stage, rej));
        }
        inputs.push(r.entry);
    }
    flows.sort_by(|a, b| {
        (&a.source_id, &a.source_file, a.source_line).cmp(&(
            &b.source_id,
            &b.source_file,
            b.source_line,
        ))
    });
    rejects.sort_by(|a, b| (a.2, &a.0, &a.1, a.3.line).cmp(&(b.2, &b.0, &b.1, b.3.line)));

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
    let table = |spec: &'static TableSpec| {
        move |source| PipelineError::Table {
            table: spec.name,
            source,
        }
    };

    let spec = MirrorSpec {
        focus: p.focus.clone(),
        commodity: p.commodity.clone(),
        source_priority: p.sources.iter().map(|s| s.id.clone()).collect(),
    };
    let mut trade_flows = trade_flows_frame(&flows).map_err(table(&tables::TRADE_FLOWS))?;
    drop(flows); // the frame holds them now; free the rows before aggregating
    let mirror = mirror_rows(&trade_flows, &spec).map_err(table(&tables::MIRROR_TRADE))?;
    let windows = compute_windows(&mirror, &p.windows);
    let mut frames: Vec<(&'static TableSpec, DataFrame)> = vec![
        (
            &tables::MIRROR_TRADE,
            mirror_trade_frame(&mirror, &spec).map_err(table(&tables::MIRROR_TRADE))?,
        ),
        (
            &tables::PARTNER_SHARE,
            partner_share_frame(&mirror, &spec).map_err(table(&tables::PARTNER_SHARE))?,
        ),
        (
            &tables::TRADE_WINDOWS,
            trade_windows_frame(&windows, &spec).map_err(table(&tables::TRADE_WINDOWS))?,
        ),
        (
            &tables::REJECTS,
            rejects_frame(&rejects).map_err(table(&tables::REJECTS))?,
        ),
    ];
    let mut written = vec![write_table(
        &output_dir,
        &tables::TRADE_FLOWS,
        &mut trade_flows,
        &prov,
    )?];
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
    })
}
