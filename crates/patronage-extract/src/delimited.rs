//! The one delimited-text reader every CSV/TSV format goes through: byte-order
//! mark, CRLF or LF, quoted fields, blank lines, a trailing delimiter on every
//! line, rows with the wrong number of fields, bytes that are not UTF-8. Formats
//! differ only in their header checks and field parsing, which they do on top.

use std::path::Path;

use patronage_core::RowReject;

use crate::{text, ExtractError};

/// One data row: its line and its fields, as text.
#[derive(Debug, Clone)]
pub struct Row {
    /// Line where the row starts (the header is line 1 unless blank lines precede it).
    pub line: u64,
    /// Fields, one per header column.
    pub fields: Vec<String>,
}

impl Row {
    /// The row as it was read, fields joined by `delimiter`.
    pub fn raw(&self, delimiter: u8) -> String {
        self.fields.join(&char::from(delimiter).to_string())
    }
}

/// A parsed delimited file: its header, its rows, and the rows that could not be
/// split into the header's columns.
#[derive(Debug, Clone)]
pub struct Table {
    /// Header names, trimmed.
    pub header: Vec<String>,
    /// Line of the header.
    pub header_line: u64,
    /// Rows with exactly one field per header column.
    pub rows: Vec<Row>,
    /// Rows with the wrong number of fields or invalid UTF-8.
    pub rejects: Vec<RowReject>,
}

impl Table {
    /// Data rows read: rows kept plus rows rejected.
    pub fn rows_read(&self) -> u64 {
        (self.rows.len() + self.rejects.len()) as u64
    }

    /// Index of each name in `wanted`, or a layout error listing those missing.
    pub fn columns(
        &self,
        path: &Path,
        wanted: &[&str],
        hint: &str,
    ) -> Result<Vec<usize>, ExtractError> {
        let missing: Vec<&str> = wanted
            .iter()
            .filter(|w| !self.header.iter().any(|h| h == *w))
            .copied()
            .collect();
        if !missing.is_empty() {
            return Err(ExtractError::Layout {
                path: path.to_path_buf(),
                line: self.header_line,
                message: format!(
                    "missing column{} {}; {hint}",
                    if missing.len() > 1 { "s" } else { "" },
                    missing
                        .iter()
                        .map(|m| format!("`{m}`"))
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
            });
        }
        Ok(wanted
            .iter()
            .filter_map(|w| self.header.iter().position(|h| h == *w))
            .collect())
    }
}

/// Read a delimited file already in memory. The header is the first non-blank
/// line. A row with one field more than the header whose last field is empty is
/// accepted (a trailing delimiter, as GACC and the Comtrade reference lists write).
pub fn read(path: &Path, bytes: &[u8], delimiter: u8) -> Result<Table, ExtractError> {
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
    let mut records = reader.byte_records();
    let (header_line, header) = match records.next() {
        None => return Err(layout(1, "the file is empty: no header line".to_string())),
        Some(Err(e)) => return Err(layout(1, e.to_string())),
        Some(Ok(rec)) => {
            let line = lines.line_of(rec.position());
            let mut names = Vec::with_capacity(rec.len());
            for (i, f) in rec.iter().enumerate() {
                let name = std::str::from_utf8(f)
                    .map_err(|_| layout(line, format!("header field {} is not UTF-8", i + 1)))?;
                names.push(name.trim().to_string());
            }
            if names.last().is_some_and(|n| n.is_empty()) && names.len() > 1 {
                names.pop();
            }
            (line, names)
        }
    };
    let width = header.len();
    let mut rows = Vec::new();
    let mut rejects = Vec::new();
    for rec in records {
        let rec = rec.map_err(|e| layout(lines.line_of(e.position()), e.to_string()))?;
        let line = lines.line_of(rec.position());
        let mut fields = Vec::with_capacity(rec.len());
        let mut bad_utf8 = None;
        for (i, f) in rec.iter().enumerate() {
            match std::str::from_utf8(f) {
                Ok(s) => fields.push(s.to_string()),
                Err(_) => {
                    bad_utf8.get_or_insert(i);
                    fields.push(String::from_utf8_lossy(f).into_owned());
                }
            }
        }
        let raw = fields.join(&char::from(delimiter).to_string());
        if let Some(i) = bad_utf8 {
            let name = header.get(i).map_or("?", String::as_str);
            rejects.push(RowReject::new(
                line,
                "bad_encoding",
                format!("column {} `{name}`: bytes that are not UTF-8", i + 1),
                &raw,
            ));
            continue;
        }
        if fields.len() == width + 1 && fields.last().is_some_and(|f| f.is_empty()) {
            fields.pop();
        }
        if fields.len() != width {
            rejects.push(RowReject::new(
                line,
                "field_count",
                format!(
                    "expected {width} fields as in the header, found {}{}",
                    fields.len(),
                    if fields.len() < width {
                        " (truncated line?)"
                    } else {
                        ""
                    }
                ),
                &raw,
            ));
            continue;
        }
        rows.push(Row { line, fields });
    }
    Ok(Table {
        header,
        header_line,
        rows,
        rejects,
    })
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
            .map_or(self.scanned, |p| p.byte() as usize)
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

    #[test]
    fn lines_bom_crlf_trailing_delimiter_and_blank_lines() {
        let t = read(p(), b"\xEF\xBB\xBFa,b,\r\n1,2,\r\n\r\n3,4\r\n5\r\n", b',').unwrap();
        assert_eq!(t.header, ["a", "b"]);
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[0].line, 2);
        assert_eq!(t.rows[1].line, 4);
        assert_eq!(t.rows[1].fields, ["3", "4"]);
        assert_eq!(t.rejects.len(), 1);
        assert_eq!(t.rejects[0].line, 5);
        assert_eq!(t.rejects[0].reason, "field_count");
        assert_eq!(t.rows_read(), 3);
        let mixed = read(p(), b"a,b\n1,2\r\n3,4\n", b',').unwrap();
        assert_eq!(
            mixed.rows.iter().map(|r| r.line).collect::<Vec<_>>(),
            [2, 3]
        );
    }

    #[test]
    fn bad_utf8_is_a_reject_naming_the_column() {
        let t = read(p(), b"a\tb\nx\t\xE9t\xE9\n", b'\t').unwrap();
        assert_eq!(t.rejects[0].reason, "bad_encoding");
        assert!(
            t.rejects[0].detail.contains("column 2 `b`"),
            "{}",
            t.rejects[0].detail
        );
    }

    #[test]
    fn empty_file_and_missing_columns_are_errors() {
        let e = read(p(), b"", b',').unwrap_err();
        assert!(
            e.to_string().starts_with("t.csv:1: the file is empty"),
            "{e}"
        );
        let t = read(p(), b"a,b\n", b',').unwrap();
        let e = t.columns(p(), &["a", "c"], "hint").unwrap_err();
        assert_eq!(e.to_string(), "t.csv:1: missing column `c`; hint");
        assert_eq!(t.columns(p(), &["b", "a"], "").unwrap(), [1, 0]);
    }
}
