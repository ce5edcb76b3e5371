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

use std::collections::BTreeMap;

use polars::prelude::*;

use crate::focus::focus_rows;
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
}

/// Chapters per (partner, year, flow) for the spec's focus, in key order.
pub fn commodity_rows(
    trade_flows: &DataFrame,
    spec: &MirrorSpec,
) -> PolarsResult<Vec<CommodityRow>> {
    let annual_hs_levels = col("month_first")
        .eq(lit(1))
        .and(col("month_last").eq(lit(12)))
        .and(
            col("commodity_level")
                .eq(lit(6))
                .or(col("commodity_level").eq(lit(2))),
        );
    let rows = focus_rows(
        trade_flows,
        &spec.focus,
        &["import", "export"],
        annual_hs_levels,
        &[
            "source_id",
            "year",
            "classification",
            "commodity_code",
            "commodity_level",
        ],
    )?;
    let sid = rows.column("source_id")?.str()?;
    let mirror = rows.column("is_mirror")?.bool()?;
    let partner = rows.column("partner")?.str()?;
    let exports = rows.column("focus_exports")?.bool()?;
    let year = rows.column("year")?.i32()?;
    let code = rows.column("commodity_code")?.str()?;
    let class = rows.column("classification")?.str()?;
    let level = rows.column("commodity_level")?.i32()?;
    let mills = rows.column("mills")?.i64()?;
    let rank = |id: &str| spec.position(id).unwrap_or(usize::MAX);

    // (partner, year, flow) -> (basis rank, source rank, source, level) -> hs2 -> mills
    type Pick = (u8, usize, String, i32);
    type Chapters = BTreeMap<String, Mills>;
    let mut by: BTreeMap<(String, i32, &'static str), BTreeMap<Pick, Chapters>> = BTreeMap::new();
    for i in 0..rows.height() {
        let (Some(s), Some(m), Some(p), Some(x), Some(y), Some(c), Some(l), Some(v)) = (
            sid.get(i),
            mirror.get(i),
            partner.get(i),
            exports.get(i),
            year.get(i),
            code.get(i),
            level.get(i),
            mills.get(i),
        ) else {
            continue;
        };
        if !class.get(i).is_some_and(|k| k.starts_with('H')) {
            continue; // SITC and national codes are not HS chapters
        }
        let Some(hs2) = c.get(..2).filter(|h| h.bytes().all(|b| b.is_ascii_digit())) else {
            continue;
        };
        let flow = if x { "export" } else { "import" };
        // Level 6 sorts first (a lower key) so a source's 6-digit rows win over its chapters.
        let pick = (u8::from(!m), rank(s), s.to_string(), -l);
        *by.entry((p.to_string(), y, flow))
            .or_default()
            .entry(pick)
            .or_default()
            .entry(hs2.to_string())
            .or_default() += Mills::from(v);
    }
    let mut out = Vec::new();
    for ((p, y, flow), picks) in by {
        let Some(((basis_rank, _, source, neg_level), chapters)) = picks.into_iter().next() else {
            continue;
        };
        let total: Mills = chapters.values().sum();
        for (hs2, value) in chapters {
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
        ]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
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
        let out = commodity_rows(&frame(&rows), &spec).unwrap();
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
}
