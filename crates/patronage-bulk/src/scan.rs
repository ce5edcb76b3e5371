//! The scanner behind `mirror-all`: one SIMD pass over a line-aligned chunk
//! finds its delimiters and line ends together.
//!
//! Invariant: for any chunk, [`fold_chunk`] hands the folder the same rows
//! (same line numbers, same fields) and the same rejects as
//! [`patronage_extract::fold::fold_chunk`], the reader it replaces. A chunk that
//! is valid UTF-8 and holds no quote character is scanned here: `memchr2`
//! (16 or 32 bytes at a time) stops only at a delimiter or a line feed, a field
//! is the pair of offsets between two stops, and the row's fields live in one
//! buffer reused for every row of the chunk, so nothing is allocated per row. A
//! trailing carriage return is dropped from a line, a blank line is not a row,
//! one empty field after a trailing delimiter is dropped, and a row whose field
//! count is not the header's is a `field_count` reject with its raw text. Any
//! other chunk (quotes, bytes that are not UTF-8) goes through the general
//! csv-crate parser of `patronage_extract`, which gives the same rejects as the
//! row path.

use std::path::Path;

use patronage_extract::delimited::{field_count_reject, Header, Row};
use patronage_extract::fold::Folder;
use patronage_extract::ExtractError;

/// Fold the rows of one chunk, which starts on line `first_line`; returns the
/// accumulator and the data rows read (blank lines are not rows).
pub fn fold_chunk<F: Folder>(
    path: &Path,
    chunk: &[u8],
    first_line: u64,
    delimiter: u8,
    header: &Header,
    ctx: &F::Ctx,
    folder: &F,
) -> Result<(F::Acc, u64), ExtractError> {
    let plain = match memchr::memchr(b'"', chunk) {
        Some(_) => None,
        None => std::str::from_utf8(chunk).ok(),
    };
    match plain {
        Some(text) => Ok(scan_plain(text, first_line, delimiter, header, ctx, folder)),
        None => patronage_extract::fold::fold_chunk(
            path, chunk, first_line, delimiter, header, ctx, folder,
        ),
    }
}

/// The rows of a quote-free UTF-8 chunk, in one pass.
fn scan_plain<F: Folder>(
    text: &str,
    first_line: u64,
    delimiter: u8,
    header: &Header,
    ctx: &F::Ctx,
    folder: &F,
) -> (F::Acc, u64) {
    let bytes = text.as_bytes();
    let width = header.names.len();
    let mut acc = folder.empty();
    let mut fields: Vec<&str> = Vec::with_capacity(width + 1);
    let mut read = 0u64;
    let mut line = first_line;
    let mut line_start = 0usize;
    let mut field_start = 0usize;
    // Delimiters and line feeds are ASCII, so every offset is a character
    // boundary and the slices below cannot fail.
    for at in memchr::memchr2_iter(delimiter, b'\n', bytes) {
        if bytes[at] == delimiter {
            fields.push(&text[field_start..at]);
            field_start = at + 1;
            continue;
        }
        end_line(
            text,
            (line_start, field_start, at),
            line,
            width,
            &mut fields,
            &mut read,
            (folder, ctx, &mut acc),
        );
        line += 1;
        line_start = at + 1;
        field_start = at + 1;
    }
    if line_start < bytes.len() {
        // The last line of the file, without a line feed.
        end_line(
            text,
            (line_start, field_start, bytes.len()),
            line,
            width,
            &mut fields,
            &mut read,
            (folder, ctx, &mut acc),
        );
    }
    (acc, read)
}

/// Finish the line `text[start..end]` whose fields before the last are in
/// `fields` and whose last field starts at `last`: drop a carriage return,
/// skip a blank line, then hand on the row or its reject. `fields` is left
/// empty for the next line.
#[allow(clippy::too_many_arguments)]
#[inline]
fn end_line<'t, F: Folder>(
    text: &'t str,
    (start, last, end): (usize, usize, usize),
    line: u64,
    width: usize,
    fields: &mut Vec<&'t str>,
    read: &mut u64,
    (folder, ctx, acc): (&F, &F::Ctx, &mut F::Acc),
) {
    let bytes = text.as_bytes();
    let end = if end > start && bytes[end - 1] == b'\r' {
        end - 1
    } else {
        end
    };
    if end == start {
        fields.clear();
        return;
    }
    *read += 1;
    // A carriage return inside the last field's range is past `end` only when
    // it ends the line, so `last <= end` holds.
    fields.push(&text[last.min(end)..end]);
    if fields.len() == width + 1 && fields.last().is_some_and(|f| f.is_empty()) {
        fields.pop();
    }
    if fields.len() == width {
        folder.row(
            ctx,
            acc,
            Row {
                line,
                fields: fields.as_slice(),
            },
        );
    } else {
        folder.reject(
            acc,
            field_count_reject(line, width, fields.len(), &text[start..end]),
        );
    }
    fields.clear();
}

#[cfg(test)]
mod tests {
    use super::*;
    use patronage_core::RowReject;

    /// Collects every row (line, fields) and reject, to compare the scanner
    /// with the reader it replaces.
    struct Collect;

    impl Folder for Collect {
        type Ctx = ();
        type Acc = (Vec<(u64, Vec<String>)>, Vec<RowReject>);
        fn header(&self, _: &Path, _: &Header) -> Result<(), ExtractError> {
            Ok(())
        }
        fn empty(&self) -> Self::Acc {
            (Vec::new(), Vec::new())
        }
        fn row(&self, _: &(), acc: &mut Self::Acc, row: Row<'_>) {
            acc.0
                .push((row.line, row.fields.iter().map(|f| f.to_string()).collect()));
        }
        fn reject(&self, acc: &mut Self::Acc, r: RowReject) {
            acc.1.push(r);
        }
        fn merge(&self, into: &mut Self::Acc, part: Self::Acc) {
            into.0.extend(part.0);
            into.1.extend(part.1);
        }
    }

    #[test]
    fn every_chunk_scans_as_the_general_fold_does() {
        let header = Header {
            names: vec!["a".into(), "b".into(), "c".into()],
            line: 1,
        };
        let p = Path::new("synthetic.csv");
        // SYNTHETIC lines: CRLF and LF, blank lines (LF and CRLF), a trailing
        // delimiter, short and long rows, a lone CR inside a field, non-ASCII
        // text, no final line feed; then the same with a quote (the general
        // parser's path).
        for chunk in [
            "1,2,3\n4,5,6,\r\n\n\r\n7,8\n9,10,11,12\nx\ry,ä,€\r\n,,\n,,,\n13,14,15",
            "1,2,3\r\n",
            "",
            "\n",
            ",",
            "1,2,3\n\"4\",5,6\n7,8\n",
        ] {
            let new = fold_chunk(p, chunk.as_bytes(), 10, b',', &header, &(), &Collect).unwrap();
            let old = patronage_extract::fold::fold_chunk(
                p,
                chunk.as_bytes(),
                10,
                b',',
                &header,
                &(),
                &Collect,
            )
            .unwrap();
            assert_eq!(new.1, old.1, "{chunk:?}");
            assert_eq!(new.0 .0, old.0 .0, "{chunk:?}");
            assert_eq!(new.0 .1, old.0 .1, "{chunk:?}");
        }
        // Counted by hand for the first chunk, which starts on line 10: 8 rows
        // read (lines 10, 11 and 14-19; 12 and 13 are blank); rejects on lines
        // 14 (2 fields) and 15 (4); line 18 (`,,,`) is three empty fields and a
        // trailing delimiter, a row.
        let (acc, read) = fold_chunk(
            p,
            b"1,2,3\n4,5,6,\r\n\n\r\n7,8\n9,10,11,12\nx\ry,\xC3\xA4,\xE2\x82\xAC\r\n,,\n,,,\n13,14,15",
            10,
            b',',
            &header,
            &(),
            &Collect,
        )
        .unwrap();
        assert_eq!(read, 8);
        let lines: Vec<u64> = acc.1.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![14, 15]);
        assert_eq!(acc.1[1].raw, "9,10,11,12");
        assert_eq!(acc.0[1], (11, vec!["4".into(), "5".into(), "6".into()]));
        assert_eq!(acc.0[2], (16, vec!["x\ry".into(), "ä".into(), "€".into()]));
        assert_eq!(
            acc.0[4],
            (18, vec![String::new(), String::new(), String::new()])
        );
        assert_eq!(acc.0[5], (19, vec!["13".into(), "14".into(), "15".into()]));
    }
}
