//! Trade in named groups of HS codes (a pipeline's `[[commodity_groups]]`: the
//! goods UN Security Council resolutions banned or capped): the focus country's
//! trade with each partner per group, flow and period, from what the partners
//! report first.
//!
//! The invariant: each figure is the sum of one source's rows at one level of
//! detail, never a mix. A row belongs to a group when one of the group's codes
//! (2, 4 or 6 digits) is a prefix of the row's code and the row is at least as
//! detailed as that code (a chapter row never stands for a 4-digit heading). For
//! each partner, group, flow and period the finest level a source has is used
//! (6-digit detail where it exists), a partner's report before the focus
//! country's own, then the source declared first; the level used is stated. With
//! a conversion spec, 6-digit rows are first moved to the target revision, so the
//! group's codes are read in that revision, and the flags say how.

use std::collections::{BTreeMap, BTreeSet};

use polars::prelude::*;

use crate::focus::{focus_rows, FlowBatches, FocusColumns};
use crate::hs_conversion::{convert, Conversion, ConversionSpec};
use crate::{usd, Mills, MirrorSpec};

/// A ban or cap on a group's trade, as a resolution set it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupBan {
    /// The resolution (`UNSCR 2371`).
    pub resolution: String,
    /// The date it was adopted, YYYY-MM-DD.
    pub date: String,
    /// `ban` or `cap`.
    pub measure: String,
    /// What it says about the group, in a line.
    pub detail: String,
    /// Where its text or a report of it was published.
    pub citation: String,
}

/// One named group of HS codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupSpec {
    /// Group id (a slug).
    pub id: String,
    /// What the group holds.
    pub description: String,
    /// HS codes of 2, 4 or 6 digits.
    pub codes: Vec<String>,
    /// The bans and caps on it, by date.
    pub bans: Vec<GroupBan>,
}

impl GroupSpec {
    /// Whether a row's `code`, at `level` digits, falls under one of the group's
    /// codes no more detailed than the row.
    fn matches(&self, code: &str, level: i32) -> bool {
        self.codes
            .iter()
            .any(|g| g.len() as i32 <= level && code.starts_with(g.as_str()))
    }
}

/// One row of `trade_by_group`, money in thousandths.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupRow {
    /// Partner ISO3.
    pub partner: String,
    /// Group id.
    pub group: String,
    /// `export` or `import`, from the focus country's side.
    pub flow: &'static str,
    /// Year.
    pub year: i32,
    /// First month of the period.
    pub month_first: i32,
    /// Last month of the period.
    pub month_last: i32,
    /// Value, mills.
    pub value: Mills,
    /// Digits of the rows summed: 6, 4 or 2.
    pub level: i32,
    /// `mirror` or `direct`.
    pub basis: &'static str,
    /// The source used.
    pub source: String,
    /// Revisions the rows were in (or converted to), `+` between them.
    pub classification: String,
    /// Conversion flags, `+` between them.
    pub conversion: String,
}

/// What one (source, level) contributes to a figure.
#[derive(Debug, Default)]
struct Sum {
    value: Mills,
    classes: BTreeSet<String>,
    conversions: BTreeSet<Conversion>,
}

/// Groups per (partner, group, flow, period) for the spec's focus, in key order.
pub fn group_rows(
    trade_flows: &dyn FlowBatches,
    spec: &MirrorSpec,
    groups: &[GroupSpec],
    conversion: Option<&ConversionSpec>,
) -> PolarsResult<Vec<GroupRow>> {
    if groups.is_empty() {
        return Ok(Vec::new());
    }
    let hs_levels = col("commodity_level")
        .eq(lit(6))
        .or(col("commodity_level").eq(lit(4)))
        .or(col("commodity_level").eq(lit(2)));
    let rank = |id: &str| spec.position(id).unwrap_or(usize::MAX);

    // (partner, group, flow, year, first, last) -> (basis rank, source rank, source, -level) -> sum
    type Key = (String, String, &'static str, i32, i32, i32);
    type Pick = (u8, usize, String, i32);
    let mut by: BTreeMap<Key, BTreeMap<Pick, Sum>> = BTreeMap::new();
    trade_flows.each_batch(&mut |batch| {
        let rows = focus_rows(
            batch,
            &spec.focus,
            &["import", "export"],
            hs_levels.clone(),
            &["classification", "commodity_code", "commodity_level"],
        )?;
        let focus = FocusColumns::new(&rows)?;
        let class = rows.column("classification")?.str()?;
        let code = rows.column("commodity_code")?.str()?;
        let level = rows.column("commodity_level")?.i32()?;
        for i in focus.rows() {
            let (Some(s), Some(m), Some(p), Some(x), Some(period)) = (
                focus.source_id.get(i),
                focus.is_mirror.get(i),
                focus.partner.get(i),
                focus.focus_exports.get(i),
                focus.period(i),
            ) else {
                continue;
            };
            let (y, f, t) = (period.year, period.first as i32, period.last as i32);
            let (Some(k), Some(c), Some(l), Some(v)) =
                (class.get(i), code.get(i), level.get(i), focus.mills.get(i))
            else {
                continue;
            };
            if !k.starts_with('H') {
                continue; // SITC and national codes are not HS codes
            }
            let flow = if x { "export" } else { "import" };
            for part in convert(k, c, l, v, conversion) {
                let class = match (conversion, part.conversion) {
                    (
                        Some(t),
                        Conversion::Exact | Conversion::SplitSameCode | Conversion::SplitEqual,
                    ) => t.target.name(),
                    _ => k,
                };
                for g in groups.iter().filter(|g| g.matches(&part.code, l)) {
                    let sum = by
                        .entry((p.to_string(), g.id.clone(), flow, y, f, t))
                        .or_default()
                        .entry((u8::from(!m), rank(s), s.to_string(), -l))
                        .or_default();
                    sum.value += Mills::from(part.mills);
                    sum.classes.insert(class.to_string());
                    sum.conversions.insert(part.conversion);
                }
            }
        }
        Ok(())
    })?;
    let joined = |names: Vec<&str>| names.join("+");
    let mut out = Vec::new();
    for ((partner, group, flow, year, month_first, month_last), picks) in by {
        let Some(((basis_rank, _, source, neg_level), sum)) = picks.into_iter().next() else {
            continue;
        };
        out.push(GroupRow {
            partner,
            group,
            flow,
            year,
            month_first,
            month_last,
            value: sum.value,
            level: -neg_level,
            basis: if basis_rank == 0 { "mirror" } else { "direct" },
            source,
            classification: joined(sum.classes.iter().map(String::as_str).collect()),
            conversion: joined(sum.conversions.iter().map(|c| c.name()).collect()),
        });
    }
    Ok(out)
}

/// The `trade_by_group` frame, in key order.
pub fn trade_by_group_frame(rows: &[GroupRow], spec: &MirrorSpec) -> PolarsResult<DataFrame> {
    patronage_core::frame!(
        rows,
        [
            column!("focus_iso3", |_| spec.focus.clone()),
            column!("partner_iso3", |r| r.partner.clone()),
            column!("group_id", |r| r.group.clone()),
            column!("flow", |r| r.flow),
            column!("year", |r| r.year),
            column!("month_first", |r| r.month_first),
            column!("month_last", |r| r.month_last),
            column!("value_usd", |r| usd(r.value)),
            column!("commodity_level_used", |r| r.level),
            column!("basis", |r| r.basis),
            column!("source_id", |r| r.source.clone()),
            column!("classification", |r| r.classification.clone()),
            column!("conversion", |r| r.conversion.clone()),
        ]
    )
}

/// The `commodity_group_bans` frame: each group's bans and caps, by group and date.
pub fn commodity_group_bans_frame(groups: &[GroupSpec]) -> PolarsResult<DataFrame> {
    let mut rows: Vec<(&GroupSpec, &GroupBan)> = groups
        .iter()
        .flat_map(|g| g.bans.iter().map(move |b| (g, b)))
        .collect();
    rows.sort_by(|a, b| {
        (&a.0.id, &a.1.date, &a.1.resolution).cmp(&(&b.0.id, &b.1.date, &b.1.resolution))
    });
    patronage_core::frame!(
        rows,
        [
            column!("group_id", |r| r.0.id.clone()),
            column!("group_description", |r| r.0.description.clone()),
            column!("hs_codes", |r| r.0.codes.join(" ")),
            column!("date", |r| r.1.date.clone()),
            column!("year", |r| r
                .1
                .date
                .get(..4)
                .and_then(|y| y.parse::<i32>().ok())
                .unwrap_or(0)),
            column!("resolution", |r| r.1.resolution.clone()),
            column!("measure", |r| r.1.measure.clone()),
            column!("detail", |r| r.1.detail.clone()),
            column!("citation", |r| r.1.citation.clone()),
        ]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_flows::{trade_flows, Flow};

    fn group(id: &str, codes: &[&str]) -> GroupSpec {
        GroupSpec {
            id: id.into(),
            description: id.into(),
            codes: codes.iter().map(|c| c.to_string()).collect(),
            bans: vec![],
        }
    }

    /// SYNTHETIC values. China's imports from the DPRK (mirror: the focus's
    /// exports). Source "a" has
    /// 6-digit coal rows for 2016 (270111: 100, 270112: 20) and a chapter-27 row of
    /// 999 that must not be added to them; for 2017 Q1 it has only the 4-digit
    /// heading 2701 (7). Source "b" (declared second) has 2016 coal at 4 digits,
    /// not used. Textiles (chapters 61, 62) for 2016: 61 = 30, 62 = 12 at the
    /// chapter level from "a": 42. The chapter-27 row alone is never coal.
    #[test]
    fn finest_level_of_the_first_source() {
        let rows = [
            ("a", "270111", 6, 2016, 1, 12, 100.0),
            ("a", "270112", 6, 2016, 1, 12, 20.0),
            ("a", "27", 2, 2016, 1, 12, 999.0),
            ("a", "2701", 4, 2017, 1, 3, 7.0),
            ("b", "2701", 4, 2016, 1, 12, 55.0),
            ("a", "61", 2, 2016, 1, 12, 30.0),
            ("a", "62", 2, 2016, 1, 12, 12.0),
            ("a", "27", 2, 2018, 1, 12, 5.0),
        ];
        let frame = trade_flows(rows.iter().map(|r| Flow {
            source: r.0,
            reporter: "CHN",
            partner: "PRK",
            flow: "import",
            classification: "H4",
            code: r.1,
            level: r.2,
            year: r.3,
            first: r.4,
            last: r.5,
            usd: r.6,
            ..Flow::default()
        }))
        .unwrap();
        let spec = MirrorSpec {
            focus: "PRK".into(),
            commodity: "TOTAL".into(),
            source_priority: vec!["a".into(), "b".into()],
        };
        let groups = [group("coal", &["2701"]), group("textiles", &["61", "62"])];
        let out = group_rows(&frame, &spec, &groups, None).unwrap();
        /// (group, flow, year, first month, last month, mills, level, source)
        type Got<'a> = (&'a str, &'a str, i32, i32, i32, Mills, i32, &'a str);
        let got: Vec<Got> = out
            .iter()
            .map(|r| {
                (
                    r.group.as_str(),
                    r.flow,
                    r.year,
                    r.month_first,
                    r.month_last,
                    r.value,
                    r.level,
                    r.source.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("coal", "export", 2016, 1, 12, 120_000, 6, "a"),
                ("coal", "export", 2017, 1, 3, 7_000, 4, "a"),
                ("textiles", "export", 2016, 1, 12, 42_000, 2, "a"),
            ]
        );
        assert!(out.iter().all(|r| r.basis == "mirror"));
    }
}
