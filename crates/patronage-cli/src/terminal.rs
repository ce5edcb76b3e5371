//! What `patronage run` shows while it works, from the run's events: one JSON
//! event per line on stdout for schedulers (`--json`), or for a person a progress
//! bar on a terminal and notes about the output folder's lock on stderr. Every
//! other command reports through an inert [`Terminal`] that shows nothing; the
//! summaries printed after a command live with the command.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use patronage_pipeline::runlog::utc_now;
use patronage_pipeline::scheduler_events::{Event, Observer};

use crate::exit::Exit;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Not a run: nothing to report.
    Inert,
    /// A run for a person: a progress bar on a terminal, notes on stderr.
    Human { quiet: bool },
    /// A run for a scheduler: one JSON event per line on stdout.
    Json,
}

/// Receives a run's events and shows them on the terminal.
pub struct Terminal {
    mode: Mode,
    started: Instant,
    bar: Mutex<Option<ProgressBar>>,
    ran: AtomicUsize,
    skipped: AtomicUsize,
}

impl Terminal {
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
        Terminal {
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

    /// The command is over with `exit`: a run in JSON mode says so.
    pub fn finish(&self, exit: Exit, error: Option<String>) {
        self.done();
        if self.mode == Mode::Json {
            json_line(&Event::RunFinished {
                exit_code: exit.code(),
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

impl Observer for Terminal {
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
            Event::LockTakenOver { holder: Some(holder) } => self.note(&format!(
                "note: took over the output folder's lock from {holder}: that run ended without releasing it"
            )),
            Event::LockTakenOver { holder: None } => self.note(
                "note: took over the output folder's lock: its lock file named no holder that could be read (left by a run that ended without releasing it, or written by hand)"
            ),
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
        o.insert("time".to_string(), utc_now().into());
    }
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{v}");
    let _ = out.flush();
}
