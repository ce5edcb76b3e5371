//! The tables patronage writes, and everything that must agree about them: the
//! contracts (key, columns, types, units), the deterministic Parquet writer that
//! checks every frame against its contract, the data dictionary generated from
//! the same contracts, the column readers the aggregates and the report use, and
//! the SHA-256 helpers of manifests and caches. Same frame, same bytes.

pub mod columns;
pub mod contracts;
pub mod dictionary;
mod error;
mod hash;
pub mod parquet;
pub mod parts;
pub mod stream;

pub use contracts::{ColumnSpec, ColumnType, TableSpec};
pub use error::{table_error, TablesError};
pub use hash::{sha256_file, sha256_hex, sha256_parts, sha256_read, HashingReader, HashingWriter};

/// The tool's version, written into manifests and Parquet footers (one version
/// for every crate of the workspace).
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");
