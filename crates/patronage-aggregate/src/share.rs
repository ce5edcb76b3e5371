//! Partner shares of the focus country's annual trade.
//!
//! The focus country publishes no world total (that is why its trade is mirrored),
//! so the denominator is the sum of the annual totals of the partners in this
//! build, stated in the `denominator` column with the number of partners it sums.
//! Only annual rows with both directions known enter, so a share never mixes a
//! partner's total with another's one-way figure.

use std::collections::BTreeMap;

use polars::prelude::*;

use crate::{usd, Mills, MirrorRow, MirrorSpec};

/// What the denominator is, written in every row.
pub const DENOMINATOR: &str = "sum of annual total_usd over the partners in this build";

/// The `partner_share` frame, in key order (focus, year, partner).
pub fn partner_share_frame(rows: &[MirrorRow], spec: &MirrorSpec) -> PolarsResult<DataFrame> {
    let mut by_year: BTreeMap<i32, Vec<(&str, Mills)>> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.period.months() == 12) {
        if let Some(t) = r.total() {
            by_year
                .entry(r.period.year)
                .or_default()
                .push((r.partner.as_str(), t));
        }
    }
    let (mut year, mut partner, mut total, mut share, mut rank, mut denom, mut count) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    for (y, partners) in &by_year {
        let d: Mills = partners.iter().map(|(_, t)| t).sum();
        let mut ranked: Vec<_> = partners.clone();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let mut in_key_order: Vec<(&str, Mills, i32)> = ranked
            .iter()
            .enumerate()
            .map(|(i, (p, t))| (*p, *t, i as i32 + 1))
            .collect();
        in_key_order.sort_by(|a, b| a.0.cmp(b.0));
        for (p, t, k) in in_key_order {
            year.push(*y);
            partner.push(p.to_string());
            total.push(usd(t));
            share.push(if d > 0 { t as f64 / d as f64 } else { 0.0 });
            rank.push(k);
            denom.push(usd(d));
            count.push(partners.len() as i32);
        }
    }
    let n = year.len();
    DataFrame::new_infer_height(vec![
        Series::new("focus_iso3".into(), vec![spec.focus.clone(); n]).into_column(),
        Series::new("year".into(), year).into_column(),
        Series::new("partner_iso3".into(), partner).into_column(),
        Series::new("total_usd".into(), total).into_column(),
        Series::new("share".into(), share).into_column(),
        Series::new("rank".into(), rank).into_column(),
        Series::new("denominator_usd".into(), denom).into_column(),
        Series::new("denominator".into(), vec![DENOMINATOR; n]).into_column(),
        Series::new("denominator_partners".into(), count).into_column(),
    ])
}
