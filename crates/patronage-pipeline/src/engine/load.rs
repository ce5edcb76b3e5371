//! A pipeline file loaded for a run or a plan: read and validated with every
//! source format the registry declares.

use std::path::Path;

use crate::config::Pipeline;
use crate::domain::formats;
use crate::PipelineError;

/// Read and validate a pipeline file.
pub fn load(path: &Path) -> Result<Pipeline, PipelineError> {
    Pipeline::load(path, &formats::specs())
}
