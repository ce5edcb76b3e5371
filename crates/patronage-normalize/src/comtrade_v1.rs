//! Comtrade v1 rows to `trade_flows`.
//!
//! Kept: the total rows (second partner 0, customs procedure C00, transport mode
//! 0) of flows M, X, RM, RX. Dropped on purpose, counted by reason, in this order:
//! * `flow_not_carried:<code>` — DX, FM, MIP, MOP, XIP, XOP are subsets or re-cuts of
//!   M and X (domestic exports, processing trade) and would double count them;
//! * `breakdown_second_partner` — partner2Code ≠ 0;
//! * `breakdown_customs_procedure` — customsCode ≠ C00;
//! * `breakdown_transport_mode` — motCode ≠ 0.
//!
//! Rejected: reporter or partner codes that are unknown or not valid in the row's
//! year; a second row for the same figure (reporter, partner, period, flow,
//! classification, commodity) in one file, `duplicate_figure`, which would
//! otherwise be counted twice by anyone summing `trade_flows`. Commodity rows of every aggregation level are kept, each tagged with its
//! level, and nothing downstream sums across levels.

use std::sync::Arc;

use patronage_core::{CountryRegistry, Flow};
use patronage_extract::comtrade_v1::{ComtradeRow, ANNUAL_REF_MONTH};

use crate::comtrade_rules::{breakdown_reason, period, reporter_and_partner, valuation};
use crate::figures::{FigureKey, Figures};
use crate::intern::Interner;
use crate::{MonthlyFigures, Normalized, TradeFlow};

/// Where the rows came from, for provenance.
#[derive(Debug, Clone)]
pub struct SourceContext {
    /// Source id from the pipeline file.
    pub source_id: Arc<str>,
    /// File, relative to the pipeline file.
    pub source_file: Arc<str>,
    /// How monthly rows are to be read.
    pub monthly: MonthlyFigures,
}

/// Normalize one file's rows.
pub fn normalize(
    rows: Vec<ComtradeRow>,
    ctx: &SourceContext,
    registry: &CountryRegistry,
) -> Normalized {
    let mut out = Normalized::default();
    ComtradeNormalizer::default().push(rows, ctx, registry, &mut out);
    out
}

/// Normalizes one file's rows block by block, as a streaming reader hands them
/// over: the figures already kept (to reject a duplicate in a later block) and the
/// interned codes last from one block to the next.
#[derive(Debug, Default)]
pub struct ComtradeNormalizer {
    iso: Interner,
    figures: Figures,
}

impl ComtradeNormalizer {
    /// Normalize a block of rows into `out`.
    pub fn push(
        &mut self,
        rows: Vec<ComtradeRow>,
        ctx: &SourceContext,
        registry: &CountryRegistry,
        out: &mut Normalized,
    ) {
        let ComtradeNormalizer { iso, figures } = self;
        for row in rows {
            let Some(flow) = Flow::from_comtrade_v1(&row.flow_code) else {
                *out.dropped
                    .entry(format!("flow_not_carried:{}", row.flow_code))
                    .or_default() += 1;
                continue;
            };
            if let Some(reason) = breakdown_reason(
                row.partner2_code != 0,
                row.customs_code != "C00",
                row.mot_code != 0,
            ) {
                *out.dropped.entry(reason.to_string()).or_default() += 1;
                continue;
            }
            let year = row.ref_year;
            let (reporter, partner) = match reporter_and_partner(
                registry,
                (row.reporter_code, row.partner_code),
                year,
                ("reporterCode", "partnerCode"),
                (row.line, row.column),
                &row.raw,
            ) {
                Ok(pair) => pair,
                Err(reject) => {
                    out.rejects.push(reject);
                    continue;
                }
            };
            let month = (row.ref_month != ANNUAL_REF_MONTH).then_some(row.ref_month);
            let period = period(year, month, ctx.monthly);
            let key = FigureKey::new(
                (row.reporter_code, row.partner_code),
                period,
                flow,
                &row.classification,
                &row.cmd_code,
            );
            if let Err(reject) = figures.first(key, (row.line, row.column), || &row.raw) {
                out.rejects.push(reject);
                continue;
            }
            let valuation = valuation(
                row.primary_value_mills,
                row.cif_value_mills,
                row.fob_value_mills,
                flow,
            );
            let commodity_level = row
                .aggr_level
                .unwrap_or_else(|| commodity_level(&row.cmd_code));
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
                commodity_code: row.cmd_code,
                commodity_level,
                value_mills: row.primary_value_mills,
                valuation,
                net_weight_kg: row.net_wgt_kg,
                quantity: row.qty,
                quantity_unit_code: row.qty_unit_code.filter(|c| *c != -1),
                is_estimated: row.is_estimated,
            });
        }
    }
}

/// Aggregation level of a commodity code when the file does not state it
/// (bulk files): 0 for TOTAL, else the number of digits.
pub fn commodity_level(code: &str) -> i32 {
    if code.eq_ignore_ascii_case("TOTAL") {
        0
    } else {
        code.chars().filter(char::is_ascii_digit).count() as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use patronage_core::MonthRange;

    fn row(line: u64) -> ComtradeRow {
        ComtradeRow {
            line,
            column: 1,
            freq_code: "A".into(),
            ref_year: 2017,
            ref_month: 52,
            reporter_code: 643,
            flow_code: "X".into(),
            partner_code: 408,
            partner2_code: 0,
            classification: "H4".into(),
            cmd_code: "TOTAL".into(),
            aggr_level: None,
            customs_code: "C00".into(),
            mot_code: 0,
            qty_unit_code: Some(-1),
            qty: None,
            net_wgt_kg: None,
            primary_value_mills: 1_000,
            cif_value_mills: None,
            fob_value_mills: Some(1_000),
            is_estimated: false,
            raw: format!("raw {line}"),
        }
    }

    fn ctx(monthly: MonthlyFigures) -> SourceContext {
        SourceContext {
            source_id: "s".into(),
            source_file: "f".into(),
            monthly,
        }
    }

    /// Every row is kept, dropped with a reason, or rejected: 7 rows in, 2 kept,
    /// 4 dropped by four different reasons, 1 rejected.
    #[test]
    fn every_row_is_accounted_for() {
        let mut rows: Vec<ComtradeRow> = (1..=7).map(row).collect();
        rows[1].flow_code = "DX".into();
        rows[2].partner2_code = 156;
        rows[3].customs_code = "C01".into();
        rows[4].mot_code = 2100;
        rows[5].reporter_code = 810; // USSR in 2017
        rows[6].flow_code = "M".into();
        let n = normalize(
            rows,
            &ctx(MonthlyFigures::Month),
            CountryRegistry::comtrade(),
        );
        assert_eq!(n.flows.len(), 2);
        assert_eq!(n.flows[0].reporter_iso3.as_ref(), "RUS");
        assert_eq!(n.flows[0].partner_iso3.as_ref(), "PRK");
        assert_eq!(n.flows[1].flow, Flow::Import);
        // An import whose primaryValue is the FOB value (as some reporters give).
        assert_eq!(n.flows[1].valuation, "FOB");
        assert_eq!(n.flows[0].valuation, "FOB");
        let dropped: Vec<_> = n.dropped.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(
            dropped,
            [
                ("breakdown_customs_procedure", 1),
                ("breakdown_second_partner", 1),
                ("breakdown_transport_mode", 1),
                ("flow_not_carried:DX", 1)
            ]
        );
        assert_eq!(n.rejects.len(), 1);
        assert_eq!(n.rejects[0].line, 6);
        assert_eq!(n.rejects[0].reason, "country_code_not_valid_in_year");
        assert_eq!(n.rejects[0].raw, "raw 6");
    }

    #[test]
    fn a_second_row_for_the_same_figure_is_rejected() {
        // Lines 1 and 3 are the same figure (the value differs: it is still one
        // figure reported twice); line 2 is another commodity.
        let mut rows: Vec<ComtradeRow> = (1..=3).map(row).collect();
        rows[1].cmd_code = "27".into();
        rows[2].primary_value_mills = 2_000;
        let n = normalize(
            rows,
            &ctx(MonthlyFigures::Month),
            CountryRegistry::comtrade(),
        );
        assert_eq!(n.flows.len(), 2);
        assert_eq!(n.rejects.len(), 1);
        assert_eq!(n.rejects[0].line, 3);
        assert_eq!(n.rejects[0].reason, "duplicate_figure");
        assert!(n.rejects[0].detail.ends_with("as line 1"));
    }

    #[test]
    fn months_and_year_to_date() {
        let mut r = row(1);
        r.freq_code = "M".into();
        r.ref_month = 2;
        let m = normalize(
            vec![r.clone()],
            &ctx(MonthlyFigures::Month),
            CountryRegistry::comtrade(),
        );
        assert_eq!(
            m.flows[0].period,
            MonthRange {
                year: 2017,
                first: 2,
                last: 2
            }
        );
        let y = normalize(
            vec![r],
            &ctx(MonthlyFigures::YearToDate),
            CountryRegistry::comtrade(),
        );
        assert_eq!(
            y.flows[0].period,
            MonthRange {
                year: 2017,
                first: 1,
                last: 2
            }
        );
        assert_eq!(commodity_level("TOTAL"), 0);
        assert_eq!(commodity_level("0202"), 4);
    }
}
