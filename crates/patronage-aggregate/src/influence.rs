//! `patron_influence`: the focus country's ties to each patron, year by year —
//! trade, aid and workers side by side — and the year's lead patron.
//!
//! The three measures are never added together: they are in different units.
//! The lead is decided on the first measure any patron has a figure for that
//! year (trade, then aid, then workers, then the count of aid records, then
//! part-year trade), and `patrons_compared` says how many patrons that
//! comparison had: a lead with one patron compared is uncontested in the data,
//! not a measured advantage.

use std::collections::{BTreeMap, BTreeSet};

use patronage_core::series_of;
use polars::prelude::*;

use patronage_tables::columns::{floats, ints, longs, strs};

/// The tables `patron_influence` is built from, all already built by the run.
pub struct InfluenceInputs<'a> {
    /// Focus country, ISO3.
    pub focus: &'a str,
    /// Declared patrons; empty = every partner, donor and host found.
    pub patrons: &'a [String],
    /// `mirror_trade`.
    pub mirror_trade: &'a DataFrame,
    /// `aid_by_donor_year`.
    pub aid_by_donor_year: &'a DataFrame,
    /// `aid_events`.
    pub aid_events: &'a DataFrame,
    /// `labor_summary`.
    pub labor_summary: &'a DataFrame,
}

/// Labor measures from best to worst for comparing patrons: people present
/// first, then permits, then estimates of unstated basis.
const MEASURE_ORDER: [&str; 3] = ["workers_present", "work_permits_issued", "estimate"];

fn measure_rank(m: &str) -> usize {
    MEASURE_ORDER
        .iter()
        .position(|x| *x == m)
        .unwrap_or(MEASURE_ORDER.len())
}

/// One patron in one year.
#[derive(Debug, Default, Clone)]
struct Cell {
    trade: Option<(f64, String)>,
    part_year: Option<(i32, f64)>,
    aid: Option<(f64, &'static str)>,
    aid_records: i32,
    workers: Option<(usize, String, i64, String)>,
}

type Key = (i32, String);

/// Figures per (year, patron), and every year that has any figure for the focus.
#[derive(Default)]
struct Gathered {
    cells: BTreeMap<Key, Cell>,
    years: BTreeSet<i32>,
    seen: BTreeSet<String>,
}

impl Gathered {
    fn cell(&mut self, year: i32, patron: &str) -> &mut Cell {
        self.seen.insert(patron.to_string());
        self.cells.entry((year, patron.to_string())).or_default()
    }
}

fn gather(inp: &InfluenceInputs) -> PolarsResult<Gathered> {
    let mut g = Gathered::default();
    let m = inp.mirror_trade;
    let (focus, partner, sources) = (
        strs(m, "focus_iso3")?,
        strs(m, "partner_iso3")?,
        strs(m, "source_ids")?,
    );
    let (year, month, covered) = (
        ints(m, "year")?,
        ints(m, "month")?,
        ints(m, "months_covered")?,
    );
    let total = floats(m, "total_usd")?;
    for i in 0..m.height() {
        let (Some(f), Some(p), Some(y)) = (&focus[i], &partner[i], year[i]) else {
            continue;
        };
        if f != inp.focus {
            continue;
        }
        g.years.insert(y);
        let Some(t) = total[i] else { continue };
        let months = covered[i].unwrap_or(0);
        let cell = g.cell(y, p);
        if month[i].is_none() && months == 12 {
            if cell.trade.is_none() {
                cell.trade = Some((t, sources[i].clone().unwrap_or_default()));
            }
        } else if cell.part_year.is_none_or(|(m0, _)| months > m0) {
            cell.part_year = Some((months, t));
        }
    }

    let a = inp.aid_by_donor_year;
    let (donor, recipient, ayear) = (
        strs(a, "donor_iso3")?,
        strs(a, "recipient_iso3")?,
        ints(a, "year")?,
    );
    let stages = [
        ("paid", floats(a, "paid_usd_constant")?),
        ("committed", floats(a, "committed_usd_constant")?),
        ("pledged", floats(a, "pledged_usd_constant")?),
    ];
    for i in 0..a.height() {
        let (Some(d), Some(r), Some(y)) = (&donor[i], &recipient[i], ayear[i]) else {
            continue;
        };
        if r != inp.focus {
            continue;
        }
        g.years.insert(y);
        let best = stages.iter().find_map(|(name, v)| v[i].map(|x| (x, *name)));
        if let Some(best) = best {
            g.cell(y, d).aid = Some(best);
        }
    }

    let e = inp.aid_events;
    let (donor, recipient, eyear) = (
        strs(e, "donor_iso3")?,
        strs(e, "recipient_iso3")?,
        ints(e, "year")?,
    );
    for i in 0..e.height() {
        let (Some(d), Some(r), Some(y)) = (&donor[i], &recipient[i], eyear[i]) else {
            continue;
        };
        if r == inp.focus {
            g.years.insert(y);
            g.cell(y, d).aid_records += 1;
        }
    }

    let l = inp.labor_summary;
    let (host, origin, measure, qualifier) = (
        strs(l, "host_iso3")?,
        strs(l, "origin_iso3")?,
        strs(l, "measure")?,
        strs(l, "qualifier")?,
    );
    let (lyear, workers) = (ints(l, "year")?, longs(l, "workers")?);
    for i in 0..l.height() {
        let (Some(h), Some(o), Some(y), Some(m), Some(w)) =
            (&host[i], &origin[i], lyear[i], &measure[i], workers[i])
        else {
            continue;
        };
        if o != inp.focus {
            continue;
        }
        g.years.insert(y);
        let rank = measure_rank(m);
        let q = qualifier[i].clone().unwrap_or_default();
        let cell = g.cell(y, h);
        // Ties within a rank (two "other" measures) go to the name first in order.
        let better = cell
            .workers
            .as_ref()
            .is_none_or(|(r0, m0, _, _)| (rank, m.as_str()) < (*r0, m0.as_str()));
        if better {
            cell.workers = Some((rank, m.clone(), w, q));
        }
    }
    Ok(g)
}

/// The lead patron of one year: the first basis any patron has a figure on,
/// and the largest figure on it (ties to the first patron in order).
fn lead<'a>(cells: &[(&'a str, &Cell)]) -> (Option<&'a str>, &'static str, i32) {
    type Measure = fn(&Cell) -> Option<f64>;
    let bases: [(&'static str, Measure); 5] = [
        ("trade", |c| c.trade.as_ref().map(|t| t.0)),
        ("aid", |c| c.aid.map(|a| a.0)),
        ("workers", |c| c.workers.as_ref().map(|w| w.2 as f64)),
        ("aid_records", |c| {
            (c.aid_records > 0).then_some(c.aid_records as f64)
        }),
        ("trade_part_year", |c| c.part_year.map(|p| p.1)),
    ];
    for (basis, measure) in bases {
        let mut best: Option<(&str, f64)> = None;
        let mut compared = 0;
        for (p, c) in cells {
            if let Some(v) = measure(c) {
                compared += 1;
                if best.is_none_or(|(_, b)| v > b) {
                    best = Some((p, v));
                }
            }
        }
        if let Some((p, _)) = best {
            return (Some(p), basis, compared);
        }
    }
    (None, "none", 0)
}

/// One output row: a patron in a year, with the year's lead.
struct Row<'a> {
    year: i32,
    patron: &'a str,
    cell: &'a Cell,
    share: Option<f64>,
    trade_patrons: i32,
    lead: (Option<&'a str>, &'static str, i32),
}

/// The `patron_influence` frame, in key order (focus, year, patron). A patron
/// has a row in each year in which `valid_in(patron, year)` holds, so the USSR
/// stops in 1991 and Russia starts in 1992.
pub fn patron_influence_frame(
    inp: &InfluenceInputs,
    valid_in: impl Fn(&str, i32) -> bool,
) -> PolarsResult<DataFrame> {
    let g = gather(inp)?;
    let patrons: BTreeSet<String> = if inp.patrons.is_empty() {
        g.seen.clone()
    } else {
        inp.patrons.iter().cloned().collect()
    };
    let empty = Cell::default();
    let mut rows: Vec<Row> = Vec::new();
    for &year in &g.years {
        let cells: Vec<(&str, &Cell)> = patrons
            .iter()
            .filter(|p| valid_in(p, year))
            .map(|p| {
                (
                    p.as_str(),
                    g.cells.get(&(year, p.clone())).unwrap_or(&empty),
                )
            })
            .collect();
        let traded: Vec<f64> = cells
            .iter()
            .filter_map(|(_, c)| c.trade.as_ref().map(|t| t.0))
            .collect();
        let denominator: f64 = traded.iter().sum();
        let lead = lead(&cells);
        for (patron, cell) in cells {
            let share = cell
                .trade
                .as_ref()
                .filter(|_| denominator > 0.0)
                .map(|t| t.0 / denominator);
            rows.push(Row {
                year,
                patron,
                cell,
                share,
                trade_patrons: traded.len() as i32,
                lead,
            });
        }
    }
    let focus = inp.focus;
    patronage_core::frame!(
        rows,
        [
            column!("focus_iso3", |_| focus),
            column!("year", |r| r.year),
            column!("patron_iso3", |r| r.patron),
            column!("patron_series", |r| series_of(r.patron)),
            column!("trade_usd", |r| r.cell.trade.as_ref().map(|t| t.0)),
            column!("trade_source_ids", |r| r
                .cell
                .trade
                .as_ref()
                .map(|t| t.1.as_str())),
            column!("trade_share", |r| r.share),
            column!("trade_patrons", |r| r.trade_patrons),
            column!("aid_usd_constant", |r| r.cell.aid.map(|a| a.0)),
            column!("aid_stage", |r| r.cell.aid.map(|a| a.1)),
            column!("aid_records", |r| r.cell.aid_records),
            column!("workers", |r| r.cell.workers.as_ref().map(|w| w.2)),
            column!("workers_measure", |r| r
                .cell
                .workers
                .as_ref()
                .map(|w| w.1.as_str())),
            column!("workers_qualifier", |r| r
                .cell
                .workers
                .as_ref()
                .map(|w| w.3.as_str())),
            column!("lead_patron", |r| r.lead.0),
            column!("lead_basis", |r| r.lead.1),
            column!("patrons_compared", |r| r.lead.2),
        ]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(cols: Vec<Column>) -> DataFrame {
        DataFrame::new_infer_height(cols).unwrap()
    }

    fn s(name: &str, v: Vec<Option<&str>>) -> Column {
        Series::new(name.into(), v).into_column()
    }

    fn i(name: &str, v: Vec<Option<i32>>) -> Column {
        Series::new(name.into(), v).into_column()
    }

    fn f(name: &str, v: Vec<Option<f64>>) -> Column {
        Series::new(name.into(), v).into_column()
    }

    /// The default pipeline's figures for 1953, 2016, 2017 and 1985, by hand:
    /// China's 1953 commitment beats the USSR's; 2016 has only Russia's
    /// January-February figure; 2017 China $5.06B against Russia $77.9M; 1985
    /// only workers (USSR, more than 20,000).
    fn inputs() -> (DataFrame, DataFrame, DataFrame, DataFrame) {
        let mirror = frame(vec![
            s("focus_iso3", vec![Some("PRK"); 4]),
            s(
                "partner_iso3",
                vec![Some("CHN"), Some("RUS"), Some("RUS"), Some("RUS")],
            ),
            i("year", vec![Some(2017), Some(2017), Some(2017), Some(2016)]),
            i("month", vec![None; 4]),
            i("months_covered", vec![Some(12), Some(12), Some(2), Some(2)]),
            f(
                "total_usd",
                vec![Some(5.06e9), Some(7.79e7), Some(1.98e7), Some(1.1531885e7)],
            ),
            s(
                "source_ids",
                vec![
                    Some("cn_gacc"),
                    Some("ru_reported"),
                    Some("ru_customs_ytd"),
                    Some("ru_customs_ytd"),
                ],
            ),
        ]);
        let by_year = frame(vec![
            s("donor_iso3", vec![Some("CHN"), Some("SUN")]),
            s("recipient_iso3", vec![Some("PRK"), Some("PRK")]),
            i("year", vec![Some(1953), Some(1953)]),
            f("paid_usd_constant", vec![None, None]),
            f(
                "committed_usd_constant",
                vec![Some(6.036e9), Some(2.4233e9)],
            ),
            f("pledged_usd_constant", vec![None, None]),
        ]);
        let events = frame(vec![
            s("donor_iso3", vec![Some("SUN"), Some("CHN"), Some("CHN")]),
            s("recipient_iso3", vec![Some("PRK"); 3]),
            i("year", vec![Some(1953); 3]),
        ]);
        let labor = frame(vec![
            s("host_iso3", vec![Some("SUN"), Some("RUS"), Some("RUS")]),
            s("origin_iso3", vec![Some("PRK"); 3]),
            s(
                "measure",
                vec![
                    Some("workers_present"),
                    Some("estimate"),
                    Some("workers_present"),
                ],
            ),
            s(
                "qualifier",
                vec![Some("more_than"), Some("exact"), Some("about")],
            ),
            i("year", vec![Some(1985), Some(2017), Some(2017)]),
            Series::new(
                "workers".into(),
                vec![Some(20_000i64), Some(40_000), Some(37_000)],
            )
            .into_column(),
        ]);
        (mirror, by_year, events, labor)
    }

    fn build() -> DataFrame {
        let (m, a, e, l) = inputs();
        let patrons = ["SUN".to_string(), "RUS".to_string(), "CHN".to_string()];
        let inp = InfluenceInputs {
            focus: "PRK",
            patrons: &patrons,
            mirror_trade: &m,
            aid_by_donor_year: &a,
            aid_events: &e,
            labor_summary: &l,
        };
        // The registry's rule for these two: SUN through 1991, RUS from 1992.
        patron_influence_frame(&inp, |p, y| match p {
            "SUN" => y <= 1991,
            "RUS" => y >= 1992,
            _ => true,
        })
        .unwrap()
    }

    fn row(df: &DataFrame, year: i32, patron: &str) -> usize {
        let (y, p) = (ints(df, "year").unwrap(), strs(df, "patron_iso3").unwrap());
        (0..df.height())
            .find(|&i| y[i] == Some(year) && p[i].as_deref() == Some(patron))
            .unwrap_or_else(|| panic!("no row {year} {patron}"))
    }

    #[test]
    fn every_year_with_a_figure_and_its_lead() {
        let df = build();
        let years: BTreeSet<i32> = ints(&df, "year").unwrap().into_iter().flatten().collect();
        assert_eq!(years, BTreeSet::from([1953, 1985, 2016, 2017]));
        // Two patrons valid each year: CHN with SUN before 1992, with RUS after.
        assert_eq!(df.height(), 8);
        let lead = strs(&df, "lead_patron").unwrap();
        let basis = strs(&df, "lead_basis").unwrap();
        let compared = ints(&df, "patrons_compared").unwrap();
        let r = row(&df, 1953, "SUN");
        assert_eq!(
            (lead[r].as_deref(), basis[r].as_deref(), compared[r]),
            (Some("CHN"), Some("aid"), Some(2))
        );
        let r = row(&df, 1985, "CHN");
        assert_eq!(
            (lead[r].as_deref(), basis[r].as_deref(), compared[r]),
            (Some("SUN"), Some("workers"), Some(1))
        );
        let r = row(&df, 2016, "RUS");
        assert_eq!(
            (lead[r].as_deref(), basis[r].as_deref()),
            (Some("RUS"), Some("trade_part_year"))
        );
        let r = row(&df, 2017, "RUS");
        assert_eq!(
            (lead[r].as_deref(), basis[r].as_deref(), compared[r]),
            (Some("CHN"), Some("trade"), Some(2))
        );
    }

    #[test]
    fn shares_measures_and_the_succession() {
        let df = build();
        let share = floats(&df, "trade_share").unwrap();
        // 77.9M / (5,060M + 77.9M) = 0.0151622...
        let r = row(&df, 2017, "RUS");
        assert!((share[r].unwrap() - 77.9 / 5137.9).abs() < 1e-12);
        // The full-year row is used, not the January-February one.
        assert_eq!(floats(&df, "trade_usd").unwrap()[r], Some(7.79e7));
        // Workers present is preferred to the 40,000 estimate.
        assert_eq!(longs(&df, "workers").unwrap()[r], Some(37_000));
        assert_eq!(
            strs(&df, "workers_measure").unwrap()[r].as_deref(),
            Some("workers_present")
        );
        // USSR and Russia are one series; neither has a row outside its years.
        let series = strs(&df, "patron_series").unwrap();
        assert_eq!(series[r].as_deref(), Some("SUN-RUS"));
        assert_eq!(series[row(&df, 1953, "SUN")].as_deref(), Some("SUN-RUS"));
        let p = strs(&df, "patron_iso3").unwrap();
        let y = ints(&df, "year").unwrap();
        assert!((0..df.height()).all(|i| !(p[i].as_deref() == Some("RUS") && y[i] < Some(1992))));
        assert!((0..df.height()).all(|i| !(p[i].as_deref() == Some("SUN") && y[i] > Some(1991))));
        // Aid records count every stage: China has two in 1953.
        assert_eq!(
            ints(&df, "aid_records").unwrap()[row(&df, 1953, "CHN")],
            Some(2)
        );
        assert_eq!(
            strs(&df, "aid_stage").unwrap()[row(&df, 1953, "CHN")].as_deref(),
            Some("committed")
        );
    }
}
