//! The stages of a run and whether each must run: one stage per source (extract
//! and normalize into its canonical frame), then one aggregate stage (analysis
//! tables, rejects, the write of every table and `manifest.json`). `patronage
//! plan` shows the same decisions without running anything.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use super::cache::{self, SourceRecord};
use super::fingerprint::{
    sha256_file, stage_reasons, AggregateFingerprint, SourceFingerprint, CODE_AGGREGATE,
};
use super::load::load;
use super::mirror_stage::{self, MIRROR_ALL_STAGE};
use super::options::RunOptions;
use super::verify::{verify_outputs, DriftKind};
use crate::config::Pipeline;
use crate::{PipelineError, TOOL_VERSION};

/// The name of a source's stage.
pub fn source_stage(id: &str) -> String {
    format!("source:{id}")
}

/// The name of the aggregate stage.
pub const AGGREGATE_STAGE: &str = "aggregate";

/// What a stage will do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// It runs.
    Run,
    /// It is skipped: nothing it depends on changed and its output is intact.
    Skip,
    /// It runs only if a source stage that runs produces a different output.
    RunIfUpstreamChanges,
}

/// One stage of a plan.
#[derive(Debug, Clone, Serialize)]
pub struct StagePlan {
    /// Stage name (`source:<id>`, `mirror_all`, `aggregate`).
    pub stage: String,
    /// What it will do.
    pub action: Action,
    /// Why.
    pub reasons: Vec<String>,
}

/// What a run would do.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Pipeline name.
    pub pipeline: String,
    /// Output folder.
    pub output_dir: PathBuf,
    /// Stages in order.
    pub stages: Vec<StagePlan>,
    /// The run holding the folder's lock now, if any.
    pub locked_by: Option<String>,
    /// What the user should know about how the pipeline file was read
    /// ([`Pipeline::notes`]).
    pub notes: Vec<String>,
}

/// What a source stage depends on now, and what it produced last time.
pub(crate) struct SourceCheck {
    /// The fingerprint now.
    pub fingerprint: SourceFingerprint,
    /// The cached output's record, when there is one.
    pub record: Option<SourceRecord>,
    /// Why the stage must run; empty when it can be skipped.
    pub reasons: Vec<String>,
}

/// Decide whether each source stage runs, in declaration order. Each cached
/// record is read first (one job per source that starts no parallel work of its
/// own); then the sources' files are fingerprinted in one flat pass
/// ([`SourceFingerprint::of_all`]), hashing only the inputs of the stages that
/// may be skipped; then each cached output is checked against its record.
pub(crate) fn check_sources(
    p: &Pipeline,
    state: &Path,
    force: bool,
) -> Result<Vec<SourceCheck>, PipelineError> {
    let records: Vec<Result<Option<SourceRecord>, String>> = p
        .sources
        .par_iter()
        .map(|source| cache::load_record(state, &source.id))
        .collect();
    let recorded: Vec<Option<&SourceFingerprint>> = records
        .iter()
        .map(|r| match r {
            Ok(Some(r)) if !force => Some(&r.fingerprint),
            _ => None,
        })
        .collect();
    let fingerprints = SourceFingerprint::of_all(p, &p.sources, &recorded)?;
    Ok(records
        .into_par_iter()
        .zip(fingerprints)
        .map(|(record, fingerprint)| check_source(record, fingerprint, state, force))
        .collect())
}

/// Decide whether a source stage runs, given its cached record (as read) and
/// its fingerprint now.
fn check_source(
    record: Result<Option<SourceRecord>, String>,
    fingerprint: SourceFingerprint,
    state: &Path,
    force: bool,
) -> SourceCheck {
    let (record, reasons) = stage_reasons(
        &fingerprint,
        record,
        (force, "no cached output (first run of this source here)"),
        |r| &r.fingerprint,
        |r| cache::check_files(state, r),
    );
    SourceCheck {
        fingerprint,
        record,
        reasons,
    }
}

/// How the outputs on disk differ from what the aggregate stage last wrote:
/// `manifest.json` changed or unreadable, a table missing or drifted. Computed
/// once per run (it hashes every output).
pub(crate) fn output_drift(state: &Path, output_dir: &Path) -> Vec<String> {
    let Ok(Some(record)) = cache::load_aggregate(state) else {
        return Vec::new();
    };
    let mut reasons = Vec::new();
    match verify_outputs(output_dir) {
        Err(_) => reasons.push("manifest.json missing or unreadable".to_string()),
        Ok(v) => {
            if v.manifest_sha256 != record.manifest_sha256 {
                reasons.push("manifest.json changed since it was written".to_string());
            }
            for d in v.drift {
                match d.kind {
                    DriftKind::Missing => reasons.push(format!("output missing: {}", d.file)),
                    DriftKind::Changed { .. } => {
                        reasons.push(format!("output drifted: {}", d.file))
                    }
                    DriftKind::Extra => {}
                }
            }
        }
    }
    reasons
}

/// Why the aggregate stage must run, given the source stages' output hashes
/// (`None` for a source stage that runs and whose output is not known yet) and
/// the drift of the outputs on disk ([`output_drift`]). Returns the reasons and
/// the ids of the sources whose output is not known.
pub(crate) fn check_aggregate(
    p: &Pipeline,
    state: &Path,
    force: bool,
    upstream: &[(String, Option<String>)],
    drift: &[String],
) -> (Vec<String>, Vec<String>) {
    let mut reasons = Vec::new();
    if force {
        reasons.push("--force".to_string());
    }
    let record = match cache::load_aggregate(state) {
        Ok(Some(record)) => record,
        Ok(None) => {
            reasons.push("no outputs built here yet".to_string());
            return (reasons, Vec::new());
        }
        Err(why) => {
            reasons.push(why);
            return (reasons, Vec::new());
        }
    };
    let old = &record.fingerprint;
    let mut old_hashes: HashMap<&str, &str> = HashMap::with_capacity(old.upstream.len());
    for (id, h) in &old.upstream {
        old_hashes.entry(id.as_str()).or_insert(h.as_str());
    }
    let known: Vec<(String, String)> = upstream
        .iter()
        .map(|(id, h)| {
            let h = h
                .clone()
                .or_else(|| old_hashes.get(id.as_str()).map(|h| h.to_string()));
            (id.clone(), h.unwrap_or_default())
        })
        .collect();
    let now = AggregateFingerprint {
        tool_version: TOOL_VERSION.to_string(),
        code: CODE_AGGREGATE.to_string(),
        pipeline_sha256: p.sha256.clone(),
        upstream: known,
    };
    reasons.extend(now.changes_since(old));
    reasons.extend(drift.iter().cloned());
    let unknown = upstream
        .iter()
        .filter(|(_, h)| h.is_none())
        .map(|(id, _)| id.clone())
        .collect();
    (reasons, unknown)
}

/// The sources' fingerprints (in declaration order) as the mirror-all step
/// reads them: the inputs of the sources it names hashed, where their stage
/// left them to its read.
pub(crate) fn step_fingerprints(
    p: &Pipeline,
    fingerprints: Vec<SourceFingerprint>,
) -> Result<Vec<SourceFingerprint>, PipelineError> {
    let named = |id: &str| {
        p.mirror_all
            .as_ref()
            .is_some_and(|m| m.sources.iter().any(|s| s == id))
    };
    let mut out = Vec::with_capacity(fingerprints.len());
    for (s, mut f) in p.sources.iter().zip(fingerprints) {
        if named(&s.id) {
            for (file, path) in f.files.iter_mut().zip(&s.files) {
                if file.is_pending() {
                    file.sha256 = sha256_file(path)?;
                }
            }
        }
        out.push(f);
    }
    Ok(out)
}

/// What `patronage run` would do with these options, without running anything
/// or taking the lock.
pub fn plan(pipeline_path: &Path, options: &RunOptions) -> Result<Plan, PipelineError> {
    let p = load(pipeline_path, options.load)?;
    let output_dir = p.output_dir(options.output.as_deref());
    let state = cache::state_dir(&output_dir);
    p.check_state_dir(&state)?;
    let checks = check_sources(&p, &state, options.force)?;
    let mut stages = Vec::new();
    let mut upstream = Vec::new();
    let mut inputs_changed = Vec::new();
    for (s, c) in p.sources.iter().zip(&checks) {
        // Downloads its `fetch` names that the cache lacks come first.
        let mut reasons: Vec<String> = s
            .pending
            .iter()
            .map(|url| format!("would download {url}"))
            .collect();
        reasons.extend(c.reasons.iter().cloned());
        let run = !reasons.is_empty();
        stages.push(StagePlan {
            stage: source_stage(&s.id),
            action: if run { Action::Run } else { Action::Skip },
            reasons: if run {
                reasons
            } else {
                vec![skip_reason().to_string()]
            },
        });
        let cached = c.record.as_ref().map(|r| r.output_sha256.clone());
        upstream.push((s.id.clone(), if run { None } else { cached }));
        // Input hashes are part of a source's output (they go into the manifest
        // and the footers), so a changed input always changes it. Without a
        // usable record, whether the output changes is known only once it runs.
        let files_changed = c
            .record
            .as_ref()
            .is_some_and(|r| c.fingerprint.files_differ_from(&r.fingerprint));
        if run && files_changed {
            inputs_changed.push(format!("inputs of source:{} changed", s.id));
        }
    }
    // The mirror-all step is decided on its inputs' hashes, which a source
    // stage that reruns leaves to its read: the plan hashes those now (a run
    // decides the step again from the hashes its reads took).
    let fingerprints = checks.iter().map(|c| c.fingerprint.clone()).collect();
    let fingerprints = step_fingerprints(&p, fingerprints)?;
    let fingerprints: Vec<_> = fingerprints.iter().collect();
    if let Some(m) = mirror_stage::check(&p, &fingerprints, &state, options.force) {
        let run = !m.reasons.is_empty();
        stages.push(StagePlan {
            stage: MIRROR_ALL_STAGE.to_string(),
            action: if run { Action::Run } else { Action::Skip },
            reasons: if run {
                m.reasons.clone()
            } else {
                vec![skip_reason().to_string()]
            },
        });
        if run && m.files_changed() {
            inputs_changed.push(format!("inputs of {MIRROR_ALL_STAGE} changed"));
        }
        upstream.push(m.upstream());
    }
    let drift = output_drift(&state, &output_dir);
    let (mut reasons, unknown) = check_aggregate(&p, &state, options.force, &upstream, &drift);
    reasons.extend(inputs_changed);
    let aggregate = if !reasons.is_empty() {
        StagePlan {
            stage: AGGREGATE_STAGE.to_string(),
            action: Action::Run,
            reasons,
        }
    } else if !unknown.is_empty() {
        StagePlan {
            stage: AGGREGATE_STAGE.to_string(),
            action: Action::RunIfUpstreamChanges,
            reasons: unknown
                .iter()
                .map(|id| {
                    let stage = if id == mirror_stage::UPSTREAM {
                        MIRROR_ALL_STAGE.to_string()
                    } else {
                        source_stage(id)
                    };
                    format!("{stage} runs; skipped if its output comes out unchanged")
                })
                .collect(),
        }
    } else {
        StagePlan {
            stage: AGGREGATE_STAGE.to_string(),
            action: Action::Skip,
            reasons: vec![
                "unchanged: pipeline file, source outputs and tool version; outputs match manifest.json"
                    .to_string(),
            ],
        }
    };
    stages.push(aggregate);
    Ok(Plan {
        pipeline: p.name.clone(),
        locked_by: super::lock::holder(&state).map(|h| h.to_string()),
        notes: p.notes(),
        output_dir,
        stages,
    })
}

/// Why a source stage is skipped.
pub(crate) fn skip_reason() -> &'static str {
    "unchanged: inputs, parameters and tool version; cached output intact"
}
