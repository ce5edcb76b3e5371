//! The revisions of the Harmonized System (HS 1992 = `H0` ... HS 2022 = `H6`) and
//! the United Nations Statistics Division's correspondence between them, at the
//! 6-digit level: for a code of one revision, the codes of another revision it
//! corresponds to. Every one of the 21 pairs of revisions is read from the UNSD
//! correlation tables (cited in `scripts/make_hs_correspondence.py`, which
//! generates `data/hs_codes.tsv` and `data/hs_correspondence.tsv` compiled in
//! here), so a lookup never depends on a file outside the checkout and never
//! composes two pairs (composing would widen the correspondence).
//!
//! The invariant: [`HsCorrespondence::targets`] names a code's targets exactly as
//! the UNSD table of the two revisions does, in code order, or says the code is not
//! a code of its revision; it never guesses.

use std::collections::HashMap;
use std::sync::OnceLock;

/// Every 6-digit code and the revisions it exists in.
const HS_CODES: &str = include_str!("../data/hs_codes.tsv");
/// The pairs of the correlation tables, less codes that only correspond to themselves.
const HS_CORRESPONDENCE: &str = include_str!("../data/hs_correspondence.tsv");

/// One revision of the Harmonized System, as Comtrade names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HsRevision(u8);

impl HsRevision {
    /// All seven revisions, oldest first.
    pub const ALL: [HsRevision; 7] = [
        HsRevision(0),
        HsRevision(1),
        HsRevision(2),
        HsRevision(3),
        HsRevision(4),
        HsRevision(5),
        HsRevision(6),
    ];

    /// `H0`..`H6` (Comtrade's `pfCode`), or `None` for any other text.
    pub fn parse(s: &str) -> Option<HsRevision> {
        match s.as_bytes() {
            [b'H', d @ b'0'..=b'6'] => Some(HsRevision(d - b'0')),
            _ => None,
        }
    }

    /// `H0`..`H6`.
    pub fn name(self) -> &'static str {
        ["H0", "H1", "H2", "H3", "H4", "H5", "H6"][usize::from(self.0)]
    }

    /// The year the revision took effect (1992 for `H0` ... 2022 for `H6`).
    pub fn year(self) -> i32 {
        [1992, 1996, 2002, 2007, 2012, 2017, 2022][usize::from(self.0)]
    }

    /// The revision in force on 1 January of `year` (from 1992; `None` before),
    /// for a national tariff that adopts each revision when it takes effect.
    pub fn in_force(year: i32) -> Option<HsRevision> {
        HsRevision::ALL.into_iter().rev().find(|r| r.year() <= year)
    }
}

impl std::fmt::Display for HsRevision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What the correspondence says about one code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Targets<'a> {
    /// The code is not a 6-digit code of its revision in the UNSD tables.
    NotInRevision,
    /// The code corresponds to these codes of the target revision, in code order
    /// (one code: a one-to-one or many-to-one move; more: a one-to-many split).
    Codes(Vec<&'a str>),
}

/// The compiled correspondence tables.
#[derive(Debug)]
pub struct HsCorrespondence {
    /// Code -> bit set of the revisions it exists in.
    revisions: HashMap<&'static str, u8>,
    /// (newer, older) -> newer code -> older codes.
    older_of: HashMap<(u8, u8), HashMap<&'static str, Vec<&'static str>>>,
    /// (newer, older) -> older code -> newer codes.
    newer_of: HashMap<(u8, u8), HashMap<&'static str, Vec<&'static str>>>,
}

impl HsCorrespondence {
    /// The tables compiled into the binary.
    pub fn get() -> &'static HsCorrespondence {
        static TABLES: OnceLock<HsCorrespondence> = OnceLock::new();
        TABLES.get_or_init(|| {
            let mut revisions = HashMap::new();
            for line in HS_CODES.lines().skip(1) {
                if let Some((code, revs)) = line.split_once('\t') {
                    let bits = revs.bytes().fold(0u8, |b, d| b | 1 << (d - b'0'));
                    revisions.insert(code, bits);
                }
            }
            let mut older_of: HashMap<_, HashMap<_, Vec<_>>> = HashMap::new();
            let mut newer_of: HashMap<_, HashMap<_, Vec<_>>> = HashMap::new();
            for line in HS_CORRESPONDENCE.lines().skip(1) {
                let f: Vec<&'static str> = line.split('\t').collect();
                let [newer, older, code, olds] = f[..] else {
                    continue;
                };
                let (Some(n), Some(o)) = (HsRevision::parse(newer), HsRevision::parse(older))
                else {
                    continue;
                };
                let olds: Vec<&'static str> = olds.split(' ').collect();
                for old in &olds {
                    newer_of
                        .entry((n.0, o.0))
                        .or_default()
                        .entry(*old)
                        .or_default()
                        .push(code);
                }
                older_of.entry((n.0, o.0)).or_default().insert(code, olds);
            }
            for map in newer_of.values_mut() {
                for codes in map.values_mut() {
                    codes.sort_unstable();
                    codes.dedup();
                }
            }
            HsCorrespondence {
                revisions,
                older_of,
                newer_of,
            }
        })
    }

    /// Whether `code` is a 6-digit code of `revision`.
    pub fn exists(&self, code: &str, revision: HsRevision) -> bool {
        self.revisions
            .get(code)
            .is_some_and(|bits| bits & (1 << revision.0) != 0)
    }

    /// The codes of `to` that `code` of `from` corresponds to.
    pub fn targets<'a>(&'a self, code: &'a str, from: HsRevision, to: HsRevision) -> Targets<'a> {
        if !self.exists(code, from) {
            return Targets::NotInRevision;
        }
        if from == to {
            return Targets::Codes(vec![code]);
        }
        let listed = if from > to {
            self.older_of.get(&(from.0, to.0)).and_then(|m| m.get(code))
        } else {
            self.newer_of.get(&(to.0, from.0)).and_then(|m| m.get(code))
        };
        match listed {
            Some(codes) => Targets::Codes(codes.clone()),
            // Left out of the generated file only when it corresponds to itself alone.
            None if self.exists(code, to) => Targets::Codes(vec![code]),
            None => Targets::NotInRevision,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> HsRevision {
        HsRevision::parse(s).unwrap()
    }

    fn codes<'a>(t: Targets<'a>) -> Vec<&'a str> {
        match t {
            Targets::Codes(c) => c,
            Targets::NotInRevision => vec![],
        }
    }

    /// Lines of the UNSD tables, as published: HS 2012 580127 corresponds to
    /// HS 2007 580124 and 580125 ("HS 2012 to HS 2007 Correlation and conversion
    /// tables"); anthracite 270111 is unchanged from 1992 to 2022; HS 2022 moved
    /// live-animal codes little but created 8549 (electrical waste), which the
    /// HS 2022-HS 2017 correlation links to hundreds of HS 2017 codes.
    #[test]
    fn lookups_follow_the_unsd_tables() {
        let t = HsCorrespondence::get();
        assert_eq!(
            codes(t.targets("580127", h("H4"), h("H3"))),
            ["580124", "580125"]
        );
        assert_eq!(codes(t.targets("580124", h("H3"), h("H4"))), ["580127"]);
        assert_eq!(codes(t.targets("580125", h("H3"), h("H4"))), ["580127"]);
        for r in HsRevision::ALL {
            assert_eq!(codes(t.targets("270111", h("H0"), r)), ["270111"], "{r}");
        }
        assert!(t.exists("854931", h("H6")));
        assert!(!t.exists("854931", h("H5")));
        assert_eq!(
            t.targets("854931", h("H5"), h("H6")),
            Targets::NotInRevision
        );
        assert_eq!(
            t.targets("000000", h("H5"), h("H4")),
            Targets::NotInRevision
        );
        assert_eq!(HsRevision::parse("H7"), None);
        assert_eq!(HsRevision::parse("HS"), None);
        assert_eq!(h("H4").year(), 2012);
        assert_eq!(HsRevision::in_force(2016), Some(h("H4")));
        assert_eq!(HsRevision::in_force(2017), Some(h("H5")));
        assert_eq!(HsRevision::in_force(2030), Some(h("H6")));
        assert_eq!(HsRevision::in_force(1991), None);
    }
}
