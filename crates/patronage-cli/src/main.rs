//! `patronage`: build research-grade Parquet tables of a country's trade with its
//! patrons from the files agencies publish.
//!
//! Exit codes: 0 the run finished; 1 the run finished and wrote every table, but a
//! data check of error severity failed; 2 an error stopped it (bad pipeline file, a
//! source file in the wrong layout, an output that could not be written).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use patronage_pipeline::{run, RunOptions, DEFAULT_PIPELINE};

#[derive(Debug, Parser)]
#[command(
    name = "patronage",
    version,
    about = "Parquet tables of a country's ties to its patrons, from the raw files agencies publish."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a pipeline: read its sources, write its tables and manifest.json.
    Run {
        /// Pipeline file.
        #[arg(default_value = DEFAULT_PIPELINE)]
        pipeline: PathBuf,
        /// Output folder (default: the pipeline's `output`, else `out/<name>`).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print nothing on success.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Print the data dictionary (every table and column) in Markdown.
    Schema,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match execute(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            if e.is::<patronage_pipeline::ChecksFailed>() {
                return ExitCode::from(1);
            }
            ExitCode::from(2)
        }
    }
}

fn execute(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Run {
            pipeline,
            out,
            quiet,
        } => {
            let report = run(&pipeline, &RunOptions { output: out })
                .with_context(|| format!("pipeline {} failed", pipeline.display()))?;
            if !quiet {
                let m = &report.manifest;
                println!(
                    "pipeline {} (focus {}) -> {}",
                    m.pipeline.name,
                    m.pipeline.focus,
                    report.output_dir.display()
                );
                for s in &report.sources {
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
                for w in &report.windows {
                    let musd = |v: Option<i64>| {
                        v.map_or("n/a".to_string(), |v| format!("${:.2}M", v as f64 / 1e9))
                    };
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
                for t in &report.tables {
                    println!("  {:<16} {:>8} rows  {}", t.table, t.rows, t.path.display());
                }
                println!("  manifest.json");
                for line in patronage_pipeline::check_summary(&report.checks) {
                    println!("  {line}");
                }
            }
            let blocking = report.blocking_checks();
            if !blocking.is_empty() {
                for c in &blocking {
                    if quiet {
                        eprintln!("{c}");
                    }
                }
                let names = blocking.iter().map(|c| c.check.clone()).collect();
                return Err(patronage_pipeline::ChecksFailed { names }.into());
            }
            Ok(())
        }
        Command::Schema => {
            print!("{}", patronage_core::tables::markdown());
            Ok(())
        }
    }
}
