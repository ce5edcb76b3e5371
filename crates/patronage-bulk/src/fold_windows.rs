//! Folding an input a window at a time: each window (mapped, or read from a
//! stream) is cut at its last line feed, its line-aligned chunks are scanned on
//! every core, and their accumulators are merged in file order.
//!
//! Invariant: the result (accumulator and rows read) is the one
//! [`patronage_extract::fold::fold_stream`] gives on the same bytes, whatever
//! the window, chunk and thread counts: lines are numbered from the header as
//! there (a BOM dropped, a UTF-16 file refused), and a chunk's rows are folded
//! in order into its own accumulator, merged in chunk order.
//!
//! A mapped file ([`fold_mapped`]) is cut without reading it first: chunk `i`
//! holds the lines that start in bytes `[start + i·C, start + (i+1)·C)` of the
//! data, so each chunk finds its own ends (the first line feed before each
//! bound) and maps only itself; the chunks of a wave are folded on every core
//! at once with their lines counted from 0, and shifted to the line they start
//! on when the wave is merged in order (a folder that cannot shift lines has
//! its chunks' line feeds counted first).

use std::path::Path;

use patronage_extract::delimited::{cut_at_lines, header_of};
use patronage_extract::fold::Folder;
use patronage_extract::{text, ExtractError};
use rayon::prelude::*;

use crate::input::{map, Source};
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
    /// Four-MiB chunks, four per thread in a window (a wave of a mapped file).
    fn default() -> Self {
        Cut {
            chunk_bytes: CHUNK_BYTES,
            window_bytes: CHUNK_BYTES * 4 * rayon::current_num_threads().max(1),
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

/// The first line feed at or after byte `from` of `file` (`len` bytes), or
/// `len` when none is left; read through small mappings, 64 KiB at a time.
fn next_lf(file: &std::fs::File, from: u64, len: u64) -> std::io::Result<u64> {
    const STEP: u64 = 64 << 10;
    let mut at = from;
    while at < len {
        let n = STEP.min(len - at);
        let m = map(file, at, n as usize)?;
        if let Some(i) = memchr::memchr(b'\n', &m) {
            return Ok(at + i as u64);
        }
        at += n;
    }
    Ok(len)
}

/// Fold a regular file of `len` bytes through mappings (`path` is used in
/// messages): the accumulator and the data rows read, as [`fold_source`] gives
/// them. Only the chunks being folded are mapped, so memory stays at a few
/// chunks however large the file.
pub fn fold_mapped<F: Folder>(
    path: &Path,
    file: &std::fs::File,
    len: u64,
    delimiter: u8,
    folder: &F,
    cut: Cut,
) -> Result<(F::Acc, u64), ExtractError> {
    fold_mapped_with(path, file, len, delimiter, folder, cut, &|_: Piece| {})
}

/// A mapped piece of a file, handed on once folded: `map[..len]` are the
/// file's bytes from offset `at`.
pub struct Piece {
    /// Offset of the piece in the file.
    pub at: u64,
    /// The mapping the piece lies at the start of.
    pub map: memmap2::Mmap,
    /// Bytes of the piece.
    pub len: usize,
}

impl AsRef<[u8]> for Piece {
    fn as_ref(&self) -> &[u8] {
        &self.map[..self.len]
    }
}

/// [`fold_mapped`], handing each mapping to `seen` once folded, so the same
/// mapped pages can be read again (hashed) without mapping them twice: the
/// bytes before the data (BOM, header, blank lines) first, then every chunk
/// that holds a byte, in the order they finish; together the pieces cover the
/// file once, each byte in exactly one piece.
pub fn fold_mapped_with<F: Folder>(
    path: &Path,
    file: &std::fs::File,
    len: u64,
    delimiter: u8,
    folder: &F,
    cut: Cut,
    seen: &(dyn Fn(Piece) + Sync),
) -> Result<(F::Acc, u64), ExtractError> {
    let io = |source: std::io::Error| ExtractError::Io {
        path: path.to_path_buf(),
        source,
    };
    let chunk_bytes = cut.chunk_bytes.max(1) as u64;
    // The header, from the first window that holds a whole line.
    let mut size = (cut.window_bytes.max(1) as u64).min(len);
    let (header, ctx, data_start, first_line) = loop {
        let window = map(file, 0, size as usize).map_err(io)?;
        let end = if size == len {
            window.len()
        } else {
            match memchr::memrchr(b'\n', &window) {
                Some(p) => p + 1,
                None => {
                    size = size.saturating_mul(2).min(len);
                    continue;
                }
            }
        };
        text::refuse_utf16(path, &window[..end])?;
        let bom = end - text::strip_bom(&window[..end]).len();
        let (header, data_start, line) = header_of(path, &window[bom..end], delimiter, false)?;
        let ctx = folder.header(path, &header)?;
        let data_start = bom + data_start;
        seen(Piece {
            at: 0,
            map: window,
            len: data_start,
        });
        break (header, ctx, data_start as u64, line);
    };
    let chunks = (len - data_start).div_ceil(chunk_bytes);
    // Where the lines of chunk `i` start (chunk `chunks` is the end of file).
    let start_of = |i: u64| -> std::io::Result<u64> {
        let bound = data_start + i * chunk_bytes;
        if i == 0 || bound >= len {
            return Ok(bound.min(len));
        }
        Ok((next_lf(file, bound - 1, len)? + 1).min(len))
    };
    let shifts = folder.shift_lines(&mut folder.empty(), 0);
    let per_wave = (cut.window_bytes / cut.chunk_bytes.max(1)).max(1) as u64;
    let mut total = folder.empty();
    let mut rows_read = 0u64;
    let mut line = first_line;
    let mut wave = 0;
    while wave < chunks {
        let ids: Vec<u64> = (wave..(wave + per_wave).min(chunks)).collect();
        let bounds: Vec<(u64, u64)> = ids
            .par_iter()
            .map(|i| Ok((start_of(*i)?, start_of(i + 1)?)))
            .collect::<std::io::Result<_>>()
            .map_err(io)?;
        let fold = |(a, b): (u64, u64), first: u64| {
            if a >= b {
                return Ok((folder.empty(), 0, 0));
            }
            let m = map(file, a, (b - a) as usize).map_err(io)?;
            let done = scan::fold_chunk_counted(path, &m, first, delimiter, &header, &ctx, folder)?;
            seen(Piece {
                at: a,
                len: m.len(),
                map: m,
            });
            Ok(done)
        };
        if shifts {
            let parts: Vec<_> = bounds.par_iter().map(|r| fold(*r, 0)).collect();
            for (part, r) in parts.into_iter().zip(&bounds) {
                let (mut acc, read, lfs) = match part {
                    Ok(p) => p,
                    // Fold it again from its own line, for the error's line.
                    Err(_) => fold(*r, line)?,
                };
                folder.shift_lines(&mut acc, line);
                folder.merge(&mut total, acc);
                rows_read += read;
                line += lfs;
            }
        } else {
            let lfs: Vec<u64> = bounds
                .par_iter()
                .map(|&(a, b)| {
                    if a >= b {
                        return Ok(0);
                    }
                    let m = map(file, a, (b - a) as usize)?;
                    Ok(memchr::memchr_iter(b'\n', &m).count() as u64)
                })
                .collect::<std::io::Result<_>>()
                .map_err(io)?;
            let mut firsts = Vec::with_capacity(lfs.len());
            for n in lfs {
                firsts.push(line);
                line += n;
            }
            let parts: Vec<_> = bounds
                .par_iter()
                .zip(firsts)
                .map(|(r, first)| fold(*r, first))
                .collect();
            for part in parts {
                let (acc, read, _) = part?;
                folder.merge(&mut total, acc);
                rows_read += read;
            }
        }
        wave += per_wave;
    }
    Ok((total, rows_read))
}
