//! The pipeline: a TOML file that names a focus country, its sources and the
//! comparisons to make; a runner that reads every source, normalizes, aggregates
//! and writes one Parquet file per table with a manifest of inputs and outputs.

// The layers, lowest first: each imports only the layers listed before it.
pub mod config;
pub mod domain;
pub mod engine;
pub mod quality;

mod error;

pub use config::{LoadOptions, Pipeline};
pub use domain::formats::names as format_names;
pub use domain::{manifest, SourceAccount};
pub use engine::load::load;
pub use engine::options::RunOptions;
pub use engine::run::{run, ChecksFailed, RunReport};
pub use engine::stages::{plan, Plan};
pub use engine::verify::verify_outputs;
pub use engine::{
    fingerprint, lock, merge, runlog, scheduler_events, shard, stages, units, verify,
};
pub use error::PipelineError;
pub use quality::{check_summary, CheckResult, CheckStatus};

pub use patronage_tables::TOOL_VERSION;

/// The pipeline `patronage run` uses when given none.
pub const DEFAULT_PIPELINE: &str = "pipelines/dprk.toml";
