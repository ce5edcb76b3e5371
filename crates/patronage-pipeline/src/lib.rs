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
mod paths;
mod run;
mod source;
mod trade;
pub mod trade_config;
mod trade_sources;

// Reproducible, schedulable runs: stage fingerprints and cache, the output lock,
// events for schedulers, the run log, atomic commits, verify, the JSON dictionary.
mod cache;
mod commit;
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

pub use patronage_tables::TOOL_VERSION;

/// The pipeline `patronage run` uses when given none.
pub const DEFAULT_PIPELINE: &str = "pipelines/dprk.toml";
