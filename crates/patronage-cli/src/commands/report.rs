//! `patronage report`: run the pipeline (unchanged stages are skipped) and write
//! one self-contained HTML report beside the output folder, atomically (a
//! temporary file renamed into place). This is the only command named "report".

use std::path::PathBuf;

use anyhow::Context;
use patronage_report::html;

use super::pipeline_args::PipelineArgs;
use crate::exit::Exit;

/// Arguments of `patronage report`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    target: PipelineArgs,
    /// The HTML file to write (default: `<output folder>-report.html`, beside
    /// the output folder, so `verify` does not count it as an extra file).
    #[arg(long, short = 'o')]
    output: Option<PathBuf>,
}

/// Write the HTML report and say where.
pub fn execute(args: Args) -> anyhow::Result<Exit> {
    let tables = args.target.built_tables()?;
    let page = html(&tables)?;
    let path = args.output.unwrap_or_else(|| {
        let mut name = tables.dir.file_name().unwrap_or_default().to_os_string();
        name.push("-report.html");
        tables.dir.with_file_name(name)
    });
    let tmp = path.with_extension("html.tmp");
    std::fs::write(&tmp, page.as_bytes())
        .and_then(|()| std::fs::rename(&tmp, &path))
        .with_context(|| format!("cannot write {}", path.display()))?;
    println!("report: {} ({} bytes)", path.display(), page.len());
    Ok(Exit::Ok)
}
