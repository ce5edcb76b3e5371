//! The run log, `<out>/.patronage/runs.jsonl`: one JSON line per run with when it
//! started, how long each stage took and how it ended. Timestamps and durations
//! live here and only here, so `manifest.json` and the Parquet files stay
//! byte-identical from run to run.

use std::io::Write;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

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
    rfc3339(SystemTime::now())
}

/// A time as RFC 3339 UTC with milliseconds.
pub fn rfc3339(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    let (y, m, day) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
        d.subsec_millis()
    )
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian
/// (H. Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn formats_known_instants() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        // 2000-02-29 12:34:56.789 UTC = 951827696.789 s after the epoch (leap day).
        let t = UNIX_EPOCH + Duration::from_millis(951_827_696_789);
        assert_eq!(rfc3339(t), "2000-02-29T12:34:56.789Z");
        // 2026-11-28 00:00:00 UTC = 20 785 days after the epoch.
        let t = UNIX_EPOCH + Duration::from_secs(20_785 * 86_400);
        assert_eq!(rfc3339(t), "2026-11-28T00:00:00.000Z");
    }
}
