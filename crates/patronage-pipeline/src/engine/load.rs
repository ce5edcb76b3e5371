//! A pipeline file loaded for a run or a plan: read and validated with every
//! source format the registry declares, its checks and claims against the table
//! contracts, so a mistake anywhere in the file stops the run before it starts.

use std::path::Path;

use crate::config::{LoadOptions, Pipeline};
use crate::domain::formats;
use crate::quality::Quality;
use crate::PipelineError;

/// Read and validate a pipeline file.
pub fn load(path: &Path, options: LoadOptions) -> Result<Pipeline, PipelineError> {
    load_checked(path, options).map(|(p, _)| p)
}

/// Read and validate a pipeline file, with its checks and claims as validated
/// (a run evaluates them; validating once is enough).
pub(crate) fn load_checked(
    path: &Path,
    options: LoadOptions,
) -> Result<(Pipeline, Quality), PipelineError> {
    let p = Pipeline::load(path, &formats::specs(), options)?;
    let quality = Quality::of(&p)?;
    Ok((p, quality))
}
