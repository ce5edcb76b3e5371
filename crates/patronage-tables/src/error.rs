//! Why a table could not be built, checked or written. Every variant names the
//! table or the file involved.

use std::path::PathBuf;

/// A failure of the table layer.
#[derive(Debug, thiserror::Error)]
pub enum TablesError {
    /// A table could not be built.
    #[error("building table `{table}`: {source}")]
    Table {
        /// Table name.
        table: &'static str,
        /// What polars said.
        #[source]
        source: polars::error::PolarsError,
    },
    /// A table does not match its contract (a defect in the tool, not the data).
    #[error("table `{table}` does not match its contract: {message}")]
    Contract {
        /// Table name.
        table: &'static str,
        /// The mismatch.
        message: String,
    },
    /// An output could not be written.
    #[error("{}: cannot write: {source}", path.display())]
    Write {
        /// The output file.
        path: PathBuf,
        /// The OS or writer error.
        #[source]
        source: std::io::Error,
    },
}

/// Wrap a polars error with the table it was building.
pub fn table_error(
    spec: &'static crate::TableSpec,
) -> impl Fn(polars::error::PolarsError) -> TablesError + Copy {
    move |source| TablesError::Table {
        table: spec.name,
        source,
    }
}
