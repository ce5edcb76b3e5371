//! China customs (GACC) rows to `trade_flows`: China (156) reports, the partner
//! is GACC's code mapped to ISO3 (109 → PRK, 344 → RUS), the flow and, for files
//! without a date column, the period are what the pipeline declares.
//!
//! A download broken down by customs regime or by importers' location holds
//! several rows per period, commodity and partner; they are summed (exactly)
//! into the first of them, and the others are counted as dropped
//! (`summed_over_regime_and_location`), so each kept row is a whole figure.
//! Codes of 2, 4 or 6 digits are HS codes of the revision in force in the row's
//! year (China adopts each on 1 January of its year: HS 2017 from 2017).
//! Rejected: partner codes that are unknown, areas without an ISO3, and rows whose
//! date disagrees with the declared period.

use std::collections::HashMap;

use patronage_core::{Flow, HsRevision, MonthRange, RowReject, TradeCodes};
use patronage_extract::china_customs::GaccRow;

use crate::comtrade_v1::SourceContext;
use crate::intern::Interner;
use crate::{Normalized, TradeFlow};

/// China's code in the Comtrade registry.
const CHINA: u32 = 156;

/// What the pipeline declares for a China customs source.
#[derive(Debug, Clone, Copy)]
pub struct Declared {
    /// The flow the files hold.
    pub flow: Flow,
    /// The period, required when a file has no date column.
    pub period: Option<MonthRange>,
    /// The GACC partner code, required when a file has no partner column.
    pub partner: Option<u32>,
}

/// Normalize one file's rows with what the source declares.
pub fn normalize(rows: Vec<GaccRow>, ctx: &SourceContext, declared: Declared) -> Normalized {
    let Declared {
        flow,
        period,
        partner: declared_partner,
    } = declared;
    let mut out = Normalized::default();
    let mut iso = Interner::default();
    let codes = TradeCodes::get();
    let registry = patronage_core::CountryRegistry::comtrade();
    let mut index: HashMap<(MonthRange, String, u32), usize> = HashMap::new();
    for row in rows {
        let p = match (row.date, period) {
            (Some((y, m)), None) => MonthRange {
                year: y,
                first: m,
                last: m,
            },
            (Some((y, m)), Some(d)) if d.year == y && d.first <= m && m <= d.last => MonthRange {
                year: y,
                first: m,
                last: m,
            },
            (None, Some(d)) => d,
            (Some((y, m)), Some(d)) => {
                out.rejects.push(RowReject::new(
                    row.line,
                    "period_mismatch",
                    format!(
                        "Date of data {y}{m:02} is outside the declared period {}",
                        label(d)
                    ),
                    &row.raw,
                ));
                continue;
            }
            (None, None) => {
                out.rejects.push(RowReject::new(
                    row.line,
                    "no_period",
                    "no Date of data and no period declared",
                    &row.raw,
                ));
                continue;
            }
        };
        let Some(partner_code) = row.partner_code.or(declared_partner) else {
            out.rejects.push(RowReject::new(
                row.line,
                "no_partner",
                "no Trading partner code column and no partner declared",
                &row.raw,
            ));
            continue;
        };
        if let (Some(r), Some(d)) = (row.partner_code, declared_partner) {
            if r != d {
                out.rejects.push(RowReject::new(
                    row.line,
                    "partner_mismatch",
                    format!("Trading partner code {r} is not the declared partner {d}"),
                    &row.raw,
                ));
                continue;
            }
        }
        let partner = match codes.lookup_gacc(partner_code, p.year) {
            Ok(c) => c,
            Err(e) => {
                out.rejects.push(RowReject::new(
                    row.line,
                    e.reason,
                    format!("Trading partner code: {}", e.detail),
                    &row.raw,
                ));
                continue;
            }
        };
        let reporter = match registry.lookup(CHINA, p.year) {
            Ok(r) => r,
            Err(e) => {
                out.rejects.push(RowReject::new(
                    row.line,
                    e.reason(),
                    format!("reporter China: {e}"),
                    &row.raw,
                ));
                continue;
            }
        };
        let key = (p, row.commodity_code.clone(), partner_code);
        if let Some(&i) = index.get(&key) {
            let kept = &mut out.flows[i];
            kept.value_mills += row.value_mills;
            kept.quantity = kept.quantity.zip(row.quantity).map(|(a, b)| a + b);
            *out.dropped
                .entry("summed_over_regime_and_location".to_string())
                .or_default() += 1;
            continue;
        }
        index.insert(key, out.flows.len());
        let level = if row.commodity_code == "TOTAL" {
            0
        } else {
            row.commodity_code.len() as i32
        };
        out.flows.push(TradeFlow {
            source_id: ctx.source_id.clone(),
            source_file: ctx.source_file.clone(),
            source_line: row.line,
            source_column: 1,
            period: p,
            reporter_code: CHINA,
            reporter_iso3: iso.get(&reporter.iso3),
            partner_code,
            partner_iso3: iso.get(&partner.iso3),
            flow,
            // China's tariff adopts each HS revision on the day it takes effect, so
            // 2-, 4- and 6-digit codes are in the revision in force in their year.
            classification: match level {
                0 => "TOTAL",
                8 => "national",
                _ => HsRevision::in_force(p.year).map_or("HS", HsRevision::name),
            }
            .to_string(),
            commodity_level: level,
            commodity_code: row.commodity_code,
            value_mills: row.value_mills,
            valuation: flow.valuation(),
            net_weight_kg: None,
            quantity: row.quantity,
            quantity_unit_code: match row.unit.as_deref() {
                Some("Kilogram" | "千克") => Some(8),
                _ => None,
            },
            is_estimated: false,
        });
    }
    out
}

/// `2019` for a year, `2019-01..2019-03` otherwise.
fn label(p: MonthRange) -> String {
    if p.months() == 12 {
        p.year.to_string()
    } else {
        format!("{0}-{1:02}..{0}-{2:02}", p.year, p.first, p.last)
    }
}
