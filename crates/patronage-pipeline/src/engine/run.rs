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
use patronage_tables::contracts;

use patronage_tables::parquet::{
    check_contract, to_parquet_bytes, to_parquet_partitions, Part, Provenance, Written,
};

use super::cache::{self, AggregateRecord, SourceRecord};
use super::commit::{self, Pending};
use super::fingerprint::{AggregateFingerprint, CODE_AGGREGATE, NOT_HASHED};
use super::load::load_reading;
use super::lock;
use super::mirror_stage::{self, MIRROR_ALL_STAGE};
use super::on_disk;
use super::options::RunOptions;
use super::runlog::{self, RunLog, StageLog};
use super::scheduler_events::{Event, Events};
use super::stages::{self, source_stage, SourceCheck, AGGREGATE_STAGE};
use super::units::{self, UnitDone, UnitInput};
use super::verify::listed_outputs;
use crate::config::{Pipeline, Source};
use crate::domain::manifest::{Download, InputEntry, Manifest, OutputEntry, PipelineEntry};
use crate::domain::memory;
use crate::domain::mirror_all::{self, partition_of};
use crate::domain::outcome::{table_error, SourceAccount, SourceOutput};
use crate::domain::read::read_sources;
use crate::domain::tables::{self, table_in, Built};
use crate::quality::{checks, claim_eval, Quality, SourceRows};
use crate::{CheckResult, PipelineError, TOOL_VERSION};

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
    pub checks: Vec<CheckResult>,
    /// What the user should know about how the pipeline file was read
    /// ([`Pipeline::notes`]).
    pub notes: Vec<String>,
}

impl RunReport {
    /// The checks of error severity that failed: the run's exit code is 1 when
    /// there is one (every table is written all the same).
    pub fn blocking_checks(&self) -> Vec<&CheckResult> {
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

/// Run a pipeline file end to end.
pub fn run(pipeline_path: &Path, options: &RunOptions) -> Result<RunReport, PipelineError> {
    run_with(pipeline_path, options, |_, _| Ok(()))
}

/// A source whose `fetch` names downloads the cache lacks (`--offline`) stops
/// a run before it starts.
pub(crate) fn refuse_pending(
    p: &Pipeline,
    reads: impl Fn(&Source) -> bool,
) -> Result<(), PipelineError> {
    if let Some(s) = (p.sources.iter()).find(|s| reads(s) && !s.pending.is_empty()) {
        return Err(PipelineError::Refused {
            path: p.path.clone(),
            message: format!(
                "{}: source `{}`: --offline, and {} download(s) it names are not in the \
                 cache: {}; run without --offline (or `patronage fetch`) to download them",
                p.path.display(),
                s.id,
                s.pending.len(),
                s.pending.join(", ")
            ),
        });
    }
    Ok(())
}

/// Run a pipeline file end to end, calling `prepare` with the pipeline and the
/// state folder once the output folder's lock is held and before any stage
/// (`patronage merge` puts the shards' stage caches in place there).
pub(crate) fn run_with(
    pipeline_path: &Path,
    options: &RunOptions,
    prepare: impl FnOnce(&Pipeline, &Path) -> Result<(), PipelineError>,
) -> Result<RunReport, PipelineError> {
    let (p, quality) = load_reading(pipeline_path, options.load, |_, _| true)?;
    refuse_pending(&p, |_| true)?;
    let output_dir = p.output_dir(options.output.as_deref());
    let state = cache::state_dir(&output_dir);
    p.check_state_dir(&state)?;
    let _lock = lock::acquire(&state, options.wait, &options.events)?;
    let (started, started_at) = (Instant::now(), runlog::utc_now());
    let mut stages = Vec::new();
    let result = prepare(&p, &state)
        .and_then(|()| run_stages(&p, &quality, &output_dir, options, &mut stages));
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
    report.notes = p.notes();
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
    quality: &Quality,
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

    let checks = stages::check_sources(p, &state, options.force)?;
    let fingerprints: Vec<_> = checks.iter().map(|c| &c.fingerprint).collect();
    let mirror_check = mirror_stage::check(p, &fingerprints, &state, options.force);
    let drift = stages::output_drift(&state, output_dir);
    let mut upstream_now: Vec<(String, Option<String>)> = p
        .sources
        .iter()
        .zip(&checks)
        .map(|(s, c)| {
            let known = c.reasons.is_empty();
            let h = c.record.as_ref().filter(|_| known);
            (s.id.clone(), h.map(|r| r.output_sha256.clone()))
        })
        .collect();
    upstream_now.extend(mirror_check.as_ref().map(|c| c.upstream()));
    if options.cached_sources_only {
        refuse_reading(p, &checks, mirror_check.as_ref().map(|m| &m.reasons))?;
    }
    let (agg_reasons, agg_unknown) =
        stages::check_aggregate(p, &state, options.force, &upstream_now, &drift);
    let mut names: Vec<String> = p.sources.iter().map(|s| source_stage(&s.id)).collect();
    if mirror_check.is_some() {
        names.push(MIRROR_ALL_STAGE.to_string());
    }
    names.push(AGGREGATE_STAGE.to_string());
    events.emit(Event::RunStarted {
        pipeline: p.name.clone(),
        output: output_dir.display().to_string(),
        stages: names,
        to_run: checks.iter().filter(|c| !c.reasons.is_empty()).count()
            + usize::from(mirror_check.as_ref().is_some_and(|c| !c.reasons.is_empty()))
            + usize::from(!agg_reasons.is_empty() || !agg_unknown.is_empty()),
        force: options.force,
    });

    // `trade_flows` stays on disk, streamed sources writing their kept rows
    // there as they read them, unless a check or claim needs it whole.
    let on_disk = keeps_on_disk(p, quality);
    let checks = checks.into_iter().enumerate().collect();
    let done = run_sources(p, checks, (&state, on_disk), events)?;
    log.extend(done.iter().map(|d| d.log.clone()));
    cache::prune_sources(&state, p);
    mirror_stage::prune(&state, p);
    // A source stage that ran hashed its files while reading them: decide the
    // step again from the hashes the reads took (the first check, made before
    // the reads, may hold files not hashed yet).
    let confirmed: Vec<_> = done.iter().map(|d| &d.record.fingerprint).collect();
    let mirror_check =
        mirror_check.and_then(|_| mirror_stage::check(p, &confirmed, &state, options.force));
    if options.cached_sources_only {
        refuse_reading(p, &[], mirror_check.as_ref().map(|m| &m.reasons))?;
    }
    let mirror = mirror_stage::run(p, mirror_check, &state, events)?;
    log.extend(mirror.as_ref().map(|m| m.log.clone()));
    let mirror_inputs = mirror.as_ref().map(|m| m.inputs()).unwrap_or_default();

    let mut upstream: Vec<(String, String)> = done
        .iter()
        .map(|d| (d.record.source_id.clone(), d.record.output_sha256.clone()))
        .collect();
    upstream.extend(mirror.as_ref().map(|m| m.upstream()));
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
        let mut accounts: Vec<SourceAccount> = done.iter().map(|d| d.record.account()).collect();
        accounts.extend(mirror_all::accounts_of(&mirror_inputs));
        if let Some(report) = skipped_report(p, output_dir, inputs, mirror_inputs, accounts) {
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
    // The reads are over: what they freed goes back before the tables are built.
    memory::release_freed();
    let cached_only = options.cached_sources_only;
    let outputs = source_outputs(p, done, (&state, on_disk), cached_only)?;
    let mut built = tables::build(p, outputs, on_disk)?;
    if let Some(m) = mirror {
        mirror_all::add_to(&mut built, m.output(p, &state, cached_only)?)?;
    }
    let built = finish(p, quality, built)?;
    // The tables are built: what building them freed goes back before they
    // are written.
    memory::release_freed();
    let report = write_outputs(p, output_dir, built, options, events)?;
    let manifest_sha256 = patronage_tables::sha256_hex(report.manifest.to_json().as_bytes());
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

/// Whether `trade_flows` stays on disk (streamed sources writing their kept
/// rows to the stage cache as they read them): unless a check or claim needs
/// it whole.
fn keeps_on_disk(p: &Pipeline, quality: &Quality) -> bool {
    !p.partition_by.is_empty() || !quality.reads_trade_flows_whole()
}

/// The error of a run whose stages must come from the stage cache
/// ([`RunOptions::cached_sources_only`]) when a source stage in `checks` (by
/// position in the pipeline's sources) or the mirror-all step (its reasons)
/// would run.
fn refuse_reading(
    p: &Pipeline,
    checks: &[SourceCheck],
    mirror: Option<&Vec<String>>,
) -> Result<(), PipelineError> {
    let stage = p
        .sources
        .iter()
        .zip(checks)
        .find(|(_, c)| !c.reasons.is_empty())
        .map(|(s, c)| (source_stage(&s.id), &c.reasons))
        .or_else(|| {
            mirror
                .filter(|r| !r.is_empty())
                .map(|r| (MIRROR_ALL_STAGE.to_string(), r))
        });
    match stage {
        None => Ok(()),
        Some((stage, reasons)) => Err(PipelineError::Shards {
            path: p.path.clone(),
            message: format!(
                "stage {stage} would read its sources ({}); a merge reads no source: \
                 run the shard that ran {stage} again, then merge",
                reasons.join("; ")
            ),
        }),
    }
}

/// Run the stages of `units` (stage names) and no other, with their stage
/// cache in `state`: the source stages among them (each skipped when its
/// cached output is intact), then the mirror-all step if it is one of them. No
/// table is built. Returns what each unit's stage left in the cache, in the
/// pipeline's order.
pub(crate) fn run_units(
    p: &Pipeline,
    quality: &Quality,
    state: &Path,
    options: &RunOptions,
    units: &[String],
) -> Result<Vec<UnitDone>, PipelineError> {
    commit::remove_stale_temps(state);
    for s in &p.sources {
        commit::remove_stale_temps(&state.join("sources").join(&s.id));
    }
    let checks = stages::check_sources(p, state, options.force)?;
    let mut fingerprints: Vec<_> = checks.iter().map(|c| c.fingerprint.clone()).collect();
    let mine: Vec<(usize, SourceCheck)> = checks
        .into_iter()
        .enumerate()
        .filter(|(i, _)| units.contains(&source_stage(&p.sources[*i].id)))
        .collect();
    let positions: Vec<usize> = mine.iter().map(|(i, _)| *i).collect();
    // The ETag of each object read, by the name the records give it (its URL),
    // so a merge can stand in for the object without downloading it.
    let etags: std::collections::HashMap<String, String> = (p.sources.iter())
        .flat_map(|s| s.files.iter())
        .filter_map(|f| Some((p.relative(f), crate::config::objects::etag_of(f)?)))
        .collect();
    let done = run_sources(p, mine, (state, keeps_on_disk(p, quality)), &options.events)?;
    let mut out = Vec::with_capacity(done.len() + 1);
    for (i, d) in positions.iter().zip(&done) {
        fingerprints[*i] = d.record.fingerprint.clone();
        let stage = source_stage(&d.record.source_id);
        out.push(UnitDone {
            cache: units::cache_folder(&stage),
            stage,
            record_sha256: cache::record_hash(&d.record),
            inputs: (d.record.inputs.iter())
                .map(|i| UnitInput {
                    file: i.file.clone(),
                    bytes: i.bytes,
                    sha256: i.sha256.clone(),
                    etag: etags.get(&i.file).cloned(),
                })
                .collect(),
        });
    }
    if units.iter().any(|u| u == MIRROR_ALL_STAGE) {
        // The step's inputs are hashed before the fold only when a cached
        // record could then be reused; else the fold hashes them as it reads
        // (one read of what may be a whole release, not two).
        let mut check = mirror_stage::check(
            p,
            &fingerprints.iter().collect::<Vec<_>>(),
            state,
            options.force,
        );
        if check.as_ref().is_some_and(|c| c.reasons == [NOT_HASHED]) {
            let hashed = stages::step_fingerprints(p, fingerprints)?;
            check =
                mirror_stage::check(p, &hashed.iter().collect::<Vec<_>>(), state, options.force);
        }
        if let Some(m) = mirror_stage::run(p, check, state, &options.events)? {
            out.push(UnitDone {
                stage: MIRROR_ALL_STAGE.to_string(),
                cache: units::cache_folder(MIRROR_ALL_STAGE),
                record_sha256: m.record_sha256(),
                inputs: (m.inputs().into_iter())
                    .map(|i| UnitInput {
                        etag: etags.get(&i.file).cloned(),
                        file: i.file,
                        bytes: i.bytes,
                        sha256: i.sha256,
                    })
                    .collect(),
            });
        }
    }
    Ok(out)
}

/// Run the source stages whose fingerprint changed and skip the others, in
/// declaration order (`checks`: each with its position among the pipeline's
/// sources; all of them for a run, a shard's for a shard). The stages that run are read together ([`read_sources`]:
/// their files in one flat parallel pass), and each output is checked and cached
/// as soon as it is framed; a stage's duration runs from the start of that pass
/// to its output's place in the cache. The first error in declaration order
/// stops the run (the outputs of other sources may be cached by then).
fn run_sources(
    p: &Pipeline,
    checks: Vec<(usize, SourceCheck)>,
    (state, on_disk): (&Path, bool),
    events: &Events,
) -> Result<Vec<SourceStage>, PipelineError> {
    let mut done: Vec<(usize, SourceStage)> = Vec::with_capacity(checks.len());
    let mut to_run: Vec<(usize, &Source, SourceCheck)> = Vec::new();
    for (i, c) in checks {
        let s = &p.sources[i];
        let stage = source_stage(&s.id);
        if c.reasons.is_empty() {
            if let Some(record) = c.record {
                let reason = stages::skip_reason().to_string();
                events.emit(Event::StageSkipped {
                    stage: stage.clone(),
                    reason: reason.clone(),
                });
                let log = StageLog {
                    stage,
                    status: "skipped",
                    reasons: vec![reason],
                    duration_ms: 0,
                };
                let output = None;
                done.push((
                    i,
                    SourceStage {
                        record,
                        output,
                        log,
                    },
                ));
                continue;
            }
        }
        events.emit(Event::StageStarted {
            stage,
            reasons: c.reasons.clone(),
        });
        to_run.push((i, s, c));
    }
    let started = Instant::now();
    let sources: Vec<&Source> = to_run.iter().map(|(_, s, _)| *s).collect();
    let ran = read_sources(&spilling(p, state, on_disk), &sources, |k, output| {
        let (_, s, c) = &to_run[k];
        cache_source(p, s, c, output, state, events, started)
    });
    for ((i, _, _), stage) in to_run.iter().zip(ran) {
        done.push((*i, stage?));
    }
    done.sort_by_key(|(i, _)| *i);
    Ok(done.into_iter().map(|(_, d)| d).collect())
}

/// Check a source stage's fresh output against its fingerprint and cache it.
fn cache_source(
    p: &Pipeline,
    s: &Source,
    c: &SourceCheck,
    mut output: SourceOutput,
    state: &Path,
    events: &Events,
    started: Instant,
) -> Result<SourceStage, PipelineError> {
    // The bytes read must be those fingerprinted (a file rewritten meanwhile
    // would otherwise be cached under the old fingerprint); hashes the read took
    // complete the fingerprint.
    let read: Vec<(&str, &str)> = output
        .inputs
        .iter()
        .map(|i| (i.file.as_str(), i.sha256.as_str()))
        .collect();
    let fingerprint = c.fingerprint.confirm(p, s, &read)?;
    let record = cache::store(state, s, &fingerprint, &mut output)?;
    let stage = source_stage(&s.id);
    let duration_ms = started.elapsed().as_millis() as u64;
    events.emit(Event::StageFinished {
        stage: stage.clone(),
        rows: output.rows(),
        duration_ms,
    });
    Ok(SourceStage {
        record,
        output: Some(output),
        log: StageLog {
            stage,
            status: "ran",
            reasons: c.reasons.clone(),
            duration_ms,
        },
    })
}

/// Every source's output for the aggregate stage, in declaration order: the
/// fresh output of a stage that ran, else the cached one, else (the cache was
/// removed meanwhile) the source read again, all such sources together (an
/// error naming the first instead when `cached_only`).
fn source_outputs(
    p: &Pipeline,
    done: Vec<SourceStage>,
    (state, on_disk): (&Path, bool),
    cached_only: bool,
) -> Result<Vec<SourceOutput>, PipelineError> {
    let mut outputs: Vec<Option<SourceOutput>> = p
        .sources
        .iter()
        .zip(done)
        .map(|(s, d)| d.output.or_else(|| cache::load_output(state, s, &d.record)))
        .collect();
    let missing: Vec<usize> = (0..outputs.len())
        .filter(|&i| outputs[i].is_none())
        .collect();
    let again: Vec<&Source> = missing.iter().map(|&i| &p.sources[i]).collect();
    if let (true, Some(s)) = (cached_only, again.first()) {
        return Err(PipelineError::Shards {
            path: p.path.clone(),
            message: format!(
                "stage {} would read its sources (its cached output went missing \
                 during the run); a merge reads no source",
                source_stage(&s.id)
            ),
        });
    }
    let reading = spilling(p, state, on_disk);
    for (i, output) in missing
        .iter()
        .zip(read_sources(&reading, &again, |_, o| Ok(o)))
    {
        outputs[*i] = Some(output?);
    }
    Ok(outputs.into_iter().flatten().collect())
}

/// The pipeline as its sources are read: when `trade_flows` is kept on disk
/// (`on_disk`), streamed trade sources write their kept rows to the stage
/// cache as they read them (`<state>/sources/<id>/`) instead of holding them,
/// so a release of any size is never held whole.
fn spilling<'p>(p: &'p Pipeline, state: &Path, on_disk: bool) -> std::borrow::Cow<'p, Pipeline> {
    if !on_disk {
        return std::borrow::Cow::Borrowed(p);
    }
    std::borrow::Cow::Owned(Pipeline {
        spill: Some(state.join("sources")),
        ..p.clone()
    })
}

/// Every table of a run: the domains' tables (`built.frames`), then claims and
/// check results, in dictionary order.
struct RunTables {
    built: Built,
    prov: Provenance,
    checks: Vec<CheckResult>,
}

/// The claims and the data checks over the domains' tables, then every table in
/// dictionary order.
fn finish(p: &Pipeline, quality: &Quality, mut built: Built) -> Result<RunTables, PipelineError> {
    let prov = Provenance {
        pipeline: p.name.clone(),
        pipeline_sha256: p.sha256.clone(),
        inputs_sha256: built.inputs_sha256.clone(),
    };
    let (frames, sources) = (&mut built.frames, &built.sources);
    let on_disk = built.trade_flows_on_disk.as_ref();
    // Claims read every table but their own and check_results (of trade_flows
    // on disk, the rows they match).
    let claim_rows = on_disk::claim_rows(&quality.claims, on_disk)?;
    let claims = claim_eval::evaluate(&quality.claims, |t| match &claim_rows {
        Some(rows) if t.name == contracts::TRADE_FLOWS.name => Ok(rows),
        _ => table_in(frames, t),
    })?;
    drop(claim_rows);
    frames.push((&contracts::CLAIMS, claims));
    // Checks see every table: keep this after the last table is added to `frames`.
    let accounts: Vec<_> = (p.sources.iter().zip(sources))
        .map(|(s, a)| SourceRows {
            id: &s.id,
            canonical: s.format.domain.canonical_table(),
            rows: &a.rows,
        })
        .collect();
    let checks = checks::evaluate(&quality.checks, &accounts, frames, on_disk)?;
    frames.push((
        &contracts::CHECK_RESULTS,
        checks::results_frame(&checks).map_err(table_error(&contracts::CHECK_RESULTS))?,
    ));
    // Dictionary order, whatever order the domains produced them in.
    frames.sort_by_key(|(spec, _)| {
        contracts::ALL_TABLES
            .iter()
            .position(|t| t.name == spec.name)
            .unwrap_or(usize::MAX)
    });
    Ok(RunTables {
        built,
        prov,
        checks,
    })
}

/// The manifest of a folder holding `outputs` built from `inputs`.
fn manifest_of(
    p: &Pipeline,
    inputs_sha256: String,
    inputs: Vec<InputEntry>,
    mirror_all_inputs: Vec<InputEntry>,
    outputs: Vec<OutputEntry>,
) -> Manifest {
    Manifest {
        tool: "patronage",
        tool_version: TOOL_VERSION,
        schema_version: contracts::SCHEMA_VERSION,
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
        mirror_all_inputs,
        outputs,
        downloads: p.sources.iter().flat_map(Download::of).collect(),
    }
}

/// Check and serialize every table, then put the tables and the manifest in
/// place together.
fn write_outputs(
    p: &Pipeline,
    output_dir: &Path,
    built: RunTables,
    options: &RunOptions,
    events: &Events,
) -> Result<RunReport, PipelineError> {
    let RunTables {
        built:
            Built {
                mut frames,
                windows,
                inputs,
                sources,
                inputs_sha256,
                mirror_inputs,
                trade_flows_on_disk,
            },
        prov,
        checks,
    } = built;
    let mut written = Vec::with_capacity(frames.len());
    let mut pending = Vec::with_capacity(frames.len() + 1);
    let mut files = Vec::with_capacity(frames.len());
    // trade_flows on disk is streamed into its files first (it is first in
    // dictionary order).
    let mut streamed = Vec::new();
    if let Some(table) = trade_flows_on_disk {
        for s in on_disk::write_table(p, output_dir, &table, &prov)? {
            written.push(Written {
                table: contracts::TRADE_FLOWS.name,
                path: s.written.path.clone(),
                rows: s.rows,
                bytes: s.written.bytes,
                sha256: s.written.sha256.clone(),
            });
            files.push(s.file);
            streamed.push(s.written);
        }
    }
    for (spec, df) in &mut frames {
        check_contract(df, spec)?;
        let parts = match partition_of(p, spec.name) {
            Some(by) => to_parquet_partitions(df, spec, &prov, by)?,
            None => vec![Part {
                file: format!("{}.parquet", spec.name),
                rows: df.height(),
                bytes: to_parquet_bytes(df, spec, &prov)?,
            }],
        };
        for part in parts {
            let path = output_dir.join(&part.file);
            written.push(Written {
                table: spec.name,
                path: path.clone(),
                rows: part.rows,
                bytes: part.bytes.len() as u64,
                sha256: patronage_tables::sha256_hex(&part.bytes),
            });
            files.push(part.file);
            pending.push(Pending {
                path,
                bytes: part.bytes,
            });
        }
    }
    drop(frames);
    // Files the previous manifest lists that this run does not write (a year no
    // longer in trade_flows, the single file before partitioning): removed once
    // the new manifest is in place.
    let stale: Vec<String> = listed_outputs(output_dir)
        .map(|(listed, _)| listed.into_iter().map(|l| l.file))
        .into_iter()
        .flatten()
        .filter(|f| !files.contains(f))
        .collect();
    let manifest = manifest_of(
        p,
        inputs_sha256,
        inputs,
        mirror_inputs,
        written
            .iter()
            .zip(&files)
            .map(|(w, file)| OutputEntry {
                table: w.table.to_string(),
                file: file.clone(),
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
    let unchanged = commit::commit_all(&streamed, &pending, options.force)?;
    commit::remove_outputs(output_dir, &stale);
    for ((w, file), same) in written.iter().zip(&files).zip(&unchanged) {
        events.emit(Event::TableWritten {
            table: w.table.to_string(),
            file: file.clone(),
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
        notes: Vec::new(),
        checks,
    })
}

/// The report of a run whose aggregate stage is skipped, from the manifest on
/// disk; `None` when that manifest is not exactly the one these inputs give.
fn skipped_report(
    p: &Pipeline,
    output_dir: &Path,
    inputs: Vec<InputEntry>,
    mirror_inputs: Vec<InputEntry>,
    sources: Vec<SourceAccount>,
) -> Option<RunReport> {
    let (listed, on_disk) = listed_outputs(output_dir).ok()?;
    let manifest = manifest_of(
        p,
        tables::inputs_hash(&inputs),
        inputs,
        mirror_inputs,
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
        checks: checks::results_from_disk(output_dir)?,
        manifest,
        stages: Vec::new(),
        notes: Vec::new(),
    })
}
