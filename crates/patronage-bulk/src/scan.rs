//! The chunk fold behind `mirror-all`: plain chunks in one SIMD pass, any other
//! through the general parser.
//!
//! Invariant: for any chunk, [`fold_chunk`] hands the folder the same rows
//! (same line numbers, same fields) and the same rejects as
//! [`patronage_extract::fold::fold_chunk`], the reader it replaces. A chunk that
//! is plain text (valid UTF-8, no quote, no carriage return but before a line
//! feed: BACI and the Comtrade bulk files) is scanned by
//! [`patronage_extract::plain::rows`]: `memchr2` (16 or 32 bytes at a time)
//! finds delimiters and line ends together, fields are slices of the mapped
//! window kept in one buffer reused for every row, and the layout's field rules
//! parse numbers straight from those slices, so nothing is allocated per row.
//! Any other chunk goes through the csv-crate path of `patronage_extract`, with
//! the same rejects as the row path.

use std::path::Path;

use patronage_extract::delimited::{field_count_reject, Header, Row};
use patronage_extract::fold::Folder;
use patronage_extract::plain;
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
    fold_chunk_counted(path, chunk, first_line, delimiter, header, ctx, folder)
        .map(|(acc, read, _)| (acc, read))
}

/// [`fold_chunk`], also returning the chunk's line feeds (the line the next
/// chunk starts on is `first_line` plus that count).
pub fn fold_chunk_counted<F: Folder>(
    path: &Path,
    chunk: &[u8],
    first_line: u64,
    delimiter: u8,
    header: &Header,
    ctx: &F::Ctx,
    folder: &F,
) -> Result<(F::Acc, u64, u64), ExtractError> {
    if let Some(done) = fold_ascii(chunk, first_line, delimiter, header, ctx, folder) {
        return Ok(done);
    }
    let lfs = memchr::memchr_iter(b'\n', chunk).count() as u64;
    let (acc, read) = fold_other(path, chunk, first_line, delimiter, header, ctx, folder)?;
    Ok((acc, read, lfs))
}

/// A chunk that is not plain ASCII: plain UTF-8 text by `plain::rows`, any
/// other by the general parser.
fn fold_other<F: Folder>(
    path: &Path,
    chunk: &[u8],
    first_line: u64,
    delimiter: u8,
    header: &Header,
    ctx: &F::Ctx,
    folder: &F,
) -> Result<(F::Acc, u64), ExtractError> {
    let Some(text) = plain::plain_text(chunk) else {
        return patronage_extract::fold::fold_chunk(
            path, chunk, first_line, delimiter, header, ctx, folder,
        );
    };
    let mut acc = folder.empty();
    let width = header.names.len();
    let read = plain::rows(text, first_line, delimiter, width, |line, fields, raw| {
        if fields.len() == width {
            folder.row(ctx, &mut acc, Row { line, fields });
        } else {
            let reject = field_count_reject(line, width, fields.len(), raw);
            folder.reject(&mut acc, reject);
        }
    });
    Ok((acc, read))
}

/// Fold a chunk of plain ASCII text (see [`plain::ascii_lines`]): each row is
/// offered to [`Folder::fast_row`] straight from its bytes, and given to
/// [`Folder::row`] as text when the fast rules do not settle it. `None` when
/// the chunk is not plain ASCII; what was folded of it is dropped and the
/// caller reads it another way. Also returns the rows read and line feeds.
fn fold_ascii<F: Folder>(
    chunk: &[u8],
    first_line: u64,
    delimiter: u8,
    header: &Header,
    ctx: &F::Ctx,
    folder: &F,
) -> Option<(F::Acc, u64, u64)> {
    let mut acc = folder.empty();
    let width = header.names.len();
    let mut line = first_line;
    let mut read = 0u64;
    let mut ascii = true;
    let mut fields: Vec<&str> = Vec::with_capacity(width + 1);
    let lfs = plain::ascii_lines(chunk, delimiter, |split| {
        let at = line;
        line += 1;
        if split.line.is_empty() {
            return;
        }
        read += 1;
        // One empty field after a trailing delimiter is dropped when the row
        // then has the header's width.
        let n = match split.count() {
            n if n == width + 1 && split.field(width).is_some_and(<[u8]>::is_empty) => width,
            n => n,
        };
        if n == width && folder.fast_row(ctx, &mut acc, split) {
            return;
        }
        // ASCII text is UTF-8; delimiters fall on character boundaries.
        let Ok(text) = std::str::from_utf8(split.line) else {
            ascii = false;
            return;
        };
        fields.clear();
        let mut start = 0;
        for d in split.delims {
            fields.push(&text[start..*d as usize]);
            start = *d as usize + 1;
        }
        fields.push(&text[start..]);
        fields.truncate(n);
        if n == width {
            folder.row(
                ctx,
                &mut acc,
                Row {
                    line: at,
                    fields: &fields,
                },
            );
        } else {
            folder.reject(&mut acc, field_count_reject(at, width, n, text));
        }
    })
    .ok()?;
    ascii.then_some((acc, read, lfs))
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
            // Plain ASCII (the classifier's path): the first chunk without its
            // lone CR and non-ASCII text.
            "1,2,3\n4,5,6,\r\n\n\r\n7,8\n9,10,11,12\n,,\n,,,\n13,14,15",
            "1,2,3\n4,5,6,\r\n\n\r\n7,8\n9,10,11,12\n,,\n,,,\n13,14,15\n",
            "a,b,\n\n\n,,,,\n",
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
