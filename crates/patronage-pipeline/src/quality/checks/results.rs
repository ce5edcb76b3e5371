//! Check results: one row of `check_results` per check (pass, fail or skipped,
//! how many rows fail, a bounded sample of them), the terminal summary, and the
//! results read back from a `check_results.parquet` a previous run wrote. A
//! result read back equals the one that was written.

use patronage_tables::contracts;
use polars::prelude::*;

use super::Severity;

/// Whether a check passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// No failing row.
    Pass,
    /// At least one failing row (or a row count out of bounds).
    Fail,
    /// The table was not built by this run.
    Skipped,
}

impl Status {
    /// `pass`, `fail` or `skipped`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Skipped => "skipped",
        }
    }
}

/// One row of `check_results`.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckResult {
    /// Check name.
    pub check: String,
    /// Kind name (`unique`, ..., `conservation`).
    pub kind: &'static str,
    /// Table checked.
    pub table: &'static str,
    /// What a failure counts as.
    pub severity: Severity,
    /// Outcome.
    pub status: Status,
    /// Rows that fail.
    pub failing_rows: u64,
    /// What was tested, and what was found.
    pub detail: String,
    /// Up to five (`render::SAMPLE_ROWS`) failing rows as `column=value` text, one per line.
    pub sample: String,
}

impl CheckResult {
    /// Whether the run must exit with code 1.
    pub fn is_blocking(&self) -> bool {
        self.severity == Severity::Error && self.status == Status::Fail
    }
}

impl std::fmt::Display for CheckResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} {} ({}): {}",
            self.status.as_str().to_uppercase(),
            self.severity.as_str(),
            self.check,
            self.table,
            self.detail
        )?;
        for line in self.sample.lines() {
            write!(f, "\n    {}", bound_text_chars(line, 200))?;
        }
        Ok(())
    }
}

fn bound_text_chars(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        None => s.to_string(),
        Some((i, _)) => format!("{}…", &s[..i]),
    }
}

/// The checks for a terminal: one line of counts, then every check that did not
/// pass with its sample.
pub fn check_summary(results: &[CheckResult]) -> Vec<String> {
    let count = |f: &dyn Fn(&CheckResult) -> bool| results.iter().filter(|c| f(c)).count();
    let mut lines = vec![format!(
        "checks: {} run, {} pass, {} fail ({} error, {} warn), {} skipped",
        results.len(),
        count(&|c| c.status == Status::Pass),
        count(&|c| c.status == Status::Fail),
        count(&|c| c.is_blocking()),
        count(&|c| c.status == Status::Fail && c.severity == Severity::Warn),
        count(&|c| c.status == Status::Skipped),
    )];
    lines.extend(
        results
            .iter()
            .filter(|c| c.status != Status::Pass)
            .map(ToString::to_string),
    );
    lines
}

/// The `check_results` frame, in check name order.
pub(crate) fn results_frame(results: &[CheckResult]) -> PolarsResult<DataFrame> {
    patronage_core::frame!(
        results,
        [
            column!("check", |r| r.check.clone()),
            column!("kind", |r| r.kind),
            column!("table", |r| r.table),
            column!("severity", |r| r.severity.as_str()),
            column!("status", |r| r.status.as_str()),
            column!("failing_rows", |r| r.failing_rows as i64),
            column!("detail", |r| r.detail.clone()),
            column!("sample", |r| r.sample.clone()),
        ]
    )
}

/// The results recorded in `<dir>/check_results.parquet`, read back when the
/// aggregate stage is skipped: the same tables and the same checks give the same
/// results, so a warm run exits as the run that wrote them did. `None` when the
/// file is missing or does not read back as check results.
pub(crate) fn results_from_disk(dir: &std::path::Path) -> Option<Vec<CheckResult>> {
    let path = dir.join(format!("{}.parquet", contracts::CHECK_RESULTS.name));
    let df = ParquetReader::new(std::fs::File::open(path).ok()?)
        .finish()
        .ok()?;
    let text = |name: &str| df.column(name).ok()?.str().ok().cloned();
    let (check, kind, table, severity, status, detail, sample) = (
        text("check")?,
        text("kind")?,
        text("table")?,
        text("severity")?,
        text("status")?,
        text("detail")?,
        text("sample")?,
    );
    let failing = df.column("failing_rows").ok()?.i64().ok()?.clone();
    (0..df.height())
        .map(|i| {
            let kind = kind.get(i)?;
            let table = table.get(i)?;
            Some(CheckResult {
                check: check.get(i)?.to_string(),
                kind: super::kind_name(kind)?,
                table: contracts::ALL_TABLES
                    .iter()
                    .chain(contracts::MIRROR_ALL_TABLES)
                    .find(|t| t.name == table)?
                    .name,
                severity: match severity.get(i)? {
                    "error" => Severity::Error,
                    "warn" => Severity::Warn,
                    _ => return None,
                },
                status: match status.get(i)? {
                    "pass" => Status::Pass,
                    "fail" => Status::Fail,
                    "skipped" => Status::Skipped,
                    _ => return None,
                },
                failing_rows: u64::try_from(failing.get(i)?).ok()?,
                detail: detail.get(i)?.to_string(),
                sample: sample.get(i)?.to_string(),
            })
        })
        .collect()
}
