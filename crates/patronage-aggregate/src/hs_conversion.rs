//! HS codes of one revision moved to another (a pipeline's `classification_target`),
//! through the UNSD correspondence compiled into `patronage-core`.
//!
//! The invariant: conversion never creates or loses money. A 6-digit code that
//! corresponds to one code of the target (one-to-one, or one of many-to-one) moves
//! whole; a code that corresponds to several (one-to-many) is split by the declared
//! [`SplitRule`], in integer thousandths whose parts add up exactly to the whole;
//! a row that cannot be converted (a 2- or 4-digit row, a code its revision does not
//! have, a revision the source does not name) keeps its code and says why. Every
//! output part carries a [`Conversion`] flag, so a figure built from split or
//! unconverted rows says so.

use patronage_core::{HsCorrespondence, HsRevision, Targets};

/// How a one-to-many code's value is shared among its target codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitRule {
    /// Where the code itself is one of the targets (it survived the revision), all
    /// of the value stays on it; otherwise the value is shared equally.
    SameCode,
    /// Shared equally among the targets, the thousandths left over from the
    /// division going one each to the first targets in code order.
    Equal,
}

impl SplitRule {
    /// The rule named in a pipeline file (`same_code`, `equal`).
    pub fn parse(s: &str) -> Option<SplitRule> {
        match s {
            "same_code" => Some(SplitRule::SameCode),
            "equal" => Some(SplitRule::Equal),
            _ => None,
        }
    }
}

/// The target revision and the split rule a pipeline declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConversionSpec {
    /// The revision every 6-digit code is moved to.
    pub target: HsRevision,
    /// How one-to-many codes are split.
    pub split: SplitRule,
}

/// How one part of a converted row was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Conversion {
    /// Already in the target revision (or no target declared).
    AsReported,
    /// Moved whole: one-to-one or many-to-one.
    Exact,
    /// One-to-many, kept whole on the same code (rule `same_code`).
    SplitSameCode,
    /// One-to-many, shared equally (rule `equal`, or `same_code` when the code
    /// did not survive).
    SplitEqual,
    /// A 2- or 4-digit row of another revision: the UNSD tables correspond 6-digit
    /// codes, so chapters and headings are kept as reported.
    CoarseUnconverted,
    /// A 6-digit code its revision does not have in the UNSD tables: kept as is.
    CodeNotInRevision,
    /// The source names no revision (`HS`): kept as is.
    RevisionUnknown,
}

impl Conversion {
    /// The flag as written in a table's `conversion` column.
    pub fn name(self) -> &'static str {
        match self {
            Conversion::AsReported => "as_reported",
            Conversion::Exact => "exact",
            Conversion::SplitSameCode => "split_same_code",
            Conversion::SplitEqual => "split_equal",
            Conversion::CoarseUnconverted => "coarse_unconverted",
            Conversion::CodeNotInRevision => "code_not_in_revision",
            Conversion::RevisionUnknown => "revision_unknown",
        }
    }
}

/// One part of a converted row: its code in the target revision, its value in
/// thousandths, and how it was reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The code (6 digits when converted; as reported otherwise).
    pub code: String,
    /// Value, thousandths of a dollar.
    pub mills: i64,
    /// How the part was reached.
    pub conversion: Conversion,
}

/// The parts of one row of `classification` (`H0`..`H6`, or anything else),
/// `code` at `level` digits, worth `mills`. With no spec the row is one part,
/// as reported. The parts' values add up to `mills` exactly.
pub fn convert(
    classification: &str,
    code: &str,
    level: i32,
    mills: i64,
    spec: Option<&ConversionSpec>,
) -> Vec<Part> {
    let whole = |conversion| {
        vec![Part {
            code: code.to_string(),
            mills,
            conversion,
        }]
    };
    let Some(spec) = spec else {
        return whole(Conversion::AsReported);
    };
    let Some(from) = HsRevision::parse(classification) else {
        return whole(Conversion::RevisionUnknown);
    };
    if from == spec.target {
        return whole(Conversion::AsReported);
    }
    if level != 6 {
        return whole(Conversion::CoarseUnconverted);
    }
    let targets = match HsCorrespondence::get().targets(code, from, spec.target) {
        Targets::NotInRevision => return whole(Conversion::CodeNotInRevision),
        Targets::Codes(t) => t,
    };
    match targets[..] {
        [one] => vec![Part {
            code: one.to_string(),
            mills,
            conversion: Conversion::Exact,
        }],
        _ if spec.split == SplitRule::SameCode && targets.contains(&code) => {
            whole(Conversion::SplitSameCode)
        }
        _ => split_equal(&targets, mills),
    }
}

/// `mills` shared among `targets` (at least two): each gets the quotient, and the
/// remainder goes one thousandth each to the first targets, so the parts add up to
/// `mills` exactly, negative values included (Euclidean division).
fn split_equal(targets: &[&str], mills: i64) -> Vec<Part> {
    let n = targets.len() as i64;
    let (q, r) = (mills.div_euclid(n), mills.rem_euclid(n));
    targets
        .iter()
        .enumerate()
        .map(|(i, t)| Part {
            code: t.to_string(),
            mills: q + i64::from((i as i64) < r),
            conversion: Conversion::SplitEqual,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(target: &str, split: SplitRule) -> ConversionSpec {
        ConversionSpec {
            target: HsRevision::parse(target).unwrap(),
            split,
        }
    }

    fn parts(p: &[Part]) -> Vec<(&str, i64, &str)> {
        p.iter()
            .map(|p| (p.code.as_str(), p.mills, p.conversion.name()))
            .collect()
    }

    /// The UNSD HS 2012-HS 2007 table: HS 2012 580127 = HS 2007 580124 + 580125
    /// (many-to-one going forward, one-to-many going back). 1,000.001 dollars of
    /// 580127 in H4 split equally into H3 gives 500.001 + 500.000 (the odd
    /// thousandth to the first code); each H3 code moves whole to 580127.
    #[test]
    fn moves_and_splits_follow_the_table() {
        let to_h3 = spec("H3", SplitRule::Equal);
        assert_eq!(
            parts(&convert("H4", "580127", 6, 1_000_001, Some(&to_h3))),
            [
                ("580124", 500_001, "split_equal"),
                ("580125", 500_000, "split_equal")
            ]
        );
        let to_h4 = spec("H4", SplitRule::Equal);
        assert_eq!(
            parts(&convert("H3", "580125", 6, 7, Some(&to_h4))),
            [("580127", 7, "exact")]
        );
        assert_eq!(
            parts(&convert("H4", "580127", 6, 7, Some(&to_h4))),
            [("580127", 7, "as_reported")]
        );
        assert_eq!(
            parts(&convert("H3", "27", 2, 7, Some(&to_h4))),
            [("27", 7, "coarse_unconverted")]
        );
        assert_eq!(
            parts(&convert("HS", "270111", 6, 7, Some(&to_h4))),
            [("270111", 7, "revision_unknown")]
        );
        assert_eq!(
            parts(&convert("H3", "999998", 6, 7, Some(&to_h4))),
            [("999998", 7, "code_not_in_revision")]
        );
        assert_eq!(
            parts(&convert("H3", "580125", 6, 7, None)),
            [("580125", 7, "as_reported")]
        );
    }

    /// HS 2017 847130 (portable computers) corresponds in the UNSD HS 2022-HS 2017
    /// table to 847130 and to the new electrical-waste codes of 8549: `same_code`
    /// keeps it whole on 847130, `equal` shares it.
    #[test]
    fn same_code_keeps_a_surviving_code_whole() {
        let same = spec("H6", SplitRule::SameCode);
        assert_eq!(
            parts(&convert("H5", "847130", 6, 9_000, Some(&same))),
            [("847130", 9_000, "split_same_code")]
        );
        let equal = spec("H6", SplitRule::Equal);
        let p = convert("H5", "847130", 6, 9_000, Some(&equal));
        assert!(p.len() > 1, "{p:?}");
        assert!(p.iter().any(|p| p.code.starts_with("8549")), "{p:?}");
        assert_eq!(p.iter().map(|p| p.mills).sum::<i64>(), 9_000);
    }

    #[test]
    fn equal_split_of_a_negative_value_adds_up() {
        let p = split_equal(&["a", "b", "c"], -7);
        assert_eq!(p.iter().map(|p| p.mills).collect::<Vec<_>>(), [-2, -2, -3]);
    }

    /// Conservation on SYNTHETIC rows: whatever the rows (revisions H0..H6 or none named, codes that
    /// move whole, split or do not exist, chapter rows, negative values), the target
    /// and the rule, the converted parts' totals per reporter, partner, year and flow
    /// equal the rows' totals in integer thousandths. The codes are real UNSD cases:
    /// unchanged (270111), merged and split (580124, 580125, 580127), split into
    /// HS 2022's 8549 (847130), created in HS 2022 (854931), none (000000).
    mod conservation {
        use std::collections::BTreeMap;

        use proptest::prelude::*;

        use super::super::*;

        const CODES: [&str; 7] = [
            "270111", "580124", "580125", "580127", "847130", "854931", "000000",
        ];
        const CLASSES: [&str; 8] = ["H0", "H1", "H2", "H3", "H4", "H5", "H6", "HS"];

        type Row = (u8, u8, i32, bool, usize, usize, bool, i64);

        fn row() -> impl Strategy<Value = Row> {
            (
                0u8..3,
                0u8..3,
                2015i32..2018,
                any::<bool>(),
                0..CLASSES.len(),
                0..CODES.len(),
                any::<bool>(),
                -1_000_000_000i64..1_000_000_000_000,
            )
        }

        proptest! {
            #[test]
            fn totals_are_conserved(
                rows in proptest::collection::vec(row(), 0..60),
                target in 0usize..7,
                equal in any::<bool>(),
            ) {
                let spec = ConversionSpec {
                    target: HsRevision::ALL[target],
                    split: if equal { SplitRule::Equal } else { SplitRule::SameCode },
                };
                let mut before: BTreeMap<(u8, u8, i32, bool), i128> = BTreeMap::new();
                let mut after = before.clone();
                for (reporter, partner, year, export, class, code, chapter, mills) in rows {
                    let key = (reporter, partner, year, export);
                    *before.entry(key).or_default() += i128::from(mills);
                    let (code, level) = if chapter { (&CODES[code][..2], 2) } else { (CODES[code], 6) };
                    for p in convert(CLASSES[class], code, level, mills, Some(&spec)) {
                        *after.entry(key).or_default() += i128::from(p.mills);
                    }
                }
                prop_assert_eq!(before, after);
            }
        }
    }
}
