//! What a run tells whoever watches it: a scheduler reading JSON lines
//! (`patronage run --json`), a progress bar on a terminal, or nobody. The runner
//! emits [`Event`]s to an [`Observer`]; the binary decides how to show them.

use std::sync::Arc;

use serde::Serialize;

/// One thing that happened during a run. Serialized as one JSON object with an
/// `event` field naming the variant (`run_started`, `stage_skipped`, ...).
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// The lock is held and the stages are planned.
    RunStarted {
        /// Pipeline name.
        pipeline: String,
        /// Output folder.
        output: String,
        /// Every stage, in order.
        stages: Vec<String>,
        /// How many of them are planned to run (the aggregate stage may still be
        /// skipped if its upstream outputs come out unchanged).
        to_run: usize,
        /// Whether `--force` was given.
        force: bool,
    },
    /// Another run holds the output folder's lock; this one waits.
    LockWaiting {
        /// Who holds it.
        holder: String,
    },
    /// A lock left by a run that ended without releasing it (killed) was taken
    /// over.
    LockTakenOver {
        /// Who held it, as the lock file's note said; `null` when the note named
        /// no holder that could be read.
        holder: Option<String>,
    },
    /// A stage did not run: its fingerprint is unchanged and its output intact.
    StageSkipped {
        /// Stage name (`source:<id>`, `aggregate`).
        stage: String,
        /// Why it could be skipped.
        reason: String,
    },
    /// A stage is running.
    StageStarted {
        /// Stage name.
        stage: String,
        /// Why it runs.
        reasons: Vec<String>,
    },
    /// A stage finished.
    StageFinished {
        /// Stage name.
        stage: String,
        /// Rows it produced (kept rows of a source; rows written by the aggregate stage).
        rows: u64,
        /// Wall-clock time, milliseconds.
        duration_ms: u64,
    },
    /// A table is in place in the output folder.
    TableWritten {
        /// Table name.
        table: String,
        /// File name in the output folder.
        file: String,
        /// Rows.
        rows: usize,
        /// Bytes.
        bytes: u64,
        /// SHA-256 of the file.
        sha256: String,
        /// True when the file already had exactly these bytes and was left alone.
        unchanged: bool,
    },
    /// The run is over. Emitted by the binary, which knows the exit code.
    RunFinished {
        /// Process exit code: 0 ok, 1 data checks failed, 2 error.
        exit_code: u8,
        /// Stages that ran.
        stages_run: usize,
        /// Stages skipped.
        stages_skipped: usize,
        /// Wall-clock time, milliseconds.
        duration_ms: u64,
        /// The error, when the exit code is 2.
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
}

/// Receives a run's events. Called from several threads (sources run in parallel).
pub trait Observer: Send + Sync {
    /// Handle one event.
    fn event(&self, event: &Event);
}

/// The observer a run reports to, if any.
#[derive(Clone, Default)]
pub struct Events(Option<Arc<dyn Observer>>);

impl Events {
    /// Report to `observer`.
    pub fn to(observer: Arc<dyn Observer>) -> Self {
        Events(Some(observer))
    }

    /// Emit an event.
    pub fn emit(&self, event: Event) {
        if let Some(o) = &self.0 {
            o.event(&event);
        }
    }
}

impl std::fmt::Debug for Events {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Events(observer)"
        } else {
            "Events(none)"
        })
    }
}
