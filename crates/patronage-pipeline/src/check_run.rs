//! Evaluating checks on the built tables: each check becomes one row of
//! `check_results` (pass or fail, how many rows fail, a bounded sample of them).
//! A row accounting check per source is always added. Samples are in table key
//! order, so results do not depend on thread count.

use std::collections::BTreeMap;

use patronage_core::{bound_text, CountryRegistry};
use patronage_tables::contracts::{self, TableSpec};
use polars::prelude::*;

use crate::checks::{CheckSpec, Kind, Severity, CONSERVATION_PREFIX};
use crate::config::Pipeline;
use crate::domain::outcome::table_error;
use crate::domain::SourceAccount;
use crate::PipelineError;

/// Failing rows shown in `check_results.sample` and on the terminal.
pub const SAMPLE_ROWS: usize = 5;

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
    /// Up to [`SAMPLE_ROWS`] failing rows as `column=value` text, one per line.
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

/// Evaluate the pipeline's checks and the per-source row accounting checks,
/// sorted by check name.
pub(crate) fn evaluate(
    p: &Pipeline,
    frames: &[(&'static TableSpec, DataFrame)],
    accounts: &[SourceAccount],
) -> Result<Vec<CheckResult>, PipelineError> {
    let frame = |name: &str| {
        frames
            .iter()
            .find(|(t, _)| t.name == name)
            .map(|(_, df)| df)
    };
    let mut out = Vec::new();
    for c in &p.checks {
        let result = match frame(c.table.name) {
            Some(df) => evaluate_one(c, df).map_err(table_error(&contracts::CHECK_RESULTS))?,
            None => CheckResult {
                check: c.name.clone(),
                kind: c.kind.as_str(),
                table: c.table.name,
                severity: c.severity,
                status: Status::Skipped,
                failing_rows: 0,
                detail: "the table is not built by this run".to_string(),
                sample: String::new(),
            },
        };
        out.push(result);
    }
    for (source, account) in p.sources.iter().zip(accounts) {
        let canonical = source.format.domain.canonical_table();
        let kept = frame(canonical.name)
            .map(|df| count_records(df, &source.id, record_columns(canonical)))
            .transpose()
            .map_err(table_error(&contracts::CHECK_RESULTS))?;
        let rejected = frame(contracts::REJECTS.name)
            .map(|df| count_records(df, &source.id, &[]))
            .transpose()
            .map_err(table_error(&contracts::CHECK_RESULTS))?;
        out.push(conservation(&source.id, canonical, account, kept, rejected));
    }
    out.sort_by(|a, b| a.check.cmp(&b.check));
    Ok(out)
}

/// The columns that name one source record in a canonical table. A record may
/// become several rows (an OCHA FTS flow split by usage year, an OECD CRS line
/// with a commitment and a disbursement), and the row accounting counts records.
fn record_columns(table: &TableSpec) -> &'static [&'static str] {
    match table.name {
        "aid_events" | "labor_stock" => &["source_file", "source_ref"],
        _ => &["source_file", "source_line"],
    }
}

/// Records of `df` whose `source_id` is `id`: distinct values of `key`, or rows
/// when `key` is empty; None when the table has no `source_id` column.
fn count_records(df: &DataFrame, id: &str, key: &[&str]) -> PolarsResult<Option<u64>> {
    if df.column("source_id").is_err() {
        return Ok(None);
    }
    let rows = df
        .clone()
        .lazy()
        .filter(col("source_id").eq(lit(id)))
        .collect()?;
    if key.is_empty() {
        return Ok(Some(rows.height() as u64));
    }
    let columns = key
        .iter()
        .map(|c| rows.column(c)?.cast(&DataType::String))
        .collect::<PolarsResult<Vec<_>>>()?;
    let mut seen = std::collections::BTreeSet::new();
    for i in 0..rows.height() {
        let record: Vec<Option<String>> = columns
            .iter()
            .map(|c| c.str().map(|s| s.get(i).map(str::to_string)))
            .collect::<PolarsResult<_>>()?;
        seen.insert(record);
    }
    Ok(Some(seen.len() as u64))
}

/// read = kept + dropped + rejected from the run's accounting, and the kept and
/// rejected counts equal to the rows the tables hold for the source.
fn conservation(
    id: &str,
    canonical: &'static TableSpec,
    account: &SourceAccount,
    kept_rows: Option<Option<u64>>,
    rejected_rows: Option<Option<u64>>,
) -> CheckResult {
    let r = &account.rows;
    let mut detail = format!(
        "read {} = kept {} + dropped {} + rejected {}",
        r.read,
        r.kept,
        r.dropped_total(),
        r.rejected
    );
    let mut ok = r.balances();
    let mut failing = 0u64;
    for (what, table, counted, expected) in [
        ("kept", canonical.name, kept_rows, r.kept),
        (
            "rejected",
            contracts::REJECTS.name,
            rejected_rows,
            r.rejected,
        ),
    ] {
        if let Some(Some(n)) = counted {
            detail.push_str(&format!("; {table} holds {n} records of the source"));
            if n != expected {
                ok = false;
                failing += n.abs_diff(expected);
                detail.push_str(&format!(" (accounting says {what} {expected})"));
            }
        }
    }
    if !r.balances() {
        failing += r.read.abs_diff(r.kept + r.dropped_total() + r.rejected);
    }
    CheckResult {
        check: format!("{CONSERVATION_PREFIX}{id}"),
        kind: "conservation",
        table: canonical.name,
        severity: Severity::Error,
        status: if ok { Status::Pass } else { Status::Fail },
        failing_rows: failing,
        detail,
        sample: String::new(),
    }
}

fn describe_filter(c: &CheckSpec) -> String {
    if c.filter.is_empty() {
        return String::new();
    }
    format!(" where {}", crate::filter::describe(&c.filter))
}

fn fmt_bound(min: Option<f64>, max: Option<f64>) -> String {
    match (min, max) {
        (Some(a), Some(b)) => format!("between {a} and {b}"),
        (Some(a), None) => format!(">= {a}"),
        (None, Some(b)) => format!("<= {b}"),
        (None, None) => "any".to_string(),
    }
}

/// Whether `v` lies outside `min..=max`, allowing for float rounding in sums.
fn outside(v: f64, min: Option<f64>, max: Option<f64>) -> bool {
    let eps = |b: f64| 1e-9 * b.abs().max(1.0);
    v.is_nan() || min.is_some_and(|m| v < m - eps(m)) || max.is_some_and(|m| v > m + eps(m))
}

fn evaluate_one(c: &CheckSpec, df: &DataFrame) -> PolarsResult<CheckResult> {
    let lf = crate::filter::apply(df.clone().lazy(), &c.filter);
    let key: Vec<&str> = c.table.key.to_vec();
    let filter = describe_filter(c);
    let (failing, detail, sample, fail_anyway) = match &c.kind {
        Kind::Unique { columns } => {
            let dup = lf
                .group_by(columns.iter().map(|s| col(s.as_str())).collect::<Vec<_>>())
                .agg([len().alias("__rows")])
                .filter(col("__rows").gt(lit(1)))
                .sort(columns.clone(), SortMultipleOptions::default())
                .collect()?;
            let rows = sum_u64(&dup, "__rows")?;
            let sample = render_rows(&dup, columns, Some("__rows"))?;
            let detail = format!(
                "({}) unique{filter}: {} duplicated value(s), {rows} rows",
                columns.join(", "),
                dup.height()
            );
            (rows, detail, sample, false)
        }
        Kind::NotNull { columns } => {
            let any_null = columns
                .iter()
                .map(|s| col(s.as_str()).is_null())
                .reduce(Expr::or)
                .unwrap_or(lit(false));
            let bad = lf.filter(any_null).collect()?;
            let detail = format!("{} not null{filter}", columns.join(", "));
            (bad.height() as u64, detail, sample_rows(&bad, &key)?, false)
        }
        Kind::AcceptedValues { column, values } => {
            let bad = lf
                .filter(
                    col(column.as_str())
                        .is_not_null()
                        .and(crate::filter::one_of(column, values).not()),
                )
                .collect()?;
            let v: Vec<String> = values.iter().map(ToString::to_string).collect();
            let detail = format!("{column} in [{}]{filter}", v.join(", "));
            (bad.height() as u64, detail, sample_rows(&bad, &key)?, false)
        }
        Kind::Range { column, min, max } => {
            let x = || col(column.as_str()).cast(DataType::Float64);
            let mut out_of = lit(false);
            if let Some(m) = min {
                out_of = out_of.or(x().lt(lit(*m)));
            }
            if let Some(m) = max {
                out_of = out_of.or(x().gt(lit(*m)));
            }
            let bad = lf.filter(out_of).collect()?;
            let detail = format!("{column} {}{filter}", fmt_bound(*min, *max));
            (bad.height() as u64, detail, sample_rows(&bad, &key)?, false)
        }
        Kind::Relationships {
            column,
            year_column,
        } => relationships(lf, column, year_column.as_deref(), &filter)?,
        Kind::RowCountMin { min } => {
            let n = lf.collect()?.height() as u64;
            let detail = format!("at least {min} rows{filter}: {n}");
            (0, detail, String::new(), n < *min)
        }
        Kind::RowCountMax { max } => {
            let rows = lf.collect()?;
            let n = rows.height() as u64;
            let detail = format!("at most {max} rows{filter}: {n}");
            let failing = if n > *max { n } else { 0 };
            (failing, detail, sample_rows(&rows, &key)?, false)
        }
        Kind::GroupSum {
            group_by,
            column,
            denominators,
            min,
            max,
        } => group_sum(
            lf,
            group_by,
            column,
            denominators.as_ref(),
            *min,
            *max,
            &filter,
        )?,
        Kind::SourceAgreement {
            group_by,
            column,
            source_column,
            tolerance_pct,
        } => source_agreement(lf, group_by, column, source_column, *tolerance_pct, &filter)?,
    };
    let status = if failing > 0 || fail_anyway {
        Status::Fail
    } else {
        Status::Pass
    };
    Ok(CheckResult {
        check: c.name.clone(),
        kind: c.kind.as_str(),
        table: c.table.name,
        severity: c.severity,
        status,
        failing_rows: failing,
        detail,
        sample: if status == Status::Fail {
            sample
        } else {
            String::new()
        },
    })
}

type Outcome = (u64, String, String, bool);

fn relationships(
    lf: LazyFrame,
    column: &str,
    year_column: Option<&str>,
    filter: &str,
) -> PolarsResult<Outcome> {
    let mut by: Vec<Expr> = vec![col(column)];
    let mut names = vec![column.to_string()];
    if let Some(y) = year_column {
        by.push(col(y).cast(DataType::Int64));
        names.push(y.to_string());
    }
    let pairs = lf
        .filter(col(column).is_not_null())
        .group_by(by)
        .agg([len().alias("__rows")])
        .sort(names.clone(), SortMultipleOptions::default())
        .collect()?;
    let registry = CountryRegistry::comtrade();
    let codes = pairs.column(column)?.str()?.clone();
    let years = match year_column {
        Some(y) => Some(pairs.column(y)?.i64()?.clone()),
        None => None,
    };
    let rows = pairs.column("__rows")?.cast(&DataType::UInt64)?;
    let rows = rows.u64()?;
    let (mut failing, mut groups, mut sample) = (0u64, 0usize, Vec::new());
    for i in 0..pairs.height() {
        let code = codes.get(i).unwrap_or_default();
        let year = years.as_ref().and_then(|y| y.get(i));
        let ok = match year {
            Some(y) => i32::try_from(y).is_ok_and(|y| registry.iso3_valid_in(code, y)),
            // No year to check it against: the code must be known.
            None => registry.knows_iso3(code),
        };
        if !ok {
            let n = rows.get(i).unwrap_or(0);
            failing += n;
            groups += 1;
            if sample.len() < SAMPLE_ROWS {
                let why = if registry.knows_iso3(code) {
                    "not valid in that year"
                } else {
                    "unknown to the country registry"
                };
                sample.push(match (year_column, year) {
                    (Some(yc), Some(y)) => format!("{column}={code}, {yc}={y}: {why} ({n} rows)"),
                    _ => format!("{column}={code}: {why} ({n} rows)"),
                });
            }
        }
    }
    let detail = match year_column {
        Some(y) => format!(
            "{column} known to the country registry and valid in {y}{filter}: {groups} code/year pair(s) fail"
        ),
        None => format!("{column} known to the country registry{filter}: {groups} code(s) fail"),
    };
    Ok((failing, detail, sample.join("\n"), false))
}

fn group_sum(
    lf: LazyFrame,
    group_by: &[String],
    column: &str,
    denominators: Option<&BTreeMap<String, f64>>,
    min: Option<f64>,
    max: Option<f64>,
    filter: &str,
) -> PolarsResult<Outcome> {
    let sums = lf
        .group_by(group_by.iter().map(|s| col(s.as_str())).collect::<Vec<_>>())
        .agg([
            col(column).cast(DataType::Float64).sum().alias("__sum"),
            len().alias("__rows"),
        ])
        .sort(group_by.to_vec(), SortMultipleOptions::default())
        .collect()?;
    let sum = sums.column("__sum")?.f64()?.clone();
    let rows = sums.column("__rows")?.cast(&DataType::UInt64)?;
    let rows = rows.u64()?;
    let (mut failing, mut groups, mut checked, mut sample) = (0u64, 0usize, 0usize, Vec::new());
    for i in 0..sums.height() {
        let key = render_key(&sums, group_by, i)?;
        let s = sum.get(i).unwrap_or(0.0);
        let (value, shown) = match denominators {
            None => (s, format!("sum({column}) = {}", fmt_num(s))),
            Some(d) => {
                let k = plain_value(&sums.column(&group_by[0])?.get(i)?);
                let Some(den) = d.get(&k) else { continue };
                let v = s / den;
                (
                    v,
                    format!(
                        "sum({column}) = {} over declared {} = {:.4}",
                        fmt_num(s),
                        fmt_num(*den),
                        v
                    ),
                )
            }
        };
        checked += 1;
        if outside(value, min, max) {
            let n = rows.get(i).unwrap_or(0);
            failing += n;
            groups += 1;
            if sample.len() < SAMPLE_ROWS {
                sample.push(format!("{key}: {shown} ({n} rows)"));
            }
        }
    }
    let of = if denominators.is_some() {
        format!("sum({column}) / declared denominator")
    } else {
        format!("sum({column})")
    };
    let detail = format!(
        "{of} per {} {}{filter}: {groups} of {checked} group(s) fail",
        group_by.join(", "),
        fmt_bound(min, max)
    );
    Ok((failing, detail, sample.join("\n"), false))
}

fn source_agreement(
    lf: LazyFrame,
    group_by: &[String],
    column: &str,
    source_column: &str,
    tolerance_pct: f64,
    filter: &str,
) -> PolarsResult<Outcome> {
    let mut by: Vec<String> = group_by.to_vec();
    by.push(source_column.to_string());
    let per_source = lf
        .filter(col(column).is_not_null())
        .group_by(by.iter().map(|s| col(s.as_str())).collect::<Vec<_>>())
        .agg([
            col(column).cast(DataType::Float64).sum().alias("__value"),
            len().alias("__rows"),
        ])
        .sort(by.clone(), SortMultipleOptions::default())
        .collect()?;
    let value = per_source.column("__value")?.f64()?.clone();
    let rows = per_source.column("__rows")?.cast(&DataType::UInt64)?;
    let rows = rows.u64()?;
    let sources = per_source.column(source_column)?;
    // Consecutive rows with the same key are the sources of one figure.
    // (key, [(source, value, rows)]).
    type Figure = (String, Vec<(String, f64, u64)>);
    let mut figures: Vec<Figure> = Vec::new();
    for i in 0..per_source.height() {
        let key = render_key(&per_source, group_by, i)?;
        let entry = (
            plain_value(&sources.get(i)?),
            value.get(i).unwrap_or(0.0),
            rows.get(i).unwrap_or(0),
        );
        match figures.last_mut() {
            Some((k, v)) if *k == key => v.push(entry),
            _ => figures.push((key, vec![entry])),
        }
    }
    let (mut failing, mut compared, mut apart, mut sample) = (0u64, 0usize, 0usize, Vec::new());
    for (key, v) in figures.iter().filter(|(_, v)| v.len() > 1) {
        compared += 1;
        let hi = v.iter().map(|e| e.1).fold(f64::MIN, f64::max);
        let lo = v.iter().map(|e| e.1).fold(f64::MAX, f64::min);
        let pct = if hi > 0.0 {
            100.0 * (hi - lo) / hi
        } else {
            0.0
        };
        if pct > tolerance_pct {
            apart += 1;
            failing += v.iter().map(|e| e.2).sum::<u64>();
            if sample.len() < SAMPLE_ROWS {
                let each: Vec<String> = v
                    .iter()
                    .map(|(s, x, _)| format!("{s} {}", fmt_num(*x)))
                    .collect();
                sample.push(format!("{key}: {} ({pct:.1}% apart)", each.join(" vs ")));
            }
        }
    }
    let detail = format!(
        "{column} of the same {} from different {source_column} within {tolerance_pct}% of the larger{filter}: {apart} of {compared} figure(s) reported twice differ more",
        group_by.join(", ")
    );
    Ok((failing, detail, sample.join("\n"), false))
}

/// A number as text: integers without a fraction, others with up to 6 decimals.
fn fmt_num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        let s = format!("{x:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// A cell as plain text (strings without quotes, null as `null`).
fn plain_value(v: &AnyValue<'_>) -> String {
    match v {
        AnyValue::Null => "null".to_string(),
        AnyValue::String(s) => (*s).to_string(),
        AnyValue::StringOwned(s) => s.to_string(),
        AnyValue::Float64(x) => fmt_num(*x),
        AnyValue::Float32(x) => fmt_num(f64::from(*x)),
        other => other.to_string(),
    }
}

/// `col=value, ...` for the columns `names` of row `i`.
fn render_key(df: &DataFrame, names: &[String], i: usize) -> PolarsResult<String> {
    let mut parts = Vec::with_capacity(names.len());
    for n in names {
        parts.push(format!("{n}={}", plain_value(&df.column(n)?.get(i)?)));
    }
    Ok(parts.join(", "))
}

fn sum_u64(df: &DataFrame, column: &str) -> PolarsResult<u64> {
    let c = df.column(column)?.cast(&DataType::UInt64)?;
    Ok(c.u64()?.iter().flatten().sum())
}

/// Up to [`SAMPLE_ROWS`] rows of `df` (in key order), every column, one per line.
fn sample_rows(df: &DataFrame, key: &[&str]) -> PolarsResult<String> {
    if df.height() == 0 {
        return Ok(String::new());
    }
    let sorted = if key.iter().all(|k| df.column(k).is_ok()) {
        df.sort(
            key.iter().map(|k| PlSmallStr::from(*k)).collect::<Vec<_>>(),
            SortMultipleOptions::default(),
        )?
    } else {
        df.clone()
    };
    let names: Vec<String> = sorted
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    render_rows(&sorted.head(Some(SAMPLE_ROWS)), &names, None)
}

/// Rows as `col=value, ...` lines, each bounded; `count` names a column shown as
/// `(n rows)`.
fn render_rows(df: &DataFrame, names: &[String], count: Option<&str>) -> PolarsResult<String> {
    let mut lines = Vec::new();
    for i in 0..df.height().min(SAMPLE_ROWS) {
        let mut line = render_key(df, names, i)?;
        if let Some(c) = count {
            line.push_str(&format!(" ({} rows)", plain_value(&df.column(c)?.get(i)?)));
        }
        lines.push(bound_text(&line));
    }
    Ok(lines.join("\n"))
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
                kind: Kind::NAMES
                    .iter()
                    .chain(&["conservation"])
                    .find(|k| **k == kind)?,
                table: contracts::ALL_TABLES.iter().find(|t| t.name == table)?.name,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Literal;

    /// Five trade_flows-like rows (columns a check needs only): line 4 repeats
    /// line 3's key, line 5 is a USSR row dated 1995 with a negative value and an
    /// unknown flow, line 6 has no value.
    fn frame() -> DataFrame {
        DataFrame::new_infer_height(vec![
            Series::new("source_id".into(), ["a", "a", "a", "a", "b"]).into_column(),
            Series::new("source_file".into(), ["f", "f", "f", "f", "g"]).into_column(),
            Series::new("source_line".into(), [2i64, 3, 3, 5, 6]).into_column(),
            Series::new("year".into(), [1991i32, 1992, 1992, 1995, 1995]).into_column(),
            Series::new("partner_iso3".into(), ["SUN", "RUS", "RUS", "SUN", "RUS"]).into_column(),
            Series::new(
                "flow".into(),
                ["import", "export", "export", "barter", "import"],
            )
            .into_column(),
            Series::new(
                "value_usd".into(),
                [Some(10.0), Some(20.0), Some(22.0), Some(-1.0), None],
            )
            .into_column(),
        ])
        .unwrap()
    }

    fn check(kind: Kind, filter: Vec<(String, Vec<Literal>)>) -> CheckResult {
        let spec = CheckSpec {
            name: "c".to_string(),
            table: &contracts::TRADE_FLOWS,
            severity: Severity::Error,
            filter,
            kind,
        };
        evaluate_one(&spec, &frame()).unwrap()
    }

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn unique_counts_the_rows_of_duplicated_keys() {
        let r = check(
            Kind::Unique {
                columns: s(&["source_id", "source_file", "source_line"]),
            },
            vec![],
        );
        assert_eq!((r.status, r.failing_rows), (Status::Fail, 2));
        assert_eq!(
            r.sample,
            "source_id=a, source_file=f, source_line=3 (2 rows)"
        );
        assert!(r.is_blocking());
    }

    #[test]
    fn not_null_accepted_values_and_range_find_their_rows() {
        let r = check(
            Kind::NotNull {
                columns: s(&["value_usd"]),
            },
            vec![],
        );
        assert_eq!(r.failing_rows, 1);
        assert!(r
            .sample
            .starts_with("source_id=b, source_file=g, source_line=6,"));
        let r = check(
            Kind::AcceptedValues {
                column: "flow".into(),
                values: vec![Literal::Str("import".into()), Literal::Str("export".into())],
            },
            vec![],
        );
        assert_eq!(r.failing_rows, 1);
        assert!(r.sample.contains("flow=barter"), "{}", r.sample);
        // Nulls pass a range; -1 fails min 0.
        let r = check(
            Kind::Range {
                column: "value_usd".into(),
                min: Some(0.0),
                max: None,
            },
            vec![],
        );
        assert_eq!(r.failing_rows, 1);
        assert!(r.sample.contains("value_usd=-1"), "{}", r.sample);
        // SUN only through 1991: the 1995 row fails.
        let r = check(
            Kind::Range {
                column: "year".into(),
                min: None,
                max: Some(1991.0),
            },
            vec![("partner_iso3".into(), vec![Literal::Str("SUN".into())])],
        );
        assert_eq!(r.failing_rows, 1);
        assert_eq!(r.detail, "year <= 1991 where partner_iso3 in [\"SUN\"]");
        assert!(r.sample.contains("source_line=5"), "{}", r.sample);
    }

    #[test]
    fn relationships_use_the_registry_years() {
        let r = check(
            Kind::Relationships {
                column: "partner_iso3".into(),
                year_column: Some("year".into()),
            },
            vec![],
        );
        assert_eq!(r.failing_rows, 1);
        assert_eq!(
            r.sample,
            "partner_iso3=SUN, year=1995: not valid in that year (1 rows)"
        );
        let r = check(
            Kind::Relationships {
                column: "partner_iso3".into(),
                year_column: None,
            },
            vec![],
        );
        assert_eq!(r.status, Status::Pass);
    }

    #[test]
    fn row_counts_and_group_sums() {
        let r = check(Kind::RowCountMin { min: 6 }, vec![]);
        assert_eq!((r.status, r.failing_rows), (Status::Fail, 0));
        assert_eq!(
            check(Kind::RowCountMin { min: 5 }, vec![]).status,
            Status::Pass
        );
        let r = check(
            Kind::RowCountMax { max: 0 },
            vec![("flow".into(), vec![Literal::Str("barter".into())])],
        );
        assert_eq!(r.failing_rows, 1);
        // Sums per year: 1991 = 10, 1992 = 42, 1995 = -1 (the null is not summed).
        let r = check(
            Kind::GroupSum {
                group_by: s(&["year"]),
                column: "value_usd".into(),
                denominators: None,
                min: None,
                max: Some(40.0),
            },
            vec![],
        );
        assert_eq!(r.failing_rows, 2);
        assert_eq!(r.sample, "year=1992: sum(value_usd) = 42 (2 rows)");
        // Against declared denominators: 42 / 28 = 1.5; 1991 has none, not checked.
        let r = check(
            Kind::GroupSum {
                group_by: s(&["year"]),
                column: "value_usd".into(),
                denominators: Some(BTreeMap::from([
                    ("1992".to_string(), 28.0),
                    ("1995".to_string(), 100.0),
                ])),
                min: Some(0.0),
                max: Some(1.0),
            },
            vec![],
        );
        assert_eq!(
            r.sample,
            "year=1992: sum(value_usd) = 42 over declared 28 = 1.5000 (2 rows)\nyear=1995: sum(value_usd) = -1 over declared 100 = -0.0100 (2 rows)"
        );
        assert!(r.detail.ends_with("2 of 2 group(s) fail"), "{}", r.detail);
    }

    #[test]
    fn source_agreement_compares_sources_of_one_figure() {
        // 1995 import: only source b (null value) -> not compared. 1992 export:
        // source a twice (summed, 42) and no other source -> not compared.
        let r = check(
            Kind::SourceAgreement {
                group_by: s(&["year", "flow"]),
                column: "value_usd".into(),
                source_column: "source_id".into(),
                tolerance_pct: 5.0,
            },
            vec![],
        );
        assert_eq!(r.status, Status::Pass);
        assert!(r
            .detail
            .ends_with("0 of 0 figure(s) reported twice differ more"));
        // Any numeric column compares: years per partner. RUS has source a
        // (1992 twice) and source b (1995); SUN has source a only.
        let r = check(
            Kind::SourceAgreement {
                group_by: s(&["partner_iso3"]),
                column: "year".into(),
                source_column: "source_id".into(),
                tolerance_pct: 0.0,
            },
            vec![],
        );
        // RUS years: a 1992 + 1992 = 3984, b 1995: 100 * (3984 - 1995) / 3984 = 49.9%.
        assert_eq!(r.failing_rows, 3);
        assert_eq!(r.sample, "partner_iso3=RUS: a 3984 vs b 1995 (49.9% apart)");
    }
}
