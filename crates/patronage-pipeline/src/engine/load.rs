//! A pipeline file loaded for a run or a plan: read and validated with every
//! source format the registry declares, its checks and claims against the table
//! contracts, so a mistake anywhere in the file stops the run before it starts.
//! Loading lists a source's objects on object storage and never downloads
//! them; [`load_reading`] downloads those of the sources a run or a shard
//! reads, and loads again so they are read from the cache as files.

use std::path::Path;

use crate::config::{objects, LoadOptions, Pipeline, Source};
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

/// [`load_checked`], then, when the load may download, the pending objects of
/// the sources `reads` picks brought into the download cache and the file
/// loaded again (other sources' objects stay pending, never downloaded).
pub(crate) fn load_reading(
    path: &Path,
    options: LoadOptions,
    reads: impl Fn(&Pipeline, &Source) -> bool,
) -> Result<(Pipeline, Quality), PipelineError> {
    let (p, quality) = load_checked(path, options)?;
    if !options.download {
        return Ok((p, quality));
    }
    let wanted: Vec<_> = (p.sources.iter())
        .filter(|s| reads(&p, s))
        .flat_map(|s| s.objects.iter().cloned())
        .collect();
    if wanted.is_empty() {
        return Ok((p, quality));
    }
    objects::download(&wanted).map_err(|message| PipelineError::Refused {
        path: p.path.clone(),
        message: format!("{}: {message}", p.path.display()),
    })?;
    load_checked(path, options)
}
