//! The published series on the default pipeline: which years each patron has a
//! full-year trade figure for (the fixtures under `fixtures/published_totals/`,
//! every figure cited in fixtures/SOURCES.md), a turnover used where no split
//! exists and never split, the Soviet ruble figures kept as rejects that say why,
//! and two sources of one year side by side in `source_comparison`.

use std::collections::BTreeSet;

use crate::common::*;
use polars::prelude::*;

fn years(df: &DataFrame, series: &str) -> BTreeSet<i32> {
    let rows = df
        .clone()
        .lazy()
        .filter(
            col("patron_series")
                .eq(lit(series))
                .and(col("trade_usd").is_not_null()),
        )
        .collect()
        .unwrap();
    let y = rows.column("year").unwrap().i32().unwrap().clone();
    (0..y.len()).filter_map(|i| y.get(i)).collect()
}

#[test]
fn both_patrons_have_figures_across_the_decades() {
    let (_tmp, out) = run_to_temp("pipelines/dprk.toml");
    let influence = table(&out, "patron_influence");
    // USSR/Russia: JETRO 1989, the ROK foreign ministry 1991, then the Russian
    // and KOTRA figures (17 years); 1990 is in rubles only (no rate), so it has
    // none, and 2010 and 2012 only part-year figures.
    let ussr_russia: BTreeSet<i32> = [1989, 1991, 2000, 2004, 2005, 2006, 2009, 2011]
        .into_iter()
        .chain(2013..=2020)
        .chain([2023])
        .collect();
    assert_eq!(years(&influence, "SUN-RUS"), ussr_russia);
    // China: 28 years, 1989, 1991, 1993 and every year from 1999.
    let china: BTreeSet<i32> = [1989, 1991, 1993].into_iter().chain(1999..=2023).collect();
    assert_eq!(years(&influence, "CHN"), china);

    // 2003: KOTRA's China-DPRK turnover alone: no split is made up.
    let m = table(&out, "mirror_trade");
    let cn03 = m
        .clone()
        .lazy()
        .filter(annual("CHN", 2003))
        .collect()
        .unwrap();
    assert_eq!(f64_at(&cn03, "focus_exports_usd"), None);
    assert_eq!(f64_at(&cn03, "focus_imports_usd"), None);
    assert_eq!(f64_at(&cn03, "total_usd"), Some(1_022_927_000.0));
    assert_eq!(f64_at(&cn03, "balance_usd"), None);
    assert_eq!(str_at(&cn03, "source_ids", 0), "kotra_totals");
    // 2000: Russia's exports ($54.6M, the DPRK's imports) and the turnover
    // ($105M) of the same publication; the DPRK's exports stay null, never
    // 105 - 54.6, and KOTRA's $46M for the year is compared, not used.
    let ru00 = m
        .clone()
        .lazy()
        .filter(annual("RUS", 2000))
        .collect()
        .unwrap();
    assert_eq!(
        (
            f64_at(&ru00, "focus_exports_usd"),
            f64_at(&ru00, "focus_imports_usd")
        ),
        (None, Some(54_600_000.0))
    );
    assert_eq!(f64_at(&ru00, "total_usd"), Some(105_000_000.0));
    assert_eq!(str_at(&ru00, "source_ids", 0), "ussr_russia_totals");
    // January-October 2012 (the Russian embassy) is a part-year row of its own.
    let ru12 = m
        .clone()
        .lazy()
        .filter(
            col("partner_iso3")
                .eq(lit("RUS"))
                .and(col("year").eq(lit(2012)))
                .and(col("month_last").eq(lit(10))),
        )
        .collect()
        .unwrap();
    assert_eq!(f64_at(&ru12, "total_usd"), Some(68_300_000.0));
    // 1989: JETRO's split, in dollars: the DPRK's exports to the USSR $891M and
    // imports $1,492M.
    let su89 = m
        .clone()
        .lazy()
        .filter(annual("SUN", 1989))
        .collect()
        .unwrap();
    assert_eq!(f64_at(&su89, "total_usd"), Some(2_383_000_000.0));

    // The six Soviet ruble lines (1989-1991) have no dollar rate: rejects that
    // keep the line and say why.
    let rejects = rows_where(&table(&out, "rejects"), "reason", "no_usd_rate");
    assert_eq!(rejects.height(), 6);
    assert!(str_at(&rejects, "detail", 0).contains("SUR has no US dollar rate for 1989"));
    assert!(str_at(&rejects, "raw", 0).contains("940,million SUR"));

    // 2004, China: KOTRA's turnover ($1,385.206M) and KITA's ($1,380M) side by
    // side, $5.206M apart.
    let sc = table(&out, "source_comparison")
        .lazy()
        .filter(annual("CHN", 2004).and(col("direction").eq(lit("total"))))
        .sort(["source_id"], Default::default())
        .collect()
        .unwrap();
    let v = sc.column("value_usd").unwrap().f64().unwrap();
    let ids: Vec<String> = (0..sc.height())
        .map(|i| str_at(&sc, "source_id", i))
        .collect();
    assert_eq!(ids, ["kotra_totals", "other_totals"]);
    assert_eq!(
        (v.get(0), v.get(1)),
        (Some(1_385_206_000.0), Some(1_380_000_000.0))
    );
    let spread = sc
        .column("spread_usd")
        .unwrap()
        .f64()
        .unwrap()
        .get(0)
        .unwrap();
    assert!((spread - 5_206_000.0).abs() < 1e-3, "{spread}");
}
