//! The rules both Comtrade layouts (v1 and legacy) follow: which breakdown rows
//! are dropped, how reporter and partner codes are looked up, how a row's month
//! becomes a period, and which valuation its value is.

use patronage_core::{Country, CountryRegistry, Flow, MonthRange, RowReject};

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
