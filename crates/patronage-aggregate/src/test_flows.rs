//! `trade_flows` frames for the unit tests: synthetic rows with only the fields
//! a test cares about set.

use polars::prelude::*;

/// One synthetic `trade_flows` row.
pub(crate) struct Flow {
    pub source: &'static str,
    pub line: i64,
    pub reporter: &'static str,
    pub partner: &'static str,
    pub flow: &'static str,
    pub year: i32,
    pub first: i32,
    pub last: i32,
    pub classification: &'static str,
    pub code: &'static str,
    pub level: i32,
    pub valuation: &'static str,
    pub usd: f64,
}

impl Default for Flow {
    fn default() -> Self {
        Flow {
            source: "a",
            line: 1,
            reporter: "CHN",
            partner: "PRK",
            flow: "import",
            year: 2019,
            first: 1,
            last: 12,
            classification: "H5",
            code: "TOTAL",
            level: 0,
            valuation: "FOB",
            usd: 0.0,
        }
    }
}

/// The frame of `rows`, with the `trade_flows` columns the aggregates read.
pub(crate) fn trade_flows(rows: impl IntoIterator<Item = Flow>) -> PolarsResult<DataFrame> {
    let rows: Vec<Flow> = rows.into_iter().collect();
    patronage_core::frame!(
        rows,
        [
            column!("source_id", |r| r.source),
            column!("source_file", |_| "f"),
            column!("source_line", |r| r.line),
            column!("reporter_iso3", |r| r.reporter),
            column!("partner_iso3", |r| r.partner),
            column!("flow", |r| r.flow),
            column!("year", |r| r.year),
            column!("month_first", |r| r.first),
            column!("month_last", |r| r.last),
            column!("classification", |r| r.classification),
            column!("commodity_code", |r| r.code),
            column!("commodity_level", |r| r.level),
            column!("valuation", |r| r.valuation),
            column!("value_usd", |r| r.usd),
        ]
    )
}
