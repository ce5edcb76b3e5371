//! Readers, one module per source format. A reader turns a file into typed rows
//! that keep the source's own fields and the line they came from; a row it cannot
//! parse becomes a [`RowReject`] with the raw text, and a file it cannot read at all
//! (wrong layout, broken JSON) is an [`ExtractError`] naming the file and line.
//! Readers never panic on input and never drop a row without saying so:
//! `rows_read == rows.len() + rejects.len()`.

pub mod archive;
pub mod archive_ledger;
pub mod baci;
pub mod china_customs;
pub mod comtrade_legacy;
pub mod comtrade_legacy_json;
pub mod comtrade_v1;
pub mod comtrade_v1_totals;
pub mod delimited;
pub mod encoding;
mod error;
pub mod estimates_ledger;
pub mod events_file;
pub mod fold;
pub mod grid;
pub mod json;
pub mod labor_sheet;
pub mod ocha_fts;
pub mod oecd_crs;
pub mod plain;
pub mod published_totals;
pub mod russia_customs;
pub mod text;
pub mod xlsx_guard;

pub use error::ExtractError;
pub use patronage_core::RowReject;

/// What a reader returns for one file.
#[derive(Debug, Clone)]
pub struct Extracted<T> {
    /// Rows parsed.
    pub rows: Vec<T>,
    /// Rows read but not parsed, with reasons.
    pub rejects: Vec<RowReject>,
    /// Data rows read (header and blank lines excluded).
    pub rows_read: u64,
}

impl<T> Extracted<Option<Box<T>>> {
    /// The rows a scoped reader kept (`Some`), unboxed, and how many it left out
    /// (`None`). Readers box the rows they keep so that a row left out costs a
    /// pointer in its block, not a record's room: a world file is mostly rows
    /// outside the focus.
    pub fn kept_unboxed(self) -> (Extracted<T>, u64) {
        let read = self.rows.len();
        let rows: Vec<T> = self.rows.into_iter().flatten().map(|r| *r).collect();
        let left_out = (read - rows.len()) as u64;
        (
            Extracted {
                rows,
                rejects: self.rejects,
                rows_read: self.rows_read,
            },
            left_out,
        )
    }
}
