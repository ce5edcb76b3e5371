//! Legacy Comtrade rows to `trade_flows`.
//!
//! Kept: flows 1-4 (import, export, re-export, re-import) of total rows with a
//! partner. Dropped, counted by reason: `flow_not_carried:<code>` for any other
//! flow code; the breakdown rows of the 35-column download and of the API JSON
//! (`breakdown_second_partner`, `breakdown_customs_procedure`,
//! `breakdown_transport_mode`); and `partner_world`, the rows with partner code 0
//! (World), which the legacy downloads and API responses give beside the partner
//! rows: the World row is the sum of the partners, never a partner, and keeping
//! it would put "World" among a country's partners. Rejected: codes
//! unknown or not valid in the row's year; a second row for the same figure
//! (reporter, partner, period, flow, classification, commodity) in one file,
//! `duplicate_figure`, as for Comtrade v1. Rows of every aggregation level are
//! kept with their level; nothing downstream sums across levels.

use patronage_core::{CountryRegistry, Flow};
use patronage_extract::comtrade_legacy::{LegacyLayout, LegacyRow};

use crate::comtrade_rules::{breakdown_reason, period, reporter_and_partner, valuation};
use crate::comtrade_v1::{commodity_level, SourceContext};
use crate::figures::{FigureKey, Figures};
use crate::intern::Interner;
use crate::{Normalized, TradeFlow};

/// Partner code of the World row.
const WORLD: u32 = 0;

/// Drop reason of a World row (partner code 0).
pub const PARTNER_WORLD: &str = "partner_world";

/// Normalize one file's rows.
pub fn normalize(
    rows: Vec<LegacyRow>,
    ctx: &SourceContext,
    registry: &CountryRegistry,
) -> Normalized {
    let mut out = Normalized::default();
    let mut iso = Interner::default();
    let mut figures = Figures::default();
    for row in rows {
        let Some(flow) = Flow::from_comtrade_legacy(row.flow_code) else {
            *out.dropped
                .entry(format!("flow_not_carried:{}", row.flow_code))
                .or_default() += 1;
            continue;
        };
        if let Some(reason) = breakdown_reason(
            row.partner2_code.is_some_and(|c| c != 0),
            !row.customs_code.is_empty() && row.customs_code != "C00",
            !row.mot_code.is_empty() && row.mot_code != "0",
        ) {
            *out.dropped.entry(reason.to_string()).or_default() += 1;
            continue;
        }
        if row.partner_code == WORLD {
            *out.dropped.entry(PARTNER_WORLD.to_string()).or_default() += 1;
            continue;
        }
        let (reporter, partner) = match reporter_and_partner(
            registry,
            (row.reporter_code, row.partner_code),
            row.year,
            match row.layout {
                LegacyLayout::ApiJson => ("rtCode", "ptCode"),
                _ => ("Reporter Code", "Partner Code"),
            },
            (row.line, row.column),
            &row.raw,
        ) {
            Ok(pair) => pair,
            Err(reject) => {
                out.rejects.push(reject);
                continue;
            }
        };
        let period = period(row.year, row.month, ctx.monthly);
        let key = FigureKey::new(
            (row.reporter_code, row.partner_code),
            period,
            flow,
            &row.classification,
            &row.commodity_code,
        );
        if let Err(reject) = figures.first(key, (row.line, row.column), || &row.raw) {
            out.rejects.push(reject);
            continue;
        }
        let valuation = valuation(row.value_mills, row.cif_mills, row.fob_mills, flow);
        out.flows.push(TradeFlow {
            source_id: ctx.source_id.clone(),
            source_file: ctx.source_file.clone(),
            source_line: row.line,
            source_column: row.column,
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
