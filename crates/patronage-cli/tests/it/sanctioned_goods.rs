//! Sanctioned goods and HS revisions end to end: the default pipeline's
//! `trade_by_group` against the figures cited in fixtures/SOURCES.md
//! ("Sanctioned goods"), its bans, the selected-goods sources kept out of the
//! totals, the report's chart, and the pipeline-file errors of the HS settings.

use crate::common::*;
use polars::prelude::*;

/// Rows of a group and period of `trade_by_group`.
fn group_figure(df: &DataFrame, group: &str, year: i32, first: i32, last: i32) -> DataFrame {
    df.clone()
        .lazy()
        .filter(
            col("group_id")
                .eq(lit(group))
                .and(col("year").eq(lit(year)))
                .and(col("month_first").eq(lit(first)))
                .and(col("month_last").eq(lit(last))),
        )
        .collect()
        .unwrap()
}

/// China's imports from the DPRK (the DPRK's exports, read from China's side) of
/// coal and woven apparel, as KITA, KDI and China customs published them: at
/// least five years around the bans of 2016-2017 for each group, each at the
/// level of detail its source has, in the revision the pipeline converts to.
#[test]
fn coal_and_textiles_as_published() {
    let (_tmp, out) = run_to_temp("pipelines/dprk.toml");
    let g = table(&out, "trade_by_group");
    // (group, year, first month, last month, US dollars, level, conversion)
    let expected: [(&str, i32, i32, i32, f64, i32, &str); 12] = [
        // Anthracite (270111), KITA: HS 2007 rows moved whole to HS 2012.
        ("coal", 2010, 1, 12, 386_190_000.0, 6, "exact"),
        ("coal", 2011, 1, 12, 1_126_850_000.0, 6, "exact"),
        ("coal", 2012, 1, 12, 1_189_790_000.0, 6, "as_reported"),
        ("coal", 2013, 1, 12, 1_373_710_000.0, 6, "as_reported"),
        ("coal", 2014, 1, 12, 1_132_180_000.0, 6, "as_reported"),
        // Coal (2701): Nikkei/CEIC for 2016; China customs for 2017's quarters.
        ("coal", 2016, 1, 12, 1_180_000_000.0, 4, "as_reported"),
        ("coal", 2017, 1, 3, 220_600_000.0, 4, "coarse_unconverted"),
        ("coal", 2017, 4, 6, 0.0, 4, "coarse_unconverted"),
        // Woven apparel (62), KDI from China customs; none reported after 2017.
        ("textiles", 2014, 1, 12, 622_000_000.0, 2, "as_reported"),
        ("textiles", 2015, 1, 12, 633_000_000.0, 2, "as_reported"),
        (
            "textiles",
            2017,
            1,
            6,
            220_000_000.0,
            2,
            "coarse_unconverted",
        ),
        ("textiles", 2018, 1, 12, 0.0, 2, "coarse_unconverted"),
    ];
    for (group, year, first, last, usd, level, conversion) in expected {
        let r = group_figure(&g, group, year, first, last);
        assert_eq!(r.height(), 1, "{group} {year}-{first}..{last}: {r}");
        assert_eq!(f64_at(&r, "value_usd"), Some(usd), "{group} {year}");
        assert_eq!(
            i32_at(&r, "commodity_level_used"),
            Some(level),
            "{group} {year}"
        );
        assert_eq!(str_at(&r, "conversion", 0), conversion, "{group} {year}");
        assert_eq!(str_at(&r, "partner_iso3", 0), "CHN");
        assert_eq!(
            str_at(&r, "flow", 0),
            "export",
            "the DPRK's exports to China"
        );
        assert_eq!(str_at(&r, "basis", 0), "mirror");
    }
    let years = |group: &str| {
        let r = rows_where(&g, "group_id", group);
        let mut y: Vec<i32> = r
            .column("year")
            .unwrap()
            .i32()
            .unwrap()
            .into_no_null_iter()
            .collect();
        y.dedup();
        y
    };
    assert!(years("coal").len() >= 5, "{:?}", years("coal"));
    assert!(years("textiles").len() >= 5, "{:?}", years("textiles"));
}

/// The bans are a table of their own, with their dates and citations; the
/// selected-goods sources feed no total: mirror_trade and source_comparison never
/// name them, and trade_by_commodity (a breakdown of all goods) has no row of them.
#[test]
fn bans_and_selected_goods_sources() {
    let (_tmp, out) = run_to_temp("pipelines/dprk.toml");
    let bans = table(&out, "commodity_group_bans");
    let coal = rows_where(&bans, "group_id", "coal");
    let dates: Vec<String> = (0..coal.height())
        .map(|i| str_at(&coal, "date", i))
        .collect();
    assert_eq!(dates, ["2016-03-02", "2016-11-30", "2017-08-05"]);
    assert_eq!(str_at(&coal, "resolution", 1), "UNSCR 2321");
    assert_eq!(str_at(&coal, "measure", 1), "cap");
    let textiles = rows_where(&bans, "group_id", "textiles");
    assert_eq!(str_at(&textiles, "resolution", 0), "UNSCR 2375");
    assert_eq!(str_at(&textiles, "date", 0), "2017-09-11");
    for i in 0..bans.height() {
        assert!(!str_at(&bans, "citation", i).is_empty());
    }
    let selected = [
        "cn_sanctioned_goods",
        "cn_customs_2017q1_coal",
        "cn_customs_2017q2_coal",
        "cn_customs_2017h1_apparel",
    ];
    for t in ["source_comparison", "trade_by_commodity"] {
        let df = table(&out, t);
        for s in selected {
            assert_eq!(rows_where(&df, "source_id", s).height(), 0, "{t} uses {s}");
        }
    }
    let m = table(&out, "mirror_trade");
    for i in 0..m.height() {
        let ids = str_at(&m, "source_ids", i);
        assert!(
            !selected.iter().any(|s| ids.contains(s)),
            "mirror_trade uses {ids}"
        );
    }
}

/// The report charts coal and textiles against the ban dates.
#[test]
fn report_charts_coal_and_textiles_against_the_bans() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("dprk");
    let o = patronage(&["report", "--out", out.to_str().unwrap()], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let html = std::fs::read_to_string(tmp.path().join("dprk-report.html")).unwrap();
    let start = html.find(r#"id="sanctioned-goods""#).expect("section");
    let chart = &html[start..html[start..].find("</svg>").unwrap() + start];
    assert!(
        chart.contains(r#"data-chart="sanctioned_goods""#),
        "{chart}"
    );
    for needle in [
        "coal: PRK exports, full years",
        "textiles: PRK exports, full years",
        "2016-11-30 UNSCR 2321: coal cap",
        "2017-08-05 UNSCR 2371: coal ban",
        "2017-09-11 UNSCR 2375: textiles ban",
    ] {
        assert!(chart.contains(needle), "{needle} missing");
    }
    // 2013's anthracite, $1,373.71M, is drawn as its monthly average.
    assert!(chart.contains("2013.5: 114"), "{chart}");
}

/// Bad HS settings are errors naming the line of the value at fault
/// (`p.toml:<line>: ...`): top-level keys are written before the source, groups
/// after it (line 3 is the first line after `name` and `focus`).
#[test]
fn hs_settings_errors_name_their_line() {
    let source = "[[sources]]\nid = \"a\"\nformat = \"comtrade_v1_csv\"\npath = \"a.csv\"\n";
    let group = "[[commodity_groups]]\nid = \"coal\"\ndescription = \"c\"\n";
    let cases: [(String, String, &str, &str); 5] = [
        (
            "classification_target = \"H7\"\n".into(),
            String::new(),
            ":3:",
            "expected an HS revision, H0 (HS 1992) to H6 (HS 2022)",
        ),
        (
            "classification_target = \"H4\"\nclassification_split = \"half\"\n".into(),
            String::new(),
            ":4:",
            "expected \"same_code\" or \"equal\"",
        ),
        (
            "selected_goods_sources = [\"b\"]\n".into(),
            String::new(),
            ":3:",
            "`b` is not a declared source",
        ),
        (
            String::new(),
            format!("{group}hs_codes = [\"270\"]\n"),
            ":10:",
            "`270` is not an HS code of 2, 4 or 6 digits",
        ),
        (
            String::new(),
            format!(
                "{group}hs_codes = [\"2701\"]\nbans = [{{ resolution = \"UNSCR 2371\", date = \"5 Aug 2017\", measure = \"ban\", detail = \"d\", citation = \"c\" }}]\n"
            ),
            ":11:",
            "ban date `5 Aug 2017` is not YYYY-MM-DD",
        ),
    ];
    for (before, after, line, message) in cases {
        let toml = format!("name = \"t\"\nfocus = \"PRK\"\n{before}{source}{after}");
        let (_tmp, pipeline, out) = temp_pipeline(&[("a.csv", b"")], &toml);
        let o = run_pipeline(&pipeline, &out, &[]);
        assert_eq!(o.status.code(), Some(2), "{toml}");
        let err = stderr(&o);
        assert!(
            err.contains(&format!("p.toml{line} ")) && err.contains(message),
            "{toml}\n{err}"
        );
    }
}
