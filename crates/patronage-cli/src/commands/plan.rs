//! `patronage plan`: say which stages a run would run and why, without running
//! anything or taking the output folder's lock; a table for a person or one JSON
//! object per stage on stdout.

use anyhow::Context;
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
    /// One JSON object per stage on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Plan the run and print it.
pub fn execute(args: Args) -> anyhow::Result<Exit> {
    let pipeline = args.target.pipeline;
    let options = RunOptions {
        // A plan shows what a run would download; it downloads nothing.
        load: LoadOptions {
            download: false,
            ..args.target.paths.load_options()
        },
        output: args.target.out,
        force: args.force,
        ..RunOptions::default()
    };
    let plan = plan(&pipeline, &options)
        .with_context(|| format!("pipeline {} cannot be planned", pipeline.display()))?;
    print_notes(&plan.notes);
    print_plan(&plan, args.json);
    Ok(Exit::Ok)
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
