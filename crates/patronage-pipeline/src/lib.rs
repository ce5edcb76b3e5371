//! The pipeline: a TOML file that names a focus country, its sources and the
//! comparisons to make; a runner that reads every source, normalizes, aggregates
//! and writes one Parquet file per table with a manifest of inputs and outputs.

mod aid;
mod check_run;
pub mod checks;
mod claim_run;
pub mod claims;
pub mod config;
mod error;
mod events;
mod filter;
pub mod labor;
pub mod manifest;
pub mod mirror_all;
pub mod parquet;
mod paths;
mod run;
mod source;
pub mod synth;
mod trade;
pub mod trade_config;
mod trade_sources;

// Reproducible, schedulable runs: stage fingerprints and cache, the output lock,
// events for schedulers, the run log, atomic commits, verify, the JSON dictionary.
mod cache;
mod commit;
pub mod dictionary;
pub mod fingerprint;
pub mod lock;
pub mod run_events;
pub mod runlog;
pub mod stages;
pub mod verify;

pub use check_run::{check_summary, CheckResult, Status as CheckStatus};
pub use config::Pipeline;
pub use error::PipelineError;
pub use run::{output_dir_of, run, ChecksFailed, RunOptions, RunReport, SourceAccount};
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

/// Size and hex SHA-256 of a file, read in blocks (for files too large to hold).
pub fn sha256_file(path: &std::path::Path) -> std::io::Result<(u64, String)> {
    use sha2::Digest;
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hasher.update(&buf[..n]);
    }
    Ok((
        size,
        hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
    ))
}
