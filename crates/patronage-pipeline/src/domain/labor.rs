//! The labor domain's glue: a statistics sheet's table read and normalized (the
//! sheet formats differ only in how the grid is read), `labor_stock` from kept
//! figures, and `labor_stock` to `labor_summary`.

use std::path::Path;
use std::sync::Arc;

use patronage_aggregate::labor_summary_frame;
use patronage_core::{CountryRegistry, RowReject};
use patronage_extract::grid::Grid;
use patronage_extract::labor_sheet;
use patronage_normalize::labor_sheet::SheetContext;
use patronage_normalize::{labor_stock_frame, LaborFigure, NormalizedLabor};
use patronage_tables::contracts;
use polars::prelude::*;

use super::outcome::{table_error, FileOutcome, Tables};
use crate::config::{sheet_source, Invalid, OptionsInput, Parsed, Pipeline, SheetSource, Source};
use crate::PipelineError;

/// A file's outcome from its reader's count and rejects and what normalizing kept.
pub(crate) fn outcome(
    read: u64,
    extract_rejects: Vec<RowReject>,
    n: NormalizedLabor,
) -> FileOutcome<LaborFigure> {
    FileOutcome::new(read, extract_rejects, n.figures, n.rejects, n.dropped)
}

/// Read the table of a labor statistics sheet from its `grid` and normalize it.
pub(crate) fn read_sheet(
    source: &Source,
    file: &Path,
    rel: &str,
    grid: &Grid,
    sheet: &SheetSource,
) -> Result<FileOutcome<LaborFigure>, PipelineError> {
    let x = labor_sheet::read(file, grid, &sheet.spec)?;
    let ctx = SheetContext {
        source_id: Arc::from(source.id.as_str()),
        source_file: Arc::from(rel),
        host_iso3: sheet.host_iso3.clone(),
        region: sheet.region.clone(),
        sector: sheet.sector,
        citation: sheet.citation.clone(),
    };
    let n = patronage_normalize::labor_sheet::normalize(x.rows, &ctx, CountryRegistry::comtrade());
    Ok(outcome(x.rows_read, x.rejects, n))
}

/// The `sheet` option of the sheet formats: required.
pub(crate) fn sheet_options(input: &OptionsInput<'_>, xlsx: bool) -> Result<Parsed, Invalid> {
    let Some(sh) = input.sheet else {
        let name = if xlsx {
            "labor_sheet_xlsx"
        } else {
            "labor_sheet_csv"
        };
        return Err((
            input.format_span.clone(),
            format!(
                "source `{}`: format {name} needs a `sheet` table (layout, header_row, host...)",
                input.id
            ),
        ));
    };
    let raw = sh.get_ref().clone();
    let host = raw.host.get_ref().clone();
    let sheet = sheet_source(raw, host, xlsx).map_err(|(span, m)| {
        (
            span.unwrap_or_else(|| sh.span()),
            format!("source `{}`: {m}", input.id),
        )
    })?;
    Ok(Parsed::new(sheet))
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
