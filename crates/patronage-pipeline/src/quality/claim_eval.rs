//! Evaluating the claims ledger on the built tables: each claim becomes one row
//! of `claims` with the figure computed, its deviation from the published one and
//! a verdict. A claim that cannot be computed (no row, several rows for a `value`,
//! a ratio with nothing to divide by) is `not_computable` with the reason; it is
//! never an error of the run. The tables come from the caller, which knows what
//! the run built.

use std::collections::BTreeMap;

use patronage_tables::contracts::{self, TableSpec};
use polars::prelude::*;

use super::claims::{ClaimSpec, Measure};
use super::filter;
use crate::domain::outcome::table_error;
use crate::PipelineError;

/// A claim's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The computed figure bears the claim out within its tolerance.
    Reproduced,
    /// It does not.
    Deviates,
    /// The tables do not give the figure.
    NotComputable,
}

impl Status {
    /// `reproduced`, `deviates` or `not_computable`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Reproduced => "reproduced",
            Status::Deviates => "deviates",
            Status::NotComputable => "not_computable",
        }
    }
}

/// One claim, evaluated.
#[derive(Debug, Clone)]
struct Verdict<'a> {
    spec: &'a ClaimSpec,
    computed: Option<f64>,
    status: Status,
    reason: String,
    rows: usize,
}

/// The values of `column` (as float64) of `df`'s rows, nulls skipped.
fn values(df: &DataFrame, column: &str) -> PolarsResult<Vec<f64>> {
    let c = df.column(column)?.cast(&DataType::Float64)?;
    let c = c.f64()?;
    Ok((0..c.len()).filter_map(|i| c.get(i)).collect())
}

/// Sum of `column` over the rows of `df` matching `part`; `None` when no row
/// matching `part` has a value.
fn part_sum(df: &DataFrame, part: &filter::Filter, column: &str) -> PolarsResult<Option<f64>> {
    let rows = filter::apply(df.clone().lazy(), part).collect()?;
    let v = values(&rows, column)?;
    Ok((!v.is_empty()).then(|| v.iter().sum()))
}

fn ratio(num: Option<f64>, den: Option<f64>) -> Option<f64> {
    match (num, den) {
        (Some(n), Some(d)) if d != 0.0 => Some(n / d),
        _ => None,
    }
}

fn fmt_num(x: f64) -> String {
    if x != 0.0 && x.abs() < 0.01 {
        format!("{x:.6}")
    } else {
        let s = format!("{x:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// The figure and what it was computed from, or why it cannot be.
fn compute(c: &ClaimSpec, rows: &DataFrame) -> PolarsResult<Result<(f64, String), String>> {
    let n = rows.height();
    let column = c.column.as_deref().unwrap_or("");
    Ok(match c.measure {
        Measure::Count => Ok((n as f64, format!("{n} row(s) match"))),
        Measure::Value => match (n, values(rows, column)?.as_slice()) {
            (1, [v]) => Ok((*v, format!("the one matching row's {column}"))),
            (1, _) => Err(format!("the matching row's {column} is null")),
            (n, _) => Err(format!("{n} rows match; measure `value` needs exactly one")),
        },
        Measure::Sum | Measure::Min | Measure::Max => {
            let v = values(rows, column)?;
            if v.is_empty() {
                Err(format!("no {column} value in the {n} matching row(s)"))
            } else {
                let x = match c.measure {
                    Measure::Sum => v.iter().sum(),
                    Measure::Min => v.iter().copied().fold(f64::INFINITY, f64::min),
                    _ => v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                };
                Ok((x, format!("{} of {} value(s)", c.measure.as_str(), v.len())))
            }
        }
        Measure::Ratio => {
            let num = part_sum(rows, &c.numerator, column)?;
            let den = part_sum(rows, &c.denominator, column)?;
            match ratio(num, den) {
                Some(r) => Ok((
                    r,
                    format!(
                        "{} / {}",
                        fmt_num(num.unwrap_or_default()),
                        fmt_num(den.unwrap_or_default())
                    ),
                )),
                None => Err(format!(
                    "numerator sum {}, denominator sum {}: nothing to divide",
                    num.map_or("none".to_string(), fmt_num),
                    den.map_or("none".to_string(), fmt_num)
                )),
            }
        }
        Measure::MaxRatio => {
            let per = c.per.as_deref().unwrap_or("");
            let keys = rows.column(per)?.cast(&DataType::String)?;
            let keys = keys.str()?;
            let keys: Vec<Option<String>> = (0..keys.len())
                .map(|i| keys.get(i).map(str::to_string))
                .collect();
            let distinct: std::collections::BTreeSet<&String> = keys.iter().flatten().collect();
            let mut ratios: BTreeMap<String, f64> = BTreeMap::new();
            for k in distinct {
                let mask: BooleanChunked = keys.iter().map(|x| x.as_ref() == Some(k)).collect();
                let group = rows.filter(&mask)?;
                let num = part_sum(&group, &c.numerator, column)?;
                let den = part_sum(&group, &c.denominator, column)?;
                if let Some(r) = ratio(num, den) {
                    ratios.insert(k.clone(), r);
                }
            }
            match ratios
                .iter()
                .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(a.0)))
            {
                None => Err(format!(
                    "no {per} has both a numerator and a denominator figure"
                )),
                Some((k, r)) => {
                    // Every group compared is listed: the years a claim over a
                    // whole series rests on are part of its verdict.
                    let listed: Vec<String> = ratios
                        .iter()
                        .map(|(k, r)| format!("{k} {}", fmt_num(*r)))
                        .collect();
                    Ok((
                        *r,
                        format!(
                            "{} {per}(s) with both: {}; largest {k}",
                            ratios.len(),
                            listed.join(", ")
                        ),
                    ))
                }
            }
        }
    })
}

/// The rows a measure used: for a ratio, those of the numerator and the
/// denominator (for `max_ratio`, in the groups having both); else every row.
fn rows_used(c: &ClaimSpec, rows: &DataFrame) -> PolarsResult<Vec<DataFrame>> {
    if !matches!(c.measure, Measure::Ratio | Measure::MaxRatio) {
        return Ok(vec![rows.clone()]);
    }
    let column = c.column.as_deref().unwrap_or("");
    let parts = |df: &DataFrame| -> PolarsResult<Vec<DataFrame>> {
        [&c.numerator, &c.denominator]
            .into_iter()
            .map(|f| filter::apply(df.clone().lazy(), f).collect())
            .collect()
    };
    let Some(per) = c.per.as_deref().filter(|_| c.measure == Measure::MaxRatio) else {
        return parts(rows);
    };
    let keys = rows.column(per)?.cast(&DataType::String)?;
    let keys = keys.str()?;
    let keys: Vec<Option<&str>> = (0..keys.len()).map(|i| keys.get(i)).collect();
    let distinct: std::collections::BTreeSet<&str> = keys.iter().flatten().copied().collect();
    let mut used = Vec::new();
    for k in distinct {
        let mask: BooleanChunked = keys.iter().map(|x| *x == Some(k)).collect();
        let group = rows.filter(&mask)?;
        let both = part_sum(&group, &c.numerator, column)?.is_some()
            && part_sum(&group, &c.denominator, column)?.is_some();
        if both {
            used.extend(parts(&group)?);
        }
    }
    Ok(used)
}

/// `; <cite>: a, b` — the distinct values of the claim's `cite` column (comma
/// separated lists split) among the rows used with a value in `column`.
fn citation(c: &ClaimSpec, rows: &DataFrame) -> PolarsResult<String> {
    let Some(cite) = c.cite.as_deref() else {
        return Ok(String::new());
    };
    let mut seen = std::collections::BTreeSet::new();
    for df in rows_used(c, rows)? {
        let names = df.column(cite)?.str()?.clone();
        let has_value: Vec<bool> = match c.column.as_deref() {
            Some(col) => {
                let v = df.column(col)?.cast(&DataType::Float64)?;
                let v = v.f64()?;
                (0..v.len()).map(|i| v.get(i).is_some()).collect()
            }
            None => vec![true; df.height()],
        };
        for (i, keep) in has_value.into_iter().enumerate() {
            if let (true, Some(s)) = (keep, names.get(i)) {
                seen.extend(
                    s.split(',')
                        .map(str::trim)
                        .filter(|x| !x.is_empty())
                        .map(str::to_string),
                );
            }
        }
    }
    let seen: Vec<String> = seen.into_iter().collect();
    Ok(format!(
        "; {cite}: {}",
        if seen.is_empty() {
            "none".to_string()
        } else {
            seen.join(", ")
        }
    ))
}

fn evaluate_one<'a>(c: &'a ClaimSpec, df: &DataFrame) -> PolarsResult<Verdict<'a>> {
    let rows = filter::apply(df.clone().lazy(), &c.filter).collect()?;
    let n = rows.height();
    Ok(match compute(c, &rows)? {
        Ok((x, how)) => Verdict {
            spec: c,
            computed: Some(x),
            status: if c.comparison.holds(x, c.expected, c.tolerance) {
                Status::Reproduced
            } else {
                Status::Deviates
            },
            reason: format!("{how}{}", citation(c, &rows)?),
            rows: n,
        },
        Err(why) => Verdict {
            spec: c,
            computed: None,
            status: Status::NotComputable,
            reason: why,
            rows: n,
        },
    })
}

/// The `claims` frame, in claim id order; `built` gives the table a claim reads
/// (an error when the run has not built it).
pub(crate) fn evaluate<'f>(
    claims: &[ClaimSpec],
    built: impl Fn(&'static TableSpec) -> Result<&'f DataFrame, PipelineError>,
) -> Result<DataFrame, PipelineError> {
    let mut verdicts = Vec::with_capacity(claims.len());
    for c in claims {
        let df = built(c.table)?;
        verdicts.push(evaluate_one(c, df).map_err(table_error(c.table))?);
    }
    verdicts.sort_by(|a, b| a.spec.id.cmp(&b.spec.id));
    let deviation = |v: &Verdict| v.computed.map(|x| x - v.spec.expected);
    patronage_core::frame!(
        verdicts,
        [
            column!("claim_id", |v| v.spec.id.clone()),
            column!("text", |v| v.spec.text.clone()),
            column!("source", |v| v.spec.source.clone()),
            column!("table_name", |v| v.spec.table.name),
            column!("filter", |v| filter::describe(&v.spec.filter)),
            column!("column", |v| v.spec.column.clone().unwrap_or_default()),
            column!("measure", |v| v.spec.measure.as_str()),
            column!("expected", |v| v.spec.expected),
            column!("computed", |v| v.computed),
            column!("unit", |v| v.spec.unit.clone()),
            column!("comparison", |v| v.spec.comparison.as_str()),
            column!("tolerance", |v| v.spec.tolerance),
            column!("deviation", deviation),
            column!("deviation_pct", |v| deviation(v)
                .filter(|_| v.spec.expected != 0.0)
                .map(|d| 100.0 * d / v.spec.expected)),
            column!("status", |v| v.status.as_str()),
            column!("reason", |v| Some(v.reason.clone())),
            column!("rows_matched", |v| v.rows as i32),
        ]
    )
    .map_err(table_error(&contracts::CLAIMS))
}
