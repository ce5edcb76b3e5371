//! A labor statistics sheet's `sheet` table: where the table sits in the sheet
//! (layout, sheet name, header rows) and what it covers (host, region, sector,
//! year, citation). Checked when the pipeline is read, so a reader never meets a
//! sheet it cannot place.

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
    header_row: Option<u64>,
    /// Header rows (default 1).
    header_rows: Option<u64>,
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

/// Check a `sheet` table; the message is for the pipeline file's error.
pub fn sheet_source(raw: RawSheet, host_iso3: String, xlsx: bool) -> Result<SheetSource, String> {
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
    let header_row = raw.header_row.unwrap_or(1);
    let header_rows = raw.header_rows.unwrap_or(1);
    if header_row == 0 || header_rows == 0 {
        return Err("header_row and header_rows count from 1".to_string());
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
