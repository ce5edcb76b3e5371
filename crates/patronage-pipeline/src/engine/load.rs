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
    let p = Pipeline::load(path, &formats::specs(), options)?;
    Quality::of(&p)?;
    Ok(p)
}
