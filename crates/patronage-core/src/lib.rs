//! The vocabulary every patronage crate shares: country codes with their validity
//! years, trade flows, calendar periods, money and its conversion tables, the
//! shape of a rejected row. Nothing here reads files, knows about a source format
//! or depends on polars.

pub mod aid_stage;
pub mod clock;
pub mod countries;
pub mod flow;
pub mod hs_revisions;
pub mod labor;
pub mod money;
pub mod oecd_codes;
pub mod period;
pub mod shard;
pub mod trade_codes;

pub use aid_stage::AidStage;
pub use countries::{
    series_of, Country, CountryKind, CountryRegistry, LookupError, Succession, SUCCESSIONS,
};
pub use flow::Flow;
pub use hs_revisions::{HsCorrespondence, HsRevision, Targets};
pub use money::{usd_from_mills, ConversionGap, FxRate, MoneyTables};
pub use period::{MonthRange, YearMonth};
pub use shard::{Shard, ShardError};
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
    /// Column (1-based, in characters) where the record starts on `line`: 1 for a
    /// row of a delimited file or a sheet; for JSON, where the record's value starts,
    /// which tells apart records written on one line (a minified API response).
    pub column: u64,
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
            column: 1,
            reason,
            detail: detail.into(),
            raw: bound_text(raw),
        }
    }

    /// The same reject, placed at `column` of its line.
    pub fn at_column(mut self, column: u64) -> Self {
        self.column = column;
        self
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

/// `s` itself when it is within [`RAW_TEXT_LIMIT`] characters, else cut as
/// [`bound_text`] cuts it: a record's raw text kept beside its parsed fields.
pub fn bound_owned(s: String) -> String {
    if s.len() <= RAW_TEXT_LIMIT {
        s
    } else {
        bound_text(&s)
    }
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

/// Longest message an error carries, in characters: room for a quoted field
/// ([`RAW_TEXT_LIMIT`]) and the lists of columns an error names.
pub const MESSAGE_LIMIT: usize = 4 * RAW_TEXT_LIMIT;

/// Text read from an input quoted in a message (an error, a reject's detail):
/// control characters escaped as Rust writes them (`\u{1b}`, `\n`), so that bytes
/// from a file never reach a terminal or a log as commands or line breaks, and cut
/// at [`RAW_TEXT_LIMIT`] characters, the cut marked with the text's full length.
/// Every message that quotes input goes through here, so a 50 MB header line
/// gives a message of about a kilobyte.
pub fn quote_input(s: &str) -> String {
    escape_bounded(s, RAW_TEXT_LIMIT)
}

/// `s` with control characters escaped and cut at `limit` characters (the cut
/// marked with the full length in bytes): [`quote_input`] for a field, and for a
/// whole message with [`MESSAGE_LIMIT`], as errors display theirs.
pub fn escape_bounded(s: &str, limit: usize) -> String {
    let mut out = String::with_capacity(s.len().min(limit + 32));
    for (n, c) in s.chars().enumerate() {
        if n == limit {
            out.push_str(&format!("… ({} bytes in all)", s.len()));
            break;
        }
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_input_is_escaped_and_bounded() {
        assert_eq!(quote_input("КНДР, Côte d'Ivoire"), "КНДР, Côte d'Ivoire");
        // ESC [ 2 J (clear the screen), a bell, a line break and a tab: escaped.
        assert_eq!(
            quote_input("a\u{1b}[2Jb\u{7}\n\t"),
            "a\\u{1b}[2Jb\\u{7}\\n\\t"
        );
        let long = "é".repeat(5000);
        let q = quote_input(&long);
        // 1,000 characters kept, then the mark with the length in bytes (2 each).
        assert!(q.starts_with(&"é".repeat(RAW_TEXT_LIMIT)), "{q}");
        assert!(q.ends_with("… (10000 bytes in all)"), "{q}");
        assert_eq!(
            q.chars().count(),
            RAW_TEXT_LIMIT + "… (10000 bytes in all)".chars().count()
        );
    }
}
