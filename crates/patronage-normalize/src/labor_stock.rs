//! The canonical labor row and the `labor_stock` frame built from it.

use std::collections::BTreeMap;
use std::sync::Arc;

use patronage_core::labor::{Measure, Qualifier, Sector};
use patronage_core::{CountryRegistry, RowReject};
use polars::prelude::*;

/// One published figure of workers, normalized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaborFigure {
    /// Source id from the pipeline file.
    pub source_id: Arc<str>,
    /// File, relative to the pipeline file.
    pub source_file: Arc<str>,
    /// Sheet row or file line.
    pub source_line: u64,
    /// Cell or ledger ref.
    pub source_ref: String,
    /// Year.
    pub year: i32,
    /// Date of a stock.
    pub as_of: Option<String>,
    /// Host ISO3.
    pub host_iso3: String,
    /// Origin ISO3.
    pub origin_iso3: String,
    /// Region of the host.
    pub region: Option<String>,
    /// Sector.
    pub sector: Sector,
    /// Measure.
    pub measure: Measure,
    /// Persons.
    pub workers: u64,
    /// How the number was published.
    pub qualifier: Qualifier,
    /// What the figure covers.
    pub note: Option<String>,
    /// Citation.
    pub citation: Option<String>,
}

/// What one labor file became.
#[derive(Debug, Clone, Default)]
pub struct NormalizedLabor {
    /// Figures kept.
    pub figures: Vec<LaborFigure>,
    /// Figures whose codes could not be mapped.
    pub rejects: Vec<RowReject>,
    /// Figures dropped on purpose, by reason.
    pub dropped: BTreeMap<String, u64>,
}

/// Check an ISO3 code a source wrote: known, and valid in `year`.
pub(crate) fn check_iso3(
    registry: &CountryRegistry,
    iso3: &str,
    year: i32,
) -> Result<(), (&'static str, String)> {
    if !registry.knows_iso3(iso3) {
        Err((
            "unknown_country",
            format!("`{iso3}` is not an ISO 3166 alpha-3 code the country registry knows"),
        ))
    } else if !registry.iso3_valid_in(iso3, year) {
        Err((
            "country_not_valid_in_year",
            format!("`{iso3}` did not exist in {year} (SUN = USSR through 1991, RUS from 1992)"),
        ))
    } else {
        Ok(())
    }
}

/// The `labor_stock` key a figure sorts by.
fn sort_key(f: &LaborFigure) -> (&str, &str, &str, i32, &str, &str, &str) {
    (
        &f.source_id,
        &f.source_file,
        &f.source_ref,
        f.year,
        &f.host_iso3,
        f.sector.as_str(),
        f.measure.as_str(),
    )
}

/// Build the `labor_stock` frame, sorted by its key.
pub fn labor_stock_frame(figures: &[LaborFigure]) -> PolarsResult<DataFrame> {
    let mut rows: Vec<&LaborFigure> = figures.iter().collect();
    rows.sort_by(|a, b| sort_key(a).cmp(&sort_key(b)));
    patronage_core::frame!(
        rows,
        [
            column!("source_id", |r| r.source_id.as_ref()),
            column!("source_file", |r| r.source_file.as_ref()),
            column!("source_line", |r| r.source_line as i64),
            column!("source_ref", |r| r.source_ref.as_str()),
            column!("year", |r| r.year),
            column!("as_of", |r| r.as_of.as_deref()),
            column!("host_iso3", |r| r.host_iso3.as_str()),
            column!("origin_iso3", |r| r.origin_iso3.as_str()),
            column!("region", |r| r.region.as_deref()),
            column!("sector", |r| r.sector.as_str()),
            column!("measure", |r| r.measure.as_str()),
            column!("workers", |r| r.workers as i64),
            column!("qualifier", |r| r.qualifier.as_str()),
            column!("note", |r| r.note.as_deref()),
            column!("citation", |r| r.citation.as_deref()),
        ]
    )
}
