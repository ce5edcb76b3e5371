//! Normalization: typed source rows to the canonical `trade_flows` table.
//!
//! Codes become ISO3 valid in the row's year (a USSR row dated 1995 is rejected,
//! not quietly renamed), flows are mapped, periods become month ranges, values
//! stay exact integers until the table is built. Rows that would double count are
//! dropped and counted by reason; rows whose codes cannot be mapped are rejected
//! with their raw text.

pub mod aid_events;
pub mod baci;
pub mod china_customs;
pub mod comtrade_legacy;
mod comtrade_rules;
pub mod comtrade_v1;
pub mod estimates_ledger;
pub mod events;
mod figures;
mod intern;
pub mod labor_sheet;
mod labor_stock;
pub mod published_totals;
pub mod russia_customs;
pub mod scope;
mod sorted_keys;
mod trade_flows;

pub use labor_stock::{labor_stock_frame, LaborFigure, NormalizedLabor};
pub use trade_flows::{trade_flows_frame, TradeFlow};

use std::collections::BTreeMap;

use patronage_core::RowReject;

/// How a source's monthly rows are to be read; declared per source in the
/// pipeline file because the files themselves do not say.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MonthlyFigures {
    /// A monthly row covers its month only (Comtrade's own convention).
    #[default]
    Month,
    /// A monthly row is cumulative from January through its month, as customs
    /// agencies publish running totals ("January-February").
    YearToDate,
}

/// What one source's rows became.
#[derive(Debug, Clone, Default)]
pub struct Normalized {
    /// Rows kept.
    pub flows: Vec<TradeFlow>,
    /// Rows whose codes could not be mapped.
    pub rejects: Vec<RowReject>,
    /// Rows dropped on purpose, by reason.
    pub dropped: BTreeMap<String, u64>,
}
