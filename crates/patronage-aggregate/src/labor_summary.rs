//! `labor_summary`: one number per year, host, origin and measure from
//! `labor_stock`. Numbers are only ever added through a [`Tally`], which holds one
//! measure and refuses a figure of another, so permits issued are never added to
//! workers present, nor an estimate to a count.
//!
//! For each year, host, origin and measure, the figures come from one source (the
//! first in the pipeline's order that has that measure there). Counts over the
//! year (permits issued, quota, entries) are summed across sectors. Stocks
//! (workers present, estimates) taken on several dates are alternatives, not
//! parts: the figures of the latest date given that year are used (undated ones
//! only when no figure that year is dated). Where the source gives an `all`
//! figure, it is the number and the sector figures give the shares; otherwise the
//! number is the sum of the sector figures.

use std::collections::{BTreeMap, BTreeSet};

use patronage_core::labor::{Measure, Qualifier, Sector};
use polars::prelude::*;

/// Adding a figure of one measure to a tally of another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MixedMeasures {
    /// The tally's measure.
    pub tally: Measure,
    /// The figure's measure.
    pub figure: Measure,
}

impl std::fmt::Display for MixedMeasures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "cannot add a `{}` figure to a `{}` total: different measures are never summed",
            self.figure, self.tally
        )
    }
}

impl std::error::Error for MixedMeasures {}

/// Why a figure cannot be added to a [`Tally`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TallyError {
    /// The figure is of another measure.
    Mixed(MixedMeasures),
    /// The total would exceed the largest number the `workers` column holds
    /// (9,223,372,036,854,775,807, a signed 64-bit integer).
    TooLarge,
}

impl std::fmt::Display for TallyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TallyError::Mixed(m) => m.fmt(f),
            TallyError::TooLarge => write!(
                f,
                "the figures add up to more than {}, the largest number of workers a table holds",
                i64::MAX
            ),
        }
    }
}

impl std::error::Error for TallyError {}

/// A running total of workers in one measure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    measure: Measure,
    workers: u64,
    figures: u32,
    qualifiers: BTreeSet<Qualifier>,
}

impl Tally {
    /// An empty total of `measure`.
    pub fn new(measure: Measure) -> Self {
        Tally {
            measure,
            workers: 0,
            figures: 0,
            qualifiers: BTreeSet::new(),
        }
    }

    /// Add one figure; a figure of another measure, or one that takes the total
    /// past what a table holds, is an error and changes nothing.
    pub fn add(
        &mut self,
        measure: Measure,
        workers: u64,
        qualifier: Qualifier,
    ) -> Result<(), TallyError> {
        if measure != self.measure {
            return Err(TallyError::Mixed(MixedMeasures {
                tally: self.measure,
                figure: measure,
            }));
        }
        self.workers = self
            .workers
            .checked_add(workers)
            .filter(|w| i64::try_from(*w).is_ok())
            .ok_or(TallyError::TooLarge)?;
        self.figures += 1;
        self.qualifiers.insert(qualifier);
        Ok(())
    }

    /// The measure.
    pub fn measure(&self) -> Measure {
        self.measure
    }

    /// The total.
    pub fn workers(&self) -> u64 {
        self.workers
    }

    /// Figures added.
    pub fn figures(&self) -> u32 {
        self.figures
    }

    /// The figures' qualifier when they share one, else `mixed`.
    pub fn qualifier(&self) -> &'static str {
        match self.qualifiers.iter().collect::<Vec<_>>().as_slice() {
            [] => Qualifier::Exact.as_str(),
            [q] => q.as_str(),
            _ => "mixed",
        }
    }
}

/// One `labor_stock` row, as the summary needs it.
#[derive(Debug, Clone)]
struct Row {
    source_id: String,
    year: i32,
    as_of: Option<String>,
    host: String,
    origin: String,
    sector: Sector,
    measure: Measure,
    workers: u64,
    qualifier: Qualifier,
}

/// One row of `labor_summary`.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRow {
    /// Year.
    pub year: i32,
    /// Host ISO3.
    pub host_iso3: String,
    /// Origin ISO3.
    pub origin_iso3: String,
    /// The number, in its one measure.
    pub total: Tally,
    /// Date of the stock figures used.
    pub as_of: Option<String>,
    /// Source of the figures.
    pub source_id: String,
    /// Sector shares, where the source breaks the number down.
    pub shares: BTreeMap<Sector, f64>,
    /// The same measure's number the year before.
    pub previous: Option<u64>,
}

fn compute_error(message: String) -> PolarsError {
    PolarsError::ComputeError(message.into())
}

fn read_rows(labor_stock: &DataFrame) -> PolarsResult<Vec<Row>> {
    let s = |n: &str| labor_stock.column(n).and_then(|c| c.str().cloned());
    let (source_id, as_of, host, origin, sector, measure, qualifier) = (
        s("source_id")?,
        s("as_of")?,
        s("host_iso3")?,
        s("origin_iso3")?,
        s("sector")?,
        s("measure")?,
        s("qualifier")?,
    );
    let year = labor_stock.column("year")?.i32()?.clone();
    let workers = labor_stock.column("workers")?.i64()?.clone();
    (0..labor_stock.height())
        .map(|i| {
            let text = |c: &StringChunked| c.get(i).unwrap_or_default().to_string();
            let w = workers.get(i).unwrap_or_default();
            Ok(Row {
                source_id: text(&source_id),
                year: year.get(i).unwrap_or_default(),
                as_of: as_of.get(i).map(str::to_string),
                host: text(&host),
                origin: text(&origin),
                sector: Sector::parse(&text(&sector)).map_err(compute_error)?,
                measure: Measure::parse(&text(&measure)).map_err(compute_error)?,
                workers: u64::try_from(w)
                    .map_err(|_| compute_error(format!("negative workers {w}")))?,
                qualifier: Qualifier::parse(&text(&qualifier)).map_err(compute_error)?,
            })
        })
        .collect()
}

/// The summary rows, in key order. `source_priority` is the pipeline's source
/// order; sources not in it come after, by id.
pub fn labor_summary_rows(
    labor_stock: &DataFrame,
    source_priority: &[String],
) -> PolarsResult<Vec<SummaryRow>> {
    let rows = read_rows(labor_stock)?;
    let rank = |id: &str| {
        source_priority
            .iter()
            .position(|s| s == id)
            .unwrap_or(usize::MAX)
    };
    let mut groups: BTreeMap<(i32, String, String, Measure), Vec<&Row>> = BTreeMap::new();
    for r in &rows {
        groups
            .entry((r.year, r.host.clone(), r.origin.clone(), r.measure))
            .or_default()
            .push(r);
    }
    let mut out: Vec<SummaryRow> = Vec::with_capacity(groups.len());
    for ((year, host, origin, measure), figs) in groups {
        let Some(source) = figs
            .iter()
            .map(|r| (rank(&r.source_id), r.source_id.as_str()))
            .min()
            .map(|(_, s)| s.to_string())
        else {
            continue;
        };
        let mut chosen: Vec<&Row> = figs.into_iter().filter(|r| r.source_id == source).collect();
        let mut as_of = None;
        if measure.is_stock() {
            as_of = chosen.iter().map(|r| r.as_of.clone()).max().flatten();
            chosen.retain(|r| r.as_of == as_of);
        }
        let (all, sectors): (Vec<&Row>, Vec<&Row>) =
            chosen.into_iter().partition(|r| r.sector == Sector::All);
        let mut total = Tally::new(measure);
        let mut by_sector: BTreeMap<Sector, Tally> = BTreeMap::new();
        let group = |e: TallyError| {
            compute_error(format!(
                "{measure} in {host} from {origin}, {year} (source {source}): {e}"
            ))
        };
        for r in &sectors {
            by_sector
                .entry(r.sector)
                .or_insert_with(|| Tally::new(measure))
                .add(r.measure, r.workers, r.qualifier)
                .map_err(group)?;
        }
        let parts = if all.is_empty() { &sectors } else { &all };
        for r in parts {
            total
                .add(r.measure, r.workers, r.qualifier)
                .map_err(group)?;
        }
        let shares = if total.workers() > 0 {
            by_sector
                .iter()
                .map(|(s, t)| (*s, t.workers() as f64 / total.workers() as f64))
                .collect()
        } else {
            BTreeMap::new()
        };
        out.push(SummaryRow {
            year,
            host_iso3: host,
            origin_iso3: origin,
            total,
            as_of,
            source_id: source,
            shares,
            previous: None,
        });
    }
    let numbers: BTreeMap<(i32, String, String, Measure), u64> = out
        .iter()
        .map(|r| {
            (
                (
                    r.year,
                    r.host_iso3.clone(),
                    r.origin_iso3.clone(),
                    r.total.measure(),
                ),
                r.total.workers(),
            )
        })
        .collect();
    for r in &mut out {
        r.previous = numbers
            .get(&(
                r.year - 1,
                r.host_iso3.clone(),
                r.origin_iso3.clone(),
                r.total.measure(),
            ))
            .copied();
    }
    // Key order: year, host, origin, measure name.
    out.sort_by(|a, b| {
        (
            a.year,
            &a.host_iso3,
            &a.origin_iso3,
            a.total.measure().as_str(),
        )
            .cmp(&(
                b.year,
                &b.host_iso3,
                &b.origin_iso3,
                b.total.measure().as_str(),
            ))
    });
    Ok(out)
}

/// The `labor_summary` frame from `labor_stock`.
pub fn labor_summary_frame(
    labor_stock: &DataFrame,
    source_priority: &[String],
) -> PolarsResult<DataFrame> {
    let rows = labor_summary_rows(labor_stock, source_priority)?;
    let share = |s: Sector| move |r: &SummaryRow| r.shares.get(&s).copied();
    patronage_core::frame!(
        rows,
        [
            column!("year", |r| r.year),
            column!("host_iso3", |r| r.host_iso3.as_str()),
            column!("origin_iso3", |r| r.origin_iso3.as_str()),
            column!("measure", |r| r.total.measure().as_str()),
            column!("workers", |r| r.total.workers() as i64),
            column!("qualifier", |r| r.total.qualifier()),
            column!("as_of", |r| r.as_of.as_deref()),
            column!("figures", |r| r.total.figures() as i32),
            column!("source_id", |r| r.source_id.as_str()),
            column!("share_timber", share(Sector::Timber)),
            column!("share_construction", share(Sector::Construction)),
            column!("share_agriculture", share(Sector::Agriculture)),
            column!("share_fishing", share(Sector::Fishing)),
            column!("share_other", share(Sector::Other)),
            column!("previous_workers", |r| r.previous.map(|p| p as i64)),
            column!("change", |r| r
                .previous
                .map(|p| r.total.workers() as i64 - p as i64)),
            column!("change_pct", |r| r
                .previous
                .filter(|p| *p > 0)
                .map(|p| 100.0 * (r.total.workers() as f64 / p as f64 - 1.0))),
        ]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one way numbers are added refuses a second measure, and the failed
    /// add leaves the total as it was.
    #[test]
    fn adding_two_measures_fails() {
        let mut t = Tally::new(Measure::WorkersPresent);
        t.add(Measure::WorkersPresent, 34_000, Qualifier::Exact)
            .unwrap();
        let e = t
            .add(Measure::WorkPermitsIssued, 24_000, Qualifier::Almost)
            .unwrap_err();
        assert_eq!(
            e,
            TallyError::Mixed(MixedMeasures {
                tally: Measure::WorkersPresent,
                figure: Measure::WorkPermitsIssued
            })
        );
        assert!(e.to_string().contains("never summed"), "{e}");
        let e = t
            .add(Measure::Estimate, 40_000, Qualifier::Exact)
            .unwrap_err();
        assert!(
            matches!(e, TallyError::Mixed(m) if m.figure == Measure::Estimate),
            "{e:?}"
        );
        assert_eq!(
            (t.workers(), t.figures(), t.qualifier()),
            (34_000, 1, "exact")
        );
        t.add(Measure::WorkersPresent, 1_000, Qualifier::About)
            .unwrap();
        assert_eq!((t.workers(), t.qualifier()), (35_000, "mixed"));
    }

    /// source, year, as_of, sector, measure, workers, qualifier.
    type StockRow<'a> = (
        &'a str,
        i32,
        Option<&'a str>,
        &'a str,
        &'a str,
        i64,
        &'a str,
    );

    fn stock(rows: &[StockRow<'_>]) -> DataFrame {
        patronage_core::frame!(
            rows,
            [
                column!("source_id", |r| r.0),
                column!("year", |r| r.1),
                column!("as_of", |r| r.2),
                column!("host_iso3", |_| "RUS"),
                column!("origin_iso3", |_| "PRK"),
                column!("sector", |r| r.3),
                column!("measure", |r| r.4),
                column!("workers", |r| r.5),
                column!("qualifier", |r| r.6),
            ]
        )
        .unwrap()
    }

    /// Figures of different measures in the same year stay in separate rows;
    /// sectors of one measure are summed with shares; of two dated stocks the
    /// later is used; the first source in priority order wins.
    #[test]
    fn one_measure_per_number() {
        let df = stock(&[
            (
                "ledger",
                2006,
                None,
                "timber",
                "workers_present",
                8_000,
                "about",
            ),
            (
                "ledger",
                2006,
                None,
                "other",
                "workers_present",
                3_000,
                "about",
            ),
            (
                "ledger",
                2017,
                None,
                "all",
                "workers_present",
                37_000,
                "about",
            ),
            ("ledger", 2017, None, "all", "estimate", 40_000, "exact"),
            (
                "sheet",
                2017,
                None,
                "all",
                "work_permits_issued",
                24_000,
                "almost",
            ),
            (
                "sheet",
                2018,
                Some("2018-01-01"),
                "all",
                "workers_present",
                34_000,
                "exact",
            ),
            (
                "sheet",
                2018,
                Some("2018-12-31"),
                "all",
                "workers_present",
                11_000,
                "exact",
            ),
            (
                "ledger",
                2018,
                Some("2018-12"),
                "all",
                "workers_present",
                11_500,
                "about",
            ),
        ]);
        let rows = labor_summary_rows(&df, &["sheet".into(), "ledger".into()]).unwrap();
        let got: Vec<(i32, &str, u64, &str, &str)> = rows
            .iter()
            .map(|r| {
                (
                    r.year,
                    r.total.measure().as_str(),
                    r.total.workers(),
                    r.total.qualifier(),
                    r.source_id.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (2006, "workers_present", 11_000, "about", "ledger"),
                (2017, "estimate", 40_000, "exact", "ledger"),
                (2017, "work_permits_issued", 24_000, "almost", "sheet"),
                (2017, "workers_present", 37_000, "about", "ledger"),
                (2018, "workers_present", 11_000, "exact", "sheet"),
            ]
        );
        // 8,000 / 11,000 and 3,000 / 11,000.
        assert!((rows[0].shares[&Sector::Timber] - 8.0 / 11.0).abs() < 1e-12);
        assert!((rows[0].shares[&Sector::Other] - 3.0 / 11.0).abs() < 1e-12);
        assert_eq!(rows[4].as_of.as_deref(), Some("2018-12-31"));
        // 2018 workers present follows 2017's 37,000: change -26,000.
        assert_eq!(rows[4].previous, Some(37_000));
        assert_eq!(rows[1].previous, None);
        let frame = labor_summary_frame(&df, &["sheet".into(), "ledger".into()]).unwrap();
        assert_eq!(frame.height(), 5);
        assert_eq!(
            frame.column("change").unwrap().i64().unwrap().get(4),
            Some(-26_000)
        );
    }

    /// 2^62 + (2^62 - 1) = 2^63 - 1 workers, the largest number the Int64
    /// `workers` column holds; one more is refused instead of wrapping (release
    /// build) or panicking (debug build), and the total stays as it was.
    #[test]
    fn workers_beyond_the_column_are_refused_not_wrapped() {
        let mut t = Tally::new(Measure::WorkersPresent);
        let big = 1u64 << 62;
        t.add(Measure::WorkersPresent, big, Qualifier::Exact)
            .unwrap();
        t.add(Measure::WorkersPresent, big - 1, Qualifier::Exact)
            .unwrap();
        assert_eq!(t.workers(), u64::try_from(i64::MAX).unwrap());
        let e = t
            .add(Measure::WorkersPresent, 1, Qualifier::Exact)
            .unwrap_err();
        assert_eq!(e, TallyError::TooLarge);
        assert_eq!((t.workers(), t.figures()), (i64::MAX as u64, 2));
    }
}
