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

/// [`load_checked`], downloading only what the sources `reads` picks lack,
/// when the load may download: their pending objects on object storage are
/// brought into the download cache, and their `fetch` downloads made; then the
/// file is loaded again so they are read from the cache as files. Other
/// sources' downloads stay pending, never made (a shard downloads its own
/// sources only; a `fetch` is made by a load that downloads, so a shard that
/// reads one makes every source's `fetch`).
pub(crate) fn load_reading(
    path: &Path,
    options: LoadOptions,
    reads: impl Fn(&Pipeline, &Source) -> bool,
) -> Result<(Pipeline, Quality), PipelineError> {
    let listed = LoadOptions {
        download: false,
        ..options
    };
    download_reading(path, options, load_checked(path, listed)?, reads)
}

/// The second half of [`load_reading`], given the pipeline as loaded without
/// downloading (`loaded`): a caller that needs that pipeline first (a shard,
/// for its units) loads it once.
pub(crate) fn download_reading(
    path: &Path,
    options: LoadOptions,
    (p, quality): (Pipeline, Quality),
    reads: impl Fn(&Pipeline, &Source) -> bool,
) -> Result<(Pipeline, Quality), PipelineError> {
    let listed = LoadOptions {
        download: false,
        ..options
    };
    if !options.download {
        return Ok((p, quality));
    }
    let wanted: Vec<&Source> = p.sources.iter().filter(|s| reads(&p, s)).collect();
    let objects: Vec<_> = (wanted.iter())
        .flat_map(|s| s.objects.iter().cloned())
        .collect();
    // `pending` names a source's missing objects and its missing `fetch`
    // downloads alike.
    let fetches = wanted.iter().any(|s| s.pending.len() > s.objects.len());
    if objects.is_empty() && !fetches {
        return Ok((p, quality));
    }
    objects::download(&objects).map_err(|message| PipelineError::Refused {
        path: p.path.clone(),
        message: format!("{}: {message}", p.path.display()),
    })?;
    load_checked(path, if fetches { options } else { listed })
}
