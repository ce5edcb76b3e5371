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
    /// An input on object storage could not be listed or read.
    #[error(transparent)]
    Store(#[from] patronage_store::StoreError),
    /// Row accounting does not balance (a defect in the tool, not the data).
    #[error(transparent)]
    Accounting(#[from] patronage_core::Unbalanced),
}
