//! Russian customs (FTS) rows to `trade_flows`: Russia (643) reports, the partner
//! is STRANA's ISO2 mapped to the code valid in the year, NAPR ИМ/ЭК gives the
//! flow, and STOIM becomes dollars in the unit the source declares.
//!
//! Which unit STOIM is in is not stated in the files: FTS's documentation labels
//! it thousands of dollars, but the published rows only make sense in dollars
//! (495 game consoles at 38,333.71 is $77 each; 1,045 t of furniture at
//! 1,526,541.73 is $1.46/kg). The pipeline therefore declares it per source
//! ([`StoimUnit`]); docs/sources.md gives the evidence.
//!
//! Confidential goods (`XXXXXXXXXX`) are kept at the 10-digit level: they belong
//! to the totals. Rejected: partners unknown or not valid in the year, and rows
//! whose PERIOD is not the year of the file's period.

use patronage_core::{Flow, MonthRange, RowReject, TradeCodes};
use patronage_extract::russia_customs::{FtsRow, Napr};

use crate::comtrade_v1::SourceContext;
use crate::figures::{FigureKey, Figures};
use crate::intern::Interner;
use crate::{Normalized, TradeFlow};

/// The unit of STOIM, declared per source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoimUnit {
    /// US dollars (what the published rows show).
    Usd,
    /// Thousands of US dollars (what FTS's column documentation says).
    ThousandUsd,
}

/// Russia's code in the Comtrade registry.
const RUSSIA: u32 = 643;

/// The OKEI unit of KOL as a Comtrade quantity unit, for the units with one.
fn comtrade_unit(okei: u32) -> Option<i32> {
    match okei {
        166 => Some(8),  // kilogram
        796 => Some(5),  // piece
        715 => Some(6),  // pair
        112 => Some(7),  // litre
        113 => Some(12), // cubic metre
        6 => Some(4),    // metre
        55 => Some(2),   // square metre
        _ => None,
    }
}

/// Normalize one file's rows; `period` is the file's period (its month, from the
/// file name, or what the pipeline declares).
pub fn normalize(
    rows: Vec<FtsRow>,
    ctx: &SourceContext,
    unit: StoimUnit,
    period: MonthRange,
) -> Normalized {
    let mut out = Normalized::default();
    let mut iso = Interner::default();
    let codes = TradeCodes::get();
    let registry = patronage_core::CountryRegistry::comtrade();
    let mut figures = Figures::default();
    for row in rows {
        if row.year != period.year {
            out.rejects.push(RowReject::new(
                row.line,
                "period_mismatch",
                format!(
                    "PERIOD {} is not the year of the file's period {}",
                    row.year, period.year
                ),
                &row.raw,
            ));
            continue;
        }
        let reporter = match registry.lookup(RUSSIA, row.year) {
            Ok(r) => r,
            Err(e) => {
                out.rejects.push(RowReject::new(
                    row.line,
                    e.reason(),
                    format!("reporter Russia: {e}"),
                    &row.raw,
                ));
                continue;
            }
        };
        let partner = match codes.lookup_iso2(&row.partner_iso2, row.year) {
            Ok(p) => p,
            Err(e) => {
                out.rejects.push(RowReject::new(
                    row.line,
                    e.reason,
                    format!("STRANA: {}", e.detail),
                    &row.raw,
                ));
                continue;
            }
        };
        let value_mills = match unit {
            StoimUnit::Usd => Some(row.stoim_mills),
            StoimUnit::ThousandUsd => row.stoim_mills.checked_mul(1000),
        };
        let Some(value_mills) = value_mills else {
            out.rejects.push(RowReject::new(
                row.line,
                "bad_number",
                "STOIM: out of range",
                &row.raw,
            ));
            continue;
        };
        let flow = match row.napr {
            Napr::Import => Flow::Import,
            Napr::Export => Flow::Export,
        };
        let classification = if row.tnved == "TOTAL" {
            "TOTAL"
        } else {
            "TNVED"
        };
        let key = FigureKey::new(
            (RUSSIA, partner.code),
            period,
            flow,
            classification,
            &row.tnved,
        );
        if let Err(reject) = figures.first(key, (row.line, 1), || &row.raw) {
            out.rejects.push(reject);
            continue;
        }
        let unit_code = row.unit_code.and_then(comtrade_unit);
        out.flows.push(TradeFlow {
            source_id: ctx.source_id.clone(),
            source_file: ctx.source_file.clone(),
            source_line: row.line,
            source_column: 1,
            period,
            reporter_code: RUSSIA,
            reporter_iso3: iso.get(&reporter.iso3),
            partner_code: partner.code,
            partner_iso3: iso.get(&partner.iso3),
            flow,
            classification: classification.to_string(),
            commodity_level: if row.tnved == "TOTAL" { 0 } else { 10 },
            commodity_code: row.tnved,
            value_mills,
            valuation: flow.valuation(),
            net_weight_kg: row.netto_kg,
            quantity: unit_code.and(row.kol),
            quantity_unit_code: unit_code,
            is_estimated: false,
        });
    }
    out
}
