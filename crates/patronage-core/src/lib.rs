//! The vocabulary every patronage crate shares: country codes with their validity
//! years, trade flows, calendar periods, money and its conversion tables, the
//! shape of a rejected row. Nothing here reads files, knows about a source format
//! or depends on polars.

pub mod aid_stage;
pub mod countries;
pub mod flow;
pub mod labor;
pub mod money;
pub mod oecd_codes;
pub mod period;
pub mod trade_codes;

pub use aid_stage::AidStage;
pub use countries::{
    series_of, Country, CountryKind, CountryRegistry, LookupError, Succession, SUCCESSIONS,
};
pub use flow::Flow;
pub use money::{ConversionGap, FxRate, MoneyTables};
pub use period::{MonthRange, YearMonth};
pub use trade_codes::{CodeError, TradeCodes};

/// Longest raw text kept for a rejected row, in characters.
pub const RAW_TEXT_LIMIT: usize = 1000;

/// A row that was read but cannot be used. Readers and normalizers return these
/// instead of failing the run, and the pipeline writes them to the `rejects` table
/// with the stage and source attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowReject {
    /// Line of the row in its file.
    pub line: u64,
    /// Stable reason code (`bad_number`, `field_count`, `unknown_country_code`, ...).
    pub reason: &'static str,
    /// What was wrong, naming the column.
    pub detail: String,
    /// The row as read, cut at [`RAW_TEXT_LIMIT`] characters.
    pub raw: String,
}

impl RowReject {
    /// Build a reject, bounding the raw text.
    pub fn new(line: u64, reason: &'static str, detail: impl Into<String>, raw: &str) -> Self {
        RowReject {
            line,
            reason,
            detail: detail.into(),
            raw: bound_text(raw),
        }
    }
}

/// A file whose rows do not balance: read != kept + dropped + rejected. Every
/// reader and normalizer accounts for each row, so this is a defect in the tool,
/// not in the data, and no table is written from such a file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: rows read {read} != kept {kept} + dropped {dropped} + rejected {rejected}")]
pub struct Unbalanced {
    /// The file.
    pub file: String,
    /// Rows read.
    pub read: u64,
    /// Rows kept.
    pub kept: u64,
    /// Rows dropped on purpose.
    pub dropped: u64,
    /// Rows rejected.
    pub rejected: u64,
}

/// Cut `s` at [`RAW_TEXT_LIMIT`] characters, marking the cut.
pub fn bound_text(s: &str) -> String {
    if s.len() <= RAW_TEXT_LIMIT {
        return s.to_string();
    }
    match s.char_indices().nth(RAW_TEXT_LIMIT) {
        None => s.to_string(),
        Some((i, _)) => format!("{}…", &s[..i]),
    }
}

/// A polars `DataFrame` with one column per `column!(name, |row| value)`, each
/// column taken from the items of `rows` in order: how the crates that build
/// tables turn their rows into frames. The caller depends on polars and has
/// `polars::prelude::*` in scope (this crate does not use polars itself).
#[macro_export]
macro_rules! frame {
    ($rows:expr, [$(column!($name:literal, $f:expr)),* $(,)?]) => {
        DataFrame::new_infer_height(vec![$(
            Series::new($name.into(), $rows.iter().map($f).collect::<Vec<_>>()).into_column()
        ),*])
    };
}
