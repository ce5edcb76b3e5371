//! Why `mirror-all` could not finish. Every variant names the file or table
//! involved.

/// A failure of a bulk run.
#[derive(Debug, thiserror::Error)]
pub enum BulkError {
    /// An input file could not be read.
    #[error(transparent)]
    Extract(#[from] patronage_extract::ExtractError),
    /// A table could not be built or written.
    #[error(transparent)]
    Tables(#[from] patronage_tables::TablesError),
    /// Row accounting does not balance (a defect in the tool, not the data).
    #[error("{file}: rows read {read} != kept {kept} + dropped {dropped} + rejected {rejected}")]
    Accounting {
        /// The input file.
        file: String,
        /// Rows read.
        read: u64,
        /// Rows kept.
        kept: u64,
        /// Rows dropped on purpose.
        dropped: u64,
        /// Rows rejected.
        rejected: u64,
    },
}
