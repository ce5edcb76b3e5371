//! `patronage`: build research-grade Parquet tables of a country's trade with its
//! patrons from the files agencies publish.
//!
//! This file only parses the command line and dispatches: each subcommand lives
//! in its own file under `commands/`, what a run shows while it works in
//! `terminal`, the exit codes (with their `--help` text) in `exit`, and how a
//! failure is worded in `failure`. An error any command returns is printed here
//! as `error: ...` and exits with [`Exit::Error`]; so does a panic, a defect of
//! the tool, with a request for a bug report (no panic leaves the process with
//! another code).

mod commands;
mod exit;
mod failure;
mod terminal;

use std::panic::AssertUnwindSafe;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use crate::commands::{claims, fetch, mirror_all, plan, report, run, schema, synth, verify};
use crate::exit::Exit;
use crate::terminal::Terminal;

#[derive(Debug, Parser)]
#[command(
    name = "patronage",
    version,
    about = "Parquet tables of a country's ties to its patrons, from the raw files agencies publish.",
    after_help = exit::help()
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a pipeline: read its sources, write its tables and manifest.json.
    ///
    /// Stages whose inputs, parameters and tool version are unchanged are
    /// skipped (`patronage plan` says which and why); `--force` reruns them.
    #[command(after_help = exit::help())]
    Run(run::Args),
    /// Show which stages a run would run and why, without running anything.
    Plan(plan::Args),
    /// Re-hash the outputs against manifest.json and name any drift (missing,
    /// changed or extra files); exit code 2 on drift.
    Verify(verify::Args),
    /// Check the pipeline's published claims (`[[claims]]`) against its tables and
    /// print the verdicts. Runs the pipeline first; unchanged stages are skipped.
    Claims(claims::Args),
    /// Write one self-contained HTML report (charts and the claims table, nothing
    /// fetched when it is opened). Runs the pipeline first; unchanged stages are
    /// skipped.
    Report(report::Args),
    /// Print the data dictionary (every table and column) in Markdown, or JSON.
    Schema(schema::Args),
    /// Download source files (UN Comtrade, CEPII BACI, OCHA FTS) into the cache,
    /// recorded in fetch.lock; what the cache holds is not asked again.
    Fetch(Box<fetch::Args>),
    /// Write a SYNTHETIC BACI CSV or Comtrade bulk TSV of any size (benchmarks).
    Synth(synth::Args),
    /// Mirror totals for every country as focus from BACI and Comtrade bulk files,
    /// streaming (mirror_all.parquet, rejects.parquet, mirror_all_report.json).
    MirrorAll(mirror_all::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let terminal = Arc::new(match &cli.command {
        Command::Run(args) => args.terminal(),
        _ => Terminal::inert(),
    });
    failure::record_panics();
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| dispatch(cli.command, &terminal)));
    let (exit, error) = match result {
        Ok(Ok(exit)) => (exit, None),
        Ok(Err(e)) => (Exit::Error, Some(failure::error_text(&e))),
        Err(payload) => {
            let location = failure::first_panic_location();
            let (exit, message) = failure::panic_report(payload.as_ref(), location.as_deref());
            (exit, Some(message))
        }
    };
    terminal.done();
    if let Some(e) = &error {
        eprintln!("error: {e}");
    }
    terminal.finish(exit, error);
    ExitCode::from(exit.code())
}

fn dispatch(command: Command, terminal: &Arc<Terminal>) -> anyhow::Result<Exit> {
    match command {
        Command::Run(args) => run::execute(args, terminal),
        Command::Plan(args) => plan::execute(args),
        Command::Verify(args) => verify::execute(args),
        Command::Claims(args) => claims::execute(args),
        Command::Report(args) => report::execute(args),
        Command::Schema(args) => schema::execute(args),
        Command::Fetch(args) => fetch::execute(*args),
        Command::Synth(args) => synth::execute(args),
        Command::MirrorAll(args) => mirror_all::execute(args),
    }
}
