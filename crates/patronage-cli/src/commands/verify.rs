//! `patronage verify`: re-hash an output folder against its manifest.json and
//! name every drift (a missing, changed or extra file) on stdout; drift exits
//! with `Exit::Error`, a clean folder with `Exit::Ok`. With `--json`, the
//! verdict is one JSON object on stdout.

use std::path::{Path, PathBuf};

use patronage_pipeline::verify::{DriftKind, Verification};
use patronage_pipeline::{load, verify_outputs, DEFAULT_PIPELINE};
use serde_json::{json, Value};

use super::output::Output;
use super::pipeline_args::PathLimit;
use crate::exit::Exit;
use crate::json_output;

/// Arguments of `patronage verify`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Pipeline file whose output folder to check.
    #[arg(default_value = DEFAULT_PIPELINE)]
    pipeline: PathBuf,
    /// Output folder to check (instead of the pipeline's), or the URL of one on
    /// object storage (`s3://`, `gs://`, `az://`).
    #[arg(long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    paths: PathLimit,
    /// The verdict as one JSON object on stdout: `ok`, `output_dir`, `listed`,
    /// `manifest_sha256` and `drift` (each with `file`, `kind` and, for a
    /// changed file, `expected` and `actual`).
    #[arg(long)]
    pub json: bool,
}

/// Verify the outputs and print the verdict.
pub fn execute(args: Args) -> anyhow::Result<Exit> {
    let dir = match args.out {
        // An output on object storage is brought down (not its shards) and
        // checked here.
        Some(out) => Output::at(&out)?.pull_outputs()?,
        None => {
            let p = load(
                &args.pipeline,
                patronage_pipeline::LoadOptions {
                    download: false,
                    ..args.paths.load_options()
                },
            )?;
            match &p.output_url {
                Some(url) => Output::at(Path::new(url))?.pull_outputs()?,
                None => p.output_dir(None),
            }
        }
    };
    let v = verify_outputs(&dir)?;
    if args.json {
        json_output::print(&verification_json(&v));
        if !v.ok() {
            eprintln!("{}", drift_summary(&v));
        }
        return Ok(if v.ok() { Exit::Ok } else { Exit::Error });
    }
    Ok(print_verification(&v))
}

/// The verdict as JSON.
fn verification_json(v: &Verification) -> Value {
    let drift: Vec<Value> = v
        .drift
        .iter()
        .map(|d| match &d.kind {
            DriftKind::Missing => json!({"file": d.file, "kind": "missing"}),
            DriftKind::Extra => json!({"file": d.file, "kind": "extra"}),
            DriftKind::Changed { expected, actual } => json!({
                "file": d.file, "kind": "changed", "expected": expected, "actual": actual,
            }),
        })
        .collect();
    json!({
        "ok": v.ok(),
        "output_dir": v.output_dir.display().to_string(),
        "listed": v.listed,
        "manifest_sha256": v.manifest_sha256,
        "drift": drift,
    })
}

/// The line that says a folder drifted.
fn drift_summary(v: &Verification) -> String {
    format!(
        "error: {}: {} file(s) differ from manifest.json",
        v.output_dir.display(),
        v.drift.len()
    )
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
    eprintln!("{}", drift_summary(v));
    Exit::Error
}
