//! The rules both Comtrade layouts (v1 and legacy) follow: which breakdown rows
//! are dropped, how reporter and partner codes are looked up, how a row's month
//! becomes a period and which valuation its value is, and that one file gives
//! each figure once.

use std::sync::Arc;

use patronage_core::{Country, CountryRegistry, Flow, MonthRange, RowReject};

use crate::intern::Interner;
use crate::MonthlyFigures;

/// The drop reason of a breakdown row (not a total row), the first that applies:
/// a second partner, a customs procedure other than C00, a transport mode.
pub(crate) fn breakdown_reason(
    second_partner: bool,
    customs_procedure: bool,
    transport_mode: bool,
) -> Option<&'static str> {
    if second_partner {
        Some("breakdown_second_partner")
    } else if customs_procedure {
        Some("breakdown_customs_procedure")
    } else if transport_mode {
        Some("breakdown_transport_mode")
    } else {
        None
    }
}

/// A row's reporter and partner in `year`, or the reject naming the column
/// (`columns`: the layout's reporter and partner column names) whose code is
/// unknown or not valid then, placed at the row's line and column; the
/// reporter is checked first.
pub(crate) fn reporter_and_partner<'r>(
    registry: &'r CountryRegistry,
    codes: (u32, u32),
    year: i32,
    columns: (&str, &str),
    (line, column): (u64, u64),
    raw: &str,
) -> Result<(&'r Country, &'r Country), RowReject> {
    match (
        registry.lookup(codes.0, year),
        registry.lookup(codes.1, year),
    ) {
        (Ok(r), Ok(p)) => Ok((r, p)),
        (Err(e), _) => Err(
            RowReject::new(line, e.reason(), format!("{}: {e}", columns.0), raw).at_column(column),
        ),
        (_, Err(e)) => Err(
            RowReject::new(line, e.reason(), format!("{}: {e}", columns.1), raw).at_column(column),
        ),
    }
}

/// The period of a row: the year for annual rows (`month` None), else the month,
/// or January to the month when the source's monthly figures are year-to-date.
pub(crate) fn period(year: i32, month: Option<u32>, monthly: MonthlyFigures) -> MonthRange {
    match month {
        None => MonthRange::annual(year),
        Some(m) => MonthRange {
            year,
            first: match monthly {
                MonthlyFigures::Month => m,
                MonthlyFigures::YearToDate => 1,
            },
            last: m,
        },
    }
}

/// Which valuation the primary value is: the one of the CIF/FOB values it equals
/// (Comtrade takes it from whichever the reporter gave), else the convention for
/// the flow (imports CIF, exports FOB).
pub(crate) fn valuation(
    primary: i64,
    cif: Option<i64>,
    fob: Option<i64>,
    flow: Flow,
) -> &'static str {
    let v = Some(primary);
    match (cif == v, fob == v) {
        (true, false) => "CIF",
        (false, true) => "FOB",
        _ => flow.valuation(),
    }
}

/// What one figure is: reporter and partner codes, period, flow, classification
/// and commodity.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct FigureKey((u32, u32), MonthRange, Flow, String, String);

impl FigureKey {
    /// The key of a row's figure.
    pub(crate) fn new(
        codes: (u32, u32),
        period: MonthRange,
        flow: Flow,
        classification: &str,
        commodity: &str,
    ) -> Self {
        FigureKey(
            codes,
            period,
            flow,
            classification.to_string(),
            commodity.to_string(),
        )
    }
}

/// The figures a file has given so far, each with the line and column where
/// the record that gave it starts: a second row for the same figure would double
/// count it, so it is rejected as `duplicate_figure` naming the first one's
/// place. Every trade normalizer whose layout names one figure per row uses it
/// (Comtrade v1 and legacy, BACI, Russian customs). The classification and
/// commodity of the figures held are shared text, one allocation per code: a
/// file's figures cost a few dozen bytes each, whatever its size.
#[derive(Debug, Default)]
pub(crate) struct Figures {
    seen: std::collections::HashMap<HeldKey, (u64, u64)>,
    codes: Interner,
}

/// A [`FigureKey`] as [`Figures`] holds it.
#[derive(Debug, PartialEq, Eq, Hash)]
struct HeldKey((u32, u32), MonthRange, Flow, Arc<str>, Arc<str>);

impl Figures {
    /// Record the figure of the record at `(line, column)` (column 1 for a
    /// delimited row), or the reject when the file gave it before (`raw` is
    /// asked for only then).
    pub(crate) fn first<R: AsRef<str>>(
        &mut self,
        key: FigureKey,
        (line, column): (u64, u64),
        raw: impl FnOnce() -> R,
    ) -> Result<(), RowReject> {
        let FigureKey(codes, period, flow, classification, commodity) = key;
        let held = HeldKey(
            codes,
            period,
            flow,
            self.codes.get(&classification),
            self.codes.get(&commodity),
        );
        match self.seen.entry(held) {
            std::collections::hash_map::Entry::Occupied(first) => {
                let (l, c) = *first.get();
                let place = if c == 1 {
                    format!("line {l}")
                } else {
                    format!("line {l}, column {c}")
                };
                Err(RowReject::new(
                    line,
                    "duplicate_figure",
                    format!(
                        "the same reporter, partner, period, flow, classification and commodity as {place}"
                    ),
                    raw().as_ref(),
                )
                .at_column(column))
            }
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert((line, column));
                Ok(())
            }
        }
    }
}
