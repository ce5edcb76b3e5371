//! The canonical trade row and the `trade_flows` frame built from it.

use std::sync::Arc;

use patronage_core::{Flow, MonthRange};
use polars::prelude::*;
use polars::series::IsSorted;

/// One trade figure, normalized. Money stays in thousandths of a dollar until the
/// frame is built, so sums are exact.
#[derive(Debug, Clone, PartialEq)]
pub struct TradeFlow {
    /// Source id from the pipeline file.
    pub source_id: Arc<str>,
    /// File, relative to the pipeline file.
    pub source_file: Arc<str>,
    /// Line in that file.
    pub source_line: u64,
    /// Column on that line where the record starts (1 for a delimited row; for
    /// JSON, where the record's value starts).
    pub source_column: u64,
    /// Months covered.
    pub period: MonthRange,
    /// Reporter code as published.
    pub reporter_code: u32,
    /// Reporter ISO3.
    pub reporter_iso3: Arc<str>,
    /// Partner code as published.
    pub partner_code: u32,
    /// Partner ISO3.
    pub partner_iso3: Arc<str>,
    /// Flow as the reporter records it.
    pub flow: Flow,
    /// Classification as published.
    pub classification: String,
    /// Commodity code as published.
    pub commodity_code: String,
    /// 0 for TOTAL, else digits of the code.
    pub commodity_level: i32,
    /// Value, thousandths of a US dollar.
    pub value_mills: i64,
    /// `CIF` or `FOB`: which valuation the value is.
    pub valuation: &'static str,
    /// Net weight, kg.
    pub net_weight_kg: Option<f64>,
    /// Quantity.
    pub quantity: Option<f64>,
    /// Quantity unit (Comtrade code).
    pub quantity_unit_code: Option<i32>,
    /// Quantity or weight estimated.
    pub is_estimated: bool,
}

/// Dollars from thousandths, for output columns.
pub fn usd(mills: i64) -> f64 {
    patronage_core::usd_from_mills(mills.into())
}

/// Build the `trade_flows` frame (columns in contract order, not yet sorted).
/// `source_id` and `source_file`, the same on every row of a block read from
/// one file, hold their text once per frame rather than once per row.
pub fn trade_flows_frame(flows: &[TradeFlow]) -> PolarsResult<DataFrame> {
    let mut frame = patronage_core::frame!(
        flows,
        [
            column!("source_line", |r| r.source_line as i64),
            column!("source_column", |r| r.source_column as i64),
            column!("year", |r| r.period.year),
            column!("month", |r| r.period.single_month().map(|m| m as i32)),
            column!("month_first", |r| r.period.first as i32),
            column!("month_last", |r| r.period.last as i32),
            column!("reporter_code", |r| r.reporter_code as i32),
            column!("reporter_iso3", |r| r.reporter_iso3.as_ref()),
            column!("partner_code", |r| r.partner_code as i32),
            column!("partner_iso3", |r| r.partner_iso3.as_ref()),
            column!("flow", |r| r.flow.as_str()),
            column!("classification", |r| r.classification.as_str()),
            column!("commodity_code", |r| r.commodity_code.as_str()),
            column!("commodity_level", |r| r.commodity_level),
            column!("value_usd", |r| usd(r.value_mills)),
            column!("valuation", |r| r.valuation),
            column!("net_weight_kg", |r| r.net_weight_kg),
            column!("quantity", |r| r.quantity),
            column!("quantity_unit_code", |r| r.quantity_unit_code),
            column!("is_estimated", |r| r.is_estimated),
        ]
    )?;
    frame.insert_column(0, repeated_text("source_id", flows, |r| &r.source_id))?;
    frame.insert_column(1, repeated_text("source_file", flows, |r| &r.source_file))?;
    Ok(frame)
}

/// A text column of `flows`: when every row has the same text, one copy of it
/// viewed from every row (a long text is not stored once per row); else the
/// text of each row.
fn repeated_text(name: &str, flows: &[TradeFlow], text: impl Fn(&TradeFlow) -> &str) -> Column {
    let first = flows.first().map(&text);
    let column = match first {
        Some(v) if flows.iter().all(|r| text(r) == v) => {
            let mut same = StringChunked::full(name.into(), v, flows.len());
            same.set_sorted_flag(IsSorted::Not);
            same.into_series()
        }
        _ => Series::new(name.into(), flows.iter().map(text).collect::<Vec<_>>()),
    };
    column.into_column()
}
