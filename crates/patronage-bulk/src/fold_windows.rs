//! Folding an input a window at a time: each window (mapped, or read from a
//! stream) is cut at its last line feed, its line-aligned chunks are scanned on
//! every core, and their accumulators are merged in file order.
//!
//! Invariant: the result (accumulator and rows read) is the one
//! [`patronage_extract::fold::fold_stream`] gives on the same bytes, whatever
//! the window, chunk and thread counts: lines are numbered from the header as
//! there (a BOM dropped, a UTF-16 file refused), and a chunk's rows are folded
//! in order into its own accumulator, merged in chunk order.

use std::path::Path;

use patronage_extract::delimited::{cut_at_lines, header_of};
use patronage_extract::fold::Folder;
use patronage_extract::{text, ExtractError};
use rayon::prelude::*;

use crate::input::Source;
use crate::scan;

/// Bytes per chunk (a unit of work for one core).
pub const CHUNK_BYTES: usize = 4 << 20;

/// How an input is cut: bytes per chunk, and chunks per window.
#[derive(Debug, Clone, Copy)]
pub struct Cut {
    /// Bytes per chunk.
    pub chunk_bytes: usize,
    /// Bytes per window (grown while a window holds no line end).
    pub window_bytes: usize,
}

impl Default for Cut {
    /// Four-MiB chunks, two per thread in a window.
    fn default() -> Self {
        Cut {
            chunk_bytes: CHUNK_BYTES,
            window_bytes: CHUNK_BYTES * 2 * rayon::current_num_threads().max(1),
        }
    }
}

/// Fold `source` (`path` is used in messages): the accumulator and the data
/// rows read. A file without a header line is an error.
pub fn fold_source<F: Folder, R: std::io::Read>(
    path: &Path,
    source: &mut Source<R>,
    delimiter: u8,
    folder: &F,
    cut: Cut,
) -> Result<(F::Acc, u64), ExtractError> {
    let io = |source: std::io::Error| ExtractError::Io {
        path: path.to_path_buf(),
        source,
    };
    let chunk_bytes = cut.chunk_bytes.max(1);
    let mut size = cut.window_bytes.max(1);
    let mut total = folder.empty();
    let mut rows_read = 0u64;
    let mut state: Option<(patronage_extract::delimited::Header, F::Ctx, u64)> = None;
    let mut first = true;
    loop {
        let Some((window, at_end)) = source.window(size).map_err(io)? else {
            break;
        };
        let end = if at_end {
            window.len()
        } else {
            match memchr::memrchr(b'\n', &window) {
                Some(p) => p + 1,
                None => {
                    // Not one whole line yet: a larger window.
                    size = size.saturating_mul(2);
                    continue;
                }
            }
        };
        let mut data = &window[..end];
        if first {
            text::refuse_utf16(path, data)?;
            data = text::strip_bom(data);
            first = false;
        }
        if state.is_none() {
            let (header, data_start, line) = header_of(path, data, delimiter, false)?;
            let ctx = folder.header(path, &header)?;
            data = &data[data_start..];
            state = Some((header, ctx, line));
        }
        if let Some((header, ctx, line)) = state.as_mut() {
            let chunks = cut_at_lines(data, chunk_bytes);
            let counts: Vec<u64> = chunks
                .par_iter()
                .map(|c| memchr::memchr_iter(b'\n', c).count() as u64)
                .collect();
            let mut starts = Vec::with_capacity(chunks.len());
            for n in &counts {
                starts.push(*line);
                *line += n;
            }
            let parts: Vec<Result<(F::Acc, u64), ExtractError>> = chunks
                .par_iter()
                .zip(starts)
                .map(|(chunk, l)| scan::fold_chunk(path, chunk, l, delimiter, header, ctx, folder))
                .collect();
            for part in parts {
                let (acc, n) = part?;
                rows_read += n;
                folder.merge(&mut total, acc);
            }
        }
        drop(window);
        source.advance(end);
        size = cut.window_bytes.max(1);
    }
    if state.is_none() {
        return Err(ExtractError::Layout {
            path: path.to_path_buf(),
            line: 1,
            message: "the file is empty: no header line".to_string(),
        });
    }
    Ok((total, rows_read))
}
