//! Mirror trade: the focus country's exports are what its partners report as
//! imports from it (CIF), its imports what they report as exports to it (FOB).
//!
//! Rules, in order:
//! 1. Only rows of the chosen commodity (TOTAL by default) and flows import/export
//!    are used; re-exports and re-imports are subsets of those and would double count.
//! 2. Each figure — (partner, period, direction) — comes from one row: the partner's
//!    report (basis `mirror`) when there is one, else the focus country's own report
//!    (`direct`); among sources, the one declared first in the pipeline wins; within
//!    a source, the first line.
//! 3. Annual rows are the reported annual figures; where a partner reports only
//!    monthly figures for a year, they are summed into an annual row whose
//!    `months_covered` says how many months it holds.
//! 4. Multi-month figures (a January–February running total) are kept as their own
//!    rows and never split into months nor summed into years.
//! 5. A published total of both directions (flow `total`: a turnover as printed,
//!    China customs' import-and-export query) is used only where no split figure
//!    exists for that partner and period: the row keeps exports and imports null
//!    (nobody published them; a turnover is never split) and `total_usd` is the
//!    published total: where the row has one direction, the total of a source
//!    that gave it (so a direction and its total come from one publication),
//!    else the best-ranked such figure by the same rules.

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;

use patronage_core::MonthRange;
use polars::prelude::*;

use crate::detail::{source_figures, Derivation};
use crate::focus::{focus_rows, FlowBatches, FocusColumns};
use crate::{usd, Mills};

/// What to rebuild.
#[derive(Debug, Clone)]
pub struct MirrorSpec {
    /// The focus country, ISO3.
    pub focus: String,
    /// Commodity code the rows are built from (`TOTAL` for all goods).
    pub commodity: String,
    /// Source ids in priority order (first wins).
    pub source_priority: Vec<String>,
}

impl MirrorSpec {
    /// Where a source stands in `source_priority` (0 = declared first).
    pub fn position(&self, source_id: &str) -> Option<usize> {
        self.source_priority.iter().position(|s| s == source_id)
    }
}

/// One row of `mirror_trade`, with money in thousandths of a dollar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MirrorRow {
    /// Partner ISO3.
    pub partner: String,
    /// Months covered.
    pub period: MonthRange,
    /// Focus exports, mills.
    pub exports: Option<Mills>,
    /// Focus imports, mills.
    pub imports: Option<Mills>,
    /// Months with data behind the row.
    pub months_covered: u32,
    /// `mirror`, `direct` or `mixed` (one direction of each).
    pub basis: &'static str,
    /// Sources used, priority order.
    pub source_ids: Vec<String>,
    /// True for annual rows summed from monthly figures.
    pub rolled_up: bool,
    /// A published total of both directions, used where exports or imports are
    /// not both known (rule 5).
    pub reported_total: Option<Mills>,
    /// How the figures were obtained: `reported`, `sum_of_level_6`... or
    /// `mixed` when the row's figures were obtained differently.
    pub derivation: &'static str,
}

impl MirrorRow {
    /// Exports + imports when both are known, else the published total.
    pub fn total(&self) -> Option<Mills> {
        match (self.exports, self.imports) {
            (Some(x), Some(m)) => Some(x + m),
            _ => self.reported_total,
        }
    }
}

/// One chosen figure; the lowest rank wins: the partner's report, then a
/// reported figure over one summed from detail, then the source declared first,
/// then the first file and line.
#[derive(Debug, Clone)]
struct Figure {
    rank: (u8, u8, usize, String, i64),
    value: Mills,
    source: String,
    basis_mirror: bool,
    derivation: Derivation,
}

/// Build the mirror rows for the spec's focus, sorted by partner and period.
pub fn mirror_rows(
    trade_flows: &dyn FlowBatches,
    spec: &MirrorSpec,
) -> PolarsResult<Vec<MirrorRow>> {
    let source_rank = |id: &str| spec.position(id).unwrap_or(usize::MAX);
    // (partner, period, is_export) -> the winning figure.
    let mut chosen: BTreeMap<(String, MonthRange, bool), Figure> = BTreeMap::new();
    for f in source_figures(trade_flows, spec)? {
        let fig = Figure {
            rank: (
                u8::from(!f.is_mirror),
                u8::from(f.derivation != Derivation::Reported),
                source_rank(&f.source),
                f.place.0,
                f.place.1,
            ),
            value: f.value,
            source: f.source,
            basis_mirror: f.is_mirror,
            derivation: f.derivation,
        };
        match chosen.entry((f.partner, f.period, f.focus_exports)) {
            Entry::Vacant(e) => {
                e.insert(fig);
            }
            Entry::Occupied(mut e) => {
                if fig.rank < e.get().rank {
                    e.insert(fig);
                }
            }
        }
    }

    // Pair exports and imports per (partner, period).
    let mut paired: BTreeMap<(String, MonthRange), (Option<Figure>, Option<Figure>)> =
        BTreeMap::new();
    for ((p, period, is_export), fig) in chosen {
        let slot = paired.entry((p, period)).or_default();
        if is_export {
            slot.0 = Some(fig);
        } else {
            slot.1 = Some(fig);
        }
    }
    let mut out: BTreeMap<(String, MonthRange), MirrorRow> = BTreeMap::new();
    for ((p, period), (x, m)) in paired {
        let figs: Vec<&Figure> = [x.as_ref(), m.as_ref()].into_iter().flatten().collect();
        let mut sources: Vec<(usize, String)> = figs
            .iter()
            .map(|f| (source_rank(&f.source), f.source.clone()))
            .collect();
        sources.sort();
        sources.dedup();
        let basis = match (
            figs.iter().all(|f| f.basis_mirror),
            figs.iter().any(|f| f.basis_mirror),
        ) {
            (true, _) => "mirror",
            (false, false) => "direct",
            (false, true) => "mixed",
        };
        out.insert(
            (p.clone(), period),
            MirrorRow {
                partner: p,
                period,
                derivation: one_derivation(figs.iter().map(|f| f.derivation.as_str())),
                exports: x.map(|f| f.value),
                imports: m.map(|f| f.value),
                months_covered: period.months(),
                basis,
                source_ids: sources.into_iter().map(|(_, s)| s).collect(),
                rolled_up: false,
                reported_total: None,
            },
        );
    }
    add_reported_totals(&mut out, reported_totals(trade_flows, spec)?, spec);

    // Years with monthly figures but no annual one: sum the months.
    let mut rollups: BTreeMap<(String, i32), Vec<MirrorRow>> = BTreeMap::new();
    for row in out.values().filter(|r| r.period.single_month().is_some()) {
        rollups
            .entry((row.partner.clone(), row.period.year))
            .or_default()
            .push(row.clone());
    }
    for ((p, y), months) in rollups {
        let key = (p.clone(), MonthRange::annual(y));
        if out.contains_key(&key) {
            continue;
        }
        let sum = |f: fn(&MirrorRow) -> Option<Mills>| {
            let known: Vec<Mills> = months.iter().filter_map(f).collect();
            (!known.is_empty()).then(|| known.iter().sum())
        };
        let mut sources: Vec<String> = Vec::new();
        for m in &months {
            for s in &m.source_ids {
                if !sources.contains(s) {
                    sources.push(s.clone());
                }
            }
        }
        sources.sort_by_key(|s| source_rank(s));
        let basis = if months.iter().all(|m| m.basis == months[0].basis) {
            months[0].basis
        } else {
            "mixed"
        };
        out.insert(
            key,
            MirrorRow {
                partner: p,
                period: MonthRange::annual(y),
                exports: sum(|m| m.exports),
                imports: sum(|m| m.imports),
                months_covered: months.len() as u32,
                basis,
                source_ids: sources,
                rolled_up: true,
                reported_total: None,
                derivation: one_derivation(months.iter().map(|m| m.derivation)),
            },
        );
    }
    Ok(out.into_values().collect())
}

/// The published totals of both directions per (partner, period), best-ranked
/// first: the partner's report first, then the source declared first, then the
/// first line (rule 2, applied to flow `total`).
fn reported_totals(
    trade_flows: &dyn FlowBatches,
    spec: &MirrorSpec,
) -> PolarsResult<BTreeMap<(String, MonthRange), Vec<Figure>>> {
    let mut all: BTreeMap<(String, MonthRange), Vec<Figure>> = BTreeMap::new();
    trade_flows.each_batch(&mut |batch| {
        let rows = focus_rows(
            batch,
            &spec.focus,
            &["total"],
            col("commodity_code").eq(lit(spec.commodity.as_str())),
            &["source_file", "source_line"],
        )?;
        let focus = FocusColumns::new(&rows)?;
        let source_file = rows.column("source_file")?.str()?;
        let line = rows.column("source_line")?.i64()?;
        for i in focus.rows() {
            let (Some(sid), Some(p), Some(period), Some(m), Some(v)) = (
                focus.source_id.get(i),
                focus.partner.get(i),
                focus.period(i),
                focus.is_mirror.get(i),
                focus.mills.get(i),
            ) else {
                continue;
            };
            let fig = Figure {
                rank: (
                    u8::from(!m),
                    0,
                    spec.position(sid).unwrap_or(usize::MAX),
                    source_file.get(i).unwrap_or_default().to_string(),
                    line.get(i).unwrap_or_default(),
                ),
                value: Mills::from(v),
                source: sid.to_string(),
                basis_mirror: m,
                derivation: Derivation::Reported,
            };
            all.entry((p.to_string(), period)).or_default().push(fig);
        }
        Ok(())
    })?;
    for figs in all.values_mut() {
        figs.sort_by(|a, b| a.rank.cmp(&b.rank));
    }
    Ok(all)
}

/// Rule 5: a published total fills a row whose exports and imports are not both
/// known (or makes a row where there is none); a row with both keeps its sum.
fn add_reported_totals(
    out: &mut BTreeMap<(String, MonthRange), MirrorRow>,
    totals: BTreeMap<(String, MonthRange), Vec<Figure>>,
    spec: &MirrorSpec,
) {
    let basis_of = |mirror: bool| if mirror { "mirror" } else { "direct" };
    for ((p, period), figs) in totals {
        let row = out.get_mut(&(p.clone(), period));
        // A source that gave the row's one direction gives its total too.
        let fig = row
            .as_ref()
            .and_then(|r| figs.iter().find(|f| r.source_ids.contains(&f.source)))
            .or(figs.first())
            .cloned();
        let Some(fig) = fig else { continue };
        match row {
            Some(row) if row.exports.is_some() && row.imports.is_some() => {}
            Some(row) => {
                row.reported_total = Some(fig.value);
                if row.basis != basis_of(fig.basis_mirror) {
                    row.basis = "mixed";
                }
                if !row.source_ids.contains(&fig.source) {
                    row.source_ids.push(fig.source);
                    row.source_ids
                        .sort_by_key(|s| spec.position(s).unwrap_or(usize::MAX));
                }
            }
            None => {
                out.insert(
                    (p.clone(), period),
                    MirrorRow {
                        partner: p,
                        period,
                        exports: None,
                        imports: None,
                        months_covered: period.months(),
                        basis: basis_of(fig.basis_mirror),
                        source_ids: vec![fig.source],
                        rolled_up: false,
                        reported_total: Some(fig.value),
                        derivation: "reported",
                    },
                );
            }
        }
    }
}

/// The one derivation of figures obtained alike, else `mixed`.
fn one_derivation(mut all: impl Iterator<Item = &'static str>) -> &'static str {
    let first = all.next().unwrap_or("reported");
    if all.all(|d| d == first) {
        first
    } else {
        "mixed"
    }
}

/// The `mirror_trade` frame, in key order.
pub fn mirror_trade_frame(rows: &[MirrorRow], spec: &MirrorSpec) -> PolarsResult<DataFrame> {
    patronage_core::frame!(
        rows,
        [
            column!("focus_iso3", |_| spec.focus.clone()),
            column!("partner_iso3", |r| r.partner.clone()),
            column!("year", |r| r.period.year),
            column!("month", |r| r.period.single_month().map(|m| m as i32)),
            column!("month_first", |r| r.period.first as i32),
            column!("month_last", |r| r.period.last as i32),
            column!("commodity_code", |_| spec.commodity.clone()),
            column!("focus_exports_usd", |r| r.exports.map(usd)),
            column!("focus_imports_usd", |r| r.imports.map(usd)),
            column!("total_usd", |r| r.total().map(usd)),
            column!("balance_usd", |r| Some(usd(r.exports? - r.imports?))),
            column!("months_covered", |r| r.months_covered as i32),
            column!("basis", |r| r.basis),
            column!("derivation", |r| r.derivation),
            column!("source_ids", |r| r.source_ids.join(",")),
        ]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_flows::{trade_flows, Flow};

    /// (source, line, reporter, partner, flow, year, first, last, usd)
    type Row = (
        &'static str,
        i64,
        &'static str,
        &'static str,
        &'static str,
        i32,
        i32,
        i32,
        f64,
    );

    fn frame(rows: &[Row]) -> DataFrame {
        trade_flows(rows.iter().map(|r| Flow {
            source: r.0,
            line: r.1,
            reporter: r.2,
            partner: r.3,
            flow: r.4,
            year: r.5,
            first: r.6,
            last: r.7,
            usd: r.8,
            ..Flow::default()
        }))
        .unwrap()
    }

    fn spec() -> MirrorSpec {
        MirrorSpec {
            focus: "PRK".into(),
            commodity: "TOTAL".into(),
            source_priority: vec!["first".into(), "second".into()],
        }
    }

    /// Three monthly reports by China roll up into an annual row covering 3
    /// months; the partner's report wins over the focus country's own; the source
    /// declared first wins over the second; an unreported direction stays null.
    #[test]
    fn months_roll_up_and_priorities_hold() {
        let rows = [
            ("second", 1, "CHN", "PRK", "import", 2019, 1, 1, 10.0),
            ("second", 2, "CHN", "PRK", "import", 2019, 2, 2, 20.0),
            ("second", 3, "CHN", "PRK", "import", 2019, 3, 3, 30.5),
            // The same January from the first source: it wins.
            ("first", 9, "CHN", "PRK", "import", 2019, 1, 1, 11.0),
            // The DPRK's own report of exports to China: a partner report exists.
            ("first", 5, "PRK", "CHN", "export", 2019, 1, 1, 99.0),
            // The DPRK's own report of imports from China, which China did not report.
            ("first", 6, "PRK", "CHN", "import", 2019, 2, 2, 7.0),
            // Re-exports are not mirror totals.
            ("first", 7, "CHN", "PRK", "re_export", 2019, 1, 1, 1000.0),
        ];
        let out = mirror_rows(&frame(&rows), &spec()).unwrap();
        let find = |first: u32, last: u32| {
            out.iter()
                .find(|r| r.period.first == first && r.period.last == last)
                .unwrap()
        };
        let jan = find(1, 1);
        assert_eq!(
            (jan.exports, jan.imports, jan.basis),
            (Some(11_000), None, "mirror")
        );
        assert_eq!(jan.source_ids, ["first"]);
        let feb = find(2, 2);
        assert_eq!(
            (feb.exports, feb.imports, feb.basis),
            (Some(20_000), Some(7_000), "mixed")
        );
        assert_eq!(feb.source_ids, ["first", "second"]);
        let year = find(1, 12);
        assert!(year.rolled_up);
        assert_eq!(year.months_covered, 3);
        assert_eq!(year.exports, Some(11_000 + 20_000 + 30_500));
        assert_eq!(year.imports, Some(7_000));
        assert_eq!(year.total(), Some(68_500));
        assert_eq!(out.len(), 4);
    }

    /// Published totals of both directions (flow `total`): China's 2004 turnover
    /// alone makes a row with exports and imports null and the total as
    /// published; Russia's 2018 split (exports 1.98 + imports 32.07) keeps its
    /// sum, 34.05, over a turnover of 34.0 from a source declared first; a row
    /// with one direction only (2000: Russia's exports 54.6) takes the turnover
    /// its own source published (105, not another source's 46, which would be
    /// less than the one direction) and leaves the other direction null.
    #[test]
    fn published_totals_fill_rows_without_a_split() {
        let rows = [
            ("first", 1, "CHN", "PRK", "total", 2004, 1, 12, 1385.206),
            ("first", 2, "RUS", "PRK", "total", 2018, 1, 12, 34.0),
            ("second", 3, "RUS", "PRK", "export", 2018, 1, 12, 32.07),
            ("second", 4, "RUS", "PRK", "import", 2018, 1, 12, 1.98),
            ("second", 5, "RUS", "PRK", "total", 2000, 1, 12, 105.0),
            ("second", 6, "RUS", "PRK", "export", 2000, 1, 12, 54.6),
            // Another publication's total of 2000, from the source declared
            // first: the row's total stays that of the source of its direction.
            ("first", 7, "RUS", "PRK", "total", 2000, 1, 12, 46.0),
        ];
        let out = mirror_rows(&frame(&rows), &spec()).unwrap();
        let get = |p: &str, y: i32| {
            out.iter()
                .find(|r| r.partner == p && r.period.year == y)
                .unwrap()
        };
        let cn = get("CHN", 2004);
        assert_eq!(
            (cn.exports, cn.imports, cn.total(), cn.months_covered),
            (None, None, Some(1_385_206), 12)
        );
        assert_eq!(
            (cn.basis, cn.source_ids.as_slice()),
            ("mirror", &["first".to_string()][..])
        );
        let ru18 = get("RUS", 2018);
        assert_eq!(ru18.total(), Some(34_050));
        assert_eq!(ru18.source_ids, ["second"]);
        let ru00 = get("RUS", 2000);
        assert_eq!(
            (ru00.exports, ru00.imports, ru00.total()),
            (None, Some(54_600), Some(105_000))
        );
        assert_eq!(ru00.source_ids, ["second"]);
        let df = mirror_trade_frame(&out, &spec()).unwrap();
        let total = df.column("total_usd").unwrap().f64().unwrap();
        let balance = df.column("balance_usd").unwrap().f64().unwrap();
        assert_eq!((total.get(0), balance.get(0)), (Some(1385.206), None));
    }

    /// A reported annual figure is kept as it is, not replaced by a sum of months.
    #[test]
    fn reported_annual_rows_are_not_replaced() {
        let rows = [
            ("first", 1, "RUS", "PRK", "export", 2017, 1, 12, 74.2),
            ("first", 2, "RUS", "PRK", "export", 2017, 1, 1, 5.0),
        ];
        let out = mirror_rows(&frame(&rows), &spec()).unwrap();
        let year = out.iter().find(|r| r.period.months() == 12).unwrap();
        assert_eq!(
            (year.imports, year.months_covered, year.rolled_up),
            (Some(74_200), 12, false)
        );
    }

    /// Twelve monthly reports of $1,000,000,000,000,000 (10^18 mills each) add
    /// up to 1.2 x 10^19 mills, past the 64-bit range (9.22 x 10^18): the annual
    /// row holds the exact sum ($1.2 x 10^16, as the output column writes it)
    /// where a 64-bit sum panicked (debug build) or wrapped (release build).
    #[test]
    fn monthly_sums_beyond_64_bits_stay_exact() {
        let rows: Vec<Row> = (1..=12)
            .map(|m| {
                (
                    "first",
                    i64::from(m),
                    "CHN",
                    "PRK",
                    "import",
                    2019,
                    m,
                    m,
                    1e15,
                )
            })
            .collect();
        let out = mirror_rows(&frame(&rows), &spec()).unwrap();
        let at = out.iter().position(|r| r.rolled_up).unwrap();
        assert_eq!(out[at].exports, Some(12 * 10i128.pow(18)));
        let df = mirror_trade_frame(&out, &spec()).unwrap();
        let exports = df.column("focus_exports_usd").unwrap().f64().unwrap();
        assert_eq!(exports.get(at), Some(1.2e16));
    }

    /// SYNTHETIC rows. China's 2019 imports from the DPRK: the first source has
    /// only 6-digit rows (40 + 50 = 90), the second its TOTAL (100): the reported
    /// TOTAL is taken although its source is declared second. China's exports
    /// to the DPRK come only from the first source's 6-digit rows (7 + 8 = 15),
    /// so the row is `mixed`; in 2020 both directions are summed from 6-digit
    /// rows (1 + 2, and 3).
    #[test]
    fn reported_totals_win_and_sums_say_so() {
        let six = |line, flow, year, code, usd| Flow {
            source: "first",
            line,
            flow,
            year,
            code,
            level: 6,
            usd,
            ..Flow::default()
        };
        let df = trade_flows([
            six(1, "import", 2019, "270112", 40.0),
            six(2, "import", 2019, "270119", 50.0),
            six(3, "export", 2019, "100630", 7.0),
            six(4, "export", 2019, "100640", 8.0),
            six(5, "import", 2020, "270112", 1.0),
            six(6, "import", 2020, "270119", 2.0),
            six(7, "export", 2020, "100630", 3.0),
            Flow {
                source: "second",
                usd: 100.0,
                ..Flow::default()
            },
        ])
        .unwrap();
        let out = mirror_rows(&df, &spec()).unwrap();
        let got: Vec<_> = out
            .iter()
            .map(|r| {
                (
                    r.period.year,
                    r.exports,
                    r.imports,
                    r.derivation,
                    r.source_ids.join(","),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    2019,
                    Some(100_000),
                    Some(15_000),
                    "mixed",
                    "first,second".to_string()
                ),
                (
                    2020,
                    Some(3_000),
                    Some(3_000),
                    "sum_of_level_6",
                    "first".to_string()
                ),
            ]
        );
        let df = mirror_trade_frame(&out, &spec()).unwrap();
        let d = df.column("derivation").unwrap().str().unwrap();
        assert_eq!(
            (d.get(0), d.get(1)),
            (Some("mixed"), Some("sum_of_level_6"))
        );
    }
}
