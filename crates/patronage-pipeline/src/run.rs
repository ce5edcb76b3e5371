//! The runner: extract every source file (in parallel), normalize, aggregate,
//! write the tables and the manifest. Results are gathered in declaration order,
//! so parallelism never changes an output byte.
//!
//! A run holds the output folder's lock (lock.rs), runs only the stages whose
//! fingerprint changed (stages.rs, fingerprint.rs, with source outputs cached by
//! cache.rs), puts its outputs in place all at once (commit.rs), reports events
//! (events.rs) and appends its timings to the run log (runlog.rs).

use std::path::{Path, PathBuf};
use std::time::Instant;

use patronage_aggregate::WindowResult;
use patronage_core::tables::{self, TableSpec};
use polars::prelude::*;
use rayon::prelude::*;

use crate::cache::{self, AggregateRecord, SourceRecord};
use crate::commit::{self, Pending};
use crate::config::{Domain, Pipeline, Source};
use crate::fingerprint::{AggregateFingerprint, CODE_AGGREGATE};
use crate::lock::{self, LockWait};
use crate::manifest::{InputEntry, Manifest, OutputEntry, PipelineEntry, RowAccount};
use crate::parquet::{check_contract, to_parquet_bytes, Provenance, Written};
use crate::run_events::{Event, Events};
use crate::runlog::{self, RunLog, StageLog};
use crate::source::{self, table_error, RejectRow, SourceOutput};
use crate::stages::{self, source_stage, SourceCheck, AGGREGATE_STAGE};
use crate::{aid, labor, trade, PipelineError, TOOL_VERSION};

/// Options a caller may set on a run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Output folder; overrides the pipeline's `output` and the default `out/<name>`.
    pub output: Option<PathBuf>,
    /// Run every stage and rewrite every output, even when nothing changed.
    pub force: bool,
    /// What to do when another run holds the output folder's lock.
    pub wait: LockWait,
    /// Who hears about the run as it goes (a scheduler, a progress bar).
    pub events: Events,
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
    /// The windows computed, in key order (empty when the aggregate stage was
    /// skipped: the tables on disk hold them).
    pub windows: Vec<WindowResult>,
    /// The manifest written.
    pub manifest: Manifest,
    /// Every stage, in order: ran or skipped, why, how long.
    pub stages: Vec<StageLog>,
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
    patronage_core::frame!(
        rows,
        [
            column!("stage", |r| r.stage),
            column!("source_id", |r| r.source_id.clone()),
            column!("source_file", |r| r.source_file.clone()),
            column!("source_line", |r| r.reject.line as i64),
            column!("reason", |r| r.reject.reason),
            column!("detail", |r| r.reject.detail.clone()),
            column!("raw", |r| r.reject.raw.clone()),
        ]
    )
}

/// The output folder: `output` when given, else the pipeline's, else `out/<name>`.
pub fn output_dir_of(p: &Pipeline, output: Option<&Path>) -> PathBuf {
    output
        .map(Path::to_path_buf)
        .or_else(|| p.output.clone())
        .unwrap_or_else(|| Path::new("out").join(&p.name))
}

/// Run a pipeline file end to end.
pub fn run(pipeline_path: &Path, options: &RunOptions) -> Result<RunReport, PipelineError> {
    let p = Pipeline::load(pipeline_path)?;
    let output_dir = output_dir_of(&p, options.output.as_deref());
    let state = cache::state_dir(&output_dir);
    let _lock = lock::acquire(&state, options.wait, &options.events)?;
    let (started, started_at) = (Instant::now(), runlog::utc_now());
    let mut stages = Vec::new();
    let result = run_stages(&p, &output_dir, options, &mut stages);
    let logged = runlog::append(
        &state,
        &RunLog {
            started_at,
            finished_at: runlog::utc_now(),
            duration_ms: started.elapsed().as_millis() as u64,
            pid: std::process::id(),
            host: lock::host_name(),
            tool_version: TOOL_VERSION,
            pipeline: p.name.clone(),
            pipeline_sha256: p.sha256.clone(),
            force: options.force,
            outcome: if result.is_ok() { "finished" } else { "failed" },
            error: result.as_ref().err().map(|e| e.to_string()),
            stages: stages.clone(),
        },
    );
    let mut report = result?;
    logged?;
    report.stages = stages;
    Ok(report)
}

/// A source stage's result: the record of its output, and the output itself when
/// the stage ran (a skipped stage's output is read from the cache only if the
/// aggregate stage needs it).
struct SourceStage {
    record: SourceRecord,
    output: Option<SourceOutput>,
    log: StageLog,
}

fn run_stages(
    p: &Pipeline,
    output_dir: &Path,
    options: &RunOptions,
    log: &mut Vec<StageLog>,
) -> Result<RunReport, PipelineError> {
    let state = cache::state_dir(output_dir);
    let events = &options.events;
    // Holding the lock: any temporary file here was left by a killed run.
    commit::remove_stale_temps(output_dir);
    commit::remove_stale_temps(&state);
    for s in &p.sources {
        commit::remove_stale_temps(&state.join("sources").join(&s.id));
    }

    let checks: Vec<SourceCheck> = p
        .sources
        .par_iter()
        .map(|s| stages::check_source(p, s, &state, options.force))
        .collect::<Result<_, _>>()?;
    let drift = stages::output_drift(&state, output_dir);
    let upstream_now: Vec<(String, Option<String>)> = p
        .sources
        .iter()
        .zip(&checks)
        .map(|(s, c)| {
            let known = c.reasons.is_empty();
            let h = c.record.as_ref().filter(|_| known);
            (s.id.clone(), h.map(|r| r.output_sha256.clone()))
        })
        .collect();
    let (agg_reasons, agg_unknown) =
        stages::check_aggregate(p, &state, options.force, &upstream_now, &drift);
    let mut names: Vec<String> = p.sources.iter().map(|s| source_stage(&s.id)).collect();
    names.push(AGGREGATE_STAGE.to_string());
    events.emit(Event::RunStarted {
        pipeline: p.name.clone(),
        output: output_dir.display().to_string(),
        stages: names,
        to_run: checks.iter().filter(|c| !c.reasons.is_empty()).count()
            + usize::from(!agg_reasons.is_empty() || !agg_unknown.is_empty()),
        force: options.force,
    });

    let done: Vec<SourceStage> = p
        .sources
        .par_iter()
        .zip(checks)
        .map(|(s, c)| run_source(p, s, c, &state, events))
        .collect::<Result<_, _>>()?;
    log.extend(done.iter().map(|d| d.log.clone()));
    cache::prune_sources(&state, p);

    let upstream: Vec<(String, String)> = done
        .iter()
        .map(|d| (d.record.source_id.clone(), d.record.output_sha256.clone()))
        .collect();
    let known: Vec<(String, Option<String>)> = upstream
        .iter()
        .map(|(id, h)| (id.clone(), Some(h.clone())))
        .collect();
    let (mut reasons, _) = stages::check_aggregate(p, &state, options.force, &known, &drift);
    let fingerprint = AggregateFingerprint {
        tool_version: TOOL_VERSION.to_string(),
        code: CODE_AGGREGATE.to_string(),
        pipeline_sha256: p.sha256.clone(),
        upstream,
    };
    if reasons.is_empty() {
        let inputs: Vec<InputEntry> = p
            .sources
            .iter()
            .zip(&done)
            .flat_map(|(s, d)| d.record.input_entries(s))
            .collect();
        let accounts = done.iter().map(|d| d.record.account()).collect();
        if let Some(report) = skipped_report(p, output_dir, inputs, accounts) {
            let reason = "unchanged: pipeline file, source outputs and tool version; outputs match manifest.json";
            events.emit(Event::StageSkipped {
                stage: AGGREGATE_STAGE.to_string(),
                reason: reason.to_string(),
            });
            log.push(StageLog {
                stage: AGGREGATE_STAGE.to_string(),
                status: "skipped",
                reasons: vec![reason.to_string()],
                duration_ms: 0,
            });
            return Ok(report);
        }
        reasons.push("manifest.json does not match the inputs".to_string());
    }

    events.emit(Event::StageStarted {
        stage: AGGREGATE_STAGE.to_string(),
        reasons: reasons.clone(),
    });
    let t = Instant::now();
    let outputs: Vec<SourceOutput> = p
        .sources
        .par_iter()
        .zip(done)
        .map(|(s, d)| match d.output {
            Some(o) => Ok(o),
            None => match cache::load_output(&state, s, &d.record) {
                Some(o) => Ok(o),
                None => source::read_source(p, s),
            },
        })
        .collect::<Result<_, _>>()?;
    let built = build(p, outputs)?;
    let report = write_outputs(p, output_dir, built, options, events)?;
    let manifest_sha256 = crate::sha256_hex(report.manifest.to_json().as_bytes());
    cache::store_aggregate(
        &state,
        &AggregateRecord {
            fingerprint,
            manifest_sha256,
        },
    )?;
    let duration_ms = t.elapsed().as_millis() as u64;
    events.emit(Event::StageFinished {
        stage: AGGREGATE_STAGE.to_string(),
        rows: report.tables.iter().map(|w| w.rows as u64).sum(),
        duration_ms,
    });
    log.push(StageLog {
        stage: AGGREGATE_STAGE.to_string(),
        status: "ran",
        reasons,
        duration_ms,
    });
    Ok(report)
}

/// Run one source stage, or skip it when its fingerprint is unchanged.
fn run_source(
    p: &Pipeline,
    s: &Source,
    c: SourceCheck,
    state: &Path,
    events: &Events,
) -> Result<SourceStage, PipelineError> {
    let stage = source_stage(&s.id);
    if c.reasons.is_empty() {
        if let Some(record) = c.record {
            let reason = stages::skip_reason().to_string();
            events.emit(Event::StageSkipped {
                stage: stage.clone(),
                reason: reason.clone(),
            });
            return Ok(SourceStage {
                record,
                output: None,
                log: StageLog {
                    stage,
                    status: "skipped",
                    reasons: vec![reason],
                    duration_ms: 0,
                },
            });
        }
    }
    events.emit(Event::StageStarted {
        stage: stage.clone(),
        reasons: c.reasons.clone(),
    });
    let t = Instant::now();
    let output = source::read_source(p, s)?;
    // The bytes read must be those fingerprinted (a file rewritten meanwhile
    // would otherwise be cached under the old fingerprint).
    let read: Vec<(&str, &str)> = output
        .inputs
        .iter()
        .map(|i| (i.file.as_str(), i.sha256.as_str()))
        .collect();
    for (i, f) in c.fingerprint.files.iter().enumerate() {
        if read.get(i) != Some(&(f.file.as_str(), f.sha256.as_str())) {
            return Err(PipelineError::InputChanged {
                file: f.file.clone(),
            });
        }
    }
    let record = cache::store(state, s, &c.fingerprint, &output)?;
    let duration_ms = t.elapsed().as_millis() as u64;
    events.emit(Event::StageFinished {
        stage: stage.clone(),
        rows: output.canonical.height() as u64,
        duration_ms,
    });
    Ok(SourceStage {
        record,
        output: Some(output),
        log: StageLog {
            stage,
            status: "ran",
            reasons: c.reasons,
            duration_ms,
        },
    })
}

/// Every table of a run, built from the sources' outputs.
struct Built {
    frames: Vec<(&'static TableSpec, DataFrame)>,
    windows: Vec<WindowResult>,
    inputs: Vec<InputEntry>,
    sources: Vec<SourceAccount>,
    inputs_sha256: String,
    prov: Provenance,
    checks: Vec<crate::CheckResult>,
}

/// SHA-256 over the inputs' hashes in order (the manifest's `inputs_sha256`).
fn inputs_hash(inputs: &[InputEntry]) -> String {
    crate::sha256_hex(
        inputs
            .iter()
            .map(|i| i.sha256.as_str())
            .collect::<Vec<_>>()
            .join("\n")
            .as_bytes(),
    )
}

/// Canonical tables, each domain's analysis tables and `rejects`, in dictionary order.
fn build(p: &Pipeline, outputs: Vec<SourceOutput>) -> Result<Built, PipelineError> {
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

    let inputs_sha256 = inputs_hash(&inputs);
    let prov = Provenance {
        pipeline: p.name.clone(),
        pipeline_sha256: p.sha256.clone(),
        inputs_sha256: inputs_sha256.clone(),
    };

    let trade_flows = source::canonical(Domain::Trade, &outputs)?;
    let (trade_tables, windows) = trade::aggregate(p, &trade_flows)?;
    let mut frames: Vec<(&'static TableSpec, DataFrame)> =
        vec![(&tables::TRADE_FLOWS, trade_flows)];
    frames.extend(trade_tables);
    let aid_events = source::canonical(Domain::Aid, &outputs)?;
    frames.extend(aid::aggregate(p, &aid_events)?);
    frames.push((&tables::AID_EVENTS, aid_events));
    let labor_stock = source::canonical(Domain::Labor, &outputs)?;
    let labor_tables = labor::aggregate(p, &labor_stock)?;
    frames.push((&tables::LABOR_STOCK, labor_stock));
    frames.extend(labor_tables);
    let events = source::canonical(Domain::Events, &outputs)?;
    frames.push((&tables::EVENTS, events));
    let influence = patron_influence(p, &frames)?;
    frames.push((&tables::PATRON_INFLUENCE, influence));
    frames.push((
        &tables::REJECTS,
        rejects_frame(&rejects).map_err(table_error(&tables::REJECTS))?,
    ));
    // Claims read every table but their own and check_results.
    let claims = crate::quality::claim_eval::evaluate(&p.claims, |t| built(&frames, t))?;
    frames.push((&tables::CLAIMS, claims));
    // Checks see every table: keep this after the last table is added to `frames`.
    let accounts: Vec<_> = (p.sources.iter().zip(&sources))
        .map(|(s, a)| crate::quality::SourceRows {
            id: &s.id,
            canonical: s.format.domain().canonical_table(),
            rows: &a.rows,
        })
        .collect();
    let checks = crate::quality::checks::evaluate(&p.checks, &accounts, &frames)?;
    frames.push((
        &tables::CHECK_RESULTS,
        crate::quality::checks::results_frame(&checks)
            .map_err(table_error(&tables::CHECK_RESULTS))?,
    ));
    drop(outputs);
    // Dictionary order, whatever order the domains produced them in.
    frames.sort_by_key(|(spec, _)| {
        tables::ALL_TABLES
            .iter()
            .position(|t| t.name == spec.name)
            .unwrap_or(usize::MAX)
    });
    Ok(Built {
        frames,
        windows,
        inputs,
        sources,
        inputs_sha256,
        prov,
        checks,
    })
}

/// The table built by this run under `spec` (every table is built, empty or not).
pub(crate) fn built<'a>(
    frames: &'a [(&'static TableSpec, DataFrame)],
    spec: &'static TableSpec,
) -> Result<&'a DataFrame, PipelineError> {
    frames
        .iter()
        .find(|(s, _)| s.name == spec.name)
        .map(|(_, df)| df)
        .ok_or_else(|| {
            table_error(spec)(PolarsError::NoData(
                format!("table {} is read before it is built", spec.name).into(),
            ))
        })
}

/// `patron_influence` from the trade, aid and labor tables.
fn patron_influence(
    p: &Pipeline,
    frames: &[(&'static TableSpec, DataFrame)],
) -> Result<DataFrame, PipelineError> {
    let registry = patronage_core::CountryRegistry::comtrade();
    patronage_aggregate::patron_influence_frame(
        &patronage_aggregate::InfluenceInputs {
            focus: &p.focus,
            patrons: &p.patrons,
            mirror_trade: built(frames, &tables::MIRROR_TRADE)?,
            aid_by_donor_year: built(frames, &tables::AID_BY_DONOR_YEAR)?,
            aid_events: built(frames, &tables::AID_EVENTS)?,
            labor_summary: built(frames, &tables::LABOR_SUMMARY)?,
        },
        |iso3, year| registry.iso3_valid_in(iso3, year),
    )
    .map_err(table_error(&tables::PATRON_INFLUENCE))
}

/// The manifest of a folder holding `outputs` built from `inputs`.
fn manifest_of(
    p: &Pipeline,
    inputs_sha256: String,
    inputs: Vec<InputEntry>,
    outputs: Vec<OutputEntry>,
) -> Manifest {
    Manifest {
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
        outputs,
    }
}

/// Check and serialize every table, then put the tables and the manifest in
/// place together.
fn write_outputs(
    p: &Pipeline,
    output_dir: &Path,
    built: Built,
    options: &RunOptions,
    events: &Events,
) -> Result<RunReport, PipelineError> {
    let Built {
        mut frames,
        windows,
        inputs,
        sources,
        inputs_sha256,
        prov,
        checks,
    } = built;
    let mut written = Vec::with_capacity(frames.len());
    let mut pending = Vec::with_capacity(frames.len() + 1);
    for (spec, df) in &mut frames {
        check_contract(df, spec)?;
        let bytes = to_parquet_bytes(df, spec, &prov)?;
        let path = output_dir.join(format!("{}.parquet", spec.name));
        written.push(Written {
            table: spec.name,
            path: path.clone(),
            rows: df.height(),
            bytes: bytes.len() as u64,
            sha256: crate::sha256_hex(&bytes),
        });
        pending.push(Pending { path, bytes });
    }
    drop(frames);
    let manifest = manifest_of(
        p,
        inputs_sha256,
        inputs,
        written
            .iter()
            .map(|w| OutputEntry {
                table: w.table.to_string(),
                file: format!("{}.parquet", w.table),
                rows: w.rows,
                bytes: w.bytes,
                sha256: w.sha256.clone(),
            })
            .collect(),
    );
    pending.push(Pending {
        path: output_dir.join("manifest.json"),
        bytes: manifest.to_json().into_bytes(),
    });
    let unchanged = commit::commit(&pending, options.force)?;
    for (w, same) in written.iter().zip(&unchanged) {
        events.emit(Event::TableWritten {
            table: w.table.to_string(),
            file: format!("{}.parquet", w.table),
            rows: w.rows,
            bytes: w.bytes,
            sha256: w.sha256.clone(),
            unchanged: *same,
        });
    }
    Ok(RunReport {
        output_dir: output_dir.to_path_buf(),
        tables: written,
        sources,
        windows,
        manifest,
        stages: Vec::new(),
        checks,
    })
}

/// The report of a run whose aggregate stage is skipped, from the manifest on
/// disk; `None` when that manifest is not exactly the one these inputs give.
fn skipped_report(
    p: &Pipeline,
    output_dir: &Path,
    inputs: Vec<InputEntry>,
    sources: Vec<SourceAccount>,
) -> Option<RunReport> {
    let (listed, on_disk) = crate::verify::listed_outputs(output_dir).ok()?;
    let manifest = manifest_of(
        p,
        inputs_hash(&inputs),
        inputs,
        listed
            .iter()
            .map(|l| OutputEntry {
                table: l.table.clone(),
                file: l.file.clone(),
                rows: l.rows,
                bytes: l.bytes,
                sha256: l.sha256.clone(),
            })
            .collect(),
    );
    if manifest.to_json().as_bytes() != on_disk.as_slice() {
        return None;
    }
    let tables = listed
        .iter()
        .map(|l| Written {
            table: cache::intern(&l.table),
            path: output_dir.join(&l.file),
            rows: l.rows,
            bytes: l.bytes,
            sha256: l.sha256.clone(),
        })
        .collect();
    Some(RunReport {
        output_dir: output_dir.to_path_buf(),
        tables,
        sources,
        windows: Vec::new(),
        checks: crate::quality::checks::results_from_disk(output_dir)?,
        manifest,
        stages: Vec::new(),
    })
}
