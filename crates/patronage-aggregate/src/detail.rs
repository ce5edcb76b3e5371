//! Each source's figure at the pipeline's commodity, reported or summed from its
//! detail: per (source, partner, period, direction, basis) one value.
//!
//! A source's figure is its row at the commodity (`TOTAL`, a chapter such as
//! `27`, a heading such as `2701`) where it has one — the first line of its
//! first file — and otherwise the sum of its rows at the finest single HS level
//! below the commodity it holds for that figure: 6 digits, else 4, else 2 (for a
//! chapter, 6 else 4; for a heading, 6). Two levels are never added together, and
//! national codes (China's 8 digits, Russia's 10) and SITC are never used, so a
//! derived figure is what the HS rows of one level add up to. The figure says how
//! it was obtained in [`Derivation`].

use std::collections::BTreeMap;

use patronage_core::MonthRange;
use polars::prelude::*;

use crate::focus::{focus_rows, FlowBatches, FocusColumns};
use crate::{Mills, MirrorSpec};

/// How a figure was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Derivation {
    /// The source's own row at the commodity.
    Reported,
    /// The sum of the source's rows of this many digits.
    SumOfLevel(u8),
}

impl Derivation {
    /// The name written in the tables: `reported`, `sum_of_level_6`...
    pub fn as_str(self) -> &'static str {
        match self {
            Derivation::Reported => "reported",
            Derivation::SumOfLevel(2) => "sum_of_level_2",
            Derivation::SumOfLevel(4) => "sum_of_level_4",
            Derivation::SumOfLevel(_) => "sum_of_level_6",
        }
    }
}

/// One source's figure for one partner, period and direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SourceFigure {
    /// Partner ISO3.
    pub partner: String,
    /// Months covered.
    pub period: MonthRange,
    /// The focus country sells.
    pub focus_exports: bool,
    /// The partner reported it.
    pub is_mirror: bool,
    /// Source id.
    pub source: String,
    /// File and line of the reported row, or of the first row summed.
    pub place: (String, i64),
    /// The figure, mills.
    pub value: Mills,
    /// How it was obtained.
    pub derivation: Derivation,
}

/// The HS levels a figure at `commodity` may be summed from, finest first.
fn detail_levels(commodity: &str) -> &'static [i32] {
    let digits = !commodity.is_empty() && commodity.bytes().all(|b| b.is_ascii_digit());
    match (commodity, digits, commodity.len()) {
        ("TOTAL", _, _) => &[6, 4, 2],
        (_, true, 2) => &[6, 4],
        (_, true, 4) => &[6],
        _ => &[],
    }
}

/// HS (any revision), China's HS codes and Russia's TN VED, which is the HS up to
/// 6 digits.
fn is_hs(classification: &str) -> bool {
    classification.starts_with('H') || classification == "TNVED"
}

/// What one figure's rows give: the first reported row's place and value,
/// and per HS level of 2, 4 and 6 digits the first row's place and the sum.
#[derive(Default)]
struct Acc {
    reported: Option<((String, i64), i64)>,
    levels: [Option<((String, i64), Mills)>; 3],
}

/// Every source's figure at the spec's commodity for the spec's focus, flows
/// import and export only, in key order.
pub(crate) fn source_figures(
    trade_flows: &dyn FlowBatches,
    spec: &MirrorSpec,
) -> PolarsResult<Vec<SourceFigure>> {
    let levels = detail_levels(&spec.commodity);
    type Key = (String, MonthRange, bool, bool, String);
    let mut acc: BTreeMap<Key, Acc> = BTreeMap::new();
    trade_flows.each_batch(&mut |batch| {
        let rows = focus_rows(
            batch,
            &spec.focus,
            &["import", "export"],
            col("commodity_code")
                .eq(lit(spec.commodity.as_str()))
                .or(lit(!levels.is_empty()).and(col("commodity_level").gt(lit(0)))),
            &[
                "source_file",
                "source_line",
                "classification",
                "commodity_code",
                "commodity_level",
            ],
        )?;
        let focus = FocusColumns::new(&rows)?;
        let file = rows.column("source_file")?.str()?;
        let line = rows.column("source_line")?.i64()?;
        let class = rows.column("classification")?.str()?;
        let code = rows.column("commodity_code")?.str()?;
        let level = rows.column("commodity_level")?.i32()?;
        for i in focus.rows() {
            let (Some(s), Some(p), Some(period), Some(m), Some(x), Some(v), Some(c)) = (
                focus.source_id.get(i),
                focus.partner.get(i),
                focus.period(i),
                focus.is_mirror.get(i),
                focus.focus_exports.get(i),
                focus.mills.get(i),
                code.get(i),
            ) else {
                continue;
            };
            let lv = level.get(i).unwrap_or_default();
            let is_reported = c == spec.commodity;
            let is_detail = !is_reported
                && levels.contains(&lv)
                && is_hs(class.get(i).unwrap_or_default())
                && (spec.commodity == "TOTAL" || c.starts_with(spec.commodity.as_str()));
            if !is_reported && !is_detail {
                continue;
            }
            let place = (
                file.get(i).unwrap_or_default(),
                line.get(i).unwrap_or_default(),
            );
            let before = |at: &(String, i64)| place < (at.0.as_str(), at.1);
            let owned = || (place.0.to_string(), place.1);
            let a = acc
                .entry((p.to_string(), period, x, m, s.to_string()))
                .or_default();
            if is_reported {
                if a.reported.as_ref().is_none_or(|(at, _)| before(at)) {
                    a.reported = Some((owned(), v));
                }
            } else {
                // `levels` holds only 2, 4 and 6 (see `detail_levels`).
                match &mut a.levels[(lv / 2 - 1) as usize] {
                    Some((at, sum)) => {
                        if before(at) {
                            *at = owned();
                        }
                        *sum += Mills::from(v);
                    }
                    none => *none = Some((owned(), Mills::from(v))),
                }
            }
        }
        Ok(())
    })?;
    let mut out = Vec::with_capacity(acc.len());
    for ((partner, period, focus_exports, is_mirror, source), a) in acc {
        // The finest level held.
        let mut levels = a.levels;
        let finest = (0..3).rev().find_map(|n| {
            levels[n]
                .take()
                .map(|(place, sum)| (2 * n as u8 + 2, place, sum))
        });
        let (place, value, derivation) = match (a.reported, finest) {
            (Some((place, v)), _) => (place, Mills::from(v), Derivation::Reported),
            (None, Some((lv, place, sum))) => (place, sum, Derivation::SumOfLevel(lv)),
            (None, None) => continue,
        };
        out.push(SourceFigure {
            partner,
            period,
            focus_exports,
            is_mirror,
            source,
            place,
            value,
            derivation,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_flows::{trade_flows, Flow};

    fn spec(commodity: &str) -> MirrorSpec {
        MirrorSpec {
            focus: "PRK".into(),
            commodity: commodity.into(),
            source_priority: vec!["a".into(), "b".into()],
        }
    }

    fn flow(source: &'static str, line: i64, code: &'static str, usd: f64) -> Flow {
        Flow {
            source,
            line,
            code,
            level: if code == "TOTAL" {
                0
            } else {
                code.len() as i32
            },
            usd,
            ..Flow::default()
        }
    }

    /// SYNTHETIC rows. Source `a` has 6-digit rows and a chapter row: the
    /// 6-digit rows are summed (40 + 50.5 + 9.5 = 100), the chapter row (999) is
    /// not added to them. Source `b` has its TOTAL (70) and 6-digit rows that
    /// disagree with it (1 + 2): its reported TOTAL is its figure.
    #[test]
    fn totals_from_the_finest_level_never_two() {
        let df = trade_flows([
            flow("a", 1, "270112", 40.0),
            flow("a", 2, "270119", 50.5),
            flow("a", 3, "100630", 9.5),
            flow("a", 4, "27", 999.0),
            flow("b", 1, "270112", 1.0),
            flow("b", 2, "TOTAL", 70.0),
            flow("b", 3, "100630", 2.0),
        ])
        .unwrap();
        let got: Vec<(String, Mills, &str)> = source_figures(&df, &spec("TOTAL"))
            .unwrap()
            .into_iter()
            .map(|f| (f.source, f.value, f.derivation.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("a".to_string(), 100_000, "sum_of_level_6"),
                ("b".to_string(), 70_000, "reported"),
            ]
        );
    }

    /// SYNTHETIC rows. A chapter as commodity: source `a`'s 6-digit rows of
    /// chapter 27 (40 + 50.5), not chapter 10's; source `b` has only headings,
    /// 2701 and 2710 (5 + 6 = 11); a 6-digit row in SITC is never HS detail.
    #[test]
    fn a_chapter_from_its_headings_or_subheadings() {
        let mut sitc = flow("b", 9, "270100", 1000.0);
        sitc.classification = "S4";
        let df = trade_flows([
            flow("a", 1, "270112", 40.0),
            flow("a", 2, "270119", 50.5),
            flow("a", 3, "100630", 9.5),
            flow("b", 1, "2701", 5.0),
            flow("b", 2, "2710", 6.0),
            sitc,
        ])
        .unwrap();
        let got: Vec<(String, Mills, &str)> = source_figures(&df, &spec("27"))
            .unwrap()
            .into_iter()
            .map(|f| (f.source, f.value, f.derivation.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("a".to_string(), 90_500, "sum_of_level_6"),
                ("b".to_string(), 11_000, "sum_of_level_4"),
            ]
        );
        // A 6-digit commodity has no finer HS level: nothing is derived.
        assert!(source_figures(&df, &spec("270112"))
            .unwrap()
            .iter()
            .all(|f| f.derivation == Derivation::Reported));
    }
}
