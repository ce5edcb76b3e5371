//! Folding a large delimited file straight into an accumulator, block by block,
//! without an owned record per row.
//!
//! [`crate::delimited::read_stream`] hands on every row as a typed value; for a
//! file of tens of millions of rows whose figures are only summed, building those
//! values is most of the cost. [`fold_stream`] instead reads the input in blocks
//! cut at line ends, folds the line-aligned chunks of a block on every core (each
//! into its own accumulator), and merges the chunks' accumulators in file order,
//! so the result does not depend on the number of threads and memory stays flat
//! however large the file grows.
//!
//! Chunks that are valid UTF-8 and hold no quote character (BACI, the Comtrade bulk
//! files) are split on the delimiter directly; any other chunk goes through the
//! same parser as [`crate::delimited::read`], so quotes, bad bytes and short lines
//! give the same rejects as there. Records must not span lines.

use std::io::Read;
use std::path::Path;

use patronage_core::RowReject;
use rayon::prelude::*;

use crate::delimited::{self, Header, Row};
use crate::ExtractError;

/// Bytes per chunk; a block holds one chunk per thread.
const CHUNK_BYTES: usize = 4 << 20;

/// What a fold does with the header, each row and each reject.
pub trait Folder: Sync {
    /// What the header gives the rows (column positions).
    type Ctx: Sync;
    /// The running result of a chunk, then of the file.
    type Acc: Send;
    /// Check the header; an error stops the read.
    fn header(&self, path: &Path, header: &Header) -> Result<Self::Ctx, ExtractError>;
    /// An empty accumulator.
    fn empty(&self) -> Self::Acc;
    /// Fold one row (exactly one field per header column).
    fn row(&self, ctx: &Self::Ctx, acc: &mut Self::Acc, row: Row<'_>);
    /// Fold one row of plain ASCII text (exactly one field per header column)
    /// straight from its bytes when its fields are in the plain forms the
    /// layout's fast rules read, with the result [`Folder::row`] gives on the
    /// same row, and return true; return false, folding nothing, for any row
    /// those rules do not settle (the caller then calls [`Folder::row`]). The
    /// default settles none.
    fn fast_row(
        &self,
        ctx: &Self::Ctx,
        acc: &mut Self::Acc,
        row: crate::plain::Split<'_, '_>,
    ) -> bool {
        let _ = (ctx, acc, row);
        false
    }
    /// Add `by` to every line number `acc` holds (its rejects'), for a chunk
    /// folded with its lines counted from 0 before the line it starts on was
    /// known; return true. A folder that cannot returns false (the default),
    /// and its chunks are folded only once their first line is known.
    fn shift_lines(&self, acc: &mut Self::Acc, by: u64) -> bool {
        let _ = (acc, by);
        false
    }
    /// Keep a row the reader could not split (wrong field count, bad bytes).
    fn reject(&self, acc: &mut Self::Acc, reject: RowReject);
    /// Add `part` (the next chunk in file order) to `into`.
    fn merge(&self, into: &mut Self::Acc, part: Self::Acc);
}

/// Fold a delimited file read from `input`; `path` is used in messages. Returns
/// the accumulator and the number of data rows read (blank lines are not rows).
pub fn fold_stream<F: Folder>(
    path: &Path,
    input: impl Read + Send,
    delimiter: u8,
    folder: &F,
) -> Result<(F::Acc, u64), ExtractError> {
    fold_stream_in_chunks(path, input, delimiter, folder, CHUNK_BYTES)
}

/// [`fold_stream`] with a given chunk size (tests cut small files into many chunks).
pub fn fold_stream_in_chunks<F: Folder>(
    path: &Path,
    input: impl Read + Send,
    delimiter: u8,
    folder: &F,
    chunk_bytes: usize,
) -> Result<(F::Acc, u64), ExtractError> {
    let chunk_bytes = chunk_bytes.max(1);
    let mut total = folder.empty();
    let mut rows_read = 0u64;
    delimited::stream_blocks(
        path,
        input,
        chunk_bytes,
        (delimiter, false),
        |header| folder.header(path, header),
        |header, ctx, line, data| {
            // Cut at line ends, count each chunk's lines on every core, then the
            // line each chunk starts on.
            let chunks = delimited::cut_at_lines(data, chunk_bytes);
            let counts: Vec<u64> = chunks
                .par_iter()
                .map(|c| c.iter().filter(|b| **b == b'\n').count() as u64)
                .collect();
            let mut starts = Vec::with_capacity(chunks.len());
            let mut at = line;
            for n in &counts {
                starts.push(at);
                at += n;
            }
            let parts: Vec<Result<(F::Acc, u64), ExtractError>> = chunks
                .par_iter()
                .zip(starts)
                .map(|(chunk, l)| fold_chunk(path, chunk, l, delimiter, header, ctx, folder))
                .collect();
            for part in parts {
                let (acc, n) = part?;
                rows_read += n;
                folder.merge(&mut total, acc);
            }
            Ok(at - line)
        },
    )?;
    Ok((total, rows_read))
}

/// Split a line on an ASCII delimiter into `fields`, eight bytes at a time: the
/// delimiter's positions in each word come from one mask (bytes equal to it have
/// their high bit set), so a line is not walked byte by byte.
fn split_into<'a>(line: &'a str, delimiter: u8, fields: &mut Vec<&'a str>) {
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    let bytes = line.as_bytes();
    let pattern = u64::from_ne_bytes([delimiter; 8]);
    let mut start = 0;
    let mut at = 0;
    // An ASCII byte is always a character boundary, so the slices are valid.
    while let Some(word) = bytes.get(at..at + 8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        let x = u64::from_le_bytes(w) ^ pattern;
        // High bit set exactly in the bytes of `x` that are zero.
        let mut hits = !(((x & LOW7) + LOW7) | x | LOW7);
        while hits != 0 {
            let i = at + (hits.trailing_zeros() / 8) as usize;
            fields.push(&line[start..i]);
            start = i + 1;
            hits &= hits - 1;
        }
        at += 8;
    }
    for (i, b) in bytes.iter().enumerate().skip(at) {
        if *b == delimiter {
            fields.push(&line[start..i]);
            start = i + 1;
        }
    }
    fields.push(&line[start..]);
}

/// Fold the rows of one chunk, which starts on line `first_line`; returns the
/// accumulator and the rows read.
pub fn fold_chunk<F: Folder>(
    path: &Path,
    chunk: &[u8],
    first_line: u64,
    delimiter: u8,
    header: &Header,
    ctx: &F::Ctx,
    folder: &F,
) -> Result<(F::Acc, u64), ExtractError> {
    let mut acc = folder.empty();
    let width = header.names.len();
    let plain = if chunk.contains(&b'"') {
        None
    } else {
        std::str::from_utf8(chunk).ok()
    };
    let Some(text) = plain else {
        // Quotes or bytes that are not UTF-8: the general parser, same rejects.
        let lf = delimited::lf_endings(chunk);
        let x = delimited::scan(path, &lf, first_line, (delimiter, false), header, |row| {
            Ok((
                row.line,
                row.fields.iter().map(|f| f.to_string()).collect::<Vec<_>>(),
            ))
        })?;
        for r in x.rejects {
            folder.reject(&mut acc, r);
        }
        for (line, owned) in x.rows {
            let fields: Vec<&str> = owned.iter().map(String::as_str).collect();
            folder.row(
                ctx,
                &mut acc,
                Row {
                    line,
                    fields: &fields,
                },
            );
        }
        return Ok((acc, x.rows_read));
    };
    let mut fields: Vec<&str> = Vec::with_capacity(width + 1);
    let mut read = 0u64;
    for (this, l) in (first_line..).zip(text.split('\n')) {
        let l = l.strip_suffix('\r').unwrap_or(l);
        if l.is_empty() {
            continue;
        }
        read += 1;
        fields.clear();
        split_into(l, delimiter, &mut fields);
        if fields.len() == width + 1 && fields.last().is_some_and(|f| f.is_empty()) {
            fields.pop();
        }
        if fields.len() != width {
            let reject = crate::delimited::field_count_reject(this, width, fields.len(), l);
            folder.reject(&mut acc, reject);
            continue;
        }
        folder.row(
            ctx,
            &mut acc,
            Row {
                line: this,
                fields: &fields,
            },
        );
    }
    Ok((acc, read))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sums column `b` and collects every row's line and rejects, to compare the
    /// fold with the general reader.
    struct SumB;

    impl Folder for SumB {
        type Ctx = usize;
        type Acc = (i64, Vec<u64>, Vec<(u64, &'static str, String)>);
        fn header(&self, path: &Path, h: &Header) -> Result<usize, ExtractError> {
            Ok(h.columns(path, &["b"], "")?[0])
        }
        fn empty(&self) -> Self::Acc {
            (0, Vec::new(), Vec::new())
        }
        fn row(&self, b: &usize, acc: &mut Self::Acc, row: Row<'_>) {
            acc.0 += row.fields[*b].parse::<i64>().unwrap_or(0);
            acc.1.push(row.line);
        }
        fn reject(&self, acc: &mut Self::Acc, r: RowReject) {
            acc.2.push((r.line, r.reason, r.raw));
        }
        fn merge(&self, into: &mut Self::Acc, part: Self::Acc) {
            into.0 += part.0;
            into.1.extend(part.1);
            into.2.extend(part.2);
        }
    }

    #[test]
    fn split_matches_str_split() {
        for line in [
            "",
            "a",
            "\t",
            "a\tb",
            "0\tC\tM\t20200101\t2020\t1\t202001\t4\tM\t8\t0\tHS\tH6\t\t\t",
            "ä\tö\t€\t12345678\t123456789\t\t\t\t\t\t",
        ] {
            let mut got = Vec::new();
            split_into(line, b'\t', &mut got);
            assert_eq!(got, line.split('\t').collect::<Vec<_>>(), "{line:?}");
        }
    }

    #[test]
    fn chunked_fold_equals_the_general_reader() {
        // BOM, CRLF, a blank line, a trailing delimiter, a short line, a quoted
        // field (that chunk goes through the general parser).
        let text = "\u{feff}a,b\r\n1,2\r\n\r\n3,4,\r\n5\r\n\"6\",7\r\n8,9\r\n";
        let general = delimited::read(
            Path::new("t.csv"),
            text.as_bytes(),
            delimited::Dialect::new(b','),
            |h| h.columns(Path::new("t.csv"), &["b"], ""),
            |c, row| Ok((row.line, row.fields[c[0]].parse::<i64>().unwrap())),
        )
        .unwrap();
        let want_sum: i64 = general.rows.iter().map(|r| r.1).sum();
        let want_lines: Vec<u64> = general.rows.iter().map(|r| r.0).collect();
        assert_eq!(want_sum, 2 + 4 + 7 + 9);
        assert_eq!(want_lines, vec![2, 4, 6, 7]);
        for chunk in [1, 3, 7, 1000] {
            let ((sum, lines, rejects), read) =
                fold_stream_in_chunks(Path::new("t.csv"), text.as_bytes(), b',', &SumB, chunk)
                    .unwrap();
            assert_eq!((sum, &lines, read), (want_sum, &want_lines, 5), "{chunk}");
            assert_eq!(rejects, vec![(5, "field_count", "5".to_string())]);
            assert_eq!(general.rejects[0].line, 5);
        }
        let e = fold_stream(Path::new("t.csv"), &b""[..], b',', &SumB).unwrap_err();
        assert!(e.to_string().contains("empty"), "{e}");
    }
}
