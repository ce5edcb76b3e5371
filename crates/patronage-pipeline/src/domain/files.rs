//! A source's files (a file, a `.gz` file or a `.zip` member, each read as its
//! unpacked bytes: see `patronage_extract::archive`): each file's bytes handed to
//! the format's reader with what the manifest records of it, or, for a format
//! that streams, the reader opens the file itself and the size and hash it took
//! while reading are recorded. Outcomes keep file order, so parallelism
//! never changes an output byte.

use std::io::Read;
use std::path::Path;

use patronage_tables::HashingReader;

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
    if !source.format.streams {
        let (meta, bytes) = load_file(p, file)?;
        let outcome = read(p, source, file, &meta.file, bytes)?;
        return Ok((meta, outcome));
    }
    let rel = p.relative(file);
    let mut outcome = read(p, source, file, &rel, Vec::new())?;
    let (bytes, sha256) = match outcome.input.take() {
        Some(taken) => taken,
        None => sha256_input(file)?,
    };
    let meta = FileMeta {
        file: rel,
        bytes,
        sha256,
    };
    Ok((meta, outcome))
}

/// A file a streaming reader opens itself (a `.gz` file or a `.zip` member as
/// its unpacked bytes), counting and hashing what the reader takes: the
/// manifest's size and SHA-256 then come from the one read of the rows.
pub(crate) fn open_hashed(
    file: &Path,
) -> Result<HashingReader<Box<dyn Read + Send>>, PipelineError> {
    Ok(HashingReader::new(
        patronage_extract::archive::open(file)?,
        true,
    ))
}

/// Size and SHA-256 of everything `input` yields: what the reader left unread
/// (nothing, for a reader that reads to the end) is read and hashed first.
pub(crate) fn finish_hashed(
    file: &Path,
    mut input: HashingReader<Box<dyn Read + Send>>,
) -> Result<(u64, String), PipelineError> {
    let io = |source| patronage_extract::ExtractError::Io {
        path: file.to_path_buf(),
        source,
    };
    std::io::copy(&mut input, &mut std::io::sink()).map_err(io)?;
    let (bytes, sha256) = input.finish();
    Ok((bytes, sha256.unwrap_or_default()))
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
