//! The sanctioned-goods chart: the focus country's trade in each commodity group
//! (`trade_by_group`) against the dates of the bans and caps on it
//! (`commodity_group_bans`).
//!
//! The invariant: every point is one row of `trade_by_group`, drawn at the middle
//! of its period as the average per month over the period (a year's figure over
//! 12, a quarter's over 3), so years, quarters and months share one axis without
//! a part-year figure passing for a year; full years and part years are separate
//! lines. Every marker is one row of `commodity_group_bans` of a group drawn.

use std::collections::{BTreeMap, BTreeSet};

use patronage_tables::columns::{floats, ints, strs};
use polars::prelude::*;

use crate::svg::{self, Marker, Scale, Series};

/// The position of a date `YYYY-MM-DD` on a year axis (2017-08-05 is about 2017.59).
fn date_x(date: &str) -> Option<f64> {
    let y: f64 = date.get(..4)?.parse().ok()?;
    let m: f64 = date.get(5..7)?.parse().ok()?;
    let d: f64 = date.get(8..10)?.parse().ok()?;
    Some(y + (m - 1.0 + (d - 1.0) / 31.0) / 12.0)
}

/// The chart of `groups` drawn from `by_group` (trade_by_group) and `bans`
/// (commodity_group_bans), with the number of rows drawn.
pub(crate) fn sanctioned_goods_chart(
    by_group: &DataFrame,
    bans: &DataFrame,
) -> PolarsResult<(String, usize)> {
    let (group, flow) = (strs(by_group, "group_id")?, strs(by_group, "flow")?);
    let focus = strs(by_group, "focus_iso3")?;
    let (year, first, last) = (
        ints(by_group, "year")?,
        ints(by_group, "month_first")?,
        ints(by_group, "month_last")?,
    );
    let value = floats(by_group, "value_usd")?;
    let mut lines: BTreeMap<(String, &'static str), Vec<(f64, f64)>> = BTreeMap::new();
    let mut drawn = BTreeSet::new();
    let mut rows = 0;
    for i in 0..by_group.height() {
        let (Some(g), Some(c), Some(f), Some(y), Some(a), Some(b), Some(v)) = (
            &group[i], &focus[i], &flow[i], year[i], first[i], last[i], value[i],
        ) else {
            continue;
        };
        let months = f64::from(b - a + 1);
        let x = f64::from(y) + (f64::from(a - 1) + months / 2.0) / 12.0;
        let span = if months == 12.0 {
            "full years"
        } else {
            "part years"
        };
        lines
            .entry((format!("{g}: {c} {f}s"), span))
            .or_default()
            .push((x, v / months));
        drawn.insert(g.clone());
        rows += 1;
    }
    let series: Vec<Series> = lines
        .into_iter()
        .map(|((name, span), mut points)| {
            points.sort_by(|p, q| p.0.total_cmp(&q.0));
            Series {
                name: format!("{name}, {span}"),
                points,
            }
        })
        .collect();
    let (bgroup, date, resolution, measure) = (
        strs(bans, "group_id")?,
        strs(bans, "date")?,
        strs(bans, "resolution")?,
        strs(bans, "measure")?,
    );
    let mut markers: BTreeMap<String, (f64, Vec<String>)> = BTreeMap::new();
    for i in 0..bans.height() {
        let (Some(g), Some(d), Some(r), Some(m)) =
            (&bgroup[i], &date[i], &resolution[i], &measure[i])
        else {
            continue;
        };
        let Some(x) = date_x(d).filter(|_| drawn.contains(g)) else {
            continue;
        };
        let entry = markers
            .entry(format!("{d} {r}"))
            .or_insert_with(|| (x, Vec::new()));
        entry.1.push(format!("{g} {m}"));
    }
    let markers: Vec<Marker> = markers
        .into_iter()
        .map(|(label, (x, what))| Marker {
            x,
            label: format!("{label}: {}", what.join(", ")),
        })
        .collect();
    let chart = svg::line_chart(
        "sanctioned_goods",
        "Trade in sanctioned goods against the UN bans (average US dollars per month over each period)",
        "US dollars per month",
        &series,
        &markers,
        Scale::Linear,
    );
    Ok((chart, rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SYNTHETIC values. Two coal rows (2016 full year $1.2bn = $100m a month at mid-2016; Q1 2017
    /// $30m = $10m a month at mid-February 2017) and a textile row with no ban of
    /// its own drawn; the coal ban of 5 Aug 2017 is a marker, the iron ban (no
    /// rows) is not.
    #[test]
    fn points_are_monthly_averages_at_mid_period() {
        let by_group = df!(
            "focus_iso3" => ["PRK", "PRK", "PRK"],
            "group_id" => ["coal", "coal", "textiles"],
            "flow" => ["export", "export", "export"],
            "year" => [2016i32, 2017, 2015],
            "month_first" => [1i32, 1, 1],
            "month_last" => [12i32, 3, 12],
            "value_usd" => [1.2e9, 30.0e6, 600.0e6],
        )
        .unwrap();
        let bans = df!(
            "group_id" => ["coal", "iron"],
            "date" => ["2017-08-05", "2016-03-02"],
            "resolution" => ["UNSCR 2371", "UNSCR 2270"],
            "measure" => ["ban", "ban"],
        )
        .unwrap();
        let (svg, rows) = sanctioned_goods_chart(&by_group, &bans).unwrap();
        assert_eq!(rows, 3);
        assert!(svg.contains("coal: PRK exports, full years"), "{svg}");
        assert!(svg.contains("coal: PRK exports, part years"), "{svg}");
        assert!(svg.contains("2017-08-05 UNSCR 2371: coal ban"), "{svg}");
        assert!(!svg.contains("UNSCR 2270"), "{svg}");
        // Tooltips carry x and the monthly average: 100M at 2016.5, 10M at 2017.125.
        assert!(svg.contains("2016.5: 100"), "{svg}");
        assert!(svg.contains("2017.125: 10"), "{svg}");
        assert_eq!(date_x("2017-01-01"), Some(2017.0));
    }
}
