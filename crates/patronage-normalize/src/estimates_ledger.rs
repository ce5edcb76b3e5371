//! Estimates ledger entries to `labor_stock`: the ISO3 codes the ledger writes are
//! checked (known, and valid in the entry's year); an entry that fails is
//! rejected naming the column.

use std::sync::Arc;

use patronage_core::{CountryRegistry, RowReject};
use patronage_extract::estimates_ledger::LedgerEntry;

use crate::labor_stock::{check_iso3, LaborFigure, NormalizedLabor};

/// Normalize one ledger file's entries.
pub fn normalize(
    entries: Vec<LedgerEntry>,
    source_id: &Arc<str>,
    source_file: &Arc<str>,
    registry: &CountryRegistry,
) -> NormalizedLabor {
    let mut out = NormalizedLabor::default();
    for e in entries {
        let checked = check_iso3(registry, &e.host_iso3, e.year)
            .map_err(|(r, d)| (r, format!("column `host_iso3`: {d}")))
            .and_then(|()| {
                check_iso3(registry, &e.origin_iso3, e.year)
                    .map_err(|(r, d)| (r, format!("column `origin_iso3`: {d}")))
            });
        if let Err((reason, detail)) = checked {
            out.rejects
                .push(RowReject::new(e.line, reason, detail, &e.raw));
            continue;
        }
        out.figures.push(LaborFigure {
            source_id: source_id.clone(),
            source_file: source_file.clone(),
            source_line: e.line,
            source_ref: e.reference,
            year: e.year,
            as_of: e.as_of,
            host_iso3: e.host_iso3,
            origin_iso3: e.origin_iso3,
            region: e.region,
            sector: e.sector,
            measure: e.measure,
            workers: e.workers,
            qualifier: e.qualifier,
            note: e.note,
            citation: Some(e.citation),
        });
    }
    out
}
