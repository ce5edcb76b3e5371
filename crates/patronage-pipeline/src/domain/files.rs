//! A source's files (a file, a `.gz` file or a `.zip` member, each read as its
//! unpacked bytes: see `patronage_extract::archive`): each file's bytes (or, for a format that streams, only its
//! size and hash: the reader opens it itself) handed to the format's reader with
//! what the manifest records of it. Outcomes keep file order, so parallelism
//! never changes an output byte.

use std::path::Path;

use rayon::prelude::*;

use super::outcome::{FileMeta, FileOutcome};
use crate::config::{Pipeline, Source};
use crate::PipelineError;

/// Reads one file of a source: the file, its path relative to the pipeline, and
/// its bytes (empty for a format that streams).
pub(crate) type ReadFile<T> =
    fn(&Pipeline, &Source, &Path, &str, Vec<u8>) -> Result<FileOutcome<T>, PipelineError>;

/// Read one file of `source` with `read`.
pub(crate) fn read_one<T>(
    p: &Pipeline,
    source: &Source,
    file: &Path,
    read: ReadFile<T>,
) -> Result<(FileMeta, FileOutcome<T>), PipelineError> {
    let (meta, bytes) = if source.format.streams {
        stream_meta(p, file)?
    } else {
        load_file(p, file)?
    };
    let outcome = read(p, source, file, &meta.file, bytes)?;
    Ok((meta, outcome))
}

/// Read every file of `source` with `read`, in parallel, in file order: for a
/// format that reads its source as a whole, which the run calls outside any
/// parallel job.
pub(crate) fn read_each<T: Send>(
    p: &Pipeline,
    source: &Source,
    read: ReadFile<T>,
) -> Result<Vec<(FileMeta, FileOutcome<T>)>, PipelineError> {
    source
        .files
        .par_iter()
        .map(|file| read_one(p, source, file, read))
        .collect()
}

/// Read a source file, with what the manifest records about it.
pub(crate) fn load_file(p: &Pipeline, file: &Path) -> Result<(FileMeta, Vec<u8>), PipelineError> {
    let bytes = patronage_extract::archive::read(file)?;
    let meta = FileMeta {
        file: p.relative(file),
        bytes: bytes.len() as u64,
        sha256: patronage_tables::sha256_hex(&bytes),
    };
    Ok((meta, bytes))
}

/// What the manifest records about a file a streaming reader opens itself: the
/// file is hashed in blocks, never held whole; the bytes returned are empty.
fn stream_meta(p: &Pipeline, file: &Path) -> Result<(FileMeta, Vec<u8>), PipelineError> {
    let (bytes, sha256) = sha256_input(file)?;
    let meta = FileMeta {
        file: p.relative(file),
        bytes,
        sha256,
    };
    Ok((meta, Vec::new()))
}

/// Size and SHA-256 of a source file's unpacked bytes (a `.gz` file or a `.zip`
/// member hashes as the file unpacked would), read in blocks.
pub(crate) fn sha256_input(file: &Path) -> Result<(u64, String), PipelineError> {
    let input = patronage_extract::archive::open(file)?;
    patronage_tables::sha256_read(input).map_err(|source| {
        patronage_extract::ExtractError::Io {
            path: file.to_path_buf(),
            source,
        }
        .into()
    })
}
