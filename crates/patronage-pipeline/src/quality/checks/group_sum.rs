//! `group_sum`: the sum of a numeric `column` per group of `group_by` (after
//! `where`), divided by the group's declared denominator when `denominators` are
//! given, lies within `min..=max`, allowing for float rounding. Every row of a
//! failing group fails; groups without a declared denominator are not checked.
//!
//! ```toml
//! kind = "group_sum"
//! group_by = ["year"]
//! column = "total_usd"
//! denominators = { 2011 = 6.3e9, 2012 = 6.8e9 }   # by the one grouping column
//! max = 1
//! ```

use std::collections::BTreeMap;

use polars::prelude::*;

use super::kind::{CheckKind, Context, Entry, Outcome};
use super::render::{fmt_bound, fmt_num, plain_value, render_key, SAMPLE_ROWS};
use crate::config::Number;
use crate::PipelineError;

/// The sum of `column` per group of `group_by`, divided by the group's declared
/// denominator when `denominators` is given, lies within `min..=max`.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupSum {
    /// Grouping columns.
    pub group_by: Vec<String>,
    /// The column summed.
    pub column: String,
    /// Declared denominators by the value of the one grouping column; groups
    /// without one are not checked.
    pub denominators: Option<BTreeMap<String, f64>>,
    /// Inclusive lower bound.
    pub min: Option<Number>,
    /// Inclusive upper bound.
    pub max: Option<Number>,
}

impl CheckKind for GroupSum {
    const NAME: &'static str = "group_sum";
    const KEYS: &'static [&'static str] = &["group_by", "column", "denominators", "min", "max"];

    fn parse(entry: &Entry<'_>) -> Result<Self, PipelineError> {
        let r = entry.raw;
        let g = r.group_by.as_ref().ok_or_else(|| entry.need("group_by"))?;
        let group_by = entry.columns(g)?;
        let c = entry.column_key()?;
        let (min, max) = entry.bounds()?;
        let denominators = match &r.denominators {
            None => None,
            Some(d) => {
                if group_by.len() != 1 {
                    return Err(entry.error(
                        d.span(),
                        format!(
                            "`denominators` are keyed by one grouping column; `group_by` has {}",
                            group_by.len()
                        ),
                    ));
                }
                if let Some((k, v)) = d
                    .get_ref()
                    .iter()
                    .find(|(_, v)| !v.is_finite() || **v <= 0.0)
                {
                    return Err(entry.error(
                        d.span(),
                        format!("denominator for `{k}` is {v}; it must be above 0"),
                    ));
                }
                Some(d.get_ref().clone())
            }
        };
        Ok(GroupSum {
            group_by,
            column: entry.numeric(c.get_ref(), c.span())?,
            denominators,
            min,
            max,
        })
    }

    fn evaluate(&self, rows: LazyFrame, cx: &Context<'_>) -> PolarsResult<Outcome> {
        evaluate_group_sum(
            rows,
            &self.group_by,
            &self.column,
            self.denominators.as_ref(),
            self.min,
            self.max,
            cx.filter,
        )
    }
}

/// Whether `v` lies outside `min..=max`, allowing for float rounding in sums.
fn outside(v: f64, min: Option<f64>, max: Option<f64>) -> bool {
    let eps = |b: f64| 1e-9 * b.abs().max(1.0);
    v.is_nan() || min.is_some_and(|m| v < m - eps(m)) || max.is_some_and(|m| v > m + eps(m))
}

fn evaluate_group_sum(
    lf: LazyFrame,
    group_by: &[String],
    column: &str,
    denominators: Option<&BTreeMap<String, f64>>,
    min: Option<Number>,
    max: Option<Number>,
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
        if outside(value, min.map(Number::as_f64), max.map(Number::as_f64)) {
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
    Ok(Outcome::rows(failing, detail, sample.join("\n")))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::quality::checks::testing::{check, s};
    use crate::quality::checks::Kind;

    #[test]
    fn group_sums() {
        // Sums per year: 1991 = 10, 1992 = 42, 1995 = -1 (the null is not summed).
        let r = check(
            Kind::GroupSum(GroupSum {
                group_by: s(&["year"]),
                column: "value_usd".into(),
                denominators: None,
                min: None,
                max: Some(Number::Int(40)),
            }),
            vec![],
        );
        assert_eq!(r.failing_rows, 2);
        assert_eq!(r.sample, "year=1992: sum(value_usd) = 42 (2 rows)");
        // Against declared denominators: 42 / 28 = 1.5; 1991 has none, not checked.
        let r = check(
            Kind::GroupSum(GroupSum {
                group_by: s(&["year"]),
                column: "value_usd".into(),
                denominators: Some(BTreeMap::from([
                    ("1992".to_string(), 28.0),
                    ("1995".to_string(), 100.0),
                ])),
                min: Some(Number::Int(0)),
                max: Some(Number::Float(1.0)),
            }),
            vec![],
        );
        assert_eq!(
            r.sample,
            "year=1992: sum(value_usd) = 42 over declared 28 = 1.5000 (2 rows)\nyear=1995: sum(value_usd) = -1 over declared 100 = -0.0100 (2 rows)"
        );
        assert!(r.detail.ends_with("2 of 2 group(s) fail"), "{}", r.detail);
    }
}
