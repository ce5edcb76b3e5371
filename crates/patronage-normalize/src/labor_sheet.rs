//! Labor sheet figures to `labor_stock`: OKSM (ISO 3166 numeric) codes to ISO3
//! valid in the figure's year, the host and sector the pipeline declares. Cells
//! with no figure, departures (not a measure the table carries) and total rows
//! (the sum of the country rows) are dropped and counted.

use std::sync::Arc;

use patronage_core::labor::Sector;
use patronage_core::{CountryRegistry, RowReject};
use patronage_extract::labor_sheet::{CellValue, Figure, SheetFigure};

use crate::labor_stock::{LaborFigure, NormalizedLabor};

/// What the pipeline file says about a sheet source.
#[derive(Debug, Clone)]
pub struct SheetContext {
    /// Source id.
    pub source_id: Arc<str>,
    /// File, relative to the pipeline file.
    pub source_file: Arc<str>,
    /// Host country, ISO3 (the country whose agency published the sheet).
    pub host_iso3: String,
    /// Region, when the sheet covers one.
    pub region: Option<String>,
    /// Sector the sheet covers (`all` unless it is a sector's table).
    pub sector: Sector,
    /// Citation for the sheet's figures.
    pub citation: Option<String>,
}

/// Country names of total rows.
const TOTAL_ROWS: [&str; 4] = ["всего", "итого", "total", "всего иностранных работников"];

/// Normalize one sheet's figures.
pub fn normalize(
    figures: Vec<SheetFigure>,
    ctx: &SheetContext,
    registry: &CountryRegistry,
) -> NormalizedLabor {
    let mut out = NormalizedLabor::default();
    let mut drop = |reason: &str| *out.dropped.entry(reason.to_string()).or_insert(0) += 1;
    let mut kept = Vec::new();
    let mut rejects = Vec::new();
    for f in figures {
        let (count, qualifier) = match f.value {
            CellValue::NotReported => {
                drop("not_reported");
                continue;
            }
            CellValue::Count(n, q) => (n, q),
        };
        let (measure, as_of) = match f.figure {
            Figure::Departed => {
                drop("departed_not_a_measure");
                continue;
            }
            Figure::Measure(m, suffix) => (m, suffix.map(|s| format!("{}{s}", f.year))),
        };
        if f.country_code.is_empty() && TOTAL_ROWS.contains(&f.country_name.to_lowercase().as_str())
        {
            drop("total_row");
            continue;
        }
        let origin = f
            .country_code
            .parse::<u32>()
            .map_err(|_| {
                (
                    "bad_country_code",
                    format!("`{}` is not a numeric OKSM code", f.country_code),
                )
            })
            .and_then(|code| {
                registry
                    .lookup(code, f.year)
                    .map(|c| c.iso3.clone())
                    .map_err(|e| (e.reason(), e.to_string()))
            });
        let origin = match origin {
            Ok(o) => o,
            Err((reason, detail)) => {
                rejects.push(RowReject::new(
                    f.line,
                    reason,
                    format!(
                        "cell {} (`{}`, {}): {detail}",
                        f.cell, f.country_name, f.column
                    ),
                    &f.raw,
                ));
                continue;
            }
        };
        kept.push(LaborFigure {
            source_id: ctx.source_id.clone(),
            source_file: ctx.source_file.clone(),
            source_line: f.line,
            source_ref: f.cell,
            year: f.year,
            as_of,
            host_iso3: ctx.host_iso3.clone(),
            origin_iso3: origin,
            region: ctx.region.clone(),
            sector: ctx.sector,
            measure,
            workers: count,
            qualifier,
            note: Some(f.column),
            citation: ctx.citation.clone(),
        });
    }
    out.figures = kept;
    out.rejects = rejects;
    out
}
