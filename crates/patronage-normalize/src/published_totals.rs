//! Published totals to `trade_flows`: each printed figure becomes one row of
//! commodity `TOTAL`, classification `PUBLISHED` and valuation `as_published`
//! (the publisher's own basis: KOTRA values the DPRK's exports CIF and its
//! imports FOB, a customs service its own way; the file does not restate it).
//! A turnover stays one row of flow `total`: it is never split into exports and
//! imports nobody published.
//!
//! Money: a figure in US dollars is kept exactly; a figure in another currency is
//! converted at the cited rate of its year from `patronage-core`'s rate table
//! (Soviet rubles of 1950-60 at 4.00, new rubles of 1961-71 at 0.90...), rounded
//! to the thousandth of a dollar. A figure whose currency has no rate for its
//! year keeps no dollar value: it is a reject `no_usd_rate` whose detail names the
//! currency, the year and why (the rate table does not cover it), and whose raw
//! text is the whole line, figure and citation; nothing is guessed. Countries must
//! be ISO3 codes valid in the figure's year (`SUN` through 1991, `RUS` from
//! 1992), as in every other trade source.

use patronage_core::{CountryRegistry, Flow, MoneyTables, RowReject};
use patronage_extract::published_totals::{PublishedFlow, PublishedTotal};

use crate::comtrade_v1::SourceContext;
use crate::intern::Interner;
use crate::{Normalized, TradeFlow};

/// `trade_flows.classification` of a published figure.
pub const CLASSIFICATION: &str = "PUBLISHED";
/// `trade_flows.valuation` of a published figure: the publisher's own basis.
pub const VALUATION: &str = "as_published";

/// The figure in thousandths of a dollar, or why it has none.
fn to_usd_mills(r: &PublishedTotal) -> Result<i64, String> {
    if r.currency == "USD" {
        return Ok(r.amount_mills);
    }
    let tables = MoneyTables::builtin();
    match tables.rate(&r.currency, r.period.year) {
        Ok(rate) => Ok((r.amount_mills as f64 / rate.units_per_usd).round() as i64),
        Err(gap) => {
            let covered: Vec<String> = tables
                .rates()
                .iter()
                .filter(|x| x.currency == r.currency)
                .map(|x| format!("{}-{}", x.from_year, x.to_year))
                .collect();
            let span = if covered.is_empty() {
                "the rate table has no such currency".to_string()
            } else {
                format!("the rate table covers {}", covered.join(", "))
            };
            Err(format!(
                "column `unit`: {} has no US dollar rate for {} ({}; {span}): the figure is kept as published ({} {}), with no dollar value",
                r.currency,
                r.period.year,
                gap.reason(),
                r.amount_mills as f64 / 1000.0,
                r.currency
            ))
        }
    }
}

/// Normalize one file's figures.
pub fn normalize(rows: Vec<PublishedTotal>, ctx: &SourceContext) -> Normalized {
    let registry = CountryRegistry::comtrade();
    let mut iso = Interner::default();
    let mut out = Normalized::default();
    for r in rows {
        let year = r.period.year;
        let mut codes = [0u32; 2];
        let mut bad = None;
        for (k, (what, c)) in [("reporter", &r.reporter), ("partner", &r.partner)]
            .into_iter()
            .enumerate()
        {
            if bad.is_some() {
                break;
            }
            match registry.code_of_iso3(c, year) {
                Some(code) => codes[k] = code,
                None if registry.knows_iso3(c) => {
                    bad = Some((
                        "country_code_not_valid_in_year",
                        format!("column `{what}`: `{c}` is not valid in {year}"),
                    ))
                }
                None => {
                    bad = Some((
                        "unknown_country_code",
                        format!(
                            "column `{what}`: `{c}` is not an ISO3 code the country registry knows"
                        ),
                    ))
                }
            }
        }
        if let Some((reason, detail)) = bad {
            out.rejects
                .push(RowReject::new(r.line, reason, detail, &r.raw));
            continue;
        }
        let value_mills = match to_usd_mills(&r) {
            Ok(v) => v,
            Err(detail) => {
                out.rejects
                    .push(RowReject::new(r.line, "no_usd_rate", detail, &r.raw));
                continue;
            }
        };
        let flow = match r.flow {
            PublishedFlow::Export => Flow::Export,
            PublishedFlow::Import => Flow::Import,
            PublishedFlow::Turnover => Flow::Total,
        };
        out.flows.push(TradeFlow {
            source_id: ctx.source_id.clone(),
            source_file: ctx.source_file.clone(),
            source_line: r.line,
            source_column: 1,
            period: r.period,
            reporter_code: codes[0],
            reporter_iso3: iso.get(&r.reporter),
            partner_code: codes[1],
            partner_iso3: iso.get(&r.partner),
            flow,
            classification: CLASSIFICATION.to_string(),
            commodity_code: "TOTAL".to_string(),
            commodity_level: 0,
            value_mills,
            valuation: VALUATION,
            net_weight_kg: None,
            quantity: None,
            quantity_unit_code: None,
            is_estimated: false,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use patronage_extract::published_totals::parse;

    use super::*;

    fn ctx() -> SourceContext {
        SourceContext {
            source_id: Arc::from("t"),
            source_file: Arc::from("t.csv"),
            monthly: Default::default(),
        }
    }

    /// Dollars are kept exactly, 1956 rubles convert at the table's 4.00 per
    /// dollar (100 million rubles = $25,000,000), 1967 new rubles at 0.90 (90
    /// million = $100,000,000), 1989 new rubles at the official 0.629 (629
    /// million = $1,000,000,000); 1991 new rubles have no rate (the table covers
    /// 1961-1971 and 1985-1990) and are a reject that says so; a USSR figure
    /// dated 1995 is a reject, never renamed.
    #[test]
    fn currencies_convert_at_cited_rates_or_say_why_not() {
        let text =
            "publisher,reporter,partner,period,flow,value,unit,document,location,accessed,note\n\
             K,CHN,PRK,2004,turnover,\"1,385.206\",million USD,D,,2026-11-30,\n\
             M,SUN,PRK,1956,export,100,million RUB_1947,D,,2026-11-30,\n\
             M,SUN,PRK,1967,import,90,million SUR,D,,2026-11-30,\n\
             M,SUN,PRK,1989,import,629,million SUR,D,,2026-11-30,\n\
             M,SUN,PRK,1991,export,940,million SUR,D,,2026-11-30,\n\
             M,SUN,PRK,1995,export,1,million USD,D,,2026-11-30,\n\
             M,XYZ,PRK,2000,export,1,million USD,D,,2026-11-30,\n";
        let x = parse(Path::new("t.csv"), text.as_bytes()).unwrap();
        let n = normalize(x.rows, &ctx());
        let got: Vec<(i32, Flow, i64, &str)> = n
            .flows
            .iter()
            .map(|f| {
                (
                    f.period.year,
                    f.flow,
                    f.value_mills,
                    f.reporter_iso3.as_ref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (2004, Flow::Total, 1_385_206_000_000, "CHN"),
                (1956, Flow::Export, 25_000_000_000, "SUN"),
                (1967, Flow::Import, 100_000_000_000, "SUN"),
                (1989, Flow::Import, 1_000_000_000_000, "SUN"),
            ]
        );
        assert_eq!(n.flows[1].reporter_code, 810);
        assert_eq!(n.flows[0].valuation, "as_published");
        let rejects: Vec<(u64, &str)> = n.rejects.iter().map(|r| (r.line, r.reason)).collect();
        assert_eq!(
            rejects,
            [
                (6, "no_usd_rate"),
                (7, "country_code_not_valid_in_year"),
                (8, "unknown_country_code"),
            ]
        );
        let why = &n.rejects[0].detail;
        assert!(
            why.contains("SUR has no US dollar rate for 1991")
                && why.contains("1961-1971, 1985-1985")
                && why.contains("1990-1990")
                && why.contains("940000000 SUR"),
            "{why}"
        );
        assert!(n.rejects[0].raw.contains("940,million SUR"));
    }
}
