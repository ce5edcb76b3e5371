//! `patronage plan`: say which stages a run would run and why, without running
//! anything or taking the output folder's lock; a table for a person or one JSON
//! object per stage on stdout. With `--shards N`, which shard of a fan-out
//! runs which unit (`patronage run --shard I/N`), each unit's weight and each
//! shard's total: the assignment every shard computes; given `--baci` or
//! `--comtrade-bulk` inputs, the same for `patronage mirror-all --shard I/N`
//! (a unit per input).

use std::path::PathBuf;

use anyhow::Context;
use patronage_bulk::mirror_all::BulkInput;
use patronage_bulk::shard::input_size;
use patronage_pipeline::shard::{plan_shards, PlannedUnit, ShardPlan};
use patronage_pipeline::stages::Action;
use patronage_pipeline::{plan, LoadOptions, Plan, RunOptions};

use super::pipeline_args::{print_notes, PipelineArgs};
use crate::exit::Exit;

/// Arguments of `patronage plan`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    target: PipelineArgs,
    /// Plan as if `run --force` were given.
    #[arg(long)]
    force: bool,
    /// One JSON object per stage on stdout (with --shards: one per unit, then
    /// one per shard).
    #[arg(long)]
    pub json: bool,
    /// Show how `run --shard I/N` splits the job over N shards instead: each
    /// unit's shard and weight (bytes of its input files), and each shard's
    /// total weight.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    shards: Option<u32>,
    /// With --shards: plan `mirror-all`'s shards over these BACI inputs
    /// (files, `.zip` members or object URLs, as `mirror-all` takes them)
    /// instead of the pipeline's.
    #[arg(long, requires = "shards")]
    baci: Vec<PathBuf>,
    /// With --shards: the Comtrade bulk inputs of a `mirror-all` plan.
    #[arg(long, requires = "shards")]
    comtrade_bulk: Vec<PathBuf>,
}

/// Plan the run and print it.
pub fn execute(args: Args) -> anyhow::Result<Exit> {
    if let (Some(count), false) = (
        args.shards,
        args.baci.is_empty() && args.comtrade_bulk.is_empty(),
    ) {
        let plan = mirror_all_plan(&args.baci, &args.comtrade_bulk, count)?;
        print_shards(&plan, args.json);
        return Ok(Exit::Ok);
    }
    let output = args.target.output()?;
    let pipeline = args.target.pipeline;
    let options = RunOptions {
        // A plan shows what a run would download; it downloads nothing.
        load: LoadOptions {
            download: false,
            ..args.target.paths.load_options()
        },
        output: output.map(|o| o.dir),
        force: args.force,
        ..RunOptions::default()
    };
    if let Some(count) = args.shards {
        let plan = plan_shards(&pipeline, &options, count)
            .with_context(|| format!("pipeline {} cannot be planned", pipeline.display()))?;
        print_shards(&plan, args.json);
        return Ok(Exit::Ok);
    }
    let plan = plan(&pipeline, &options)
        .with_context(|| format!("pipeline {} cannot be planned", pipeline.display()))?;
    print_notes(&plan.notes);
    print_plan(&plan, args.json);
    Ok(Exit::Ok)
}

/// The shards of `patronage mirror-all` over these inputs: a unit per input
/// (`format:file`), weighed by its bytes.
fn mirror_all_plan(
    baci: &[PathBuf],
    comtrade_bulk: &[PathBuf],
    count: u32,
) -> anyhow::Result<ShardPlan> {
    let inputs = BulkInput::all(baci, comtrade_bulk)?;
    let planned = patronage_bulk::shard::plan(&inputs, count, input_size)?;
    let mut totals = vec![0u64; count as usize];
    for p in &planned {
        totals[p.index as usize] += p.bytes;
    }
    Ok(ShardPlan {
        pipeline: "mirror-all".to_string(),
        count,
        units: planned
            .into_iter()
            .map(|p| PlannedUnit {
                unit: format!("{}:{}", p.format, p.file),
                shard: p.shard,
                weight: p.bytes,
            })
            .collect(),
        totals,
        job_sha256: String::new(),
    })
}

fn print_plan(plan: &Plan, json: bool) {
    if json {
        for s in &plan.stages {
            println!("{}", serde_json::to_string(s).unwrap_or_default());
        }
        return;
    }
    println!(
        "plan for pipeline {} -> {}",
        plan.pipeline,
        plan.output_dir.display()
    );
    let width = plan.stages.iter().map(|s| s.stage.len()).max().unwrap_or(0);
    for s in &plan.stages {
        let action = match s.action {
            Action::Run => "run ",
            Action::Skip => "skip",
            Action::RunIfUpstreamChanges => "run?",
        };
        println!("  {action}  {:<width$}  {}", s.stage, s.reasons.join("; "));
    }
    if let Some(holder) = &plan.locked_by {
        println!("  the output folder is locked by a run in progress ({holder})");
    }
}

/// The fan-out's assignment: a line (or JSON object) per unit, then per shard.
fn print_shards(plan: &ShardPlan, json: bool) {
    let units_of = |i: usize| {
        let shard = format!("{i}/{}", plan.count);
        plan.units.iter().filter(|u| u.shard == shard).count()
    };
    if json {
        for u in &plan.units {
            println!("{}", serde_json::to_string(u).unwrap_or_default());
        }
        for (i, total) in plan.totals.iter().enumerate() {
            let shard = serde_json::json!({
                "shard": format!("{i}/{}", plan.count),
                "units": units_of(i),
                "weight": total,
                "job_sha256": plan.job_sha256,
            });
            println!("{shard}");
        }
        return;
    }
    // A pipeline's plan names its job; mirror-all's job also depends on its
    // other flags, so its shards name theirs in shard.json.
    match plan.job_sha256.as_str() {
        "" => println!("shards for {} over {} shard(s)", plan.pipeline, plan.count),
        sha => println!(
            "shards for pipeline {} over {} shard(s) (job {sha})",
            plan.pipeline, plan.count
        ),
    }
    let width = plan.units.iter().map(|u| u.unit.len()).max().unwrap_or(0);
    for u in &plan.units {
        println!(
            "  shard {:<7} {:<width$}  {:>14} bytes",
            u.shard, u.unit, u.weight
        );
    }
    for (i, total) in plan.totals.iter().enumerate() {
        println!(
            "  shard {i}/{}: {} unit(s), {total} bytes",
            plan.count,
            units_of(i)
        );
    }
}
