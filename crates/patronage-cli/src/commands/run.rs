//! `patronage run`: run a pipeline (stages whose inputs are unchanged are
//! skipped), show its progress through the [`Terminal`], then print the summary:
//! the row accounting of each source, the windows, the tables written, the
//! stages and the checks. A failed check of error severity exits with
//! `Exit::ChecksFailed` after every table is written. With `--shard I/N` (or
//! `--shard-count N`, the index from a Kubernetes Indexed Job or a Slurm job
//! array) it runs only that shard's units into `OUT/shards/I-of-N/` and prints
//! what the shard ran; `patronage merge OUT` then writes the outputs.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use patronage_pipeline::lock::LockWait;
use patronage_pipeline::scheduler_events::Events;
use patronage_pipeline::shard::{run_shard, ShardReport, SHARD_FILE};
use patronage_pipeline::{check_summary, run, ChecksFailed, RunOptions, RunReport};

use super::output::Output;
use super::pipeline_args::{print_notes, PipelineArgs};
use super::shard_args::ShardArgs;
use crate::exit::Exit;
use crate::terminal::Terminal;

/// Arguments of `patronage run`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    target: PipelineArgs,
    /// Print nothing on success.
    #[arg(long, short)]
    quiet: bool,
    /// Run every stage and rewrite every output, even when nothing changed.
    #[arg(long)]
    force: bool,
    /// When another run holds the output folder, wait for it (at most
    /// SECONDS, if given) instead of failing.
    #[arg(long, value_name = "SECONDS", num_args = 0..=1, require_equals = true, default_missing_value = "forever")]
    wait: Option<String>,
    /// Print one JSON event per line on stdout (run_started, stage_skipped,
    /// stage_started, stage_finished, table_written, run_finished), for
    /// schedulers.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    shards: ShardArgs,
}

impl Args {
    /// Where this run shows its progress: JSON events or a progress bar.
    pub fn terminal(&self) -> Terminal {
        Terminal::for_run(self.json, self.quiet)
    }
}

/// Run the pipeline and print its summary.
pub fn execute(args: Args, terminal: &Arc<Terminal>) -> anyhow::Result<Exit> {
    let output = args.target.output()?;
    let pipeline = args.target.pipeline;
    let options = RunOptions {
        load: args.target.paths.load_options(),
        output: output.as_ref().map(|o| o.dir.clone()),
        force: args.force,
        wait: lock_wait(args.wait.as_deref())?,
        events: Events::to(terminal.clone()),
        ..RunOptions::default()
    };
    let shard = args.shards.shard()?;
    if let Some(shard) = shard {
        let outcome = run_shard(&pipeline, &options, shard)
            .with_context(|| format!("shard {shard} of pipeline {} failed", pipeline.display()))?;
        terminal.done();
        if let Some(output) = &output {
            publish(output, &shard.folder(), SHARD_FILE, args.quiet || args.json)?;
        }
        if !args.quiet && !args.json {
            print_shard(&outcome);
        }
        return Ok(Exit::Ok);
    }
    let outcome = run(&pipeline, &options)
        .with_context(|| format!("pipeline {} failed", pipeline.display()))?;
    terminal.done();
    print_notes(&outcome.notes);
    if !args.quiet && !args.json {
        print_summary(&outcome);
    }
    if let Some(output) = &output {
        publish(output, "", "manifest.json", args.quiet || args.json)?;
    }
    let blocking = outcome.blocking_checks();
    if !blocking.is_empty() {
        if args.quiet || args.json {
            for c in &blocking {
                eprintln!("{c}");
            }
        }
        let names = blocking.iter().map(|c| c.check.clone()).collect();
        eprintln!("error: {}", ChecksFailed { names });
        return Ok(Exit::ChecksFailed);
    }
    Ok(Exit::Ok)
}

/// Publish a run's (or a shard's) files to a remote output, saying so unless
/// quiet.
fn publish(output: &Output, sub: &str, manifest: &str, quiet: bool) -> anyhow::Result<()> {
    if let Some(n) = output.publish(sub, manifest)? {
        if !quiet {
            println!("  published {n} changed file(s) to {}", output.shown());
        }
    }
    Ok(())
}

/// `--wait` (no limit) or `--wait=SECONDS`.
fn lock_wait(arg: Option<&str>) -> anyhow::Result<LockWait> {
    Ok(match arg {
        None => LockWait::Fail,
        Some("forever") => LockWait::Wait(None),
        Some(s) => {
            let secs: f64 = s
                .parse()
                .ok()
                .filter(|v: &f64| v.is_finite() && *v >= 0.0)
                .with_context(|| format!("--wait={s}: expected a number of seconds"))?;
            LockWait::Wait(Some(Duration::from_secs_f64(secs)))
        }
    })
}

/// What a person sees after a run: sources, windows, tables, stages, checks.
fn print_summary(outcome: &RunReport) {
    let m = &outcome.manifest;
    println!(
        "pipeline {} (focus {}) -> {}",
        m.pipeline.name,
        m.pipeline.focus,
        outcome.output_dir.display()
    );
    for s in &outcome.sources {
        let r = &s.rows;
        println!(
            "  source {:<24} {} file(s): {} read = {} kept + {} dropped + {} rejected",
            s.source_id,
            s.files,
            r.read,
            r.kept,
            r.dropped_total(),
            r.rejected
        );
        for (reason, n) in &r.dropped {
            println!("      dropped {n:>6}  {reason}");
        }
    }
    for w in &outcome.windows {
        let musd =
            |v: Option<i128>| v.map_or("n/a".to_string(), |v| format!("${:.2}M", v as f64 / 1e9));
        let (c, b) = (&w.spec.current, &w.spec.baseline);
        println!(
            "  window {} ({}): {}..{} {} vs {}..{} {}: {}{}",
            w.spec.id,
            w.spec.partner,
            c.0,
            c.1,
            musd(w.current.total()),
            b.0,
            b.1,
            musd(w.baseline.total()),
            w.total_change_pct()
                .map_or("n/a".to_string(), |p| format!("{p:+.1}%")),
            if w.current.complete && w.baseline.complete {
                ""
            } else {
                " (incomplete)"
            }
        );
    }
    for t in &outcome.tables {
        println!("  {:<16} {:>8} rows  {}", t.table, t.rows, t.path.display());
    }
    println!("  manifest.json");
    print_stages(outcome);
    for line in check_summary(&outcome.checks) {
        println!("  {line}");
    }
}

/// What a shard ran, and where it left it.
fn print_shard(outcome: &ShardReport) {
    let f = &outcome.file;
    println!(
        "shard {} of pipeline {} -> {}",
        outcome.shard,
        outcome.pipeline,
        outcome.folder.display()
    );
    for u in &f.units {
        let bytes: u64 = u.inputs.iter().map(|i| i.bytes).sum();
        println!(
            "  {:<32} {} file(s), {bytes} bytes",
            u.stage,
            u.inputs.len()
        );
    }
    if f.units.is_empty() {
        println!("  no unit: the job has fewer units than shards");
    }
    println!("  shard.json (merge with `patronage merge <out>` once every shard is done)");
}

/// The stage line of a run's summary.
fn print_stages(outcome: &RunReport) {
    let ran = outcome.stages.iter().filter(|s| s.status == "ran").count();
    let skipped = outcome.stages.len() - ran;
    println!("  stages: {ran} run, {skipped} skipped (`patronage plan` says why)");
    if outcome.windows.is_empty() && outcome.stages.iter().any(|s| s.status == "skipped") {
        println!("  outputs unchanged; windows as in trade_windows.parquet");
    }
}
