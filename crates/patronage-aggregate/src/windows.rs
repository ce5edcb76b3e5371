//! Period windows: trade in a current period against a baseline, as a headline
//! claim states it ("up 73% in January–February against a year earlier").
//!
//! A period is covered by the partner's mirror rows that lie inside it: monthly
//! rows, and rows for exactly a published span (a January–February running total).
//! Rows are taken widest first without overlap, so a span figure is not added to
//! the months inside it; annual rows summed from months are never used (their
//! months are). `complete` is false when any month of either period is missing.

use patronage_core::YearMonth;
use polars::prelude::*;

use crate::{usd, Mills, MirrorRow, MirrorSpec};

/// A window declared in the pipeline file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowSpec {
    /// Window id.
    pub id: String,
    /// Partner ISO3.
    pub partner: String,
    /// Current period, first and last month.
    pub current: (YearMonth, YearMonth),
    /// Baseline period, first and last month.
    pub baseline: (YearMonth, YearMonth),
}

/// Sums over one period, in thousandths of a dollar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeriodSums {
    /// Focus exports, when every row used has them.
    pub exports: Option<Mills>,
    /// Focus imports, when every row used has them.
    pub imports: Option<Mills>,
    /// Months covered by the rows used.
    pub months: u32,
    /// Whether every month of the period is covered.
    pub complete: bool,
    /// Sum of the rows' totals when every row used has one (a published total
    /// where a row has no split).
    pub reported: Option<Mills>,
}

impl PeriodSums {
    /// Exports + imports when both are known, else the rows' totals.
    pub fn total(self) -> Option<Mills> {
        match (self.exports, self.imports) {
            (Some(x), Some(m)) => Some(x + m),
            _ => self.reported,
        }
    }
}

/// One computed window.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowResult {
    /// The window as declared.
    pub spec: WindowSpec,
    /// The current period.
    pub current: PeriodSums,
    /// The baseline period.
    pub baseline: PeriodSums,
}

impl WindowResult {
    /// Percent change of the total, current against baseline.
    pub fn total_change_pct(&self) -> Option<f64> {
        change_pct(self.current.total(), self.baseline.total())
    }
}

/// Compute every window over the mirror rows, in key order (window id, partner).
pub fn compute_windows(rows: &[MirrorRow], windows: &[WindowSpec]) -> Vec<WindowResult> {
    let mut ordered: Vec<&WindowSpec> = windows.iter().collect();
    ordered.sort_by(|a, b| (&a.id, &a.partner).cmp(&(&b.id, &b.partner)));
    ordered
        .into_iter()
        .map(|w| {
            let partner_rows: Vec<&MirrorRow> =
                rows.iter().filter(|r| r.partner == w.partner).collect();
            WindowResult {
                spec: w.clone(),
                current: sums(&partner_rows, w.current),
                baseline: sums(&partner_rows, w.baseline),
            }
        })
        .collect()
}

fn span(r: &MirrorRow) -> (i64, i64) {
    let ym = |m| {
        YearMonth {
            year: r.period.year,
            month: m,
        }
        .ordinal()
    };
    (ym(r.period.first), ym(r.period.last))
}

fn sums(rows: &[&MirrorRow], (from, to): (YearMonth, YearMonth)) -> PeriodSums {
    let (lo, hi) = (from.ordinal(), to.ordinal());
    let mut inside: Vec<&MirrorRow> = rows
        .iter()
        .copied()
        .filter(|r| !r.rolled_up && span(r).0 >= lo && span(r).1 <= hi)
        .collect();
    // Widest first, then earliest: deterministic and never adds a span to its months.
    inside.sort_by_key(|r| (std::cmp::Reverse(r.period.months()), span(r)));
    let mut taken: Vec<&MirrorRow> = Vec::new();
    for r in inside {
        let (a, b) = span(r);
        if taken.iter().all(|t| span(t).1 < a || span(t).0 > b) {
            taken.push(r);
        }
    }
    let all = |f: fn(&MirrorRow) -> Option<Mills>| -> Option<Mills> {
        (!taken.is_empty()).then_some(())?;
        taken.iter().map(|r| f(r)).sum()
    };
    let months: u32 = taken.iter().map(|r| r.period.months()).sum();
    let wanted = u32::try_from(hi - lo + 1).unwrap_or(0);
    PeriodSums {
        exports: all(|r| r.exports),
        imports: all(|r| r.imports),
        months,
        complete: months == wanted,
        reported: all(MirrorRow::total),
    }
}

fn change_pct(current: Option<Mills>, baseline: Option<Mills>) -> Option<f64> {
    match (current, baseline) {
        (Some(c), Some(b)) if b > 0 => Some(100.0 * (c as f64 / b as f64 - 1.0)),
        _ => None,
    }
}

/// The `trade_windows` frame, in the order of `results`.
pub fn trade_windows_frame(results: &[WindowResult], spec: &MirrorSpec) -> PolarsResult<DataFrame> {
    let computed: Vec<(&WindowSpec, PeriodSums, PeriodSums)> = results
        .iter()
        .map(|r| (&r.spec, r.current, r.baseline))
        .collect();
    patronage_core::frame!(
        computed,
        [
            column!("window_id", |(w, _, _)| w.id.clone()),
            column!("focus_iso3", |_| spec.focus.clone()),
            column!("partner_iso3", |(w, _, _)| w.partner.clone()),
            column!("current_from", |(w, _, _)| w.current.0.to_string()),
            column!("current_to", |(w, _, _)| w.current.1.to_string()),
            column!("baseline_from", |(w, _, _)| w.baseline.0.to_string()),
            column!("baseline_to", |(w, _, _)| w.baseline.1.to_string()),
            column!("current_total_usd", |(_, c, _)| c.total().map(usd)),
            column!("baseline_total_usd", |(_, _, b)| b.total().map(usd)),
            column!("total_change_pct", |(_, c, b)| change_pct(
                c.total(),
                b.total()
            )),
            column!("current_exports_usd", |(_, c, _)| c.exports.map(usd)),
            column!("baseline_exports_usd", |(_, _, b)| b.exports.map(usd)),
            column!("exports_change_pct", |(_, c, b)| change_pct(
                c.exports, b.exports
            )),
            column!("current_imports_usd", |(_, c, _)| c.imports.map(usd)),
            column!("baseline_imports_usd", |(_, _, b)| b.imports.map(usd)),
            column!("imports_change_pct", |(_, c, b)| change_pct(
                c.imports, b.imports
            )),
            column!("current_months_covered", |(_, c, _)| c.months as i32),
            column!("baseline_months_covered", |(_, _, b)| b.months as i32),
            column!("complete", |(_, c, b)| c.complete && b.complete),
        ]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use patronage_core::MonthRange;

    fn row(first: u32, last: u32, x: Mills, m: Mills) -> MirrorRow {
        MirrorRow {
            partner: "RUS".into(),
            period: MonthRange {
                year: 2017,
                first,
                last,
            },
            exports: Some(x),
            imports: Some(m),
            months_covered: last + 1 - first,
            basis: "mirror",
            source_ids: vec!["s".into()],
            rolled_up: false,
            reported_total: None,
            derivation: "reported",
        }
    }

    fn ym(s: &str) -> YearMonth {
        s.parse().unwrap()
    }

    /// A Jan-Feb running total and the two months it contains are not added up;
    /// the span figure (widest) is used once. A missing month makes it incomplete.
    #[test]
    fn spans_are_not_double_counted_and_gaps_show() {
        let rows = [
            row(1, 2, 10, 20),
            row(1, 1, 4, 8),
            row(2, 2, 6, 12),
            row(3, 3, 1, 1),
        ];
        let refs: Vec<&MirrorRow> = rows.iter().collect();
        let s = sums(&refs, (ym("2017-01"), ym("2017-02")));
        assert_eq!(
            (s.exports, s.imports, s.months, s.complete),
            (Some(10), Some(20), 2, true)
        );
        let s = sums(&refs, (ym("2017-01"), ym("2017-04")));
        assert_eq!((s.exports, s.months, s.complete), (Some(11), 3, false));
        let s = sums(&refs, (ym("2018-01"), ym("2018-02")));
        assert_eq!((s.exports, s.months, s.complete), (None, 0, false));
        assert_eq!(change_pct(Some(173), Some(100)), Some(73.0));
        assert_eq!(change_pct(Some(1), Some(0)), None);
    }

    /// A year published only as a turnover still gives the window its total:
    /// Russia-DPRK 2018 (turnover $34.0M) against 2017 (split $74.2M + $3.7M =
    /// $77.9M) is 100 * (34.0 / 77.9 - 1) = -56.35%; the directions stay null.
    #[test]
    fn a_turnover_without_a_split_gives_the_total() {
        let mut y18 = row(1, 12, 0, 0);
        y18.period.year = 2018;
        (y18.exports, y18.imports, y18.reported_total) = (None, None, Some(34_000));
        let y17 = row(1, 12, 3_700, 74_200);
        let w = WindowSpec {
            id: "w".into(),
            partner: "RUS".into(),
            current: (ym("2018-01"), ym("2018-12")),
            baseline: (ym("2017-01"), ym("2017-12")),
        };
        let r = &compute_windows(&[y17, y18], &[w])[0];
        assert_eq!((r.current.exports, r.current.total()), (None, Some(34_000)));
        let pct = r.total_change_pct().unwrap();
        assert!((pct - (100.0 * (34.0 / 77.9 - 1.0))).abs() < 1e-9, "{pct}");
    }
}
