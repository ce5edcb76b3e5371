//! `patronage merge OUT`: the shards of a job under `OUT/shards/*/shard.json`
//! checked (all there, each once, of one job, their files as they say) and
//! merged into the job's outputs in `OUT`, byte-identical to what one process
//! would have written; a summary, or one JSON object with `--json`.
//!
//! Invariant: the command only reads the `kind` every manifest declares and
//! hands the folder to that kind's merge (one function per kind); manifests of
//! two kinds are an error naming both, and nothing is written then.

use std::path::{Path, PathBuf};

use anyhow::Context;
use patronage_bulk::merge::{manifest_paths, merge_mirror_all};
use patronage_pipeline::merge::merge;
use patronage_pipeline::{check_summary, ChecksFailed, RunOptions};

use super::pipeline_args::{print_notes, PathLimit};
use crate::exit::Exit;
use crate::json_output;

/// Check a job's shards and write its outputs, as one process would have.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The job's output folder: the shards are under OUT/shards/I-of-N/.
    out: PathBuf,
    /// The pipeline file of a `patronage run --shard` job (default: the file
    /// the shards recorded).
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

/// Merge the shards under `OUT/shards`, by their kind.
pub fn execute(a: Args) -> anyhow::Result<Exit> {
    match kind(&a.out)?.as_str() {
        patronage_bulk::shard::KIND => mirror_all(&a),
        "pipeline" => merge_pipeline(a),
        other => anyhow::bail!(
            "{}: shards of kind {other:?}, which `patronage merge` does not know",
            a.out.join("shards").display()
        ),
    }
}

/// The `kind` every shard manifest under `out/shards` declares.
fn kind(out: &Path) -> anyhow::Result<String> {
    let mut found: Option<(PathBuf, String)> = None;
    for path in manifest_paths(out)? {
        let text = std::fs::read(&path).with_context(|| format!("{}", path.display()))?;
        let v: serde_json::Value = serde_json::from_slice(&text)
            .with_context(|| format!("{}: not a shard manifest", path.display()))?;
        let k = v
            .get("kind")
            .and_then(|k| k.as_str())
            .with_context(|| format!("{}: no \"kind\"", path.display()))?
            .to_string();
        match &found {
            Some((first, fk)) if *fk != k => anyhow::bail!(
                "{} is a {fk:?} shard and {} a {k:?} shard: shards of different jobs",
                first.display(),
                path.display()
            ),
            Some(_) => {}
            None => found = Some((path, k)),
        }
    }
    Ok(found.map(|(_, k)| k).unwrap_or_default())
}
/// The shards of `patronage mirror-all --shard`.
fn mirror_all(a: &Args) -> anyhow::Result<Exit> {
    if let Some(p) = &a.pipeline {
        anyhow::bail!(
            "--pipeline {}: the shards under {} are of `mirror-all`, which takes no pipeline",
            p.display(),
            a.out.join("shards").display()
        );
    }
    let merged = merge_mirror_all(&a.out)?;
    if a.json {
        let mut v = serde_json::to_value(&merged)?;
        if let Some(o) = v.as_object_mut() {
            o.insert("output_dir".into(), a.out.display().to_string().into());
        }
        json_output::print(&v);
    } else if !a.quiet {
        let r = &merged.report;
        println!(
            "  merged {} shards of mirror-all: {} inputs, mirror_all {} rows, rejects {} rows -> {}",
            merged.shards,
            r.inputs.len(),
            r.mirror_rows,
            r.rejects,
            a.out.display()
        );
    }
    Ok(Exit::Ok)
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
