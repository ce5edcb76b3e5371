//! `patronage claims`: run the pipeline (unchanged stages are skipped), check its
//! published claims against the tables, and print the verdicts on stdout.

use patronage_report::claims_text;

use super::pipeline_args::PipelineArgs;
use crate::exit::Exit;

/// Arguments of `patronage claims`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    target: PipelineArgs,
}

/// Print the claims' verdicts.
pub fn execute(args: Args) -> anyhow::Result<Exit> {
    let tables = args.target.built_tables()?;
    print!("{}", claims_text(&tables)?);
    Ok(Exit::Ok)
}
