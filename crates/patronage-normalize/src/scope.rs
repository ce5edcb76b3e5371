//! Which rows of a trade file a source keeps: all of them, or only those whose
//! reporter or partner (exporter or importer) is the pipeline's focus. A row
//! outside the focus is dropped before anything else is checked, counted as
//! `outside_focus`, so a world-size file streams through in flat memory and its
//! accounting still balances.

use std::collections::BTreeMap;

use patronage_core::CountryRegistry;

/// Which rows of a trade file are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    /// Every row.
    #[default]
    All,
    /// Rows whose reporter or partner (exporter or importer) is the focus country.
    Focus,
}

/// The reason rows outside the focus are counted under.
pub const OUTSIDE_FOCUS: &str = "outside_focus";

/// The codes of the focus country, to tell its rows from the rest by the codes
/// as published, before they are looked up. Asked of every row of a world-size
/// file, so held as one bit per code below 1000 (a lookup is a shift, not a
/// hash).
#[derive(Debug, Clone)]
pub struct FocusCodes {
    codes: [u64; 16],
}

impl FocusCodes {
    /// Every code the registry maps to `focus` (ISO3) in some year.
    pub fn new(focus: &str, registry: &CountryRegistry) -> Self {
        let mut codes = [0u64; 16];
        for c in (0..1000u32).filter(|c| registry.get(*c).is_some_and(|x| x.iso3 == focus)) {
            codes[(c / 64) as usize] |= 1 << (c % 64);
        }
        FocusCodes { codes }
    }

    /// Whether `code` is one of the focus's.
    pub fn contains(&self, code: u32) -> bool {
        self.codes
            .get((code / 64) as usize)
            .is_some_and(|w| w & (1 << (code % 64)) != 0)
    }

    /// Keep the rows whose `parties` (reporter and partner codes) include the
    /// focus; count the others as `outside_focus` in `dropped`.
    pub fn retain<T>(
        &self,
        rows: &mut Vec<T>,
        parties: impl Fn(&T) -> (u32, u32),
        dropped: &mut BTreeMap<String, u64>,
    ) {
        let before = rows.len();
        rows.retain(|r| {
            let (a, b) = parties(r);
            self.contains(a) || self.contains(b)
        });
        count_outside(dropped, (before - rows.len()) as u64);
    }
}

/// Count `n` rows outside the focus in `dropped` (nothing when there are none).
pub fn count_outside(dropped: &mut BTreeMap<String, u64>, n: u64) {
    if n > 0 {
        *dropped.entry(OUTSIDE_FOCUS.to_string()).or_default() += n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SYNTHETIC code pairs: the DPRK is 408; rows with 408 on either side stay,
    /// the two others are counted.
    #[test]
    fn rows_outside_the_focus_are_counted() {
        let focus = FocusCodes::new("PRK", CountryRegistry::comtrade());
        let mut rows = vec![(156, 408), (276, 251), (408, 643), (4, 8)];
        let mut dropped = BTreeMap::new();
        focus.retain(&mut rows, |r| *r, &mut dropped);
        assert_eq!(rows, [(156, 408), (408, 643)]);
        assert_eq!(dropped.get(OUTSIDE_FOCUS), Some(&2));
    }

    /// A focus's codes are every code the registry gives it, in whichever
    /// word of the bit set they fall: Germany is 276 and, before 1991, 280
    /// (comtrade_countries.tsv); codes next to them, 0, the last bits of the
    /// set and codes past it are not Germany's.
    #[test]
    fn every_code_of_the_focus_and_no_other() {
        let deu = FocusCodes::new("DEU", CountryRegistry::comtrade());
        let held: Vec<u32> = (0..1100).filter(|c| deu.contains(*c)).collect();
        assert_eq!(held, [276, 280]);
        for c in [0, 275, 277, 279, 281, 999, 1023, 1024, u32::MAX] {
            assert!(!deu.contains(c), "{c}");
        }
        let prk = FocusCodes::new("PRK", CountryRegistry::comtrade());
        assert!(prk.contains(408) && !prk.contains(410));
    }
}
