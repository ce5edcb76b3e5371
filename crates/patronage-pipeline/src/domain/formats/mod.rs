//! Every source format the runner reads, one file each: the file declares the
//! format's name, domain, whether it streams, its options (a type of its own,
//! so a source carries only its format's options) and its reader. `ALL` names
//! them, in the order error messages list them; a new format is one file here
//! and one line in `ALL` (the reader fuzz table and the bad-input matrix fail
//! until they cover it).

use crate::config::{FormatSpec, Source};

use super::format::Format;

mod archive_ledger;
mod baci;
mod china_customs;
mod comtrade_legacy;
mod comtrade_legacy_json;
mod comtrade_v1_bulk;
mod comtrade_v1_csv;
mod comtrade_v1_json;
mod events_csv;
mod labor_ledger_csv;
mod labor_sheet_csv;
mod labor_sheet_xlsx;
mod ocha_fts;
mod oecd_crs;
mod published_totals;
mod russia_customs;

/// Every format, in the order error messages list them.
pub(crate) static ALL: &[&Format] = &[
    &comtrade_v1_csv::FORMAT,
    &comtrade_v1_json::FORMAT,
    &comtrade_v1_bulk::FORMAT,
    &comtrade_legacy::FORMAT,
    &comtrade_legacy_json::FORMAT,
    &baci::FORMAT,
    &russia_customs::FORMAT,
    &china_customs::FORMAT,
    &published_totals::FORMAT,
    &archive_ledger::FORMAT,
    &ocha_fts::FORMAT,
    &oecd_crs::FORMAT,
    &labor_sheet_xlsx::FORMAT,
    &labor_sheet_csv::FORMAT,
    &labor_ledger_csv::FORMAT,
    &events_csv::FORMAT,
];

/// Every format's name, in the order error messages list them.
pub fn names() -> Vec<&'static str> {
    ALL.iter().map(|f| f.spec.name).collect()
}

/// The declarations a pipeline file is checked against.
pub(crate) fn specs() -> Vec<&'static FormatSpec> {
    ALL.iter().map(|f| &f.spec).collect()
}

/// The format of `source` (one of `specs()`, so always found when the
/// pipeline was loaded with them).
pub(crate) fn of(source: &Source) -> Option<&'static Format> {
    ALL.iter()
        .copied()
        .find(|f| f.spec.name == source.format.name)
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_are_unique_and_readers_match_domains() {
        let mut names: Vec<&str> = super::ALL.iter().map(|f| f.spec.name).collect();
        for f in super::ALL {
            assert_eq!(f.reader.domain(), f.spec.domain, "{}", f.spec.name);
        }
        names.sort_unstable();
        let n = names.len();
        names.dedup();
        assert_eq!(n, names.len(), "a format name is declared twice");
    }
}
