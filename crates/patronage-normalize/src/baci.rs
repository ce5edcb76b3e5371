//! CEPII BACI rows to `trade_flows`.
//!
//! BACI gives one reconciled value per exporter, importer and product, valued FOB.
//! Each row is written from the point of view of the focus country's partner, so
//! the mirror tables read it as a partner's figure: a row whose exporter is the
//! focus becomes the importer's import, any other row the exporter's export. The
//! quantity (metric tons) goes to `net_weight_kg`.
//!
//! With [`Scope::Focus`] rows involving neither side of the focus are dropped,
//! counted as `outside_focus`, so a world file streams through in flat memory.
//! Codes missing from the release's country code file, unknown to the registry or
//! not valid in the row's year are rejected.

use std::collections::HashSet;
use std::sync::Arc;

use patronage_core::{CountryRegistry, Flow, MonthRange, RowReject};
use patronage_extract::baci::BaciRow;

use crate::comtrade_v1::SourceContext;
use crate::figures::{FigureKey, Figures};
use crate::intern::Interner;
use crate::scope::{FocusCodes, OUTSIDE_FOCUS};
use crate::{Normalized, TradeFlow};

pub use crate::scope::Scope;

/// How one BACI source is read.
#[derive(Debug, Clone)]
pub struct BaciOptions {
    /// The pipeline's focus, ISO3.
    pub focus: String,
    /// Which rows are kept.
    pub scope: Scope,
    /// Classification of the file (from its name: `BACI_HS17_…` → H5).
    pub classification: Arc<str>,
    /// Codes of the release's country code file, when the source gives one.
    pub country_codes: Option<HashSet<u32>>,
}

/// Normalizes BACI rows block by block, keeping the interned codes between blocks.
#[derive(Debug)]
pub struct BaciNormalizer {
    opts: BaciOptions,
    focus_codes: FocusCodes,
    iso: Interner,
    figures: Figures,
}

impl BaciNormalizer {
    /// A normalizer for one file.
    pub fn new(opts: BaciOptions, registry: &CountryRegistry) -> Self {
        let focus_codes = FocusCodes::new(&opts.focus, registry);
        BaciNormalizer {
            opts,
            focus_codes,
            iso: Interner::default(),
            figures: Figures::default(),
        }
    }

    /// Normalize a block of rows into `out`.
    pub fn push(
        &mut self,
        rows: Vec<BaciRow>,
        ctx: &SourceContext,
        registry: &CountryRegistry,
        out: &mut Normalized,
    ) {
        for row in rows {
            let exporter_is_focus = self.focus_codes.contains(row.exporter);
            if self.opts.scope == Scope::Focus
                && !exporter_is_focus
                && !self.focus_codes.contains(row.importer)
            {
                *out.dropped.entry(OUTSIDE_FOCUS.to_string()).or_default() += 1;
                continue;
            }
            if let Some(known) = &self.opts.country_codes {
                if let Some((col, c)) = [("i", row.exporter), ("j", row.importer)]
                    .into_iter()
                    .find(|(_, c)| !known.contains(c))
                {
                    out.rejects.push(RowReject::new(
                        row.line,
                        "unknown_country_code",
                        format!("{col}: code {c} is not in the release's country code file"),
                        &row.raw(),
                    ));
                    continue;
                }
            }
            let (exporter, importer) = match (
                registry.lookup(row.exporter, row.year),
                registry.lookup(row.importer, row.year),
            ) {
                (Ok(e), Ok(i)) => (e, i),
                (Err(e), _) => {
                    out.rejects.push(RowReject::new(
                        row.line,
                        e.reason(),
                        format!("i: {e}"),
                        &row.raw(),
                    ));
                    continue;
                }
                (_, Err(e)) => {
                    out.rejects.push(RowReject::new(
                        row.line,
                        e.reason(),
                        format!("j: {e}"),
                        &row.raw(),
                    ));
                    continue;
                }
            };
            let (reporter, reporter_code, partner, partner_code, flow) = if exporter_is_focus {
                (importer, row.importer, exporter, row.exporter, Flow::Import)
            } else {
                (exporter, row.exporter, importer, row.importer, Flow::Export)
            };
            let period = MonthRange::annual(row.year);
            let key = FigureKey::new(
                (reporter_code, partner_code),
                period,
                flow,
                &self.opts.classification,
                &row.product,
            );
            if let Err(reject) = self.figures.first(key, (row.line, 1), || row.raw()) {
                out.rejects.push(reject);
                continue;
            }
            out.flows.push(TradeFlow {
                source_id: ctx.source_id.clone(),
                source_file: ctx.source_file.clone(),
                source_line: row.line,
                source_column: 1,
                period,
                reporter_code,
                reporter_iso3: self.iso.get(&reporter.iso3),
                partner_code,
                partner_iso3: self.iso.get(&partner.iso3),
                flow,
                classification: self.opts.classification.to_string(),
                commodity_level: row.product.len() as i32,
                commodity_code: row.product,
                value_mills: row.value_mills,
                valuation: "FOB",
                net_weight_kg: row.quantity_t.map(|t| t * 1000.0),
                quantity: None,
                quantity_unit_code: None,
                is_estimated: false,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MonthlyFigures;

    fn row(line: u64, i: u32, j: u32) -> BaciRow {
        BaciRow {
            line,
            year: 2020,
            exporter: i,
            importer: j,
            product: "090111".into(),
            value_mills: 5_000,
            quantity_t: Some(0.5),
        }
    }

    /// South Africa (710) to the DPRK is South Africa's export; the DPRK to China
    /// is China's import; Germany to France is outside the focus; 810 (USSR) in
    /// 2020 is not valid; 999 is not in the release's code file.
    #[test]
    fn focus_scope_and_viewpoint() {
        let registry = CountryRegistry::comtrade();
        let ctx = SourceContext {
            source_id: "b".into(),
            source_file: "f".into(),
            monthly: MonthlyFigures::Month,
        };
        let mut n = BaciNormalizer::new(
            BaciOptions {
                focus: "PRK".into(),
                scope: Scope::Focus,
                classification: "H5".into(),
                country_codes: Some([710, 408, 156, 276, 251, 810].into_iter().collect()),
            },
            registry,
        );
        let mut out = Normalized::default();
        n.push(
            vec![
                row(2, 710, 408),
                row(3, 408, 156),
                row(4, 276, 251),
                row(5, 810, 408),
                row(6, 408, 999),
            ],
            &ctx,
            registry,
            &mut out,
        );
        assert_eq!(out.flows.len(), 2);
        let f = &out.flows[0];
        assert_eq!(
            (f.reporter_iso3.as_ref(), f.partner_iso3.as_ref(), f.flow),
            ("ZAF", "PRK", Flow::Export)
        );
        assert_eq!(
            (f.value_mills, f.net_weight_kg, f.commodity_level),
            (5_000, Some(500.0), 6)
        );
        let f = &out.flows[1];
        assert_eq!(
            (f.reporter_iso3.as_ref(), f.partner_iso3.as_ref(), f.flow),
            ("CHN", "PRK", Flow::Import)
        );
        assert_eq!(out.dropped["outside_focus"], 1);
        let reasons: Vec<_> = out.rejects.iter().map(|r| r.reason).collect();
        assert_eq!(
            reasons,
            ["country_code_not_valid_in_year", "unknown_country_code"]
        );
    }
}
