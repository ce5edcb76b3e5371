//! Aggregation: the canonical `trade_flows` table to the analysis tables.
//!
//! * [`mirror`] rebuilds the focus country's trade from what its partners report,
//!   from each source's figure at the commodity, reported or summed from its HS detail;
//! * [`share`] gives each partner's share of the focus country's annual trade;
//! * [`windows`] compares a current period with a baseline, as headline claims do;
//! * [`aid`] gives requested/promised/delivered per aid package and aid per donor and year.
//! * [`comparison`] sets every source's figures side by side with their spread;
//! * [`commodity`] breaks the focus country's trade into HS chapters;
//! * [`hs_conversion`] moves HS codes between revisions (H0..H6);
//! * [`trade_by_group`] gives the trade in named groups of HS codes (sanctioned goods);
//! * [`influence`] sets the patrons side by side per year and names the lead one.
//!
//! Money is carried in integer thousandths of a dollar and summed exactly, so
//! totals do not depend on thread count or row order. A row's value is a 64-bit
//! integer; sums, and the sums and differences of sums, are [`Mills`] (128
//! bits), so no number of rows can make one overflow, whatever the build.

pub mod aid;
pub mod commodity;
pub mod comparison;
mod detail;
mod focus;
pub mod hs_conversion;
pub mod influence;
pub mod labor_summary;
pub mod mirror;
pub mod share;
pub mod trade_by_group;
pub mod windows;

#[cfg(test)]
mod test_flows;

pub use aid::{aid_by_donor_year_frame, aid_fulfillment_frame, fulfillment_rows, Fulfillment};
pub use commodity::{commodity_rows, trade_by_commodity_frame, CommodityRow};
pub use comparison::{comparison_rows, source_comparison_frame, ComparisonRow};
pub use focus::{FlowBatches, TRADE_FLOWS_READ};
pub use hs_conversion::{ConversionSpec, SplitRule};
pub use influence::{patron_influence_frame, InfluenceInputs};
pub use labor_summary::{
    labor_summary_frame, labor_summary_rows, MixedMeasures, SummaryRow, Tally, TallyError,
};
pub use mirror::{mirror_rows, mirror_trade_frame, MirrorRow, MirrorSpec};
pub use share::partner_share_frame;
pub use trade_by_group::{
    commodity_group_bans_frame, group_rows, trade_by_group_frame, GroupBan, GroupRow, GroupSpec,
};
pub use windows::{compute_windows, trade_windows_frame, PeriodSums, WindowResult, WindowSpec};

/// An exact sum of money in integer thousandths of a dollar (cents for aid):
/// 128 bits, so that adding up the 64-bit values of rows cannot overflow (it
/// would take 2^64 rows of the largest value). Output columns hold dollars as
/// floating point, which holds any such sum.
pub type Mills = i128;

/// Dollars from thousandths, for output columns.
pub(crate) fn usd(mills: Mills) -> f64 {
    patronage_core::usd_from_mills(mills)
}
