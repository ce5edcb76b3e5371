//! The pipeline a command works on, as named on the command line: the pipeline
//! file and the output folder that `run`, `plan`, `claims` and `report` take
//! with the same meaning, and the quiet run that `claims` and `report` make
//! before they read the tables.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use patronage_pipeline::{run, RunOptions, DEFAULT_PIPELINE};
use patronage_report::Tables;

/// A pipeline file and where its outputs go.
#[derive(Debug, Args)]
pub struct PipelineArgs {
    /// Pipeline file.
    #[arg(default_value = DEFAULT_PIPELINE)]
    pub pipeline: PathBuf,
    /// Output folder (default: the pipeline's `output`, else `out/<name>`).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

impl PipelineArgs {
    /// Run the pipeline without output (stages whose inputs are unchanged are
    /// skipped) and read the tables the report commands show.
    pub fn built_tables(self) -> anyhow::Result<Tables> {
        let options = RunOptions {
            output: self.out,
            ..RunOptions::default()
        };
        let report = run(&self.pipeline, &options)
            .with_context(|| format!("pipeline {} failed", self.pipeline.display()))?;
        Ok(Tables::load(&report.output_dir)?)
    }
}
