//! `patronage`: build research-grade Parquet tables of a country's trade with its
//! patrons from the files agencies publish.
//!
//! This file only parses the command line and dispatches: each subcommand lives
//! in its own file under `commands/`, what a run shows while it works in
//! `terminal`, the exit codes (with their `--help` text) in `exit`, and how a
//! failure is worded in `failure`. An error any command returns is printed here
//! as `error: ...` and exits with [`Exit::Error`]; so does a panic, a defect of
//! the tool, with a request for a bug report (no panic leaves the process with
//! another code). A command given `--json` reports its failure as one JSON
//! object on stdout as well (`json_output`), a usage error included.

mod allocator;
mod commands;
mod exit;
mod failure;
mod json_output;
mod terminal;

use std::panic::AssertUnwindSafe;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{CommandFactory, Parser, Subcommand};

use crate::commands::{
    claims, completions, fetch, man, merge, mirror_all, plan, report, run, schema, synth, verify,
};
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
    /// Merge the shards of a fanned-out job (`run` or `mirror-all --shard I/N`)
    /// in OUT/shards/ into OUT: the outputs one process would have written, byte
    /// for byte.
    ///
    /// Every shard must be there once, of one job, pipeline file and tool
    /// version, its files as its shard.json says; a missing one is named.
    #[command(after_help = exit::help())]
    Merge(merge::Args),
    /// Print the shell completion script (bash, zsh, fish, powershell, elvish).
    ///
    /// bash: `patronage completions bash > ~/.local/share/bash-completion/completions/patronage`
    Completions(completions::Args),
    /// Print the man page (roff); `--out-dir DIR` writes one page per command.
    Man(man::Args),
}

impl Command {
    /// Whether a failure is also reported as the one JSON error object on stdout
    /// (`json_output`): the commands given `--json`. `run --json` reports it in
    /// its last event (`run_finished`, with `exit_code` and `error`) instead.
    fn json_errors(&self) -> bool {
        match self {
            Command::Plan(a) => a.json,
            Command::Verify(a) => a.json,
            Command::Claims(a) => a.json,
            Command::MirrorAll(a) => a.json,
            Command::Merge(a) => a.json,
            Command::Schema(a) => a.json,
            Command::Fetch(a) => a.json,
            Command::Run(_)
            | Command::Report(_)
            | Command::Synth(_)
            | Command::Completions(_)
            | Command::Man(_) => false,
        }
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    // The commands that run a pipeline build tables after reading: their
    // phases free memory the next one does not reuse (see `allocator`).
    if matches!(
        cli.command,
        Command::Run(_) | Command::Claims(_) | Command::Report(_) | Command::Merge(_)
    ) {
        allocator::tune();
    }
    let json_errors = cli.command.json_errors();
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
        if json_errors {
            json_output::print(&json_output::error_object(exit, e));
        }
    }
    terminal.finish(exit, error);
    ExitCode::from(exit.code())
}

/// A command line clap cannot parse: its message on stderr and exit 2, and with
/// `--json` among the arguments the JSON error object on stdout too. `--help`
/// and `--version` print as usual.
fn usage_error(e: clap::Error) -> ExitCode {
    let _ = e.print();
    if e.exit_code() == 0 {
        return ExitCode::from(Exit::Ok.code());
    }
    if std::env::args_os().any(|a| a == "--json") {
        let text = e.render().to_string();
        let first = text.lines().next().unwrap_or_default();
        let message = first.strip_prefix("error: ").unwrap_or(first);
        json_output::print(&json_output::error_object(Exit::Error, message));
    }
    ExitCode::from(Exit::Error.code())
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
        Command::Merge(args) => merge::execute(args),
        Command::Completions(args) => completions::execute(args, Cli::command()),
        Command::Man(args) => man::execute(args, Cli::command()),
    }
}
