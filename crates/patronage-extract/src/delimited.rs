//! The one delimited-text reader every CSV/TSV format goes through: byte-order
//! mark, CRLF or LF, quoted fields, blank lines, a trailing delimiter on every
//! line, rows with the wrong number of fields, bytes that are not UTF-8. Formats
//! differ only in their header checks and field parsing, which they do on top.
//!
//! Rows are streamed to a visitor, one at a time, from one reused record buffer:
//! a file is never held as a table of strings.

use std::path::Path;

use patronage_core::RowReject;

use crate::{text, ExtractError};

/// The header line of a delimited file.
#[derive(Debug, Clone)]
pub struct Header {
    /// Names, trimmed, without the empty name a trailing delimiter makes.
    pub names: Vec<String>,
    /// Line of the header (1 unless blank lines precede it).
    pub line: u64,
}

impl Header {
    /// Index of each name in `wanted`, or a layout error listing those missing.
    pub fn columns(
        &self,
        path: &Path,
        wanted: &[&str],
        hint: &str,
    ) -> Result<Vec<usize>, ExtractError> {
        let missing: Vec<String> = wanted
            .iter()
            .filter(|w| !self.names.iter().any(|h| h == *w))
            .map(|m| format!("`{m}`"))
            .collect();
        if !missing.is_empty() {
            return Err(ExtractError::Layout {
                path: path.to_path_buf(),
                line: self.line,
                message: format!(
                    "missing column{} {}; {hint}",
                    if missing.len() > 1 { "s" } else { "" },
                    missing.join(", "),
                ),
            });
        }
        Ok(wanted
            .iter()
            .filter_map(|w| self.names.iter().position(|h| h == *w))
            .collect())
    }
}

/// One data row with exactly one field per header column.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    /// Line where the row starts.
    pub line: u64,
    /// Fields, one per header column.
    pub fields: &'a [&'a str],
}

impl Row<'_> {
    /// The row as it was read, fields joined by `delimiter`.
    pub fn raw(&self, delimiter: u8) -> String {
        self.fields
            .join(char::from(delimiter).encode_utf8(&mut [0; 4]))
    }
}

/// What the visitor is given for each data line.
#[derive(Debug)]
pub enum Item<'a> {
    /// A row that splits into the header's columns.
    Row(Row<'a>),
    /// A row that does not (wrong field count, bytes that are not UTF-8).
    Reject(RowReject),
}

/// Read a delimited file already in memory. The header is the first non-blank
/// line; `on_header` checks it and returns what `on_item` needs (column indices).
/// A row with one field more than the header whose last field is empty is
/// accepted (a trailing delimiter, as GACC and the Comtrade reference lists
/// write). Returns the number of data rows read (rows plus rejects).
pub fn read<C>(
    path: &Path,
    bytes: &[u8],
    delimiter: u8,
    on_header: impl FnOnce(&Header) -> Result<C, ExtractError>,
    mut on_item: impl FnMut(&C, Item<'_>),
) -> Result<u64, ExtractError> {
    let layout = |line: u64, message: String| ExtractError::Layout {
        path: path.to_path_buf(),
        line,
        message,
    };
    // The csv crate's own line numbers go wrong after CRLF and blank lines, so
    // lines are counted here from byte offsets into LF-normalized text.
    let bytes = lf_endings(text::strip_bom(bytes));
    let mut lines = LineCounter {
        text: bytes.as_ref(),
        scanned: 0,
        line: 1,
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes.as_ref());
    let mut record = csv::ByteRecord::new();
    let csv_err = |e: csv::Error, lines: &mut LineCounter| {
        let line = lines.line_of(e.position());
        layout(line, e.to_string())
    };

    if !reader
        .read_byte_record(&mut record)
        .map_err(|e| csv_err(e, &mut lines))?
    {
        return Err(layout(1, "the file is empty: no header line".to_string()));
    }
    let header_line = lines.line_of(record.position());
    let mut names = Vec::with_capacity(record.len());
    for (i, f) in record.iter().enumerate() {
        let name = std::str::from_utf8(f)
            .map_err(|_| layout(header_line, format!("header field {} is not UTF-8", i + 1)))?;
        names.push(name.trim().to_string());
    }
    if names.len() > 1 && names.last().is_some_and(String::is_empty) {
        names.pop();
    }
    let header = Header {
        names,
        line: header_line,
    };
    let ctx = on_header(&header)?;
    let width = header.names.len();
    let sep = char::from(delimiter).to_string();

    let mut rows_read = 0;
    while reader
        .read_byte_record(&mut record)
        .map_err(|e| csv_err(e, &mut lines))?
    {
        rows_read += 1;
        let line = lines.line_of(record.position());
        let mut fields: Vec<&str> = Vec::with_capacity(width + 1);
        let mut bad_utf8 = None;
        for (i, f) in record.iter().enumerate() {
            match std::str::from_utf8(f) {
                Ok(s) => fields.push(s),
                Err(_) => {
                    bad_utf8 = Some(i);
                    break;
                }
            }
        }
        if let Some(i) = bad_utf8 {
            let raw: Vec<String> = record
                .iter()
                .map(|f| String::from_utf8_lossy(f).into_owned())
                .collect();
            let name = header.names.get(i).map_or("?", String::as_str);
            let detail = format!("column {} `{name}`: bytes that are not UTF-8", i + 1);
            on_item(
                &ctx,
                Item::Reject(RowReject::new(
                    line,
                    "bad_encoding",
                    detail,
                    &raw.join(&sep),
                )),
            );
            continue;
        }
        if fields.len() == width + 1 && fields.last().is_some_and(|f| f.is_empty()) {
            fields.pop();
        }
        if fields.len() != width {
            let detail = format!(
                "expected {width} fields as in the header, found {}{}",
                fields.len(),
                if fields.len() < width {
                    " (truncated line?)"
                } else {
                    ""
                }
            );
            on_item(
                &ctx,
                Item::Reject(RowReject::new(
                    line,
                    "field_count",
                    detail,
                    &fields.join(&sep),
                )),
            );
            continue;
        }
        on_item(
            &ctx,
            Item::Row(Row {
                line,
                fields: &fields,
            }),
        );
    }
    Ok(rows_read)
}

/// Turns the csv crate's byte offsets into 1-based line numbers, counting once.
struct LineCounter<'a> {
    text: &'a [u8],
    scanned: usize,
    line: u64,
}

impl LineCounter<'_> {
    /// Line of the first byte of a record; the offset the csv crate reports may
    /// sit on the blank lines it skipped before the record.
    fn line_of(&mut self, pos: Option<&csv::Position>) -> u64 {
        let mut at = pos
            .map_or(self.scanned, |p| {
                usize::try_from(p.byte()).unwrap_or(usize::MAX)
            })
            .clamp(self.scanned, self.text.len());
        while at < self.text.len() && self.text[at] == b'\n' {
            at += 1;
        }
        self.line += self.text[self.scanned..at]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64;
        self.scanned = at;
        self.line
    }
}

/// `bytes` with every CRLF turned into LF (mixed endings included).
fn lf_endings(bytes: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if !bytes.windows(2).any(|w| w == b"\r\n") {
        return std::borrow::Cow::Borrowed(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut iter = bytes.iter().peekable();
    while let Some(&b) = iter.next() {
        if !(b == b'\r' && iter.peek() == Some(&&b'\n')) {
            out.push(b);
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> &'static Path {
        Path::new("t.csv")
    }

    /// (line, fields) of rows, and (line, reason, detail) of rejects.
    type Collected = (
        Vec<(u64, Vec<String>)>,
        Vec<(u64, &'static str, String)>,
        u64,
        Header,
    );

    fn collect(bytes: &[u8], delimiter: u8) -> Result<Collected, ExtractError> {
        let (mut rows, mut rejects) = (Vec::new(), Vec::new());
        let mut header = None;
        let n = read(
            p(),
            bytes,
            delimiter,
            |h| {
                header = Some(h.clone());
                Ok(())
            },
            |_, item| match item {
                Item::Row(r) => {
                    rows.push((r.line, r.fields.iter().map(|f| f.to_string()).collect()))
                }
                Item::Reject(r) => rejects.push((r.line, r.reason, r.detail)),
            },
        )?;
        Ok((rows, rejects, n, header.unwrap()))
    }

    #[test]
    fn lines_bom_crlf_trailing_delimiter_and_blank_lines() {
        let (rows, rejects, n, header) =
            collect(b"\xEF\xBB\xBFa,b,\r\n1,2,\r\n\r\n3,4\r\n5\r\n", b',').unwrap();
        assert_eq!(header.names, ["a", "b"]);
        assert_eq!(
            rows,
            [
                (2, vec!["1".to_string(), "2".to_string()]),
                (4, vec!["3".to_string(), "4".to_string()])
            ]
        );
        assert_eq!(rejects.len(), 1);
        assert_eq!((rejects[0].0, rejects[0].1), (5, "field_count"));
        assert_eq!(n, 3);
        let (rows, ..) = collect(b"a,b\n1,2\r\n3,4\n", b',').unwrap();
        assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), [2, 3]);
    }

    #[test]
    fn bad_utf8_is_a_reject_naming_the_column() {
        let (_, rejects, ..) = collect(b"a\tb\nx\t\xE9t\xE9\n", b'\t').unwrap();
        assert_eq!(rejects[0].1, "bad_encoding");
        assert!(rejects[0].2.contains("column 2 `b`"), "{}", rejects[0].2);
    }

    #[test]
    fn empty_file_and_missing_columns_are_errors() {
        let e = collect(b"", b',').unwrap_err();
        assert!(
            e.to_string().starts_with("t.csv:1: the file is empty"),
            "{e}"
        );
        let (.., header) = collect(b"a,b\n", b',').unwrap();
        let e = header.columns(p(), &["a", "c"], "hint").unwrap_err();
        assert_eq!(e.to_string(), "t.csv:1: missing column `c`; hint");
        assert_eq!(header.columns(p(), &["b", "a"], "").unwrap(), [1, 0]);
    }
}
