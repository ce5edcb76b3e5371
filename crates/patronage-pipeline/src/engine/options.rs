//! What a caller may set on a run: how the pipeline file is read, the output
//! folder, forcing every stage, how to wait for another run's lock, who
//! hears the run's events, and whether the stages that read sources must come
//! from the stage cache.

use std::path::PathBuf;

use super::lock::LockWait;
use super::scheduler_events::Events;
use crate::config::LoadOptions;

/// Options a caller may set on a run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// How the pipeline file is read (the operator's `--allow-outside-paths`).
    pub load: LoadOptions,
    /// Output folder; overrides the pipeline's `output` and the default `out/<name>`.
    pub output: Option<PathBuf>,
    /// Run every stage and rewrite every output, even when nothing changed.
    pub force: bool,
    /// What to do when another run holds the output folder's lock.
    pub wait: LockWait,
    /// Who hears about the run as it goes (a scheduler, a progress bar).
    pub events: Events,
    /// Take every stage that reads sources (each source stage, the
    /// `[mirror_all]` step) from the stage cache: a stage that would read its
    /// sources instead is an error naming it and why (`patronage merge`, whose
    /// shards ran those stages).
    pub cached_sources_only: bool,
}
