//! Legacy Comtrade rows to `trade_flows`.
//!
//! Kept: flows 1-4 (import, export, re-export, re-import) of total rows. Dropped,
//! counted by reason: `flow_not_carried:<code>` for any other flow code, and the
//! breakdown rows of the 35-column download (`breakdown_second_partner`,
//! `breakdown_customs_procedure`, `breakdown_transport_mode`). Rejected: codes
//! unknown or not valid in the row's year; a second row for the same figure
//! (reporter, partner, period, flow, classification, commodity) in one file,
//! `duplicate_figure`, as for Comtrade v1. Rows of every aggregation level are
//! kept with their level; nothing downstream sums across levels.

use patronage_core::{CountryRegistry, Flow, MonthRange, RowReject};
use patronage_extract::comtrade_legacy::LegacyRow;

use crate::comtrade_v1::{commodity_level, SourceContext};
use crate::intern::Interner;
use crate::{MonthlyFigures, Normalized, TradeFlow};

/// Normalize one file's rows.
pub fn normalize(
    rows: Vec<LegacyRow>,
    ctx: &SourceContext,
    registry: &CountryRegistry,
) -> Normalized {
    let mut out = Normalized::default();
    let mut iso = Interner::default();
    let mut seen = std::collections::HashMap::new();
    for row in rows {
        let Some(flow) = Flow::from_comtrade_legacy(row.flow_code) else {
            *out.dropped
                .entry(format!("flow_not_carried:{}", row.flow_code))
                .or_default() += 1;
            continue;
        };
        let breakdown = if row.partner2_code.is_some_and(|c| c != 0) {
            Some("breakdown_second_partner")
        } else if !row.customs_code.is_empty() && row.customs_code != "C00" {
            Some("breakdown_customs_procedure")
        } else if !row.mot_code.is_empty() && row.mot_code != "0" {
            Some("breakdown_transport_mode")
        } else {
            None
        };
        if let Some(reason) = breakdown {
            *out.dropped.entry(reason.to_string()).or_default() += 1;
            continue;
        }
        let (reporter, partner) = match (
            registry.lookup(row.reporter_code, row.year),
            registry.lookup(row.partner_code, row.year),
        ) {
            (Ok(r), Ok(p)) => (r, p),
            (Err(e), _) => {
                out.rejects.push(RowReject::new(
                    row.line,
                    e.reason(),
                    format!("Reporter Code: {e}"),
                    &row.raw,
                ));
                continue;
            }
            (_, Err(e)) => {
                out.rejects.push(RowReject::new(
                    row.line,
                    e.reason(),
                    format!("Partner Code: {e}"),
                    &row.raw,
                ));
                continue;
            }
        };
        let period = match row.month {
            None => MonthRange::annual(row.year),
            Some(m) => MonthRange {
                year: row.year,
                first: if ctx.monthly == MonthlyFigures::YearToDate {
                    1
                } else {
                    m
                },
                last: m,
            },
        };
        let key = (
            row.reporter_code,
            row.partner_code,
            period,
            flow,
            row.classification.clone(),
            row.commodity_code.clone(),
        );
        if let Some(first) = seen.get(&key) {
            out.rejects.push(RowReject::new(
                row.line,
                "duplicate_figure",
                format!("the same reporter, partner, period, flow, classification and commodity as line {first}"),
                &row.raw,
            ));
            continue;
        }
        seen.insert(key, row.line);
        let v = Some(row.value_mills);
        let valuation = match (row.cif_mills == v, row.fob_mills == v) {
            (true, false) => "CIF",
            (false, true) => "FOB",
            _ => flow.valuation(),
        };
        out.flows.push(TradeFlow {
            source_id: ctx.source_id.clone(),
            source_file: ctx.source_file.clone(),
            source_line: row.line,
            period,
            reporter_code: row.reporter_code,
            reporter_iso3: iso.get(&reporter.iso3),
            partner_code: row.partner_code,
            partner_iso3: iso.get(&partner.iso3),
            flow,
            classification: row.classification,
            commodity_level: row
                .aggregate_level
                .unwrap_or_else(|| commodity_level(&row.commodity_code)),
            commodity_code: row.commodity_code,
            value_mills: row.value_mills,
            valuation,
            net_weight_kg: row.net_weight_kg,
            quantity: row.qty,
            quantity_unit_code: row.qty_unit_code,
            is_estimated: row.is_estimated,
        });
    }
    out
}
