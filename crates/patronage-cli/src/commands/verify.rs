//! `patronage verify`: re-hash an output folder against its manifest.json and
//! name every drift (a missing, changed or extra file) on stdout; drift exits
//! with `Exit::Error`, a clean folder with `Exit::Ok`.

use std::path::PathBuf;

use patronage_pipeline::verify::Verification;
use patronage_pipeline::{load, verify_outputs, DEFAULT_PIPELINE};

use super::pipeline_args::PathLimit;
use crate::exit::Exit;

/// Arguments of `patronage verify`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Pipeline file whose output folder to check.
    #[arg(default_value = DEFAULT_PIPELINE)]
    pipeline: PathBuf,
    /// Output folder to check (instead of the pipeline's).
    #[arg(long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    paths: PathLimit,
}

/// Verify the outputs and print the verdict.
pub fn execute(args: Args) -> anyhow::Result<Exit> {
    let dir = match args.out {
        Some(dir) => dir,
        None => {
            let p = load(
                &args.pipeline,
                patronage_pipeline::LoadOptions {
                    download: false,
                    ..args.paths.load_options()
                },
            )?;
            p.output_dir(None)
        }
    };
    let v = verify_outputs(&dir)?;
    Ok(print_verification(&v))
}

fn print_verification(v: &Verification) -> Exit {
    if v.ok() {
        println!(
            "ok: {} file(s) in {} match manifest.json",
            v.listed,
            v.output_dir.display()
        );
        return Exit::Ok;
    }
    for d in &v.drift {
        println!("{d}");
    }
    eprintln!(
        "error: {}: {} file(s) differ from manifest.json",
        v.output_dir.display(),
        v.drift.len()
    );
    Exit::Error
}
