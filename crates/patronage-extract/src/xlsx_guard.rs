//! Checks an `.xlsx` workbook's parts before calamine reads it, so a damaged or
//! hostile workbook is an error rather than a crash or an exhausted machine:
//!
//! * a cell reference past Excel's limits (column XFD, row 1,048,576) overflows
//!   calamine's arithmetic (a panic);
//! * cells far apart (`A1` and `XFD1048576`) make calamine allocate the whole
//!   rectangle between them (17 billion cells);
//! * a shared-string count larger than its part makes calamine reserve memory
//!   for strings that are not there;
//! * a part that inflates without end (a zip bomb) is stopped at a size limit.
//!
//! The scan is lexical (tags and their `r`/`ref`/`uniqueCount` attributes), which
//! is all these checks need; calamine still parses the XML.

use std::io::{Cursor, Read};

/// Excel's last column (XFD) and row.
const MAX_COL: u64 = 16_384;
const MAX_ROW: u64 = 1_048_576;
/// Cells a sheet's used rectangle may span (calamine allocates all of them).
pub const MAX_CELLS: u64 = 20_000_000;
/// Largest part, inflated.
pub const MAX_PART_BYTES: u64 = 256 << 20;

/// Check every worksheet and the shared strings of the workbook in `bytes`.
/// Returns what is wrong, naming the part and the reference; an archive that is
/// not a zip is left for calamine to report.
pub fn check(bytes: &[u8]) -> Result<(), String> {
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(());
    };
    for i in 0..zip.len() {
        let Ok(file) = zip.by_index(i) else {
            continue;
        };
        let name = file.name().to_string();
        let worksheet = name.starts_with("xl/worksheets/") && name.ends_with(".xml");
        let strings = name.eq_ignore_ascii_case("xl/sharedStrings.xml");
        if !worksheet && !strings {
            continue;
        }
        let mut part = Vec::new();
        // A damaged stream is calamine's to report; only the size matters here.
        let _ = file.take(MAX_PART_BYTES + 1).read_to_end(&mut part);
        if part.len() as u64 > MAX_PART_BYTES {
            return Err(format!(
                "part `{name}` inflates to more than {} MB",
                MAX_PART_BYTES >> 20
            ));
        }
        if worksheet {
            check_sheet(&part).map_err(|m| format!("part `{name}`: {m}"))?;
        } else {
            check_strings(&part).map_err(|m| format!("part `{name}`: {m}"))?;
        }
    }
    Ok(())
}

/// `uniqueCount` cannot exceed the part's size (each string takes bytes).
fn check_strings(xml: &[u8]) -> Result<(), String> {
    for (name, tag) in tags(xml) {
        if name == b"sst" {
            if let Some(v) = attribute(tag, b"uniqueCount") {
                let n = std::str::from_utf8(v)
                    .ok()
                    .and_then(|s| s.trim().parse::<u64>().ok());
                if n.is_none_or(|n| n > xml.len() as u64) {
                    return Err(format!(
                        "uniqueCount=\"{}\" is more strings than the part holds",
                        String::from_utf8_lossy(&v[..v.len().min(40)])
                    ));
                }
            }
            break;
        }
    }
    Ok(())
}

/// Every cell reference within Excel's limits, and the used rectangle bounded.
fn check_sheet(xml: &[u8]) -> Result<(), String> {
    let (mut rows, mut cols) = ((u64::MAX, 0u64), (u64::MAX, 0u64));
    let (mut row, mut col) = (0u64, 0u64);
    let mut widen = |r: u64, c: u64| {
        rows = (rows.0.min(r), rows.1.max(r));
        cols = (cols.0.min(c), cols.1.max(c));
    };
    for (name, tag) in tags(xml) {
        match name {
            b"row" => {
                row = match attribute(tag, b"r") {
                    Some(v) => reference(v)?.0,
                    None => row + 1,
                };
                col = 0;
            }
            b"c" => {
                (row, col) = match attribute(tag, b"r") {
                    Some(v) => match reference(v)? {
                        (r, 0) => (r, col + 1),
                        (r, c) => (r, c),
                    },
                    None => (row.max(1), col + 1),
                };
                if col > MAX_COL {
                    return Err(format!("more than {MAX_COL} cells in row {row}"));
                }
                widen(row, col);
            }
            b"dimension" | b"mergeCell" => {
                if let Some(v) = attribute(tag, b"ref") {
                    for part in v.split(|b| *b == b':') {
                        reference(part)?;
                    }
                }
            }
            _ => {}
        }
    }
    if rows.0 <= rows.1 {
        let cells = (rows.1 - rows.0 + 1) * (cols.1 - cols.0 + 1);
        if cells > MAX_CELLS {
            return Err(format!(
                "cells span rows {}-{} and {} columns: {cells} cells, more than {MAX_CELLS}",
                rows.0,
                rows.1,
                cols.1 - cols.0 + 1
            ));
        }
    }
    Ok(())
}

/// A reference `XFD1048576` (or `12`, a row) as (row, column), 1-based; column 0
/// when it names none. Beyond Excel's limits is an error.
fn reference(v: &[u8]) -> Result<(u64, u64), String> {
    let bad = || {
        format!(
            "cell reference `{}` is beyond column XFD or row {MAX_ROW}",
            String::from_utf8_lossy(&v[..v.len().min(40)])
        )
    };
    let (mut row, mut col) = (0u64, 0u64);
    for b in v.iter().map(u8::to_ascii_uppercase) {
        match b {
            b'$' => {}
            b'A'..=b'Z' if row == 0 => col = col * 26 + u64::from(b - b'A') + 1,
            b'0'..=b'9' => row = row * 10 + u64::from(b - b'0'),
            // Not a reference at all: calamine says so.
            _ => return Ok((0, 0)),
        }
        if row > MAX_ROW || col > MAX_COL {
            return Err(bad());
        }
    }
    Ok((row, col))
}

/// The start tags of `xml`: (local name, the tag's text up to `>`).
fn tags(xml: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    xml.split(|b| *b == b'<').skip(1).filter_map(|t| {
        let end = t.iter().position(|b| *b == b'>').unwrap_or(t.len());
        let tag = &t[..end];
        let name_end = tag
            .iter()
            .position(|b| b.is_ascii_whitespace() || *b == b'/')
            .unwrap_or(tag.len());
        let name = &tag[..name_end];
        let local = name
            .iter()
            .position(|b| *b == b':')
            .map_or(name, |p| &name[p + 1..]);
        (!local.is_empty() && local[0] != b'/' && local[0] != b'?' && local[0] != b'!')
            .then_some((local, &tag[name_end..]))
    })
}

/// The value of attribute `key` in a tag's text (quoted with `"` or `'`).
fn attribute<'a>(tag: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    let mut rest = tag;
    loop {
        let at = rest.windows(key.len()).position(|w| w == key)?;
        let before = at.checked_sub(1).map(|i| rest[i]);
        let after = &rest[at + key.len()..];
        let eq = after.iter().position(|b| !b.is_ascii_whitespace());
        if before.is_some_and(|b| b.is_ascii_whitespace()) {
            if let Some(e) = eq.filter(|e| after[*e] == b'=') {
                let value = after[e + 1..].trim_ascii_start();
                if let Some(q) = value.first().filter(|q| **q == b'"' || **q == b'\'') {
                    let end = value[1..]
                        .iter()
                        .position(|b| b == q)
                        .unwrap_or(value.len() - 1);
                    return Some(&value[1..1 + end]);
                }
            }
        }
        rest = &rest[at + key.len()..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_beyond_excel_are_refused() {
        assert_eq!(reference(b"XFD1048576"), Ok((1_048_576, 16_384)));
        assert_eq!(reference(b"$B$7"), Ok((7, 2)));
        assert!(reference(b"XFE1").is_err());
        assert!(reference(b"A1048577").is_err());
        // calamine's u32 arithmetic overflows on this one.
        assert!(reference(b"A11111111111").is_err());
    }

    #[test]
    fn a_sheet_spanning_too_many_cells_is_refused() {
        let ok = br#"<worksheet><sheetData><row r="1"><c r="A1"/></row><row r="3"><c r="C3"/></row></sheetData></worksheet>"#;
        assert_eq!(check_sheet(ok), Ok(()));
        let wide = br#"<worksheet><sheetData><row r="1"><c r="A1"/></row><row r="1048576"><c r="XFD1048576" t="n"><v>1</v></c></row></sheetData></worksheet>"#;
        let e = check_sheet(wide).unwrap_err();
        assert!(e.contains("17179869184 cells"), "{e}");
        let merged = br#"<x:worksheet><x:mergeCells><x:mergeCell ref='A1:A9999999'/></x:mergeCells></x:worksheet>"#;
        assert!(check_sheet(merged).unwrap_err().contains("A9999999"));
    }

    #[test]
    fn a_shared_string_count_beyond_the_part_is_refused() {
        let sst =
            br#"<sst xmlns="x" count="2" uniqueCount="2"><si><t>a</t></si><si><t>b</t></si></sst>"#;
        assert_eq!(check_strings(sst), Ok(()));
        let huge = br#"<sst count="1" uniqueCount="99999999999999"><si><t>a</t></si></sst>"#;
        assert!(check_strings(huge).unwrap_err().contains("uniqueCount"));
    }
}
