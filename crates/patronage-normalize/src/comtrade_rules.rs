//! The rules both Comtrade layouts (v1 and legacy) follow: which breakdown rows
//! are dropped, how reporter and partner codes are looked up, how a row's month
//! becomes a period and which valuation its value is, and that one file gives
//! each figure once.

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
/// A figure held costs 48 bytes plus the table's slack, whatever its codes:
/// the key is packed into four words ([`HeldKey`]), and a classification or
/// commodity code of up to 7 bytes (every HS code, `TOTAL`, `H6`) is held in
/// its word itself; a longer one is numbered, one allocation per distinct code.
#[derive(Debug, Default)]
pub(crate) struct Figures {
    seen: std::collections::HashMap<HeldKey, (u64, u64)>,
    long_codes: std::collections::HashMap<Box<str>, u64>,
}

/// A [`FigureKey`] as [`Figures`] holds it: reporter and partner codes; year,
/// first and last month and flow in one word; classification and commodity
/// each in one word ([`Figures::code`]). Two keys are equal exactly when the
/// figures they stand for are.
#[derive(Debug, PartialEq, Eq, Hash)]
struct HeldKey([u32; 2], u64, u64, u64);

/// The tag of a numbered code's word: no packed code has 255 as its length byte.
const NUMBERED: u64 = 0xFF << 56;

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
        // Months are 1..=12 and fit a byte each; the year keeps its 32 bits.
        let when = (u64::from(period.year as u32) << 32)
            | (u64::from(period.first & 0xFF) << 24)
            | (u64::from(period.last & 0xFF) << 16)
            | flow as u64;
        let held = HeldKey(
            [codes.0, codes.1],
            when,
            self.code(classification),
            self.code(commodity),
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

    /// A code as one word: up to 7 bytes held in the word, with the length in
    /// its top byte; a longer code numbered in order of first sight, tagged
    /// [`NUMBERED`].
    fn code(&mut self, code: &str) -> u64 {
        let bytes = code.as_bytes();
        if bytes.len() <= 7 {
            let mut word = [0u8; 8];
            word[..bytes.len()].copy_from_slice(bytes);
            word[7] = bytes.len() as u8;
            return u64::from_le_bytes(word);
        }
        if let Some(n) = self.long_codes.get(code) {
            return *n;
        }
        let n = NUMBERED | self.long_codes.len() as u64;
        self.long_codes.insert(code.into(), n);
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Codes of every length are told apart: packed ones by their bytes and
    /// length (a code with trailing NUL bytes is not its prefix), numbered ones
    /// by their text; the same code gives the same word each time.
    #[test]
    fn codes_are_equal_exactly_when_their_text_is() {
        let mut f = Figures::default();
        let codes = [
            "",
            "0",
            "00",
            "2701",
            "270112",
            "TOTAL",
            "H6",
            "1234567",
            "12345678",
            "2701120000",
            "2701120001",
            "0\0",
            "1234567\0",
        ];
        let words: Vec<u64> = codes.iter().map(|c| f.code(c)).collect();
        for (i, a) in words.iter().enumerate() {
            for (j, b) in words.iter().enumerate() {
                assert_eq!(a == b, i == j, "{:?} and {:?}", codes[i], codes[j]);
            }
        }
        let again: Vec<u64> = codes.iter().map(|c| f.code(c)).collect();
        assert_eq!(again, words);
        // Four codes longer than 7 bytes: four numbers.
        assert_eq!(f.long_codes.len(), 4);
    }

    /// A figure is the same only when every part of its key is: 10-digit codes
    /// (numbered) and 6-digit ones (packed), months, years and flows.
    #[test]
    fn a_figure_is_a_duplicate_only_when_every_part_matches() {
        let mut f = Figures::default();
        let month = |year, m| MonthRange {
            year,
            first: m,
            last: m,
        };
        let mut first = |codes, period, flow, cmd: &str, line| {
            f.first(
                FigureKey::new(codes, period, flow, "HS", cmd),
                (line, 1),
                || "raw",
            )
        };
        assert!(first((643, 408), month(2019, 1), Flow::Export, "2701120000", 1).is_ok());
        assert!(first((643, 408), month(2019, 1), Flow::Export, "270112", 2).is_ok());
        assert!(first((643, 408), month(2019, 2), Flow::Export, "270112", 3).is_ok());
        assert!(first((643, 408), month(-2019, 2), Flow::Export, "270112", 4).is_ok());
        assert!(first((643, 408), month(2019, 2), Flow::Import, "270112", 5).is_ok());
        assert!(first((408, 643), month(2019, 2), Flow::Import, "270112", 6).is_ok());
        let twice = first((643, 408), month(2019, 1), Flow::Export, "2701120000", 7).unwrap_err();
        assert_eq!((twice.line, twice.reason), (7, "duplicate_figure"));
        assert!(twice.detail.ends_with("as line 1"), "{}", twice.detail);
        let again = first((643, 408), month(2019, 2), Flow::Export, "270112", 8).unwrap_err();
        assert!(again.detail.ends_with("as line 3"), "{}", again.detail);
    }
}
