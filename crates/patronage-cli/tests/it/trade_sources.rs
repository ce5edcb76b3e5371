//! Legacy Comtrade, BACI, Russian and China customs through whole runs: the
//! default pipeline's `source_comparison` against the published figures, and bad
//! input per format giving a clear error or a reject with the accounting balanced.

use std::path::{Path, PathBuf};

use crate::common::*;
use polars::prelude::*;

/// The `source_comparison` rows of one partner, year and direction, as
/// (source_id, value_usd, derivation), with the group's spread.
fn compared(
    out: &Path,
    partner: &str,
    year: i32,
    direction: &str,
) -> (Vec<(String, f64, String)>, f64) {
    let df = table(out, "source_comparison")
        .lazy()
        .filter(annual(partner, year).and(col("direction").eq(lit(direction))))
        .collect()
        .unwrap();
    let v = df.column("value_usd").unwrap().f64().unwrap();
    let rows = (0..df.height())
        .map(|i| {
            (
                str_at(&df, "source_id", i),
                v.get(i).unwrap(),
                str_at(&df, "derivation", i),
            )
        })
        .collect();
    let spread = df
        .column("spread_usd")
        .unwrap()
        .f64()
        .unwrap()
        .get(0)
        .unwrap_or(f64::NAN);
    (rows, spread)
}

/// China–DPRK 2019: KOTRA's mirror figure (exports $2.88B + imports $0.22B, the
/// parts of its published $3.09B, which sum to $3.10B) against China customs'
/// ≈$2.79B: two sources, $0.31B apart. 2021: KOTRA $58.11M + $623.55M = $681.66M
/// (as published) against China customs' $318M (a Chinese-language download).
/// 2017: China customs' $5.06B total in its own layout equals the Comtrade-layout
/// figures $1.72B + $3.34B; UN Comtrade's $4.976B (as RFA read it, a published
/// total) is $84M below. Russia 2017: Russian customs $74.2M + $3.7M = $77.9M.
/// KITA's 2019 total ($2.805B, published) lies between China customs and KOTRA.
#[test]
fn default_run_compares_sources() {
    let (_tmp, out) = run_to_temp("pipelines/dprk.toml");
    let (rows, spread) = compared(&out, "CHN", 2019, "total");
    assert_eq!(
        rows,
        [
            (
                "cn_customs_2019_total".to_string(),
                2_790_000_000.0,
                "reported".to_string()
            ),
            (
                "kotra".to_string(),
                3_100_000_000.0,
                "exports_plus_imports".to_string()
            ),
            (
                "other_totals".to_string(),
                2_805_000_000.0,
                "reported".to_string()
            ),
        ]
    );
    assert_eq!(spread, 310_000_000.0);

    let (rows, spread) = compared(&out, "CHN", 2021, "total");
    let values: Vec<f64> = rows.iter().map(|r| r.1).collect();
    assert_eq!(values, [318_000_000.0, 681_660_000.0]);
    assert_eq!(spread, 363_660_000.0);

    let (rows, spread) = compared(&out, "CHN", 2017, "total");
    let ids: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(ids, ["cn_customs_2017_total", "cn_gacc", "other_totals"]);
    let values: Vec<f64> = rows.iter().map(|r| r.1).collect();
    assert_eq!(values, [5_060_000_000.0, 5_060_000_000.0, 4_976_000_000.0]);
    assert_eq!(spread, 84_000_000.0);
    let (rows, _) = compared(&out, "CHN", 2017, "focus_exports");
    let values: Vec<f64> = rows.iter().map(|r| r.1).collect();
    assert_eq!(values, [1_720_000_000.0, 1_720_000_000.0, 1_731_000_000.0]);

    let (rows, _) = compared(&out, "RUS", 2017, "total");
    let ru = rows.iter().find(|r| r.0 == "ru_customs").unwrap();
    assert_eq!(ru.1, 77_900_000.0);

    // Russia–DPRK 2014: ITC $13M against KOTRA $10.17M of DPRK exports; the
    // declared priority puts ITC first, and mirror_trade takes it.
    let (rows, spread) = compared(&out, "RUS", 2014, "focus_exports");
    assert_eq!(rows.len(), 2);
    assert!((spread - 2_830_000.0).abs() < 1e-6);
    let mirror = table(&out, "mirror_trade")
        .lazy()
        .filter(
            col("partner_iso3")
                .eq(lit("RUS"))
                .and(col("year").eq(lit(2014)))
                .and(col("month_last").eq(lit(12))),
        )
        .collect()
        .unwrap();
    assert_eq!(f64_at(&mirror, "focus_exports_usd"), Some(13_000_000.0));
    assert_eq!(str_at(&mirror, "source_ids", 0), "ru_itc");

    // Total flows never reach the mirror tables: China 2019 stays KOTRA's.
    let mirror = table(&out, "mirror_trade")
        .lazy()
        .filter(
            col("partner_iso3")
                .eq(lit("CHN"))
                .and(col("year").eq(lit(2019)))
                .and(col("month_last").eq(lit(12))),
        )
        .collect()
        .unwrap();
    assert_eq!(f64_at(&mirror, "total_usd"), Some(3_100_000_000.0));

    for input in manifest(&out)["inputs"].as_array().unwrap() {
        assert_balanced(&input["rows"]);
    }
}

/// A pipeline in a temp folder with the given files and `[[sources]]` text.
fn setup(files: &[(&str, &[u8])], sources: &str) -> (tempfile::TempDir, PathBuf, PathBuf) {
    temp_pipeline(
        files,
        &format!("name = \"t\"\nfocus = \"PRK\"\n\n{sources}"),
    )
}

fn failure(o: &std::process::Output) -> String {
    assert_eq!(
        o.status.code(),
        Some(2),
        "expected an error:\n{}",
        String::from_utf8_lossy(&o.stdout)
    );
    stderr(o)
}

const RU_SOURCE: &str = "[[sources]]\nid = \"ru\"\nformat = \"russia_customs\"\npath = \"ru_2021-01.csv\"\nstoim_unit = \"usd\"\n";

/// A Russian customs file saved in windows-1251: the error names the encoding.
#[test]
fn russian_customs_in_windows_1251() {
    let text = "NAPR,PERIOD,STRANA,TNVED,EDIZM,STOIM,NETTO,KOL\nЭК,2021,KP,2701120000,,10,1,1\n";
    let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(text);
    let (_t, p, out) = setup(&[("ru_2021-01.csv", &bytes)], RU_SOURCE);
    let e = failure(&run_quiet(&p, &out));
    assert!(
        e.contains("ru_2021-01.csv:2:") && e.contains("declare encoding = \"windows-1251\""),
        "{e}"
    );
}

/// Shifted columns, an unknown partner and a confidential row: two rejects with
/// reasons, the confidential goods kept and counted in the source's total
/// (sum of its 10-digit rows); read 5 = kept 3 + rejected 2.
#[test]
fn russian_customs_rejects_and_confidential_rows() {
    let text = "NAPR,PERIOD,STRANA,TNVED,EDIZM,STOIM,NETTO,KOL\n\
        ЭК,2021,KP,2701120000,166,1000.50,1,1\n\
        ЭК,2021,KP,XXXXXXXXXX,,2000.25,0.1,0\n\
        ЭК,2021,2701120000,KP,,5,1,1\n\
        ЭК,2021,ZZ,2701120000,,5,1,1\n\
        ИМ,2021,KP,0306110000,,300,1,1\n";
    let (_t, p, out) = setup(&[("ru_2021-01.csv", text.as_bytes())], RU_SOURCE);
    let o = run_quiet(&p, &out);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = manifest(&out)["inputs"][0]["rows"].clone();
    assert_balanced(&rows);
    assert_eq!(
        (
            rows["read"].as_u64(),
            rows["kept"].as_u64(),
            rows["rejected"].as_u64()
        ),
        (Some(5), Some(3), Some(2))
    );
    let rejects = table(&out, "rejects");
    let reasons: Vec<String> = (0..2).map(|i| str_at(&rejects, "reason", i)).collect();
    assert_eq!(reasons, ["bad_field", "unknown_country_code"]);
    assert_eq!(str_at(&rejects, "raw", 0), "ЭК,2021,2701120000,KP,,5,1,1");
    // January 2021 (from the file name): DPRK imports = Russia's exports, coal plus confidential.
    let df = table(&out, "source_comparison")
        .lazy()
        .filter(col("direction").eq(lit("focus_imports")))
        .collect()
        .unwrap();
    assert_eq!(f64_at(&df, "value_usd"), Some(3000.75));
    assert_eq!(str_at(&df, "derivation", 0), "sum_of_level_10");
    assert_eq!(i32_at(&df, "month_first"), Some(1));
}

/// `russia_customs` without `stoim_unit`: an error naming the pipeline line.
#[test]
fn russian_customs_needs_a_stoim_unit() {
    let (_t, p, out) = setup(
        &[("ru_2021-01.csv", b"NAPR,PERIOD,STRANA,STOIM\n")],
        "[[sources]]\nid = \"ru\"\nformat = \"russia_customs\"\npath = \"ru_2021-01.csv\"\n",
    );
    let e = failure(&run_quiet(&p, &out));
    assert!(
        e.contains("p.toml:5: source `ru`") && e.contains("needs `stoim_unit`"),
        "{e}"
    );
}

/// A China customs file saved as UTF-8 where GACC writes GB18030: the error says
/// to declare utf-8; declared so, it reads.
#[test]
fn china_customs_in_utf8() {
    let text = "\"贸易伙伴编码\",\"贸易伙伴名称\",\"美元\",\n\"109\",\"朝鲜\",\"1,000\",\n";
    let src = "[[sources]]\nid = \"cn\"\nformat = \"china_customs\"\npath = \"cn.csv\"\nflow = \"export\"\nperiod = \"2019\"\n";
    let (_t, p, out) = setup(&[("cn.csv", text.as_bytes())], src);
    let e = failure(&run_quiet(&p, &out));
    assert!(
        e.contains("cn.csv:1: the file is UTF-8, not gb18030")
            && e.contains("declare encoding = \"utf-8\""),
        "{e}"
    );
    let (_t, p, out) = setup(
        &[("cn.csv", text.as_bytes())],
        &format!("{src}encoding = \"utf-8\"\n"),
    );
    let o = run_quiet(&p, &out);
    assert!(o.status.success(), "{}", stderr(&o));
    let flows = table(&out, "trade_flows");
    assert_eq!(f64_at(&flows, "value_usd"), Some(1000.0));
    assert_eq!(str_at(&flows, "partner_iso3", 0), "PRK");
}

/// A China customs download by customs regime: rows summed into the first, the
/// others counted as dropped; a shifted value and an area code are rejected.
#[test]
fn china_customs_regimes_and_rejects() {
    let text = "\"Trading partner code\",\"Trading partner\",\"Customs Regime code\",\"Customs Regime\",\"US dollar\",\n\
        \"109\",\"Korea,DPR\",\"10\",\"Ordinary Trade\",\"1,500,000\",\n\
        \"109\",\"Korea,DPR\",\"11\",\"Aid or Donation\",\"250,000\",\n\
        \"109\",\"Korea,DPR\",\"19\",\"Border Trade\",\"Border Trade\",\n\
        \"199\",\"Oth. Asia nes\",\"10\",\"Ordinary Trade\",\"7\",\n";
    let (bytes, _, _) = encoding_rs::GB18030.encode(text);
    let src = "[[sources]]\nid = \"cn\"\nformat = \"china_customs\"\npath = \"cn.csv\"\nflow = \"export\"\nperiod = \"2019\"\n";
    let (_t, p, out) = setup(&[("cn.csv", &bytes)], src);
    let o = run_quiet(&p, &out);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = manifest(&out)["inputs"][0]["rows"].clone();
    assert_balanced(&rows);
    assert_eq!(rows["dropped"]["summed_over_regime_and_location"], 1);
    let flows = table(&out, "trade_flows");
    assert_eq!(f64_at(&flows, "value_usd"), Some(1_750_000.0));
    let rejects = table(&out, "rejects");
    let reasons: Vec<String> = (0..rejects.height())
        .map(|i| str_at(&rejects, "reason", i))
        .collect();
    assert_eq!(reasons, ["bad_field", "country_code_without_iso3"]);
}

/// Synthetic BACI rows (made up for this test): with `scope = "focus"` the rows
/// involving neither side of the DPRK are dropped and counted; the DPRK's trade
/// with China is broken into chapters from the 6-digit rows; a country code file
/// with a line that does not parse is an error naming it.
#[test]
fn baci_scope_chapters_and_code_list() {
    let data = "t,i,j,k,v,q\n\
        2020,156,408,270112,100.000,           NA\n\
        2020,156,408,270119,50.500,        1.500\n\
        2020,156,408,100630,49.500,        2.000\n\
        2020,408,156,260111,20.000,        3.000\n\
        2020,276,251,870323,999.000,        1.000\n";
    let codes = "country_code,country_name,country_iso2,country_iso3\n156,China,CN,CHN\n408,DPRK,KP,PRK\n276,Germany,DE,DEU\n251,France,FR,FRA\n";
    let src = "[[sources]]\nid = \"baci\"\nformat = \"baci\"\npath = \"BACI_HS17_Y2020_V202401.csv\"\nscope = \"focus\"\ncountry_codes = \"codes.csv\"\n";
    let (_t, p, out) = setup(
        &[
            ("BACI_HS17_Y2020_V202401.csv", data.as_bytes()),
            ("codes.csv", codes.as_bytes()),
        ],
        src,
    );
    let o = run_quiet(&p, &out);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = manifest(&out)["inputs"][0]["rows"].clone();
    assert_balanced(&rows);
    assert_eq!(
        (
            rows["kept"].as_u64(),
            rows["dropped"]["outside_focus"].as_u64()
        ),
        (Some(4), Some(1))
    );
    // DPRK imports from China 2020: chapter 27 $150,500, chapter 10 $49,500.
    let by = table(&out, "trade_by_commodity")
        .lazy()
        .filter(col("flow").eq(lit("import")))
        .collect()
        .unwrap();
    let hs2: Vec<String> = (0..by.height()).map(|i| str_at(&by, "hs2", i)).collect();
    assert_eq!(hs2, ["10", "27"]);
    let v = by.column("value_usd").unwrap().f64().unwrap();
    assert_eq!((v.get(0), v.get(1)), (Some(49_500.0), Some(150_500.0)));
    let s = by.column("share_of_flow").unwrap().f64().unwrap();
    assert_eq!((s.get(0), s.get(1)), (Some(0.2475), Some(0.7525)));
    let flows = table(&out, "trade_flows");
    assert!((0..flows.height()).all(|i| str_at(&flows, "classification", i) == "H5"));
    let cmp = table(&out, "source_comparison")
        .lazy()
        .filter(col("direction").eq(lit("focus_exports")))
        .collect()
        .unwrap();
    assert_eq!(f64_at(&cmp, "value_usd"), Some(20_000.0));
    assert_eq!(str_at(&cmp, "derivation", 0), "sum_of_level_6");

    let bad_codes =
        "country_code,country_name,country_iso2,country_iso3\n156,China,CN,CHN\nPRK,408,KP,DPRK\n";
    let (_t, p, out) = setup(
        &[
            ("BACI_HS17_Y2020_V202401.csv", data.as_bytes()),
            ("codes.csv", bad_codes.as_bytes()),
        ],
        src,
    );
    let e = failure(&run_quiet(&p, &out));
    assert!(
        e.contains("codes.csv:3: a country code line does not parse"),
        "{e}"
    );
}

/// A parameter on a format it does not apply to, and a cif_fob_factor out of
/// range, are errors naming their line.
#[test]
fn misplaced_parameters_name_their_line() {
    let (_t, p, out) = setup(
        &[("cn.csv", b"x\n")],
        "[[sources]]\nid = \"cn\"\nformat = \"comtrade_v1_csv\"\npath = \"cn.csv\"\nstoim_unit = \"usd\"\n",
    );
    let e = failure(&run_quiet(&p, &out));
    assert!(
        e.contains(
            "p.toml:8: source `cn`: `stoim_unit` does not apply to format `comtrade_v1_csv`"
        ),
        "{e}"
    );
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("cn.csv"), b"x\n").unwrap();
    let p = tmp.path().join("p.toml");
    std::fs::write(&p, "name = \"t\"\nfocus = \"PRK\"\ncif_fob_factor = 2.0\n\n[[sources]]\nid = \"cn\"\nformat = \"comtrade_v1_csv\"\npath = \"cn.csv\"\n").unwrap();
    let e = failure(&run_quiet(&p, &tmp.path().join("out")));
    assert!(
        e.contains("p.toml:3: cif_fob_factor = 2: expected a factor between 1.0 and 1.5"),
        "{e}"
    );
}
