//! The table the check kinds' tests run on, and a helper that evaluates one
//! check on it. Test code only.

#![cfg(test)]

use patronage_tables::contracts;
use polars::prelude::*;

use super::{evaluate_one, CheckResult, CheckSpec, Kind, Severity};
use crate::quality::filter::Filter;

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

/// Evaluate an error-severity check of `kind` on [`frame`], as a `trade_flows`
/// check with `filter`.
pub(super) fn check(kind: Kind, filter: Filter) -> CheckResult {
    let spec = CheckSpec {
        name: "c".to_string(),
        table: &contracts::TRADE_FLOWS,
        severity: Severity::Error,
        filter,
        kind,
    };
    evaluate_one(&spec, &frame()).unwrap()
}

/// Owned strings.
pub(super) fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(ToString::to_string).collect()
}
