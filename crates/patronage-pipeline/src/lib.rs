//! The pipeline: a TOML file that names a focus country, its sources and the
//! comparisons to make; a runner that reads every source, normalizes, aggregates
//! and writes one Parquet file per table with a manifest of inputs and outputs.

pub mod config;
mod error;
pub mod manifest;
pub mod parquet;
mod run;
mod source;
mod trade;

// Reproducible, schedulable runs: stage fingerprints and cache, the output lock,
// events for schedulers, the run log, atomic commits, verify, the JSON dictionary.
mod cache;
mod commit;
pub mod dictionary;
pub mod events;
pub mod fingerprint;
pub mod lock;
pub mod runlog;
pub mod stages;
pub mod verify;

pub use config::Pipeline;
pub use error::PipelineError;
pub use run::{output_dir_of, run, RunOptions, RunReport, SourceAccount};
pub use stages::{plan, Plan};
pub use verify::verify_outputs;

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
