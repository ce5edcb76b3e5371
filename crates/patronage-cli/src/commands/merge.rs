//! `patronage merge OUT`: check the shards under `OUT/shards/*/shard.json`
//! (all there, each once, of one job, their files as they say) and write the
//! outputs into OUT exactly as one process would have. The shards' `kind`
//! picks the merge: each kind's arm is a function of its own, and the dispatch
//! one match on it.

use std::path::{Path, PathBuf};

use anyhow::Context;
use patronage_pipeline::merge::merge;
use patronage_pipeline::{check_summary, ChecksFailed, RunOptions};

use super::pipeline_args::{print_notes, PathLimit};
use crate::exit::Exit;

/// Arguments of `patronage merge`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The job's output folder: its shards are in OUT/shards/I-of-N/.
    out: PathBuf,
    /// The pipeline file (a pipeline's shards; default: the file the shards
    /// recorded).
    #[arg(long)]
    pipeline: Option<PathBuf>,
    #[command(flatten)]
    paths: PathLimit,
    /// Print nothing on success.
    #[arg(long, short)]
    quiet: bool,
    /// Print what was merged as one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Merge the shards in `OUT/shards/` by their kind.
pub fn execute(args: Args) -> anyhow::Result<Exit> {
    let kind = shard_kind(&args.out)?;
    match kind.as_str() {
        "pipeline" => merge_pipeline(args),
        other => anyhow::bail!(
            "{}: shards of kind {other:?}: this patronage merges only \"pipeline\" shards",
            args.out.join("shards").display()
        ),
    }
}

/// The `kind` of the first `shard.json` under `OUT/shards/` (by folder name).
fn shard_kind(out: &Path) -> anyhow::Result<String> {
    let dir = out.join("shards");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("{}: no shards to merge", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path().join("shard.json"))
        .filter(|p| p.is_file())
        .collect();
    found.sort();
    let first = found
        .first()
        .with_context(|| format!("{}: no shard.json: run the shards first", dir.display()))?;
    let value: serde_json::Value = serde_json::from_slice(
        &std::fs::read(first).with_context(|| format!("{}", first.display()))?,
    )
    .with_context(|| format!("{}: not JSON", first.display()))?;
    Ok(value
        .get("kind")
        .and_then(|k| k.as_str())
        .with_context(|| format!("{}: no \"kind\"", first.display()))?
        .to_string())
}

/// A pipeline's shards: the run's outputs, tables, checks, claims and
/// `manifest.json`, built from the shards' stage caches.
fn merge_pipeline(args: Args) -> anyhow::Result<Exit> {
    let options = RunOptions {
        load: args.paths.load_options(),
        ..RunOptions::default()
    };
    let report = merge(&args.out, args.pipeline.as_deref(), &options)
        .with_context(|| format!("merge of {} failed", args.out.display()))?;
    let run = &report.run;
    print_notes(&run.notes);
    if args.json {
        let summary = serde_json::json!({
            "kind": "pipeline",
            "shards": report.shards,
            "output_dir": run.output_dir.display().to_string(),
            "pipeline": run.manifest.pipeline.name,
            "manifest_sha256": patronage_tables::sha256_hex(run.manifest.to_json().as_bytes()),
            "tables": run.tables.iter().map(|t| serde_json::json!({
                "table": t.table, "rows": t.rows, "bytes": t.bytes, "sha256": t.sha256,
            })).collect::<Vec<_>>(),
        });
        println!("{summary}");
    } else if !args.quiet {
        println!(
            "merged {} shard(s) of pipeline {} -> {}",
            report.shards,
            run.manifest.pipeline.name,
            run.output_dir.display()
        );
        for t in &run.tables {
            println!("  {:<16} {:>8} rows  {}", t.table, t.rows, t.path.display());
        }
        println!("  manifest.json");
        for line in check_summary(&run.checks) {
            println!("  {line}");
        }
    }
    let blocking = run.blocking_checks();
    if !blocking.is_empty() {
        let names = blocking.iter().map(|c| c.check.clone()).collect();
        eprintln!("error: {}", ChecksFailed { names });
        return Ok(Exit::ChecksFailed);
    }
    Ok(Exit::Ok)
}
