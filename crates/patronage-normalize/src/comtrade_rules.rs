//! The rules both Comtrade layouts (v1 and legacy) follow: which breakdown rows
//! are dropped, how reporter and partner codes are looked up, how a row's month
//! becomes a period and which valuation its value is, and that one file gives
//! each figure once.

use std::sync::Arc;

use patronage_core::{Country, CountryRegistry, Flow, MonthRange, RowReject};

use crate::intern::Interner;
use crate::sorted_keys::SortedKeys;
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
/// and commodity (borrowed from the row: making a key allocates nothing).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct FigureKey<'a>((u32, u32), MonthRange, Flow, &'a str, &'a str);

impl<'a> FigureKey<'a> {
    /// The key of a row's figure.
    pub(crate) fn new(
        codes: (u32, u32),
        period: MonthRange,
        flow: Flow,
        classification: &'a str,
        commodity: &'a str,
    ) -> Self {
        FigureKey(codes, period, flow, classification, commodity)
    }
}

/// The figures a file has given so far, each with the line and column where
/// the record that gave it starts: a second row for the same figure would double
/// count it, so it is rejected as `duplicate_figure` naming the first one's
/// place. Every trade normalizer whose layout names one figure per row uses it
/// (Comtrade v1 and legacy, BACI, Russian customs).
///
/// A file sorted by its figures (a BACI file is, by year, exporter, importer
/// and product) costs a few bytes a row: while the figures come in increasing
/// order, each is held as one exact 64-bit number ([`Figures::packed`]) with
/// its line, in a list sorted by construction and stored as differences
/// ([`SortedKeys`]), where a later figure is looked up exactly. Any other figure (out of that order, or too wide to pack)
/// is held in a map as its full key, with shared text for the classification
/// and commodity (one allocation per code): a few dozen bytes.
#[derive(Debug, Default)]
pub(crate) struct Figures {
    seen: std::collections::HashMap<HeldKey, (u64, u64)>,
    codes: Interner,
    /// Packed figures in increasing order, with the line each came from.
    ordered: SortedKeys,
    /// The classifications packed figures name (at most two), by index.
    classifications: Vec<Arc<str>>,
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
        let duplicate = |(l, c): (u64, u64)| {
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
        };
        // A figure of the map has its codes' shared text already: a figure
        // with a code never held is not there (and costs no text of its own
        // when it is packed).
        if !self.seen.is_empty() {
            let held = self
                .codes
                .peek(classification)
                .zip(self.codes.peek(commodity))
                .map(|(c, k)| HeldKey(codes, period, flow, c, k));
            if let Some(first) = held.and_then(|h| self.seen.get(&h)) {
                return duplicate(*first);
            }
        }
        let packed = if column == 1 {
            self.packed(codes, period, flow, classification, commodity)
        } else {
            None
        };
        if let Some(p) = packed {
            if self.ordered.push(p, line) {
                return Ok(());
            }
            if let Some(l) = self.ordered.get(p) {
                return duplicate((l, 1));
            }
        }
        let held = HeldKey(
            codes,
            period,
            flow,
            self.codes.get(classification),
            self.codes.get(commodity),
        );
        self.seen.insert(held, (line, column));
        Ok(())
    }

    /// The figure as one number, most significant first: the seller's and the
    /// buyer's codes (the reporter and partner of an export, the other way
    /// round for an import: a file listed by exporter and importer, as BACI
    /// is, stays in increasing order whichever side its focus is on; 10 bits
    /// each), year (12), first and last month (4 each), flow (3),
    /// classification (1: the first or second the file names) and a 6-digit
    /// commodity code's value (20). Exact: two figures have the same
    /// number only if they are the same figure; `None` for a figure with a
    /// field too wide (a code above 1023, a commodity not of 6 digits, a third
    /// classification).
    fn packed(
        &mut self,
        (reporter, partner): (u32, u32),
        period: MonthRange,
        flow: Flow,
        classification: &str,
        commodity: &str,
    ) -> Option<u64> {
        let field = |v: u64, bits: u32| (v < (1 << bits)).then_some(v);
        let (seller, buyer) = match flow {
            Flow::Import | Flow::ReImport => (partner, reporter),
            Flow::Export | Flow::ReExport | Flow::Total => (reporter, partner),
        };
        let flow = match flow {
            Flow::Import => 0,
            Flow::Export => 1,
            Flow::ReImport => 2,
            Flow::ReExport => 3,
            Flow::Total => 4,
        };
        let class = match self
            .classifications
            .iter()
            .position(|c| **c == *classification)
        {
            Some(i) => i as u64,
            None if self.classifications.len() < 2 => {
                self.classifications.push(Arc::from(classification));
                (self.classifications.len() - 1) as u64
            }
            None => return None,
        };
        let commodity = (commodity.len() == 6 && commodity.bytes().all(|b| b.is_ascii_digit()))
            .then(|| commodity.parse::<u64>().ok())
            .flatten()?;
        let mut p = 0u64;
        for (v, bits) in [
            (field(u64::from(seller), 10)?, 10),
            (field(u64::from(buyer), 10)?, 10),
            (field(u64::try_from(period.year).ok()?, 12)?, 12),
            (field(u64::from(period.first), 4)?, 4),
            (field(u64::from(period.last), 4)?, 4),
            (flow, 3),
            (class, 1),
            (field(commodity, 20)?, 20),
        ] {
            p = (p << bits) | v;
        }
        Some(p)
    }
}

#[cfg(test)]
mod figures_tests {
    use super::*;

    fn key(reporter: u32, partner: u32, commodity: &str) -> FigureKey<'_> {
        FigureKey::new(
            (reporter, partner),
            MonthRange::annual(2019),
            Flow::Export,
            "H5",
            commodity,
        )
    }

    /// Figures in increasing order are held packed; a repeat of one of them,
    /// however late, is rejected naming the first one's line; a figure out of
    /// order, or not packable ("TOTAL", a code above 1023, a second column),
    /// is held in the map and its repeat rejected the same way.
    #[test]
    fn a_figure_given_twice_is_rejected_however_it_is_held() {
        let mut f = Figures::default();
        let raw = || "r";
        for (i, (r, p, c)) in [
            (4, 8, "010121"),
            (4, 8, "010129"),
            (4, 12, "010121"),
            (8, 4, "999999"),
        ]
        .into_iter()
        .enumerate()
        {
            assert!(f.first(key(r, p, c), (i as u64 + 2, 1), raw).is_ok());
        }
        assert_eq!(f.ordered.len(), 4);
        assert!(f.seen.is_empty());
        // Out of order, new: held in the map.
        assert!(f.first(key(4, 9, "010121"), (6, 1), raw).is_ok());
        assert!(f.first(key(4, 8, "TOTAL"), (7, 1), raw).is_ok());
        assert!(f.first(key(2000, 8, "010121"), (8, 1), raw).is_ok());
        assert!(f.first(key(9, 9, "010121"), (9, 2), raw).is_ok());
        assert_eq!(f.seen.len(), 4);
        for (k, line, first) in [
            (key(4, 8, "010129"), 20, "line 3"),
            (key(8, 4, "999999"), 21, "line 5"),
            (key(4, 9, "010121"), 22, "line 6"),
            (key(4, 8, "TOTAL"), 23, "line 7"),
            (key(2000, 8, "010121"), 24, "line 8"),
            (key(9, 9, "010121"), 25, "line 9, column 2"),
        ] {
            let e = f.first(k, (line, 1), raw).unwrap_err();
            assert_eq!((e.line, e.reason), (line, "duplicate_figure"));
            assert!(e.detail.ends_with(first), "{}", e.detail);
        }
        // The same codes the other way round, or the other flow, is another
        // figure: (8, 4) imported is not (4, 8) exported.
        let import = FigureKey::new(
            (8, 4),
            MonthRange::annual(2019),
            Flow::Import,
            "H5",
            "010121",
        );
        assert!(f.first(import, (29, 1), raw).is_ok());
        // Another year, month or classification is another figure.
        let other = FigureKey::new(
            (4, 8),
            MonthRange::annual(2020),
            Flow::Export,
            "H5",
            "010121",
        );
        assert!(f.first(other, (30, 1), raw).is_ok());
        let other = FigureKey::new(
            (4, 8),
            MonthRange::annual(2019),
            Flow::Export,
            "H4",
            "010121",
        );
        assert!(f.first(other, (31, 1), raw).is_ok());
        let other = FigureKey::new(
            (4, 8),
            MonthRange::annual(2019),
            Flow::Import,
            "H5",
            "010121",
        );
        assert!(f.first(other, (32, 1), raw).is_ok());
    }
}
