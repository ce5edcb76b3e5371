//! What the binary shows while and after it works: JSON events for schedulers
//! (`--json`), a progress bar on a terminal, notes about the lock, and the plan
//! and verify reports.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use patronage_pipeline::run_events::{Event, Observer};
use patronage_pipeline::stages::Action;
use patronage_pipeline::verify::Verification;
use patronage_pipeline::{Plan, RunReport};

/// The run finished (or verify found no drift).
pub const EXIT_OK: u8 = 0;
/// The run finished and wrote its outputs, but a data check failed. Reserved for
/// the data checks; nothing returns it yet.
#[allow(dead_code)]
pub const EXIT_CHECKS_FAILED: u8 = 1;
/// An error stopped the command, or verify found drift.
pub const EXIT_ERROR: u8 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Not a run: nothing to report.
    Inert,
    /// A run for a person: a progress bar on a terminal, notes on stderr.
    Human { quiet: bool },
    /// A run for a scheduler: one JSON event per line on stdout.
    Json,
}

/// Receives a run's events and shows them.
pub struct Reporter {
    mode: Mode,
    started: Instant,
    bar: Mutex<Option<ProgressBar>>,
    ran: AtomicUsize,
    skipped: AtomicUsize,
}

impl Reporter {
    /// For `patronage run`.
    pub fn for_run(json: bool, quiet: bool) -> Self {
        Self::new(if json {
            Mode::Json
        } else {
            Mode::Human { quiet }
        })
    }

    /// For commands that are not runs.
    pub fn inert() -> Self {
        Self::new(Mode::Inert)
    }

    fn new(mode: Mode) -> Self {
        Reporter {
            mode,
            started: Instant::now(),
            bar: Mutex::new(None),
            ran: AtomicUsize::new(0),
            skipped: AtomicUsize::new(0),
        }
    }

    /// Take the progress bar off the terminal.
    pub fn done(&self) {
        if let Some(bar) = self.bar.lock().unwrap_or_else(|e| e.into_inner()).take() {
            bar.finish_and_clear();
        }
    }

    /// The command is over with `exit_code`: a run in JSON mode says so.
    pub fn finish(&self, exit_code: u8, error: Option<String>) {
        self.done();
        if self.mode == Mode::Json {
            json_line(&Event::RunFinished {
                exit_code,
                stages_run: self.ran.load(Ordering::Relaxed),
                stages_skipped: self.skipped.load(Ordering::Relaxed),
                duration_ms: self.started.elapsed().as_millis() as u64,
                error,
            });
        }
    }

    /// Print a note on stderr without tearing the progress bar.
    fn note(&self, text: &str) {
        let guard = self.bar.lock().unwrap_or_else(|e| e.into_inner());
        match guard.as_ref() {
            Some(bar) => bar.suspend(|| eprintln!("{text}")),
            None => eprintln!("{text}"),
        }
    }
}

impl Observer for Reporter {
    fn event(&self, event: &Event) {
        match event {
            Event::StageStarted { .. } => {
                self.ran.fetch_add(1, Ordering::Relaxed);
            }
            Event::StageSkipped { .. } => {
                self.skipped.fetch_add(1, Ordering::Relaxed);
            }
            _ => {}
        }
        let quiet = match self.mode {
            Mode::Inert => return,
            Mode::Json => return json_line(event),
            Mode::Human { quiet } => quiet,
        };
        match event {
            Event::LockTakenOver { holder } => self.note(&format!(
                "note: took over the output folder's lock from {holder}: that process no longer exists"
            )),
            Event::LockWaiting { holder } if !quiet => self.note(&format!(
                "waiting for the output folder's lock, held by {holder}"
            )),
            Event::RunStarted { to_run, .. } if !quiet && std::io::stderr().is_terminal() => {
                let bar = ProgressBar::new(*to_run as u64);
                if let Ok(style) = ProgressStyle::with_template(
                    "{spinner} {elapsed:>4} [{bar:30}] {pos}/{len} stages  {msg}",
                ) {
                    bar.set_style(style.progress_chars("=> "));
                }
                bar.enable_steady_tick(Duration::from_millis(120));
                *self.bar.lock().unwrap_or_else(|e| e.into_inner()) = Some(bar);
            }
            Event::StageStarted { stage, .. } => {
                if let Some(bar) = self.bar.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
                    bar.set_message(stage.clone());
                }
            }
            Event::StageFinished { .. } => {
                if let Some(bar) = self.bar.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
                    bar.inc(1);
                }
            }
            _ => {}
        }
    }
}

/// One event as one JSON line on stdout, with the time it was printed.
fn json_line(event: &Event) {
    let mut v = serde_json::to_value(event).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.insert(
            "time".to_string(),
            patronage_pipeline::runlog::utc_now().into(),
        );
    }
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{v}");
    let _ = out.flush();
}

/// The stage line of a run's summary.
pub fn print_stages(report: &RunReport) {
    let ran = report.stages.iter().filter(|s| s.status == "ran").count();
    let skipped = report.stages.len() - ran;
    println!("  stages: {ran} run, {skipped} skipped (`patronage plan` says why)");
    if report.windows.is_empty() && report.stages.iter().any(|s| s.status == "skipped") {
        println!("  outputs unchanged; windows as in trade_windows.parquet");
    }
}

/// `patronage plan`.
pub fn print_plan(plan: &Plan, json: bool) {
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

/// `patronage verify`; returns the exit code.
pub fn print_verification(v: &Verification) -> u8 {
    if v.ok() {
        println!(
            "ok: {} file(s) in {} match manifest.json",
            v.listed,
            v.output_dir.display()
        );
        return EXIT_OK;
    }
    for d in &v.drift {
        println!("{d}");
    }
    eprintln!(
        "error: {}: {} file(s) differ from manifest.json",
        v.output_dir.display(),
        v.drift.len()
    );
    EXIT_ERROR
}
