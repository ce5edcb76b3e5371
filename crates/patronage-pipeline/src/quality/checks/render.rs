//! Failing rows and figures as the text of `check_results.detail` and `.sample`:
//! at most [`SAMPLE_ROWS`] rows, each `column=value, ...` and bounded, rows in
//! table key order, numbers without trailing zeros. The same rows give the same
//! text whatever the thread count.

use patronage_core::bound_text;
use polars::prelude::*;

use crate::config::Number;

/// Failing rows shown in `check_results.sample` and on the terminal.
pub const SAMPLE_ROWS: usize = 5;

/// A number as text: integers without a fraction, others with up to 6 decimals.
pub(super) fn fmt_num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        let s = format!("{x:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// `between a and b`, `>= a`, `<= b` or `any`, each bound as written.
pub(super) fn fmt_bound(min: Option<Number>, max: Option<Number>) -> String {
    match (min, max) {
        (Some(a), Some(b)) => format!("between {a} and {b}"),
        (Some(a), None) => format!(">= {a}"),
        (None, Some(b)) => format!("<= {b}"),
        (None, None) => "any".to_string(),
    }
}

/// A cell as plain text (strings without quotes, null as `null`).
pub(super) fn plain_value(v: &AnyValue<'_>) -> String {
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
pub(super) fn render_key(df: &DataFrame, names: &[String], i: usize) -> PolarsResult<String> {
    let mut parts = Vec::with_capacity(names.len());
    for n in names {
        parts.push(format!("{n}={}", plain_value(&df.column(n)?.get(i)?)));
    }
    Ok(parts.join(", "))
}

/// Up to [`SAMPLE_ROWS`] rows of `df` (in key order), every column, one per line.
pub(super) fn sample_rows(df: &DataFrame, key: &[&str]) -> PolarsResult<String> {
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
pub(super) fn render_rows(
    df: &DataFrame,
    names: &[String],
    count: Option<&str>,
) -> PolarsResult<String> {
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
