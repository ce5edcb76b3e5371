//! The `[mirror_all]` step as a stage of its own, between the source stages and
//! the aggregate stage: fingerprinted, cached under `.patronage/mirror_all/`,
//! skipped on a rerun when nothing it depends on changed, and shown by `plan`.
//!
//! ```text
//! .patronage/mirror_all/mirror_all.parquet   the folded table
//! .patronage/mirror_all/rejects.json         its rejects
//! .patronage/mirror_all/record.json          fingerprint, inputs with accounting, hashes
//! ```
//!
//! Invariant: the stage depends on the bytes of its sources' files (the hashes
//! the source stages' fingerprints already took, so no file is hashed twice),
//! the sources it names and their formats, the tool version and the code of the
//! fold; a fresh fold's input hashes must be those fingerprinted, and its output
//! hash is what the aggregate stage's fingerprint records under
//! [`UPSTREAM`], so a changed fold reruns the aggregate stage and an unchanged
//! one does not.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::time::Instant;

use patronage_tables::contracts::MIRROR_ALL;
use patronage_tables::parquet::write_atomic;
use polars::prelude::*;
use serde::{Deserialize, Serialize};

use super::cache::{
    check_named, frame_bytes, intern, load_sealed, record_hash, rejects_json, rejects_of_json,
    sealed_json,
};
use super::fingerprint::{stage_reasons, FileHash, SourceFingerprint, CODE_MIRROR_ALL};
use super::runlog::StageLog;
use super::scheduler_events::{Event, Events};
use crate::config::{MirrorAllStep, Pipeline};
use crate::domain::manifest::{InputEntry, RowAccount};
use crate::domain::mirror_all::{self, MirrorOutput, REJECT_STAGE};
use crate::domain::outcome::table_error;
use crate::{PipelineError, TOOL_VERSION};

/// The stage's name.
pub const MIRROR_ALL_STAGE: &str = "mirror_all";

/// The stage's entry among the aggregate stage's upstream outputs (brackets:
/// no source id can be spelled so).
pub const UPSTREAM: &str = "[mirror_all]";

const SKIPPED: &str = "unchanged: inputs, parameters and tool version; cached output intact";

fn stage_dir(state: &Path) -> PathBuf {
    state.join("mirror_all")
}

/// One folded file, as cached.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CachedInput {
    source_id: String,
    format: String,
    file: String,
    bytes: u64,
    sha256: String,
    rows: RowAccount,
}

/// What the stage produced, and from what.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct MirrorRecord {
    fingerprint: SourceFingerprint,
    frame_sha256: String,
    rows: u64,
    rejects_sha256: String,
    inputs: Vec<CachedInput>,
    output_sha256: String,
}

impl MirrorRecord {
    /// The manifest entries of the files folded.
    pub fn input_entries(&self) -> Vec<InputEntry> {
        self.inputs
            .iter()
            .map(|i| InputEntry {
                source_id: i.source_id.clone(),
                format: intern(&i.format),
                file: i.file.clone(),
                bytes: i.bytes,
                sha256: i.sha256.clone(),
                rows: i.rows.clone(),
            })
            .collect()
    }
}

/// Whether the stage runs, and why.
pub(crate) struct MirrorCheck {
    fingerprint: SourceFingerprint,
    record: Option<MirrorRecord>,
    /// Why it must run; empty when it can be skipped.
    pub reasons: Vec<String>,
}

impl MirrorCheck {
    /// The stage's entry among the aggregate stage's upstream outputs: its
    /// cached output hash when it is skipped, none (not known yet) when it runs.
    pub fn upstream(&self) -> (String, Option<String>) {
        let known = self.record.as_ref().filter(|_| self.reasons.is_empty());
        (UPSTREAM.to_string(), known.map(|r| r.output_sha256.clone()))
    }

    /// Whether the files it folds changed since the cached output.
    pub fn files_changed(&self) -> bool {
        self.record
            .as_ref()
            .is_some_and(|r| r.fingerprint.files != self.fingerprint.files)
    }
}

/// The stage's fingerprint from the source stages' (in declaration order).
fn fingerprint(
    p: &Pipeline,
    step: &MirrorAllStep,
    sources: &[&SourceFingerprint],
) -> SourceFingerprint {
    let mut files: Vec<FileHash> = Vec::new();
    let mut params = String::new();
    for (s, f) in p.sources.iter().zip(sources) {
        if step.sources.contains(&s.id) {
            files.extend(f.files.iter().cloned());
            params.push_str(&format!("{} {}\n", s.id, s.format.name));
        }
    }
    SourceFingerprint {
        tool_version: TOOL_VERSION.to_string(),
        code: CODE_MIRROR_ALL.to_string(),
        params_sha256: patronage_tables::sha256_hex(params.as_bytes()),
        files,
    }
}

/// Decide whether the stage runs; `None` when the pipeline has no step (its
/// cached output, if any, is then removed).
pub(crate) fn check(
    p: &Pipeline,
    sources: &[&SourceFingerprint],
    state: &Path,
    force: bool,
) -> Option<MirrorCheck> {
    let Some(step) = &p.mirror_all else {
        return None;
    };
    let fingerprint = fingerprint(p, step, sources);
    let (record, reasons) = stage_reasons(
        &fingerprint,
        load_sealed::<MirrorRecord>(&stage_dir(state).join("record.json")),
        (force, "no cached output (first run of this step here)"),
        |r| &r.fingerprint,
        |r| check_files(state, r),
    );
    Some(MirrorCheck {
        fingerprint,
        record,
        reasons,
    })
}

/// Remove the cached output of a step the pipeline no longer declares.
pub(crate) fn prune(state: &Path, p: &Pipeline) {
    if p.mirror_all.is_none() {
        let _ = std::fs::remove_dir_all(stage_dir(state));
    }
}

/// Whether the record's files are on disk with the bytes it says.
fn check_files(state: &Path, record: &MirrorRecord) -> Result<(), String> {
    check_named(
        &stage_dir(state),
        &[
            ("mirror_all.parquet", &record.frame_sha256),
            ("rejects.json", &record.rejects_sha256),
        ],
    )
}

/// The stage, ran or skipped.
pub(crate) struct MirrorStage {
    step: MirrorAllStep,
    record: MirrorRecord,
    output: Option<MirrorOutput>,
    /// What it did.
    pub log: StageLog,
}

impl MirrorStage {
    /// Its entry among the aggregate stage's upstream outputs.
    pub fn upstream(&self) -> (String, String) {
        (UPSTREAM.to_string(), self.record.output_sha256.clone())
    }

    /// The manifest entries of the files folded.
    pub fn inputs(&self) -> Vec<InputEntry> {
        self.record.input_entries()
    }

    /// The `record_sha256` of its cached record.
    pub fn record_sha256(&self) -> String {
        record_hash(&self.record)
    }

    /// The output: fresh, else from the cache, else (the cache was removed
    /// meanwhile) folded again, or an error when `cached_only` (a merge reads
    /// no source).
    pub fn output(
        self,
        p: &Pipeline,
        state: &Path,
        cached_only: bool,
    ) -> Result<MirrorOutput, PipelineError> {
        if let Some(o) = self.output {
            return Ok(o);
        }
        if let Some(o) = load_output(state, &self.record) {
            return Ok(o);
        }
        if cached_only {
            return Err(PipelineError::Shards {
                path: p.path.clone(),
                message: format!(
                    "stage {MIRROR_ALL_STAGE} would read its sources (its cached output \
                     went missing during the run); a merge reads no source"
                ),
            });
        }
        mirror_all::fold(p, &self.step)
    }
}

/// Run the stage if its check says so, else skip it.
pub(crate) fn run(
    p: &Pipeline,
    check: Option<MirrorCheck>,
    state: &Path,
    events: &Events,
) -> Result<Option<MirrorStage>, PipelineError> {
    let (Some(step), Some(c)) = (&p.mirror_all, check) else {
        return Ok(None);
    };
    let stage = MIRROR_ALL_STAGE.to_string();
    if c.reasons.is_empty() {
        if let Some(record) = c.record {
            events.emit(Event::StageSkipped {
                stage: stage.clone(),
                reason: SKIPPED.to_string(),
            });
            return Ok(Some(MirrorStage {
                step: step.clone(),
                record,
                output: None,
                log: StageLog {
                    stage,
                    status: "skipped",
                    reasons: vec![SKIPPED.to_string()],
                    duration_ms: 0,
                },
            }));
        }
    }
    events.emit(Event::StageStarted {
        stage: stage.clone(),
        reasons: c.reasons.clone(),
    });
    let started = Instant::now();
    let output = mirror_all::fold(p, step)?;
    // The bytes folded must be those fingerprinted; an input not hashed
    // before the fold takes the hash the fold took as it read.
    let mut fingerprint = c.fingerprint;
    for (i, f) in fingerprint.files.iter_mut().enumerate() {
        let folded = output.inputs.get(i).map(|e| (&e.file, &e.sha256));
        match folded {
            Some((file, sha256)) if *file == f.file && f.is_pending() => {
                f.sha256 = sha256.clone();
            }
            Some((file, sha256)) if (file, sha256) == (&f.file, &f.sha256) => {}
            _ => {
                return Err(PipelineError::InputChanged {
                    file: f.file.clone(),
                })
            }
        }
    }
    let record = store(state, &fingerprint, &output)?;
    let duration_ms = started.elapsed().as_millis() as u64;
    events.emit(Event::StageFinished {
        stage: stage.clone(),
        rows: output.frame.height() as u64,
        duration_ms,
    });
    Ok(Some(MirrorStage {
        step: step.clone(),
        record,
        output: Some(output),
        log: StageLog {
            stage,
            status: "ran",
            reasons: c.reasons,
            duration_ms,
        },
    }))
}

/// Store the stage's output; returns its record.
fn store(
    state: &Path,
    fingerprint: &SourceFingerprint,
    output: &MirrorOutput,
) -> Result<MirrorRecord, PipelineError> {
    let dir = stage_dir(state);
    let frame = frame_bytes(&output.frame).map_err(table_error(&MIRROR_ALL))?;
    let rejects = rejects_json(&output.rejects, true);
    let inputs: Vec<CachedInput> = output
        .inputs
        .iter()
        .map(|i| CachedInput {
            source_id: i.source_id.clone(),
            format: i.format.to_string(),
            file: i.file.clone(),
            bytes: i.bytes,
            sha256: i.sha256.clone(),
            rows: i.rows.clone(),
        })
        .collect();
    let (frame_sha256, rejects_sha256) = (
        patronage_tables::sha256_hex(&frame),
        patronage_tables::sha256_hex(&rejects),
    );
    let output_sha256 = patronage_tables::sha256_hex(
        format!(
            "{frame_sha256}\n{rejects_sha256}\n{}",
            serde_json::to_string(&inputs).unwrap_or_default(),
        )
        .as_bytes(),
    );
    let record = MirrorRecord {
        fingerprint: fingerprint.clone(),
        frame_sha256,
        rows: output.frame.height() as u64,
        rejects_sha256,
        inputs,
        output_sha256,
    };
    write_atomic(&dir.join("mirror_all.parquet"), &frame)?;
    write_atomic(&dir.join("rejects.json"), &rejects)?;
    write_atomic(&dir.join("record.json"), &sealed_json(&record))?;
    Ok(record)
}

/// The stage's output read back from the cache; `None` when the files are gone
/// or differ from the record.
fn load_output(state: &Path, record: &MirrorRecord) -> Option<MirrorOutput> {
    let dir = stage_dir(state);
    let frame = std::fs::read(dir.join("mirror_all.parquet")).ok()?;
    let rejects = std::fs::read(dir.join("rejects.json")).ok()?;
    if patronage_tables::sha256_hex(&frame) != record.frame_sha256
        || patronage_tables::sha256_hex(&rejects) != record.rejects_sha256
    {
        return None;
    }
    let frame = ParquetReader::new(Cursor::new(frame)).finish().ok()?;
    let rejects = rejects_of_json(&rejects, REJECT_STAGE)?;
    Some(MirrorOutput {
        frame,
        rejects,
        inputs: record.input_entries(),
    })
}
