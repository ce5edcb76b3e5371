//! That one file gives each figure once: [`Figures`] holds the figures a file
//! has given, each with the place of the row that gave it, and rejects a second
//! row for one of them as `duplicate_figure`. Invariant: two rows are the same
//! figure exactly when their reporter, partner, period, flow, classification and
//! commodity are equal, however the figure is held (a packed number in a sorted
//! list, a packed number in a map, or the full key), because each figure has one
//! form, decided by its fields alone.

use std::collections::HashMap;
use std::sync::Arc;

use patronage_core::{Flow, MonthRange, RowReject};

use crate::intern::Interner;
use crate::sorted_keys::SortedKeys;

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
/// ([`SortedKeys`]), where a later figure is looked up exactly. Any other
/// figure (out of that order, or too wide for 64 bits) is held in a map as one
/// exact 128-bit number ([`Figures::wide`]: codes below 2^24, up to 255
/// classifications, a commodity code of at most 8 digits or `TOTAL`) with
/// its place, about 35 bytes; only a figure too wide even for that (a
/// commodity code with letters, say) is held as its full key, with shared
/// text for the classification and commodity.
#[derive(Debug, Default)]
pub(crate) struct Figures {
    /// Packed figures in increasing order, with the line each came from.
    ordered: SortedKeys,
    /// The classifications packed figures name (at most two), by index.
    classifications: Vec<Arc<str>>,
    /// Figures packed in 128 bits, with their place.
    wide: HashMap<u128, (u64, u64)>,
    /// The classifications 128-bit figures name (at most 255), by index.
    wide_classifications: Vec<Arc<str>>,
    /// Figures held whole, with their place.
    seen: HashMap<HeldKey, (u64, u64)>,
    codes: Interner,
}

/// A flow as a number of 3 bits, for the packed forms.
fn flow_code(flow: Flow) -> u8 {
    match flow {
        Flow::Import => 0,
        Flow::Export => 1,
        Flow::ReImport => 2,
        Flow::ReExport => 3,
        Flow::Total => 4,
    }
}

/// The index of `classification` in `seen`, added when there is room for it
/// (at most `max`); `None` when it is new and there is none.
fn index_of(seen: &mut Vec<Arc<str>>, classification: &str, max: usize) -> Option<usize> {
    match seen.iter().position(|c| **c == *classification) {
        Some(i) => Some(i),
        None if seen.len() < max => {
            seen.push(Arc::from(classification));
            Some(seen.len() - 1)
        }
        None => None,
    }
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
        // A figure has one form, decided by its fields: packed in 64 bits
        // (held in `ordered` while in order, else in `wide`), packed in 128
        // bits (`wide`), or whole (`seen`). It is looked for in each place its
        // form may be held, the maps only when they hold anything.
        let mut wide = None;
        if !self.wide.is_empty() {
            wide = self.wide(&key);
            if let Some(first) = wide.and_then(|w| self.wide.get(&w)) {
                return duplicate(*first);
            }
        }
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
        // Only a record at column 1 joins the sorted list (which holds lines
        // alone), but any record may find its figure there.
        if let Some(p) = self.packed(&key) {
            if column == 1 && self.ordered.push(p, line) {
                return Ok(());
            }
            if let Some(l) = self.ordered.get(p) {
                return duplicate((l, 1));
            }
        }
        if wide.is_none() {
            wide = self.wide(&key);
        }
        match wide {
            Some(w) => {
                self.wide.insert(w, (line, column));
            }
            None => {
                let held = HeldKey(
                    codes,
                    period,
                    flow,
                    self.codes.get(classification),
                    self.codes.get(commodity),
                );
                self.seen.insert(held, (line, column));
            }
        }
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
    fn packed(&mut self, key: &FigureKey) -> Option<u64> {
        let &FigureKey((reporter, partner), period, flow, classification, commodity) = key;
        let field = |v: u64, bits: u32| (v < (1 << bits)).then_some(v);
        let (seller, buyer) = match flow {
            Flow::Import | Flow::ReImport => (partner, reporter),
            Flow::Export | Flow::ReExport | Flow::Total => (reporter, partner),
        };
        let flow = u64::from(flow_code(flow));
        let class = index_of(&mut self.classifications, classification, 2)? as u64;
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

    /// The figure as one 128-bit number (114 bits used), most significant
    /// first: reporter and partner codes (24 bits each), year (16, offset by
    /// 32,768), first and last month (4 each), flow (3), the classification's
    /// index among those this form has met (8), and the commodity code as its
    /// digits' value (27) and how many digits it has (4; 15 for `TOTAL`, so
    /// "01" and "1" differ). Exact: two figures have the same number only if
    /// they are the same figure; `None` for a figure this form cannot hold (a
    /// code of 2^24 or more, a year outside -32768..=32767, a month above 15,
    /// a 256th classification, a commodity code of more than 8 digits or not
    /// of digits, `TOTAL` aside).
    fn wide(&mut self, key: &FigureKey) -> Option<u128> {
        let &FigureKey((reporter, partner), period, flow, classification, commodity) = key;
        let year = u16::try_from(i64::from(period.year) + 32_768).ok()?;
        let month = |m: u32| (m < 16).then_some(u128::from(m));
        let code = |c: u32| (c < 1 << 24).then_some(u128::from(c));
        let flow = u128::from(flow_code(flow));
        let class = index_of(&mut self.wide_classifications, classification, 255)? as u128;
        let (digits, count) = if commodity == "TOTAL" {
            (0u128, 15u128)
        } else if (1..=8).contains(&commodity.len())
            && commodity.bytes().all(|b| b.is_ascii_digit())
        {
            (commodity.parse::<u128>().ok()?, commodity.len() as u128)
        } else {
            return None;
        };
        let mut w = 0u128;
        for (v, bits) in [
            (code(reporter)?, 24),
            (code(partner)?, 24),
            (u128::from(year), 16),
            (month(period.first)?, 4),
            (month(period.last)?, 4),
            (flow, 3),
            (class, 8),
            (digits, 27),
            (count, 4),
        ] {
            w = (w << bits) | v;
        }
        Some(w)
    }
}

#[cfg(test)]
mod tests {
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
    /// order, or not packable in 64 bits ("TOTAL", a code above 1023, a second
    /// column), is held in the 128-bit map, one not packable at all (a
    /// commodity code with letters) whole, and a repeat is rejected the same
    /// way wherever the first is held.
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
        assert!(f.first(key(4, 8, "27AB"), (10, 1), raw).is_ok());
        assert_eq!(f.wide.len(), 4);
        assert_eq!(f.seen.len(), 1);
        for (k, line, first) in [
            (key(4, 8, "010129"), 20, "line 3"),
            (key(8, 4, "999999"), 21, "line 5"),
            (key(4, 9, "010121"), 22, "line 6"),
            (key(4, 8, "TOTAL"), 23, "line 7"),
            (key(2000, 8, "010121"), 24, "line 8"),
            (key(9, 9, "010121"), 25, "line 9, column 2"),
            (key(4, 8, "27AB"), 26, "line 10"),
        ] {
            let e = f.first(k, (line, 1), raw).unwrap_err();
            assert_eq!((e.line, e.reason), (line, "duplicate_figure"));
            assert!(e.detail.ends_with(first), "{}", e.detail);
        }
        // The same codes the other way round, or the other flow, is another
        // figure: (8, 4) imported is not (4, 8) exported; so is another year,
        // month or classification.
        for (n, (codes, year, flow, class)) in [
            ((8, 4), 2019, Flow::Import, "H5"),
            ((4, 8), 2020, Flow::Export, "H5"),
            ((4, 8), 2019, Flow::Export, "H4"),
            ((4, 8), 2019, Flow::Import, "H5"),
        ]
        .into_iter()
        .enumerate()
        {
            let other = FigureKey::new(codes, MonthRange::annual(year), flow, class, "010121");
            assert!(f.first(other, (29 + n as u64, 1), raw).is_ok(), "{n}");
        }
    }

    /// The 128-bit form tells apart every figure that differs in any field,
    /// codes as wide as it holds included: commodity codes of different
    /// lengths and the same value ("1", "01", "001"), `TOTAL` and "0", a year
    /// and its months, the two sides of a pair, and codes at the edge of 24
    /// bits. Each of these 14 figures is new (given after a later one, so none
    /// goes to the sorted list); each repeated is rejected naming its line.
    #[test]
    fn the_wide_form_tells_every_figure_apart() {
        let mut f = Figures::default();
        let raw = || "r";
        let at = |year: i32, first: u32, last: u32| MonthRange { year, first, last };
        let figures = [
            ((9, 9), at(2020, 1, 12), Flow::Export, "H5", "999999"),
            ((4, 8), at(2019, 1, 12), Flow::Export, "H5", "1"),
            ((4, 8), at(2019, 1, 12), Flow::Export, "H5", "01"),
            ((4, 8), at(2019, 1, 12), Flow::Export, "H5", "001"),
            ((4, 8), at(2019, 1, 12), Flow::Export, "H5", "0"),
            ((4, 8), at(2019, 1, 12), Flow::Export, "H5", "TOTAL"),
            ((4, 8), at(2019, 1, 3), Flow::Export, "H5", "TOTAL"),
            ((4, 8), at(2019, 3, 3), Flow::Export, "H5", "TOTAL"),
            ((8, 4), at(2019, 1, 12), Flow::Export, "H5", "TOTAL"),
            ((4, 8), at(2019, 1, 12), Flow::ReExport, "H5", "TOTAL"),
            ((4, 8), at(2019, 1, 12), Flow::Export, "S4", "TOTAL"),
            ((4, 8), at(-1, 1, 12), Flow::Export, "H5", "TOTAL"),
            (
                ((1 << 24) - 1, 8),
                at(2019, 1, 12),
                Flow::Export,
                "H5",
                "TOTAL",
            ),
            ((4, 8), at(2019, 1, 12), Flow::Export, "H5", "99999999"),
        ];
        for (i, &(codes, period, flow, class, commodity)) in figures.iter().enumerate() {
            let k = FigureKey::new(codes, period, flow, class, commodity);
            assert!(f.first(k, (i as u64 + 2, 1), raw).is_ok(), "figure {i}");
        }
        assert_eq!((f.wide.len(), f.seen.len()), (13, 0));
        for (i, &(codes, period, flow, class, commodity)) in figures.iter().enumerate() {
            let k = FigureKey::new(codes, period, flow, class, commodity);
            let e = f.first(k, (100, 1), raw).unwrap_err();
            assert!(
                e.detail.ends_with(&format!("line {}", i + 2)),
                "{}",
                e.detail
            );
        }
        // A code of 2^24 does not pack: held whole, and still found.
        let k = || FigureKey::new((1 << 24, 8), at(2019, 1, 12), Flow::Export, "H5", "TOTAL");
        assert!(f.first(k(), (200, 1), raw).is_ok());
        assert_eq!(f.seen.len(), 1);
        assert!(f.first(k(), (201, 1), raw).is_err());
    }

    /// A figure first given at a second column (a JSON record) and then by a
    /// row at column 1 in increasing order is still the same figure.
    #[test]
    fn a_figure_held_in_the_map_is_found_before_the_sorted_list_takes_it() {
        let mut f = Figures::default();
        let raw = || "r";
        assert!(f.first(key(4, 8, "010121"), (2, 5), raw).is_ok());
        let e = f.first(key(4, 8, "010121"), (3, 1), raw).unwrap_err();
        assert!(e.detail.ends_with("line 2, column 5"), "{}", e.detail);
    }

    #[test]
    fn a_figure_in_the_sorted_list_is_found_from_any_column() {
        // The first record at column 1 joins the sorted list; the same figure
        // later in a line (a JSON record after another) is still a duplicate.
        let mut f = Figures::default();
        let raw = || "r";
        assert!(f.first(key(4, 8, "010121"), (2, 1), raw).is_ok());
        let e = f.first(key(4, 8, "010121"), (5, 40), raw).unwrap_err();
        assert!(e.detail.ends_with("line 2"), "{}", e.detail);
        assert_eq!((e.line, e.column), (5, 40));
    }
}
