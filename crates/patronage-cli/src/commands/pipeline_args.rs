//! The pipeline a command works on, as named on the command line: the pipeline
//! file, the output folder and the operator's `--allow-outside-paths` that
//! `run`, `plan`, `claims` and `report` take with the same meaning (`verify`
//! takes the flag too), and the quiet run that `claims` and `report` make
//! before they read the tables.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use patronage_pipeline::{run, LoadOptions, RunOptions, DEFAULT_PIPELINE};
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
    #[command(flatten)]
    pub paths: PathLimit,
}

/// Where a pipeline may read and write: the operator's choice, never the file's.
#[derive(Debug, Args)]
pub struct PathLimit {
    /// Let the pipeline read sources and write its `output` outside its project
    /// (the folder above the pipeline's folder). Give it only for a pipeline you
    /// trust: a pipeline file cannot lift this limit itself.
    #[arg(long)]
    pub allow_outside_paths: bool,
    /// Download nothing: a source's `fetch = {...}` that the cache lacks is an
    /// error naming it (`plan` never downloads).
    #[arg(long)]
    pub offline: bool,
}

impl PathLimit {
    /// How the pipeline file is read.
    pub fn load_options(&self) -> LoadOptions {
        LoadOptions {
            allow_outside_paths: self.allow_outside_paths,
            download: !self.offline,
        }
    }
}

/// Tell the user what they should know about how the pipeline file was read
/// (paths that named a file already matched), on stderr.
pub fn print_notes(notes: &[String]) {
    for n in notes {
        eprintln!("note: {n}");
    }
}

impl PipelineArgs {
    /// Run the pipeline without output (stages whose inputs are unchanged are
    /// skipped) and read the tables the report commands show.
    pub fn built_tables(self) -> anyhow::Result<Tables> {
        let options = RunOptions {
            load: self.paths.load_options(),
            output: self.out,
            ..RunOptions::default()
        };
        let report = run(&self.pipeline, &options)
            .with_context(|| format!("pipeline {} failed", self.pipeline.display()))?;
        print_notes(&report.notes);
        Ok(Tables::load(&report.output_dir)?)
    }
}
