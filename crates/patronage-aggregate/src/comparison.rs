//! Sources side by side: for every partner, period and direction of the focus
//! country's trade, each source's figure, the spread between them, and which
//! source `mirror_trade` takes (the first declared).
//!
//! A source's figure is, in order of preference:
//! 1. its reported total (the row of the pipeline's commodity, `TOTAL` by default);
//! 2. for `TOTAL`, the sum of its rows at the most detailed commodity level it
//!    has (BACI's 6-digit rows, a customs file's 8- or 10-digit rows, confidential
//!    goods included) — never a sum across levels;
//! 3. for direction `total`, its exports plus its imports when it gives both.
//!
//! The focus country's own reports (`direct`) are used only where a source has no
//! partner report (`mirror`) for that figure, as in `mirror_trade`.

use std::collections::BTreeMap;

use patronage_core::MonthRange;
use polars::prelude::*;

use crate::focus::{focus_rows, FlowBatches, FocusColumns};
use crate::{usd, Mills, MirrorSpec};

/// One row of `source_comparison`, money in thousandths.
#[derive(Debug, Clone, PartialEq)]
pub struct ComparisonRow {
    /// Partner ISO3.
    pub partner: String,
    /// Period.
    pub period: MonthRange,
    /// `focus_exports`, `focus_imports` or `total`.
    pub direction: &'static str,
    /// Source id.
    pub source: String,
    /// 1 = declared first.
    pub priority: usize,
    /// `mirror` or `direct`.
    pub basis: &'static str,
    /// How the figure was obtained.
    pub derivation: String,
    /// CIF, FOB or mixed.
    pub valuation: &'static str,
    /// The figure, mills.
    pub value: Mills,
    /// The figure with CIF values divided by the factor, mills; `None` without a
    /// factor or for a reported total of mixed valuation.
    pub value_fob: Option<Mills>,
}

/// What one figure's rows give.
#[derive(Default)]
struct Acc {
    // (file, line, mills) of reported rows, first wins
    reported: Option<(String, i64, i64)>,
    // (level, sum), a level once each
    levels: Vec<(i32, Mills)>,
    valuations: Vec<&'static str>,
}

fn valuation_of(v: &str) -> &'static str {
    match v {
        "CIF" => "CIF",
        "FOB" => "FOB",
        _ => "mixed",
    }
}

/// Every source's figures for the spec's focus, in key order.
pub fn comparison_rows(
    trade_flows: &dyn FlowBatches,
    spec: &MirrorSpec,
    cif_fob_factor: Option<f64>,
) -> PolarsResult<Vec<ComparisonRow>> {
    let rank = |id: &str| spec.position(id).map_or(usize::MAX, |p| p + 1);

    // (partner, period, direction, source, is_mirror) -> accumulated figures
    type Key = (String, MonthRange, &'static str, String, bool);
    let mut acc: BTreeMap<Key, Acc> = BTreeMap::new();
    trade_flows.each_batch(&mut |batch| {
        let rows = focus_rows(
            batch,
            &spec.focus,
            &["import", "export", "total"],
            lit(true),
            &[
                "source_file",
                "source_line",
                "flow",
                "commodity_code",
                "commodity_level",
                "valuation",
            ],
        )?;
        let focus = FocusColumns::new(&rows)?;
        let file = rows.column("source_file")?.str()?;
        let line = rows.column("source_line")?.i64()?;
        let flow = rows.column("flow")?.str()?;
        let code = rows.column("commodity_code")?.str()?;
        let level = rows.column("commodity_level")?.i32()?;
        let valuation = rows.column("valuation")?.str()?;
        for i in focus.rows() {
            let (
                Some(s),
                Some(p),
                Some(period),
                Some(m),
                Some(fl),
                Some(c),
                Some(lv),
                Some(v),
                Some(x),
            ) = (
                focus.source_id.get(i),
                focus.partner.get(i),
                focus.period(i),
                focus.is_mirror.get(i),
                flow.get(i),
                code.get(i),
                level.get(i),
                valuation.get(i),
                focus.mills.get(i),
            )
            else {
                continue;
            };
            let direction = match (fl, m) {
                ("total", _) => "total",
                ("import", true) | ("export", false) => "focus_exports",
                _ => "focus_imports",
            };
            let a = acc
                .entry((p.to_string(), period, direction, s.to_string(), m))
                .or_default();
            if !a.valuations.contains(&valuation_of(v)) {
                a.valuations.push(valuation_of(v));
            }
            if c == spec.commodity {
                let here = (
                    file.get(i).unwrap_or_default(),
                    line.get(i).unwrap_or_default(),
                    x,
                );
                if a.reported
                    .as_ref()
                    .is_none_or(|r| (here.0, here.1) < (r.0.as_str(), r.1))
                {
                    a.reported = Some((here.0.to_string(), here.1, here.2));
                }
            } else if spec.commodity == "TOTAL" && lv > 0 {
                match a.levels.iter_mut().find(|(l, _)| *l == lv) {
                    Some((_, sum)) => *sum += Mills::from(x),
                    None => a.levels.push((lv, Mills::from(x))),
                }
            }
        }
        Ok(())
    })?;
    let factor = cif_fob_factor;
    let fob = |value: Mills, valuation: &str| -> Option<Mills> {
        let f = factor?;
        match valuation {
            "CIF" => Some((value as f64 / f).round() as Mills),
            "FOB" => Some(value),
            _ => None,
        }
    };
    // One figure per (partner, period, direction, source): mirror before direct.
    let mut figures: BTreeMap<(String, MonthRange, &'static str, String), ComparisonRow> =
        BTreeMap::new();
    for ((p, period, direction, s, is_mirror), a) in acc {
        let valuation = if a.valuations.len() == 1 {
            a.valuations[0]
        } else {
            "mixed"
        };
        let (value, derivation) = if let Some((_, _, x)) = a.reported {
            (Mills::from(x), "reported".to_string())
        } else if let Some((lv, x)) = a.levels.iter().max_by_key(|(l, _)| *l) {
            (*x, format!("sum_of_level_{lv}"))
        } else {
            continue;
        };
        let key = (p.clone(), period, direction, s.clone());
        if figures.get(&key).is_some_and(|f| f.basis == "mirror") {
            continue;
        }
        figures.insert(
            key,
            ComparisonRow {
                partner: p,
                period,
                direction,
                priority: rank(&s),
                source: s,
                basis: if is_mirror { "mirror" } else { "direct" },
                derivation,
                valuation,
                value,
                value_fob: fob(value, valuation),
            },
        );
    }
    // Totals from both directions where a source gives no total of its own.
    let mut totals = Vec::new();
    for ((p, period, direction, s), x) in &figures {
        if *direction != "focus_exports"
            || figures.contains_key(&(p.clone(), *period, "total", s.clone()))
        {
            continue;
        }
        if let Some(m) = figures.get(&(p.clone(), *period, "focus_imports", s.clone())) {
            totals.push(ComparisonRow {
                partner: p.clone(),
                period: *period,
                direction: "total",
                source: s.clone(),
                priority: x.priority,
                basis: if x.basis == m.basis { x.basis } else { "mixed" },
                derivation: "exports_plus_imports".to_string(),
                valuation: "mixed",
                value: x.value + m.value,
                value_fob: x.value_fob.zip(m.value_fob).map(|(a, b)| a + b),
            });
        }
    }
    for t in totals {
        figures.insert((t.partner.clone(), t.period, "total", t.source.clone()), t);
    }
    let mut out: Vec<ComparisonRow> = figures.into_values().collect();
    out.sort_by(|a, b| {
        (
            &a.partner,
            a.period.year,
            a.period.first,
            a.period.last,
            a.direction,
            &a.source,
        )
            .cmp(&(
                &b.partner,
                b.period.year,
                b.period.first,
                b.period.last,
                b.direction,
                &b.source,
            ))
    });
    Ok(out)
}

/// The `source_comparison` frame, in key order, with each group's spread.
pub fn source_comparison_frame(
    rows: &[ComparisonRow],
    spec: &MirrorSpec,
    cif_fob_factor: Option<f64>,
) -> PolarsResult<DataFrame> {
    // Group statistics: (partner, period, direction) -> (count, min, max, value of the first-priority source)
    // (count, min, max, (priority, value) of the first-priority source)
    type Stat = (i32, Mills, Mills, (usize, Mills));
    let mut groups: BTreeMap<(String, MonthRange, &'static str), Stat> = BTreeMap::new();
    for r in rows {
        let g = groups
            .entry((r.partner.clone(), r.period, r.direction))
            .or_insert((0, Mills::MAX, Mills::MIN, (usize::MAX, 0)));
        g.0 += 1;
        g.1 = g.1.min(r.value);
        g.2 = g.2.max(r.value);
        if r.priority < g.3 .0 {
            g.3 = (r.priority, r.value);
        }
    }
    let stat = |r: &ComparisonRow| groups[&(r.partner.clone(), r.period, r.direction)];
    patronage_core::frame!(
        rows,
        [
            column!("focus_iso3", |_| spec.focus.clone()),
            column!("partner_iso3", |r| r.partner.clone()),
            column!("year", |r| r.period.year),
            column!("month_first", |r| r.period.first as i32),
            column!("month_last", |r| r.period.last as i32),
            column!("direction", |r| r.direction),
            column!("source_id", |r| r.source.clone()),
            column!("priority", |r| r.priority as i32),
            column!("basis", |r| r.basis),
            column!("derivation", |r| r.derivation.clone()),
            column!("valuation", |r| r.valuation),
            column!("value_usd", |r| usd(r.value)),
            column!("cif_fob_factor", |_| cif_fob_factor),
            column!("value_fob_usd", |r| r.value_fob.map(usd)),
            column!("sources_compared", |r| stat(r).0),
            column!("min_usd", |r| usd(stat(r).1)),
            column!("max_usd", |r| usd(stat(r).2)),
            column!("spread_usd", |r| usd(stat(r).2 - stat(r).1)),
            column!("spread_pct", |r| {
                let (_, lo, hi, _) = stat(r);
                (lo > 0).then(|| 100.0 * (hi - lo) as f64 / lo as f64)
            }),
            column!("vs_first_source_usd", |r| usd(r.value - stat(r).3 .1)),
        ]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_flows::{trade_flows, Flow};

    /// (source, line, reporter, partner, flow, code, level, valuation, usd)
    type Row = (
        &'static str,
        i64,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        i32,
        &'static str,
        f64,
    );

    fn frame(rows: &[Row]) -> DataFrame {
        trade_flows(rows.iter().map(|r| Flow {
            source: r.0,
            line: r.1,
            reporter: r.2,
            partner: r.3,
            flow: r.4,
            code: r.5,
            level: r.6,
            valuation: r.7,
            usd: r.8,
            ..Flow::default()
        }))
        .unwrap()
    }

    /// A reported total, a sum of 6-digit rows (the 2-digit row beside them is not
    /// added), a turnover, and exports plus imports; with a factor of 1.1, CIF
    /// imports of 110 are 100 FOB.
    #[test]
    fn figures_spreads_and_the_cif_fob_factor() {
        let rows = [
            ("a", 1, "CHN", "PRK", "import", "TOTAL", 0, "CIF", 110.0),
            ("a", 2, "CHN", "PRK", "export", "TOTAL", 0, "FOB", 300.0),
            ("b", 1, "CHN", "PRK", "import", "270112", 6, "FOB", 40.0),
            ("b", 2, "CHN", "PRK", "import", "270119", 6, "FOB", 50.0),
            ("b", 3, "CHN", "PRK", "import", "27", 2, "FOB", 90.0),
            ("c", 1, "CHN", "PRK", "total", "TOTAL", 0, "mixed", 380.0),
            // Another focus's trade is not compared.
            ("c", 2, "CHN", "KOR", "import", "TOTAL", 0, "CIF", 7.0),
        ];
        let spec = MirrorSpec {
            focus: "PRK".into(),
            commodity: "TOTAL".into(),
            source_priority: vec!["a".into(), "b".into(), "c".into()],
        };
        let out = comparison_rows(&frame(&rows), &spec, Some(1.1)).unwrap();
        let got: Vec<(&str, &str, Mills, &str, Option<Mills>)> = out
            .iter()
            .map(|r| {
                (
                    r.direction,
                    r.source.as_str(),
                    r.value,
                    r.derivation.as_str(),
                    r.value_fob,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("focus_exports", "a", 110_000, "reported", Some(100_000)),
                ("focus_exports", "b", 90_000, "sum_of_level_6", Some(90_000)),
                ("focus_imports", "a", 300_000, "reported", Some(300_000)),
                ("total", "a", 410_000, "exports_plus_imports", Some(400_000)),
                ("total", "c", 380_000, "reported", None),
            ]
        );
        let df = source_comparison_frame(&out, &spec, Some(1.1)).unwrap();
        let spread = df.column("spread_usd").unwrap().f64().unwrap();
        let vs_first = df.column("vs_first_source_usd").unwrap().f64().unwrap();
        assert_eq!((spread.get(0), spread.get(1)), (Some(20.0), Some(20.0)));
        assert_eq!(
            (vs_first.get(1), vs_first.get(4)),
            (Some(-20.0), Some(-30.0))
        );
        assert_eq!(
            df.column("cif_fob_factor").unwrap().f64().unwrap().get(0),
            Some(1.1)
        );
    }
}
