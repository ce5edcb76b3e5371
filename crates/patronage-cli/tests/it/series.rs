//! The published series on the default pipeline: which years each patron has a
//! full-year trade figure for (the fixtures under `fixtures/published_totals/`,
//! every figure cited in fixtures/SOURCES.md), a turnover used where no split
//! exists and never split, Soviet ruble figures converted at the cited official
//! rate of their year (or kept as rejects that say why where the rate table has
//! none), and two sources of one year side by side in `source_comparison`.

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
    // USSR/Russia (19 years): 1989 and 1990 from the Soviet figures in rubles
    // at the official rates of 1989 (0.629) and 1990 (0.58), 1991 from the ROK
    // foreign ministry, then the Russian and KOTRA figures, 2021 from Russian
    // customs as RFA read it; 2010 and 2012 have only part-year figures.
    let ussr_russia: BTreeSet<i32> = [1989, 1990, 1991, 2000, 2004, 2005, 2006, 2009, 2011]
        .into_iter()
        .chain(2013..=2021)
        .chain([2023])
        .collect();
    assert_eq!(ussr_russia.len(), 19);
    assert_eq!(years(&influence, "SUN-RUS"), ussr_russia);
    // China (30 years): 1989, 1991, 1992 (KOTRA), 1993, 1996 (KOTRA) and every
    // year from 1999.
    let china: BTreeSet<i32> = [1989, 1991, 1992, 1993, 1996]
        .into_iter()
        .chain(1999..=2023)
        .collect();
    assert_eq!(china.len(), 30);
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
    // 1989: the Soviet ministry's split in rubles (declared before JETRO, so
    // used first): the DPRK's exports 561M rubles / 0.629 = $891,891,891.892
    // and imports 940M / 0.629 = $1,494,435,612.083 (each rounded to the
    // thousandth of a dollar), $2,386,327,503.975 in all.
    let su89 = m
        .clone()
        .lazy()
        .filter(annual("SUN", 1989))
        .collect()
        .unwrap();
    assert_eq!(
        (
            f64_at(&su89, "focus_exports_usd"),
            f64_at(&su89, "focus_imports_usd")
        ),
        (Some(891_891_891.892), Some(1_494_435_612.083))
    );
    let total = f64_at(&su89, "total_usd").unwrap();
    assert!((total - 2_386_327_503.975).abs() < 1e-3, "{total}");
    assert_eq!(str_at(&su89, "source_ids", 0), "ussr_russia_totals");
    // JETRO's dollar estimate of the same year ($891M + $1,492M = $2,383M)
    // sits beside it: $3,327,503.975 apart in all.
    let sc89 = table(&out, "source_comparison")
        .lazy()
        .filter(annual("SUN", 1989).and(col("direction").eq(lit("total"))))
        .sort(["source_id"], Default::default())
        .collect()
        .unwrap();
    let ids: Vec<String> = (0..sc89.height())
        .map(|i| str_at(&sc89, "source_id", i))
        .collect();
    assert_eq!(ids, ["jetro_totals", "ussr_russia_totals"]);
    let v = sc89.column("value_usd").unwrap().f64().unwrap();
    assert_eq!(v.get(0), Some(2_383_000_000.0));
    let spread = sc89
        .column("spread_usd")
        .unwrap()
        .f64()
        .unwrap()
        .get(0)
        .unwrap();
    assert!((spread - 3_327_503.975).abs() < 1e-3, "{spread}");
    // 1990: the Russian government's turnover, 1,499M rubles / 0.58.
    let su90 = m
        .clone()
        .lazy()
        .filter(annual("SUN", 1990))
        .collect()
        .unwrap();
    assert_eq!(f64_at(&su90, "total_usd"), Some(2_584_482_758.621));
    assert_eq!(f64_at(&su90, "focus_exports_usd"), None);
    // 2021: Russian customs saw only the DPRK's exports, $40,469.
    let ru21 = m
        .clone()
        .lazy()
        .filter(annual("RUS", 2021))
        .collect()
        .unwrap();
    assert_eq!(
        (
            f64_at(&ru21, "focus_exports_usd"),
            f64_at(&ru21, "focus_imports_usd"),
            f64_at(&ru21, "total_usd")
        ),
        (Some(40_469.0), None, Some(40_469.0))
    );

    // The three ruble lines of 1991 have no official rate in the table: rejects
    // that keep the line and say why.
    let rejects = rows_where(&table(&out, "rejects"), "reason", "no_usd_rate");
    assert_eq!(rejects.height(), 3);
    assert!(str_at(&rejects, "detail", 0).contains("SUR has no US dollar rate for 1991"));
    assert!(str_at(&rejects, "raw", 0).contains("231,million SUR"));

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
