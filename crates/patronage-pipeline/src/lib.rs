//! The pipeline: a TOML file that names a focus country, its sources and the
//! comparisons to make; a runner that reads every source, normalizes, aggregates
//! and writes one Parquet file per table with a manifest of inputs and outputs.

mod check_run;
pub mod checks;
pub mod config;
mod error;
pub mod manifest;
pub mod parquet;
mod paths;
mod run;
mod source;
mod trade;

pub use check_run::{check_summary, CheckResult, Status as CheckStatus};
pub use config::Pipeline;
pub use error::PipelineError;
pub use run::{run, ChecksFailed, RunOptions, RunReport, SourceAccount};

/// The tool's version, written into manifests and Parquet footers.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The pipeline `patronage run` uses when given none.
pub const DEFAULT_PIPELINE: &str = "pipelines/dprk.toml";

/// Hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
