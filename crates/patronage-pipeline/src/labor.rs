//! The labor domain: statistics sheets (`.xlsx` or CSV) and the estimates ledger
//! to `labor_stock`, and `labor_stock` to `labor_summary`.

use std::path::Path;
use std::sync::Arc;

use patronage_aggregate::labor_summary_frame;
use patronage_core::labor::Sector;
use patronage_core::CountryRegistry;
use patronage_extract::delimited::Dialect;
use patronage_extract::labor_sheet::{SheetLayout, SheetSpec};
use patronage_extract::{estimates_ledger, grid, labor_sheet};
use patronage_normalize::labor_sheet::SheetContext;
use patronage_normalize::{labor_stock_frame, LaborFigure, NormalizedLabor};
use patronage_tables::contracts;
use polars::prelude::*;
use serde::Deserialize;

use crate::config::{Format, Pipeline, Source};
use crate::source::{table_error, FileOutcome, Tables};
use crate::PipelineError;

/// A source's `sheet` table as written in the pipeline file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSheet {
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
    pub(crate) host: toml::Spanned<String>,
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
pub(crate) fn sheet_source(
    raw: RawSheet,
    host_iso3: String,
    xlsx: bool,
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

/// Extract and normalize one labor file.
pub(crate) fn read_file(
    p: &Pipeline,
    source: &Source,
    file: &Path,
    rel: &str,
    bytes: Vec<u8>,
) -> Result<FileOutcome<LaborFigure>, PipelineError> {
    let source_id: Arc<str> = Arc::from(source.id.as_str());
    let source_file: Arc<str> = Arc::from(rel);
    let registry = CountryRegistry::comtrade();
    let (read, extract_rejects, normalized): (u64, _, NormalizedLabor) = match source.format {
        Format::LaborSheetXlsx | Format::LaborSheetCsv => {
            let sheet = source
                .sheet
                .as_ref()
                .ok_or_else(|| PipelineError::Invalid {
                    path: p.path.clone(),
                    line: 0,
                    message: format!("source `{}` has no `sheet` table", source.id),
                })?;
            let grid = if source.format == Format::LaborSheetXlsx {
                let name = sheet.spec.sheet.as_deref().unwrap_or_default();
                grid::from_xlsx(file, bytes, name)?
            } else {
                grid::from_delimited(file, &bytes, Dialect::saved_sheet(b','))?
            };
            let x = labor_sheet::read(file, &grid, &sheet.spec)?;
            let ctx = SheetContext {
                source_id,
                source_file,
                host_iso3: sheet.host_iso3.clone(),
                region: sheet.region.clone(),
                sector: sheet.sector,
                citation: sheet.citation.clone(),
            };
            let n = patronage_normalize::labor_sheet::normalize(x.rows, &ctx, registry);
            (x.rows_read, x.rejects, n)
        }
        _ => {
            let x = estimates_ledger::parse(file, &bytes)?;
            let n = patronage_normalize::estimates_ledger::normalize(
                x.rows,
                &source_id,
                &source_file,
                registry,
            );
            (x.rows_read, x.rejects, n)
        }
    };
    Ok(FileOutcome::new(
        read,
        extract_rejects,
        normalized.figures,
        normalized.rejects,
        normalized.dropped,
    ))
}

/// `labor_stock` from kept rows.
pub(crate) fn canonical_frame(figures: Vec<LaborFigure>) -> PolarsResult<DataFrame> {
    labor_stock_frame(&figures)
}

/// The labor analysis tables.
pub(crate) fn aggregate(p: &Pipeline, labor_stock: &DataFrame) -> Result<Tables, PipelineError> {
    let priority: Vec<String> = p.sources.iter().map(|s| s.id.clone()).collect();
    let summary = labor_summary_frame(labor_stock, &priority)
        .map_err(table_error(&contracts::LABOR_SUMMARY))?;
    Ok(vec![(&contracts::LABOR_SUMMARY, summary)])
}
