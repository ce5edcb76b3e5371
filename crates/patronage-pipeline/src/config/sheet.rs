//! A labor statistics sheet's `sheet` table: where the table sits in the sheet
//! (layout, sheet name, header rows) and what it covers (host, region, sector,
//! year, citation). Checked when the pipeline is read, so a reader never meets a
//! sheet it cannot place: the header rows lie within the rows a sheet can have
//! (Excel's 1,048,576).

use std::ops::Range;

use patronage_core::labor::Sector;
use patronage_extract::labor_sheet::{SheetLayout, SheetSpec};
use serde::Deserialize;

/// A source's `sheet` table as written in the pipeline file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSheet {
    /// Layout name (`form_2t`, `permits_by_citizenship`).
    layout: String,
    /// Sheet name (required for `.xlsx`).
    name: Option<String>,
    /// First header row, 1-based (default 1).
    header_row: Option<toml::Spanned<u64>>,
    /// Header rows (default 1).
    header_rows: Option<toml::Spanned<u64>>,
    /// The period's year (form 2-T).
    year: Option<i32>,
    /// Host country, ISO3.
    pub host: toml::Spanned<String>,
    /// Region of the host the sheet covers.
    region: Option<String>,
    /// Sector the sheet covers (default `all`).
    sector: Option<String>,
    /// Who published the sheet, where and when.
    citation: Option<String>,
}

/// A validated `sheet` table: where the table sits and what it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetSource {
    /// Layout and position.
    pub spec: SheetSpec,
    /// Host country, ISO3.
    pub host_iso3: String,
    /// Region.
    pub region: Option<String>,
    /// Sector.
    pub sector: Sector,
    /// Citation.
    pub citation: Option<String>,
}

/// The most rows a sheet has: Excel's limit (2^20), which a sheet saved as CSV
/// keeps too.
pub const MAX_SHEET_ROWS: u64 = 1_048_576;

/// Check a `sheet` table; the error is the span of the value at fault when one
/// is (else the caller names the `sheet` table's line) and the message.
pub fn sheet_source(
    raw: RawSheet,
    host_iso3: String,
    xlsx: bool,
) -> Result<SheetSource, (Option<Range<usize>>, String)> {
    let rows = |v: &Option<toml::Spanned<u64>>| v.as_ref().map_or(1, |v| *v.get_ref());
    let (header_row, header_rows) = (rows(&raw.header_row), rows(&raw.header_rows));
    let span = |v: &Option<toml::Spanned<u64>>| v.as_ref().map(toml::Spanned::span);
    if header_row == 0 || header_rows == 0 {
        let at = if header_row == 0 {
            span(&raw.header_row)
        } else {
            span(&raw.header_rows)
        };
        return Err((at, "header_row and header_rows count from 1".to_string()));
    }
    if header_row > MAX_SHEET_ROWS {
        return Err((
            span(&raw.header_row),
            format!(
                "header_row = {header_row} is past the last row a sheet can have ({MAX_SHEET_ROWS})"
            ),
        ));
    }
    if header_rows > MAX_SHEET_ROWS - header_row + 1 {
        return Err((
            span(&raw.header_rows),
            format!(
                "header_rows = {header_rows} from header_row = {header_row} ends past the last \
                 row a sheet can have ({MAX_SHEET_ROWS})"
            ),
        ));
    }
    sheet_layout(raw, host_iso3, xlsx, header_row, header_rows).map_err(|m| (None, m))
}

fn sheet_layout(
    raw: RawSheet,
    host_iso3: String,
    xlsx: bool,
    header_row: u64,
    header_rows: u64,
) -> Result<SheetSource, String> {
    let layout = SheetLayout::ALL
        .iter()
        .find(|(_, n)| *n == raw.layout)
        .map(|(l, _)| *l)
        .ok_or_else(|| {
            let known: Vec<&str> = SheetLayout::ALL.iter().map(|(_, n)| *n).collect();
            format!(
                "unknown sheet layout `{}`; known: {}",
                raw.layout,
                known.join(", ")
            )
        })?;
    if xlsx && raw.name.is_none() {
        return Err("an .xlsx sheet needs `name` (the sheet to read)".to_string());
    }
    if layout == SheetLayout::Form2T && raw.year.is_none() {
        return Err("layout form_2t needs `year` (the form's period)".to_string());
    }
    let sector = match raw.sector {
        None => Sector::All,
        Some(s) => Sector::parse(&s)?,
    };
    Ok(SheetSource {
        spec: SheetSpec {
            layout,
            sheet: raw.name,
            header_row,
            header_rows,
            year: raw.year,
        },
        host_iso3,
        region: raw.region,
        sector,
        citation: raw.citation,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `sheet` table `text` (a TOML inline table's keys) checked for an
    /// `.xlsx`; the error's line (1-based, in `sheet = {...}` on line 2 or the
    /// keys one per line below `[sheet]`) and message.
    fn sheet(text: &str) -> Result<SheetSource, (usize, String)> {
        #[derive(Deserialize)]
        struct File {
            sheet: RawSheet,
        }
        let file: File = toml::from_str(text).map_err(|e| (0, e.to_string()))?;
        let host = file.sheet.host.get_ref().clone();
        sheet_source(file.sheet, host, true).map_err(|(span, m)| {
            let line = span.map_or(0, |s| 1 + text[..s.start].matches('\n').count());
            (line, m)
        })
    }

    /// `header_row = 18446744073709551615` panicked in the reader ("attempt to
    /// add with overflow"). The header rows must lie within the rows a sheet can
    /// have (1,048,576), refused at the line of the value at fault.
    #[test]
    fn sheet_header_rows_past_the_last_row_of_a_sheet_are_refused() {
        let head = "[sheet]\nlayout = \"permits_by_citizenship\"\nname = \"s\"\nhost = \"RUS\"\n";
        let e = sheet(&format!("{head}header_row = 18446744073709551615\n")).unwrap_err();
        assert_eq!(
            e,
            (
                5,
                "header_row = 18446744073709551615 is past the last row a sheet can have (1048576)"
                    .to_string()
            )
        );
        let e = sheet(&format!("{head}header_row = 1048576\nheader_rows = 2\n")).unwrap_err();
        assert_eq!(
            e,
            (
                6,
                "header_rows = 2 from header_row = 1048576 ends past the last row a sheet can \
                 have (1048576)"
                    .to_string()
            )
        );
        let e = sheet(&format!("{head}header_rows = 18446744073709551615\n")).unwrap_err();
        assert_eq!(e.0, 5);
        let e = sheet(&format!("{head}header_row = 0\n")).unwrap_err();
        assert_eq!(
            e,
            (5, "header_row and header_rows count from 1".to_string())
        );
        // The last row of a sheet may hold a one-row header; the whole sheet may
        // be header.
        let ok = sheet(&format!("{head}header_row = 1048576\n")).unwrap();
        assert_eq!((ok.spec.header_row, ok.spec.header_rows), (1_048_576, 1));
        let ok = sheet(&format!("{head}header_rows = 1048576\n")).unwrap();
        assert_eq!((ok.spec.header_row, ok.spec.header_rows), (1, 1_048_576));
    }
}
