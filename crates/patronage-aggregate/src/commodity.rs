//! Trade by HS chapter: the focus country's annual trade with each partner, per
//! direction, broken into the 2-digit chapters of the Harmonized System, with each
//! chapter's share of the flow.
//!
//! Only rows of an HS classification (H0..H6, or BACI's HS) at the 6-digit level
//! or at the chapter level are used, and never both for one figure: where a source
//! has 6-digit rows for a partner, year and direction, they are summed into their
//! chapters; otherwise its chapter rows are used. National codes (China's 8 digits,
//! Russia's 10) and SITC rows are not HS chapters and are left out. Each figure
//! comes from one source: a partner's report before the focus country's own, then
//! the source declared first.
//!
//! With a conversion spec (a pipeline's `classification_target`), 6-digit rows of
//! other revisions are first moved to the target revision ([`crate::hs_conversion`]),
//! so chapters of different revisions are never added together unconverted without
//! saying so: each chapter names the revisions it was summed from and how its rows
//! were converted.

use std::collections::{BTreeMap, BTreeSet};

use polars::prelude::*;

use crate::focus::{focus_rows, FlowBatches, FocusColumns};
use crate::hs_conversion::{convert, Conversion, ConversionSpec};
use crate::{usd, Mills, MirrorSpec};

/// One row of `trade_by_commodity`, money in thousandths.
#[derive(Debug, Clone, PartialEq)]
pub struct CommodityRow {
    /// Partner ISO3.
    pub partner: String,
    /// Year.
    pub year: i32,
    /// `export` or `import`, from the focus country's side.
    pub flow: &'static str,
    /// HS chapter, two digits.
    pub hs2: String,
    /// Value, mills.
    pub value: Mills,
    /// Value over the flow's total, 0..=1.
    pub share: f64,
    /// Source used.
    pub source: String,
    /// 6 or 2: the level of the rows summed.
    pub level: i32,
    /// `mirror` or `direct`.
    pub basis: &'static str,
    /// The revisions the rows were in, `+` between them (`H4`, `H3+H5`).
    pub classification: String,
    /// How the rows were converted, `+` between the flags (`as_reported`,
    /// `exact+split_equal`).
    pub conversion: String,
}

/// A chapter's sum and what went into it.
#[derive(Debug, Clone, Default)]
struct Chapter {
    value: Mills,
    classes: BTreeSet<String>,
    conversions: BTreeSet<Conversion>,
}

/// The names of a set, `+` between them.
fn joined<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    names.into_iter().collect::<Vec<_>>().join("+")
}

/// Chapters per (partner, year, flow) for the spec's focus, in key order.
pub fn commodity_rows(
    trade_flows: &dyn FlowBatches,
    spec: &MirrorSpec,
    conversion: Option<&ConversionSpec>,
) -> PolarsResult<Vec<CommodityRow>> {
    let annual_hs_levels = col("month_first")
        .eq(lit(1))
        .and(col("month_last").eq(lit(12)))
        .and(
            col("commodity_level")
                .eq(lit(6))
                .or(col("commodity_level").eq(lit(2))),
        );
    let rank = |id: &str| spec.position(id).unwrap_or(usize::MAX);

    // (partner, year, flow) -> (basis rank, source rank, source, level) -> hs2 -> mills
    type Pick = (u8, usize, String, i32);
    type Chapters = BTreeMap<String, Chapter>;
    let mut by: BTreeMap<(String, i32, &'static str), BTreeMap<Pick, Chapters>> = BTreeMap::new();
    trade_flows.each_batch(&mut |batch| {
        let rows = focus_rows(
            batch,
            &spec.focus,
            &["import", "export"],
            annual_hs_levels.clone(),
            &["classification", "commodity_code", "commodity_level"],
        )?;
        let focus = FocusColumns::new(&rows)?;
        let code = rows.column("commodity_code")?.str()?;
        let class = rows.column("classification")?.str()?;
        let level = rows.column("commodity_level")?.i32()?;
        for i in focus.rows() {
            let (Some(s), Some(m), Some(p), Some(x), Some(y), Some(c), Some(l), Some(v)) = (
                focus.source_id.get(i),
                focus.is_mirror.get(i),
                focus.partner.get(i),
                focus.focus_exports.get(i),
                focus.year.get(i),
                code.get(i),
                level.get(i),
                focus.mills.get(i),
            ) else {
                continue;
            };
            let Some(k) = class.get(i).filter(|k| k.starts_with('H')) else {
                continue; // SITC and national codes are not HS chapters
            };
            if !c
                .get(..2)
                .is_some_and(|h| h.bytes().all(|b| b.is_ascii_digit()))
            {
                continue;
            }
            let flow = if x { "export" } else { "import" };
            // Level 6 sorts first (a lower key) so a source's 6-digit rows win over its chapters.
            let pick = (u8::from(!m), rank(s), s.to_string(), -l);
            let chapters = by
                .entry((p.to_string(), y, flow))
                .or_default()
                .entry(pick)
                .or_default();
            for part in convert(k, c, l, v, conversion) {
                let Some(hs2) = part
                    .code
                    .get(..2)
                    .filter(|h| h.bytes().all(|b| b.is_ascii_digit()))
                else {
                    continue;
                };
                let ch = chapters.entry(hs2.to_string()).or_default();
                ch.value += Mills::from(part.mills);
                let class = match (conversion, part.conversion) {
                    (
                        Some(t),
                        Conversion::Exact | Conversion::SplitSameCode | Conversion::SplitEqual,
                    ) => t.target.name(),
                    _ => k,
                };
                ch.classes.insert(class.to_string());
                ch.conversions.insert(part.conversion);
            }
        }
        Ok(())
    })?;
    let mut out = Vec::new();
    for ((p, y, flow), picks) in by {
        let Some(((basis_rank, _, source, neg_level), chapters)) = picks.into_iter().next() else {
            continue;
        };
        let total: Mills = chapters.values().map(|c| c.value).sum();
        for (hs2, ch) in chapters {
            let value = ch.value;
            out.push(CommodityRow {
                partner: p.clone(),
                year: y,
                flow,
                hs2,
                value,
                share: if total > 0 {
                    value as f64 / total as f64
                } else {
                    0.0
                },
                source: source.clone(),
                level: -neg_level,
                basis: if basis_rank == 0 { "mirror" } else { "direct" },
                classification: joined(ch.classes.iter().map(String::as_str)),
                conversion: joined(ch.conversions.iter().map(|c| c.name())),
            });
        }
    }
    Ok(out)
}

/// The `trade_by_commodity` frame, in key order.
pub fn trade_by_commodity_frame(
    rows: &[CommodityRow],
    spec: &MirrorSpec,
) -> PolarsResult<DataFrame> {
    patronage_core::frame!(
        rows,
        [
            column!("focus_iso3", |_| spec.focus.clone()),
            column!("partner_iso3", |r| r.partner.clone()),
            column!("year", |r| r.year),
            column!("flow", |r| r.flow),
            column!("hs2", |r| r.hs2.clone()),
            column!("value_usd", |r| usd(r.value)),
            column!("share_of_flow", |r| r.share),
            column!("commodity_level_used", |r| r.level),
            column!("basis", |r| r.basis),
            column!("source_id", |r| r.source.clone()),
            column!("classification", |r| r.classification.clone()),
            column!("conversion", |r| r.conversion.clone()),
        ]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hs_conversion::SplitRule;
    use crate::test_flows::{trade_flows, Flow};

    /// (source, reporter, partner, flow, classification, code, level, usd)
    type Row = (
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        i32,
        f64,
    );

    fn frame(rows: &[Row]) -> DataFrame {
        trade_flows(rows.iter().map(|r| Flow {
            source: r.0,
            reporter: r.1,
            partner: r.2,
            flow: r.3,
            classification: r.4,
            code: r.5,
            level: r.6,
            year: 2020,
            usd: r.7,
            ..Flow::default()
        }))
        .unwrap()
    }

    /// Source "a" has 6-digit rows and a chapter row: only the 6-digit rows are
    /// summed (27: 30 + 10 = 40; 10: 60). Source "b", declared second, is not used
    /// for the same flow; its chapters give the other flow. An 8-digit national row
    /// and a SITC row are left out.
    #[test]
    fn one_level_one_source() {
        let rows = [
            ("a", "CHN", "PRK", "export", "H5", "270112", 6, 30.0),
            ("a", "CHN", "PRK", "export", "H5", "270119", 6, 10.0),
            ("a", "CHN", "PRK", "export", "H5", "100630", 6, 60.0),
            ("a", "CHN", "PRK", "export", "H5", "27", 2, 999.0),
            ("b", "CHN", "PRK", "export", "H5", "27", 2, 5.0),
            ("b", "CHN", "PRK", "import", "H5", "26", 2, 8.0),
            ("b", "CHN", "PRK", "import", "national", "26011100", 8, 1.0),
            ("b", "CHN", "PRK", "import", "S3", "32", 2, 1.0),
        ];
        let spec = MirrorSpec {
            focus: "PRK".into(),
            commodity: "TOTAL".into(),
            source_priority: vec!["a".into(), "b".into()],
        };
        let out = commodity_rows(&frame(&rows), &spec, None).unwrap();
        let got: Vec<(&str, &str, Mills, f64, &str, i32)> = out
            .iter()
            .map(|r| {
                (
                    r.flow,
                    r.hs2.as_str(),
                    r.value,
                    r.share,
                    r.source.as_str(),
                    r.level,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("export", "26", 8_000, 1.0, "b", 2),
                ("import", "10", 60_000, 0.6, "a", 6),
                ("import", "27", 40_000, 0.4, "a", 6),
            ]
        );
    }

    /// SYNTHETIC rows of two revisions for one figure (CHN's 2020 imports from
    /// PRK, source "a"; the values are made up, the codes and their correspondence
    /// are the UNSD's): HS 2012 (H4) rows 030611 = $9 and 580127 = $5; HS 2007 (H3)
    /// rows 580124 = $30, 580125 = $10, 270111 = $50. In the UNSD HS 2012-HS 2007
    /// table, H4 580127 = H3 580124 + 580125, and H4 030611 (shrimps) = H3 030611 +
    /// 160540 (prepared shrimps), so converting into H3 crosses chapters.
    ///
    /// By hand, into H4 (every H3 code moves whole): chapter 03 = 9; 27 = 50;
    /// 58 = 30 + 10 + 5 = 45. Into H3 with equal splits: 030611 gives 4.5 to
    /// chapter 03 and 4.5 to chapter 16; 580127 gives 2.5 + 2.5 to chapter 58, so
    /// 03 = 4.5, 16 = 4.5, 27 = 50, 58 = 40 + 5 = 45. Both add up to the $104 read.
    #[test]
    fn two_revisions_convert_to_the_hand_computed_chapters() {
        let rows = [
            ("a", "CHN", "PRK", "import", "H4", "030611", 6, 9.0),
            ("a", "CHN", "PRK", "import", "H4", "580127", 6, 5.0),
            ("a", "CHN", "PRK", "import", "H3", "580124", 6, 30.0),
            ("a", "CHN", "PRK", "import", "H3", "580125", 6, 10.0),
            ("a", "CHN", "PRK", "import", "H3", "270111", 6, 50.0),
        ];
        let spec = MirrorSpec {
            focus: "PRK".into(),
            commodity: "TOTAL".into(),
            source_priority: vec!["a".into()],
        };
        let chapters = |target: &str, split| {
            let conv = ConversionSpec {
                target: patronage_core::HsRevision::parse(target).unwrap(),
                split,
            };
            commodity_rows(&frame(&rows), &spec, Some(&conv))
                .unwrap()
                .into_iter()
                .map(|r| (r.hs2, r.value, r.classification, r.conversion))
                .collect::<Vec<_>>()
        };
        let s = |x: &str| x.to_string();
        assert_eq!(
            chapters("H4", SplitRule::SameCode),
            [
                (s("03"), 9_000, s("H4"), s("as_reported")),
                (s("27"), 50_000, s("H4"), s("exact")),
                (s("58"), 45_000, s("H4"), s("as_reported+exact")),
            ]
        );
        assert_eq!(
            chapters("H3", SplitRule::Equal),
            [
                (s("03"), 4_500, s("H3"), s("split_equal")),
                (s("16"), 4_500, s("H3"), s("split_equal")),
                (s("27"), 50_000, s("H3"), s("as_reported")),
                (s("58"), 45_000, s("H3"), s("as_reported+split_equal")),
            ]
        );
        // Unconverted, the chapters say that two revisions were added together.
        let plain = commodity_rows(&frame(&rows), &spec, None).unwrap();
        assert_eq!(plain[2].classification, "H3+H4");
        assert_eq!(plain[2].value, 45_000);
    }
}
