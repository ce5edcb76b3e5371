//! The run log, `<out>/.patronage/runs.jsonl`: one JSON line per run with when it
//! started, how long each stage took and how it ended. Timestamps and durations
//! live here and only here, so `manifest.json` and the Parquet files stay
//! byte-identical from run to run.

use std::io::Write;
use std::path::Path;
use std::time::SystemTime;

use serde::Serialize;

use crate::PipelineError;

/// One stage's line in the run log.
#[derive(Debug, Clone, Serialize)]
pub struct StageLog {
    /// Stage name.
    pub stage: String,
    /// `ran` or `skipped`.
    pub status: &'static str,
    /// Why it ran, or why it could be skipped.
    pub reasons: Vec<String>,
    /// Wall-clock time, milliseconds (0 when skipped).
    pub duration_ms: u64,
}

/// One run.
#[derive(Debug, Clone, Serialize)]
pub struct RunLog {
    /// Start, UTC, RFC 3339.
    pub started_at: String,
    /// End, UTC, RFC 3339.
    pub finished_at: String,
    /// Wall-clock time, milliseconds.
    pub duration_ms: u64,
    /// Process id.
    pub pid: u32,
    /// Host name.
    pub host: String,
    /// Tool version.
    pub tool_version: &'static str,
    /// Pipeline name.
    pub pipeline: String,
    /// SHA-256 of the pipeline file.
    pub pipeline_sha256: String,
    /// Whether `--force` was given.
    pub force: bool,
    /// `finished` or `failed`.
    pub outcome: &'static str,
    /// The error of a failed run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Stages in order.
    pub stages: Vec<StageLog>,
}

/// Append a run to `<dir>/runs.jsonl`.
pub(crate) fn append(state_dir: &Path, log: &RunLog) -> Result<(), PipelineError> {
    let path = state_dir.join("runs.jsonl");
    let io = |source| PipelineError::Write {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(state_dir).map_err(io)?;
    let mut line = serde_json::to_string(log).unwrap_or_default();
    line.push('\n');
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(io)?;
    f.write_all(line.as_bytes()).map_err(io)
}

/// Now, UTC, as RFC 3339 with milliseconds (`2026-11-28T09:05:03.123Z`).
pub fn utc_now() -> String {
    patronage_core::clock::rfc3339(SystemTime::now())
}
