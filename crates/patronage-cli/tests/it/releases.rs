//! Whole releases through `patronage run`: totals summed from 6-digit rows where
//! a source has no total, every trade format streamed for the focus, BACI-only
//! pipelines agreeing with `mirror-all`.

use std::path::Path;

use polars::prelude::*;

use crate::common::*;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(root().join("fixtures/comtrade").join(name)).unwrap()
}

const HS6: &str = "rus_prk_hs6_SYNTHETIC_split_2014-2015.tsv";

/// The one annual row of `partner` in `year` of `mirror_trade`.
fn mirror_year(out: &Path, partner: &str, year: i32) -> DataFrame {
    table(out, "mirror_trade")
        .lazy()
        .filter(annual(partner, year))
        .collect()
        .unwrap()
}

/// `fixtures/comtrade/rus_prk_hs6_SYNTHETIC_split_2014-2015.tsv` (6-digit rows
/// only, totals cited in fixtures/SOURCES.md) beside KOTRA's reported 2014 TOTAL
/// rows (`prk_kotra_mirror_annual.json`), the 6-digit source declared first.
/// * 2015: no source has a TOTAL row, so mirror_trade sums the 6-digit rows:
///   DPRK imports = Russia's X rows 60,000,000 + 17,500,000 = 77,500,000 (ITC's
///   published figure), exports = 5,720,000; the chapter-27 row is not added.
/// * 2014: the 6-digit rows give X 30,000,000 + 25,500,000 + 16,270,000 =
///   71,770,000 and M 8,000,000 + 5,000,000 = 13,000,000 (ITC); KOTRA reports
///   82,170,000 and 10,170,000. The reported TOTAL wins although declared
///   second; source_comparison shows both and the spread: 10,400,000 and
///   2,830,000.
/// * patron_influence has Russia's full-year trade in both years.
#[test]
fn totals_from_six_digit_rows_and_reported_totals_win() {
    let toml = "name = \"t\"\nfocus = \"PRK\"\npatrons = [\"RUS\"]\n\n\
        [[sources]]\nid = \"hs6\"\nformat = \"comtrade_v1_bulk\"\npath = \"hs6.tsv\"\n\n\
        [[sources]]\nid = \"kotra\"\nformat = \"comtrade_v1_json\"\npath = \"kotra.json\"\n";
    let (_t, p, out) = temp_pipeline(
        &[
            ("hs6.tsv", &fixture(HS6)),
            ("kotra.json", &fixture("prk_kotra_mirror_annual.json")),
        ],
        toml,
    );
    let o = run_quiet(&p, &out);
    assert!(o.status.success(), "{}", stderr(&o));

    let y2015 = mirror_year(&out, "RUS", 2015);
    assert_eq!(f64_at(&y2015, "focus_imports_usd"), Some(77_500_000.0));
    assert_eq!(f64_at(&y2015, "focus_exports_usd"), Some(5_720_000.0));
    assert_eq!(str_at(&y2015, "derivation", 0), "sum_of_level_6");
    assert_eq!(str_at(&y2015, "source_ids", 0), "hs6");

    let y2014 = mirror_year(&out, "RUS", 2014);
    assert_eq!(f64_at(&y2014, "focus_imports_usd"), Some(82_170_000.0));
    assert_eq!(f64_at(&y2014, "focus_exports_usd"), Some(10_170_000.0));
    assert_eq!(str_at(&y2014, "derivation", 0), "reported");
    assert_eq!(str_at(&y2014, "source_ids", 0), "kotra");

    let cmp = table(&out, "source_comparison")
        .lazy()
        .filter(annual("RUS", 2014).and(col("direction").eq(lit("focus_imports"))))
        .sort(["source_id"], Default::default())
        .collect()
        .unwrap();
    let got: Vec<(String, String, Option<f64>)> = (0..cmp.height())
        .map(|i| {
            (
                str_at(&cmp, "source_id", i),
                str_at(&cmp, "derivation", i),
                cmp.column("value_usd").unwrap().f64().unwrap().get(i),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("hs6".into(), "sum_of_level_6".into(), Some(71_770_000.0)),
            ("kotra".into(), "reported".into(), Some(82_170_000.0)),
        ]
    );
    let spread = cmp.column("spread_usd").unwrap().f64().unwrap();
    assert_eq!(spread.get(0), Some(10_400_000.0));
    let exports = table(&out, "source_comparison")
        .lazy()
        .filter(annual("RUS", 2014).and(col("direction").eq(lit("focus_exports"))))
        .collect()
        .unwrap();
    let spread = exports.column("spread_usd").unwrap().f64().unwrap();
    assert_eq!(spread.get(0), Some(2_830_000.0));

    // Russia's full-year trade: 2014 82,170,000 + 10,170,000; 2015 77,500,000 + 5,720,000.
    let inf = table(&out, "patron_influence")
        .lazy()
        .filter(
            col("patron_iso3")
                .eq(lit("RUS"))
                .and(col("year").gt_eq(lit(2014)))
                .and(col("year").lt_eq(lit(2015))),
        )
        .sort(["year"], Default::default())
        .collect()
        .unwrap();
    let trade = inf.column("trade_usd").unwrap().f64().unwrap();
    assert_eq!(
        (trade.get(0), trade.get(1)),
        (Some(92_340_000.0), Some(83_220_000.0))
    );
}
