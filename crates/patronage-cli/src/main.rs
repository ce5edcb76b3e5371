//! `patronage`: build research-grade Parquet tables of a country's trade with its
//! patrons from the files agencies publish.
//!
//! Exit codes: 0 the run finished; 1 the run finished and wrote every table, but a
//! data check of error severity failed; 2 an error stopped it (bad pipeline file, a
//! source file in the wrong layout, an output that could not be written, the
//! output folder locked by another run, outputs that drifted from their manifest
//! under `verify`).

mod bulk;
mod report;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use patronage_pipeline::lock::LockWait;
use patronage_pipeline::{run, RunOptions, DEFAULT_PIPELINE};

/// Shown under `--help`: what a scheduler needs to know.
const EXIT_CODES: &str = "Exit codes:
  0  ok: the run finished (or verify found no drift)
  1  data checks failed: the run finished and wrote its outputs, but a check failed
  2  error: the previous outputs are left as they were (bad pipeline file or
     input, output folder locked by another run, a write failed), or verify
     found drift";

#[derive(Debug, Parser)]
#[command(
    name = "patronage",
    version,
    about = "Parquet tables of a country's ties to its patrons, from the raw files agencies publish.",
    after_help = EXIT_CODES
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
    #[command(after_help = EXIT_CODES)]
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
    },
    /// Show which stages a run would run and why, without running anything.
    Plan {
        /// Pipeline file.
        #[arg(default_value = DEFAULT_PIPELINE)]
        pipeline: PathBuf,
        /// Output folder (default: the pipeline's `output`, else `out/<name>`).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Plan as if `run --force` were given.
        #[arg(long)]
        force: bool,
        /// One JSON object per stage on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Re-hash the outputs against manifest.json and name any drift (missing,
    /// changed or extra files); exit code 2 on drift.
    Verify {
        /// Pipeline file whose output folder to check.
        #[arg(default_value = DEFAULT_PIPELINE)]
        pipeline: PathBuf,
        /// Output folder to check (instead of the pipeline's).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Check the pipeline's published claims (`[[claims]]`) against its tables and
    /// print the verdicts. Runs the pipeline first; unchanged stages are skipped.
    Claims {
        /// Pipeline file.
        #[arg(default_value = DEFAULT_PIPELINE)]
        pipeline: PathBuf,
        /// Output folder (default: the pipeline's `output`, else `out/<name>`).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Write one self-contained HTML report (charts and the claims table, nothing
    /// fetched when it is opened). Runs the pipeline first; unchanged stages are
    /// skipped.
    Report {
        /// Pipeline file.
        #[arg(default_value = DEFAULT_PIPELINE)]
        pipeline: PathBuf,
        /// Output folder (default: the pipeline's `output`, else `out/<name>`).
        #[arg(long)]
        out: Option<PathBuf>,
        /// The HTML file to write (default: `<output folder>-report.html`, beside
        /// the output folder, so `verify` does not count it as an extra file).
        #[arg(long, short = 'o')]
        output: Option<PathBuf>,
    },
    /// Print the data dictionary (every table and column) in Markdown, or JSON.
    Schema {
        /// JSON instead of Markdown.
        #[arg(long)]
        json: bool,
    },
    /// Write a SYNTHETIC BACI CSV or Comtrade bulk TSV of any size (benchmarks).
    Synth(bulk::SynthArgs),
    /// Mirror totals for every country as focus from BACI and Comtrade bulk files,
    /// streaming (mirror_all.parquet, rejects.parquet, mirror_all_report.json).
    MirrorAll(bulk::MirrorAllArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let reporter = Arc::new(match &cli.command {
        Command::Run { json, quiet, .. } => report::Reporter::for_run(*json, *quiet),
        _ => report::Reporter::inert(),
    });
    let result = execute(cli, &reporter);
    let code = match &result {
        Ok(code) => *code,
        Err(_) => report::EXIT_ERROR,
    };
    let error = result.err().map(|e| format!("{e:#}"));
    reporter.done();
    if let Some(e) = &error {
        eprintln!("error: {e}");
    }
    reporter.finish(code, error);
    ExitCode::from(code)
}

fn execute(cli: Cli, reporter: &Arc<report::Reporter>) -> anyhow::Result<u8> {
    match cli.command {
        Command::Run {
            pipeline,
            out,
            quiet,
            force,
            wait,
            json,
        } => {
            let options = RunOptions {
                output: out,
                force,
                wait: lock_wait(wait.as_deref())?,
                events: patronage_pipeline::run_events::Events::to(reporter.clone()),
            };
            let report = run(&pipeline, &options)
                .with_context(|| format!("pipeline {} failed", pipeline.display()))?;
            reporter.done();
            if !quiet && !json {
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
                report::print_stages(&report);
                for line in patronage_pipeline::check_summary(&report.checks) {
                    println!("  {line}");
                }
            }
            let blocking = report.blocking_checks();
            if !blocking.is_empty() {
                if quiet || json {
                    for c in &blocking {
                        eprintln!("{c}");
                    }
                }
                let names = blocking.iter().map(|c| c.check.clone()).collect();
                eprintln!("error: {}", patronage_pipeline::ChecksFailed { names });
                return Ok(report::EXIT_CHECKS_FAILED);
            }
            Ok(report::EXIT_OK)
        }
        Command::Plan {
            pipeline,
            out,
            force,
            json,
        } => {
            let options = RunOptions {
                output: out,
                force,
                ..RunOptions::default()
            };
            let plan = patronage_pipeline::plan(&pipeline, &options)
                .with_context(|| format!("pipeline {} cannot be planned", pipeline.display()))?;
            report::print_plan(&plan, json);
            Ok(report::EXIT_OK)
        }
        Command::Verify { pipeline, out } => {
            let dir = match out {
                Some(dir) => dir,
                None => {
                    let p = patronage_pipeline::Pipeline::load(&pipeline)?;
                    patronage_pipeline::output_dir_of(&p, None)
                }
            };
            let v = patronage_pipeline::verify_outputs(&dir)?;
            Ok(report::print_verification(&v))
        }
        Command::Claims { pipeline, out } => {
            let tables = built_tables(&pipeline, out)?;
            print!("{}", patronage_report::claims_text(&tables)?);
            Ok(report::EXIT_OK)
        }
        Command::Report {
            pipeline,
            out,
            output,
        } => {
            let tables = built_tables(&pipeline, out)?;
            let html = patronage_report::html(&tables)?;
            let path = output.unwrap_or_else(|| {
                let mut name = tables.dir.file_name().unwrap_or_default().to_os_string();
                name.push("-report.html");
                tables.dir.with_file_name(name)
            });
            let tmp = path.with_extension("html.tmp");
            std::fs::write(&tmp, html.as_bytes())
                .and_then(|()| std::fs::rename(&tmp, &path))
                .with_context(|| format!("cannot write {}", path.display()))?;
            println!("report: {} ({} bytes)", path.display(), html.len());
            Ok(report::EXIT_OK)
        }
        Command::Schema { json } => {
            if json {
                print!("{}", patronage_tables::dictionary::json());
            } else {
                print!("{}", patronage_tables::dictionary::markdown());
            }
            Ok(report::EXIT_OK)
        }
        Command::Synth(a) => bulk::synth(a).map(|()| report::EXIT_OK),
        Command::MirrorAll(a) => bulk::mirror_all(a).map(|()| report::EXIT_OK),
    }
}

/// Run the pipeline without output (stages whose inputs are unchanged are
/// skipped) and read the tables the report commands show.
fn built_tables(
    pipeline: &std::path::Path,
    out: Option<PathBuf>,
) -> anyhow::Result<patronage_report::Tables> {
    let options = RunOptions {
        output: out,
        ..RunOptions::default()
    };
    let report = run(pipeline, &options)
        .with_context(|| format!("pipeline {} failed", pipeline.display()))?;
    Ok(patronage_report::Tables::load(&report.output_dir)?)
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
            LockWait::Wait(Some(std::time::Duration::from_secs_f64(secs)))
        }
    })
}
