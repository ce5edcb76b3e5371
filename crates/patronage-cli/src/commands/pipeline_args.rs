//! The pipeline a command works on, as named on the command line: the pipeline
//! file, the output folder and the operator's `--allow-outside-paths` that
//! `run`, `plan`, `claims` and `report` take with the same meaning (`verify`
//! takes the flag too), and the quiet run that `claims` and `report` make
//! before they read the tables.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use patronage_pipeline::{run, LoadOptions, Pipeline, RunOptions, DEFAULT_PIPELINE};
use patronage_report::Tables;

use super::output::Output;

/// A pipeline file and where its outputs go.
#[derive(Debug, Args)]
pub struct PipelineArgs {
    /// Pipeline file.
    #[arg(default_value = DEFAULT_PIPELINE)]
    pub pipeline: PathBuf,
    /// Output folder, or an object-storage URL (`s3://`, `gs://`, `az://`)
    /// (default: the pipeline's `output`, else `out/<name>`).
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
            placeholders: false,
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
    /// Where the outputs go: `--out` (a folder, or an object-storage URL staged
    /// in a local folder), else the pipeline file's `output` when it is a URL;
    /// `None` leaves the folder to the pipeline (its `output`, or `out/<name>`).
    pub fn output(&self) -> anyhow::Result<Option<Output>> {
        match &self.out {
            Some(out) => Output::at(out).map(Some),
            None => Pipeline::output_url_of(&self.pipeline)
                .map(|url| Output::at(Path::new(&url)))
                .transpose(),
        }
    }

    /// Run the pipeline without output (stages whose inputs are unchanged are
    /// skipped) and read the tables the report commands show; an output on
    /// object storage is published as `run` publishes it.
    pub fn built_tables(self) -> anyhow::Result<Tables> {
        let output = self.output()?;
        let options = RunOptions {
            load: self.paths.load_options(),
            output: output.as_ref().map(|o| o.dir.clone()),
            ..RunOptions::default()
        };
        let report = run(&self.pipeline, &options)
            .with_context(|| format!("pipeline {} failed", self.pipeline.display()))?;
        print_notes(&report.notes);
        if let Some(output) = &output {
            output.publish("", "manifest.json")?;
        }
        Ok(Tables::load(&report.output_dir)?)
    }
}
