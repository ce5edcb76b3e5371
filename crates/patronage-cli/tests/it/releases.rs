//! Whole releases through `patronage run`: totals summed from 6-digit rows where
//! a source has no total, every trade format streamed for the focus, BACI-only
//! pipelines agreeing with `mirror-all`.

use std::path::{Path, PathBuf};

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

/// A SYNTHETIC three-year BACI release (`patronage synth`, 6,000 rows a year)
/// in a temporary folder, and a pipeline reading it with `focus` and `scope`.
fn baci_release(
    focus: &str,
    scope: &str,
) -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let (t, p, out) = temp_pipeline(
        &[],
        &format!(
            "name = \"release\"\nfocus = \"{focus}\"\n\n[[sources]]\nid = \"baci\"\nformat = \"baci\"\npath = \"BACI_HS17_Y*_V202401.csv\"\nscope = \"{scope}\"\n"
        ),
    );
    for year in [2019, 2020, 2021] {
        synth(
            "baci",
            6_000,
            year,
            &t.path().join(format!("BACI_HS17_Y{year}_V202401.csv")),
        );
    }
    (t, p, out)
}

/// (partner, year, exports, imports) of a mirror table, in thousandths, sorted.
type Figures = Vec<(String, i32, Option<i64>, Option<i64>)>;

fn figures(df: &DataFrame, exports: &str, imports: &str, mills: bool) -> Figures {
    let df = df
        .clone()
        .lazy()
        .sort(["partner_iso3", "year"], Default::default())
        .collect()
        .unwrap();
    let value = |name: &str, i: usize| -> Option<i64> {
        let c = df.column(name).unwrap();
        if mills {
            c.i64().unwrap().get(i)
        } else {
            // Dollars written from exact thousandths: back to them exactly.
            c.f64().unwrap().get(i).map(|v| (v * 1000.0).round() as i64)
        }
    };
    (0..df.height())
        .map(|i| {
            (
                str_at(&df, "partner_iso3", i),
                df.column("year").unwrap().i32().unwrap().get(i).unwrap(),
                value(exports, i),
                value(imports, i),
            )
        })
        .collect()
}

/// A BACI-only pipeline over a SYNTHETIC three-year release gives, for its
/// focus, exactly the figures `mirror-all` gives for that country from the same
/// files: every partner and year, both directions, to the thousandth of a
/// dollar; each summed from 6-digit rows (BACI has no TOTAL) and saying so.
/// `scope = "all"` gives the same mirror, keeping every row in `trade_flows`.
#[test]
fn baci_release_matches_mirror_all_for_the_focus() {
    let (t, p, out) = baci_release("AFG", "focus");
    let o = run_quiet(&p, &out);
    assert!(o.status.success(), "{}", stderr(&o));
    let mirror = table(&out, "mirror_trade")
        .lazy()
        .filter(
            col("month_first")
                .eq(lit(1))
                .and(col("month_last").eq(lit(12))),
        )
        .collect()
        .unwrap();
    let ours = figures(&mirror, "focus_exports_usd", "focus_imports_usd", false);
    assert!(ours.len() > 100, "{} rows", ours.len());
    let derivations: std::collections::BTreeSet<String> = (0..mirror.height())
        .map(|i| str_at(&mirror, "derivation", i))
        .collect();
    assert_eq!(
        derivations.into_iter().collect::<Vec<_>>(),
        ["sum_of_level_6"]
    );
    for input in manifest(&out)["inputs"].as_array().unwrap() {
        assert_balanced(&input["rows"]);
        assert!(input["rows"]["dropped"]["outside_focus"].as_u64().unwrap() > 0);
    }

    let all_out = t.path().join("mirror_all");
    let mut args = vec!["mirror-all".to_string()];
    for year in [2019, 2020, 2021] {
        args.push("--baci".into());
        args.push(
            t.path()
                .join(format!("BACI_HS17_Y{year}_V202401.csv"))
                .to_str()
                .unwrap()
                .into(),
        );
    }
    args.extend([
        "--out".into(),
        all_out.to_str().unwrap().into(),
        "-q".into(),
    ]);
    let o = patronage(&args.iter().map(String::as_str).collect::<Vec<_>>(), &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let f = std::fs::File::open(all_out.join("mirror_all.parquet")).unwrap();
    let all = ParquetReader::new(f)
        .finish()
        .unwrap()
        .lazy()
        .filter(col("focus_iso3").eq(lit("AFG")))
        .collect()
        .unwrap();
    let theirs = figures(&all, "focus_exports_mills", "focus_imports_mills", true);
    assert_eq!(ours, theirs);
    // The dollar columns of mirror_all are its exact sums, as mirror_trade writes them.
    assert_eq!(
        figures(&all, "focus_exports_usd", "focus_imports_usd", false),
        theirs
    );

    // The same release with scope = "all": every row in trade_flows, the same mirror.
    let (_t2, p2, out2) = baci_release("AFG", "all");
    let o = run_quiet(&p2, &out2);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(table(&out2, "trade_flows").height(), 18_000);
    assert_eq!(table(&out2, "mirror_trade"), table(&out, "mirror_trade"));
}

/// Every Comtrade format keeps only the focus's rows with `scope = "focus"` and
/// counts the rest as `outside_focus` (focus Russia). The fixtures' rows:
/// * `comtrade_v1_csv` (streamed): Russia's 6 reports, plus one line copied with
///   China (156) as reporter, SYNTHETIC: 7 read = 6 kept + 1 outside;
/// * `comtrade_v1_json`: KOTRA's 8 rows, 2 of them Russia's: 2 kept + 6 outside;
/// * `comtrade_v1_bulk` (streamed): ITC's 6 Russian rows: all kept;
/// * `comtrade_legacy_json`: 2 partner rows kept, 2 World rows (Russia's, so
///   inside the focus) dropped as `partner_world`.
///
/// The mirror is the one `scope = "all"` gives.
#[test]
fn comtrade_formats_keep_the_focus() {
    let csv = String::from_utf8(fixture("rus_prk_russia_reported_annual.csv")).unwrap();
    let copied = csv.lines().nth(1).unwrap().replacen(",643,", ",156,", 1);
    let csv = format!("{csv}{copied}\n");
    let legacy_json =
        std::fs::read(root().join("fixtures/comtrade_legacy/rus_prk_2011_api.json")).unwrap();
    let sources = |scope: &str| {
        [
            ("csv", "comtrade_v1_csv", "ru.csv"),
            ("json", "comtrade_v1_json", "kotra.json"),
            ("bulk", "comtrade_v1_bulk", "itc.tsv"),
            ("legacy", "comtrade_legacy_json", "legacy.json"),
        ]
        .iter()
        .map(|(id, format, path)| {
            format!("[[sources]]\nid = \"{id}\"\nformat = \"{format}\"\npath = \"{path}\"\nscope = \"{scope}\"\n\n")
        })
        .collect::<String>()
    };
    let files = |_: ()| {
        vec![
            ("ru.csv", csv.as_bytes().to_vec()),
            ("kotra.json", fixture("prk_kotra_mirror_annual.json")),
            ("itc.tsv", fixture("rus_prk_itc_annual.tsv")),
            ("legacy.json", legacy_json.clone()),
        ]
    };
    let run = |scope: &str| {
        let owned = files(());
        let borrowed: Vec<(&str, &[u8])> = owned.iter().map(|(n, b)| (*n, b.as_slice())).collect();
        let (t, p, out) = temp_pipeline(
            &borrowed,
            &format!("name = \"t\"\nfocus = \"RUS\"\n\n{}", sources(scope)),
        );
        let o = run_quiet(&p, &out);
        assert!(o.status.success(), "{}", stderr(&o));
        (t, out)
    };
    let (_t, focus) = run("focus");
    let m = manifest(&focus);
    let got: Vec<(u64, u64, u64)> = m["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let rows = &i["rows"];
            assert_balanced(rows);
            (
                rows["read"].as_u64().unwrap(),
                rows["kept"].as_u64().unwrap(),
                rows["dropped"]["outside_focus"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(got, [(7, 6, 1), (8, 2, 6), (6, 6, 0), (4, 2, 0)]);
    let (_t, all) = run("all");
    assert_eq!(table(&all, "mirror_trade"), table(&focus, "mirror_trade"));
}

/// A SYNTHETIC Comtrade bulk file, streamed with `scope = "focus"` at 1, 2 and 3
/// threads: the same bytes in every output and the manifest; the accounting
/// balances, with the rows outside the focus counted.
#[test]
fn streamed_bulk_is_byte_identical_across_thread_counts() {
    let mut outputs = Vec::new();
    for threads in ["1", "2", "3"] {
        let (t, p, out) = temp_pipeline(
            &[],
            "name = \"bulk\"\nfocus = \"AFG\"\n\n[[sources]]\nid = \"bulk\"\nformat = \"comtrade_v1_bulk\"\npath = \"bulk.tsv\"\nscope = \"focus\"\n",
        );
        synth("comtrade-bulk", 20_000, 2020, &t.path().join("bulk.tsv"));
        let o = run_with_threads(&p, &out, threads);
        assert!(o.status.success(), "{}", stderr(&o));
        let rows = manifest(&out)["inputs"][0]["rows"].clone();
        assert_balanced(&rows);
        assert_eq!(rows["read"].as_u64(), Some(20_000));
        assert!(rows["dropped"]["outside_focus"].as_u64().unwrap() > 10_000);
        assert!(table(&out, "mirror_trade").height() > 0);
        outputs.push(output_files(&out));
    }
    assert_eq!(outputs[0], outputs[1]);
    assert_eq!(outputs[0], outputs[2]);
}

/// The SYNTHETIC three-year BACI release (focus AFG, `scope = "all"`) run
/// twice: into `single` as one `trade_flows` file and into `partitioned` with
/// `partition_by = ["year"]`. Returns the folder's guard and the two outputs.
pub(crate) fn partitioned_and_single() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let (t, p, single) = baci_release("AFG", "all");
    let o = run_quiet(&p, &single);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&p).unwrap();
    let parted = t.path().join("parted.toml");
    std::fs::write(
        &parted,
        text.replacen(
            "\n\n[[sources]]",
            "\npartition_by = [\"year\"]\n\n[[sources]]",
            1,
        ),
    )
    .unwrap();
    let partitioned = t.path().join("out_parted");
    let o = run_quiet(&parted, &partitioned);
    assert!(o.status.success(), "{}", stderr(&o));
    (t, single, partitioned)
}

/// The parts of a partitioned `trade_flows`, read back with their `year` from
/// the folder name, in the single file's column order and key order.
fn read_parts(out: &Path, years: &[i32]) -> DataFrame {
    let mut all: Option<DataFrame> = None;
    for y in years {
        let f =
            std::fs::File::open(out.join(format!("trade_flows/year={y}/part-0.parquet"))).unwrap();
        let part = ParquetReader::new(f)
            .finish()
            .unwrap()
            .lazy()
            .with_column(lit(*y).alias("year"))
            .collect()
            .unwrap();
        all = Some(match all {
            None => part,
            Some(a) => a.vstack(&part).unwrap(),
        });
    }
    all.unwrap()
}

/// `partition_by = ["year"]`: `trade_flows/year=2019|2020|2021/part-0.parquet`,
/// 6,000 rows each (the synthetic release's rows a year), holding together
/// exactly the single file's rows; every part in the manifest with its SHA-256;
/// every other table unchanged; `verify` walks the folders and names a changed
/// part, a missing one and a file the manifest does not list.
#[test]
fn partitioned_trade_flows_hold_the_single_files_rows() {
    let (_t, single, parted) = partitioned_and_single();
    let m = manifest(&parted);
    let parts: Vec<(String, u64)> = m["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["table"] == "trade_flows")
        .map(|o| {
            (
                o["file"].as_str().unwrap().to_string(),
                o["rows"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        parts,
        [
            ("trade_flows/year=2019/part-0.parquet".to_string(), 6_000),
            ("trade_flows/year=2020/part-0.parquet".to_string(), 6_000),
            ("trade_flows/year=2021/part-0.parquet".to_string(), 6_000),
        ]
    );
    for o in m["outputs"].as_array().unwrap() {
        let bytes = std::fs::read(parted.join(o["file"].as_str().unwrap())).unwrap();
        assert_eq!(o["bytes"].as_u64(), Some(bytes.len() as u64));
        assert_eq!(
            o["sha256"].as_str().unwrap(),
            patronage_tables::sha256_hex(&bytes)
        );
    }
    assert!(!parted.join("trade_flows.parquet").exists());
    let whole = table(&single, "trade_flows");
    let names: Vec<&str> = whole
        .get_column_names()
        .iter()
        .map(|n| n.as_str())
        .collect();
    let from_parts = read_parts(&parted, &[2019, 2020, 2021])
        .select(names)
        .unwrap();
    assert_eq!(from_parts, whole);
    for name in ["mirror_trade", "source_comparison", "patron_influence"] {
        assert_eq!(table(&parted, name), table(&single, name), "{name}");
    }

    let verify = |out: &Path| {
        let o = patronage(&["verify", "--out", out.to_str().unwrap()], &[]);
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned() + &stderr(&o),
        )
    };
    let (code, text) = verify(&parted);
    assert_eq!(code, Some(0), "{text}");
    let part = parted.join("trade_flows/year=2020/part-0.parquet");
    let mut bytes = std::fs::read(&part).unwrap();
    bytes[10] ^= 1;
    std::fs::write(&part, &bytes).unwrap();
    std::fs::remove_file(parted.join("trade_flows/year=2021/part-0.parquet")).unwrap();
    std::fs::write(parted.join("trade_flows/year=2019/part-1.parquet"), b"x").unwrap();
    let (code, text) = verify(&parted);
    assert_ne!(code, Some(0), "{text}");
    for want in [
        "changed  trade_flows/year=2020/part-0.parquet",
        "missing  trade_flows/year=2021/part-0.parquet",
        "extra    trade_flows/year=2019/part-1.parquet",
    ] {
        assert!(text.contains(want), "{want}:\n{text}");
    }
}

/// A partitioned run at 1, 2 and 3 threads writes the same bytes (every part,
/// every table, the manifest). A run into a folder that held the single file
/// removes it, and a year that leaves the sources leaves the folder with it.
#[test]
fn partitions_are_byte_identical_and_replace_what_they_supersede() {
    let (t, p, _) = baci_release("AFG", "all");
    let text = std::fs::read_to_string(&p).unwrap();
    let parted = t.path().join("parted.toml");
    std::fs::write(
        &parted,
        text.replacen(
            "\n\n[[sources]]",
            "\npartition_by = [\"year\"]\n\n[[sources]]",
            1,
        ),
    )
    .unwrap();
    let mut outputs = Vec::new();
    for threads in ["1", "2", "3"] {
        let out = t.path().join(format!("out{threads}"));
        let o = run_with_threads(&parted, &out, threads);
        assert!(o.status.success(), "{}", stderr(&o));
        outputs.push(output_files(&out));
    }
    assert_eq!(outputs[0], outputs[1]);
    assert_eq!(outputs[0], outputs[2]);

    // Single file first, then partitioned into the same folder.
    let out = t.path().join("switch");
    assert!(run_quiet(&p, &out).status.success());
    assert!(out.join("trade_flows.parquet").exists());
    assert!(run_quiet(&parted, &out).status.success());
    assert!(!out.join("trade_flows.parquet").exists());
    // 2021 leaves the sources: its folder goes.
    std::fs::remove_file(t.path().join("BACI_HS17_Y2021_V202401.csv")).unwrap();
    assert!(run_quiet(&parted, &out).status.success());
    assert!(!out.join("trade_flows/year=2021").exists());
    assert!(out.join("trade_flows/year=2020/part-0.parquet").exists());
    let o = patronage(&["verify", "--out", out.to_str().unwrap()], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// SYNTHETIC BACI rows, `scope = "focus"` (PRK): a row outside the focus whose
/// value does not parse is left out as `outside_focus`, not rejected (no table
/// would use it); the same damage in a row of the focus is a reject naming its
/// line and column. 3 read = 1 kept + 1 dropped + 1 rejected.
#[test]
fn rows_outside_the_focus_are_left_out_before_they_are_checked() {
    let data = "t,i,j,k,v,q\n\
        2020,156,408,270112,100.000,NA\n\
        2020,276,251,870323,abc,NA\n\
        2020,156,408,270119,xyz,NA\n";
    let (_t, p, out) = temp_pipeline(
        &[("BACI_HS17_Y2020_V202401.csv", data.as_bytes())],
        "name = \"t\"\nfocus = \"PRK\"\n\n[[sources]]\nid = \"baci\"\nformat = \"baci\"\npath = \"BACI_HS17_Y2020_V202401.csv\"\nscope = \"focus\"\n",
    );
    let o = run_quiet(&p, &out);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = manifest(&out)["inputs"][0]["rows"].clone();
    assert_balanced(&rows);
    assert_eq!(
        (
            rows["read"].as_u64(),
            rows["kept"].as_u64(),
            rows["dropped"]["outside_focus"].as_u64(),
            rows["rejected"].as_u64()
        ),
        (Some(3), Some(1), Some(1), Some(1))
    );
    let rejects = table(&out, "rejects");
    assert_eq!(
        rejects.column("source_line").unwrap().i64().unwrap().get(0),
        Some(4)
    );
    assert!(
        str_at(&rejects, "detail", 0).starts_with("column 5 `v`"),
        "{rejects}"
    );
}

/// `mirror-all --partition-by year` on the SYNTHETIC three-year release: one
/// part per year, each in `mirror_all_report.json` with its SHA-256, holding
/// together the rows of the single file; the single file is gone from the
/// folder once the parts are written.
#[test]
fn mirror_all_partitions_by_year() {
    let (t, _p, _out) = baci_release("AFG", "focus");
    let files: Vec<String> = [2019, 2020, 2021]
        .iter()
        .map(|y| {
            t.path()
                .join(format!("BACI_HS17_Y{y}_V202401.csv"))
                .to_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let out = t.path().join("all");
    let run = |extra: &[&str]| {
        let mut args = vec!["mirror-all", "--out", out.to_str().unwrap(), "-q"];
        for f in &files {
            args.extend(["--baci", f.as_str()]);
        }
        args.extend(extra);
        let o = patronage(&args, &[]);
        assert!(o.status.success(), "{}", stderr(&o));
    };
    run(&[]);
    let single = table(&out, "mirror_all");
    run(&["--partition-by", "year"]);
    assert!(!out.join("mirror_all.parquet").exists());
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("mirror_all_report.json")).unwrap())
            .unwrap();
    let listed: Vec<String> = report["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            let file = o["file"].as_str().unwrap();
            let bytes = std::fs::read(out.join(file)).unwrap();
            assert_eq!(
                o["sha256"].as_str().unwrap(),
                patronage_tables::sha256_hex(&bytes)
            );
            file.to_string()
        })
        .collect();
    assert_eq!(
        listed,
        [
            "mirror_all/year=2019/part-0.parquet",
            "mirror_all/year=2020/part-0.parquet",
            "mirror_all/year=2021/part-0.parquet",
            "rejects.parquet"
        ]
    );
    let mut all: Option<DataFrame> = None;
    for y in [2019, 2020, 2021] {
        let f =
            std::fs::File::open(out.join(format!("mirror_all/year={y}/part-0.parquet"))).unwrap();
        let part = ParquetReader::new(f)
            .finish()
            .unwrap()
            .lazy()
            .with_column(lit(y).alias("year"))
            .collect()
            .unwrap();
        all = Some(match all {
            None => part,
            Some(a) => a.vstack(&part).unwrap(),
        });
    }
    let names: Vec<&str> = single
        .get_column_names()
        .iter()
        .map(|n| n.as_str())
        .collect();
    let from_parts = all
        .unwrap()
        .select(names.clone())
        .unwrap()
        .sort(names.clone(), Default::default())
        .unwrap();
    assert_eq!(from_parts, single.sort(names, Default::default()).unwrap());
    // Back to one file: the parts go.
    run(&[]);
    assert!(!out.join("mirror_all").exists());
    assert_eq!(table(&out, "mirror_all"), single);
}

/// The SYNTHETIC three-year release (focus AFG, `scope = "all"`) with
/// `partition_by = ["year"]` and `extra` (checks, claims) added to the pipeline
/// file: the pipeline's path.
fn parted_release(t: &Path, p: &Path, extra: &str) -> PathBuf {
    let text = std::fs::read_to_string(p).unwrap();
    let parted = t.join("parted.toml");
    std::fs::write(
        &parted,
        text.replacen(
            "\n\n[[sources]]",
            "\npartition_by = [\"year\"]\n\n[[sources]]",
            1,
        ) + extra,
    )
    .unwrap();
    parted
}

/// Checks and claims of `trade_flows` of the kinds that run on a table kept on
/// disk: some pass, some fail (the SYNTHETIC release has 6,000 rows a year in
/// 2019 to 2021, so `year <= 2019` fails 12,000 rows and the sample shows the
/// first five of 2020 in key order).
const DISK_CHECKS: &str = r#"
[[checks]]
name = "years_up_to_2019"
kind = "range"
table = "trade_flows"
column = "year"
max = 2019
severity = "warn"

[[checks]]
name = "values_present"
kind = "not_null"
table = "trade_flows"
columns = ["value_usd", "reporter_iso3"]

[[checks]]
name = "flows_known"
kind = "accepted_values"
table = "trade_flows"
column = "flow"
values = ["export"]
severity = "warn"

[[checks]]
name = "rows_2020"
kind = "row_count_max"
table = "trade_flows"
where = { year = [2020] }
max = 3
severity = "warn"

[[checks]]
name = "enough_rows"
kind = "row_count_min"
table = "trade_flows"
min = 18000

[[checks]]
name = "key_unique"
kind = "unique"
table = "trade_flows"
columns = ["source_id", "source_file", "source_line", "source_column"]

[[checks]]
name = "codes_unique"
kind = "unique"
table = "trade_flows"
columns = ["reporter_iso3", "partner_iso3", "year", "commodity_code"]
severity = "warn"

[[claims]]
id = "rows_2021"
text = "SYNTHETIC: the 2021 file has 6,000 rows"
source = "patronage synth"
table = "trade_flows"
where = { year = [2021] }
measure = "count"
expected = 6000
unit = "rows"
tolerance = 0
"#;

/// A check that reads `trade_flows` whole: a run with it holds the table in
/// memory unless the table is partitioned.
const WHOLE_TABLE_CHECK: &str = r#"
[[checks]]
name = "reporters_known"
kind = "relationships"
table = "trade_flows"
column = "reporter_iso3"
year_column = "year"
"#;

/// `<dir>/single.toml`: the pipeline `p` with [`DISK_CHECKS`].
fn with_disk_checks(dir: &std::path::Path, p: &std::path::Path) -> std::path::PathBuf {
    let with_checks = dir.join("single.toml");
    std::fs::write(
        &with_checks,
        std::fs::read_to_string(p).unwrap() + DISK_CHECKS,
    )
    .unwrap();
    with_checks
}

/// The outputs of `pipeline` run into `<dir>/in_memory` from a cache of its
/// source read whole: first `with_checks` with a check that needs
/// `trade_flows` whole (so the source is held in memory, not kept on disk),
/// then `pipeline` from that cache into the same folder.
fn from_source_held_whole(
    dir: &std::path::Path,
    with_checks: &std::path::Path,
    pipeline: &std::path::Path,
) -> std::path::PathBuf {
    let whole = dir.join("whole.toml");
    std::fs::write(
        &whole,
        std::fs::read_to_string(with_checks).unwrap() + WHOLE_TABLE_CHECK,
    )
    .unwrap();
    let in_memory = dir.join("in_memory");
    assert!(run_quiet(&whole, &in_memory).status.success());
    assert!(!in_memory
        .join(".patronage/sources/baci/canonical-0.parquet")
        .exists());
    let o = run_quiet(pipeline, &in_memory);
    assert!(o.status.success(), "{}", stderr(&o));
    in_memory
}

/// Every file under `a` and `b`, named alike and byte for byte the same; the
/// files of `a`.
fn same_files(a: &std::path::Path, b: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let (a, b) = (output_files(a), output_files(b));
    let names = |v: &[(String, Vec<u8>)]| v.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&a), names(&b));
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        assert!(x == y, "{name} differs");
    }
    a
}

/// `partition_by = ["year"]` keeps the streamed rows on disk (the stage cache)
/// and writes each year's part from there, never holding `trade_flows`: the
/// outputs are byte for byte those of the same partitioned run built from
/// `trade_flows` held in memory (the source cached whole by a run without
/// `partition_by` whose checks need the table whole): every part, every
/// analysis table (the focus's tables read the focus's rows from disk), `check_results` and `claims` of checks and a
/// claim on `trade_flows` evaluated batch by batch, and `manifest.json`. A
/// rerun with unchanged inputs reuses the cached rows on disk (the source stage
/// is skipped) and leaves every byte as it was.
#[test]
fn rows_on_disk_give_the_bytes_of_rows_in_memory() {
    let (t, p, _) = baci_release("AFG", "all");
    // The checks and claim in both pipelines, so both read the same file.
    let with_checks = with_disk_checks(t.path(), &p);
    let parted = parted_release(t.path(), &with_checks, "");

    let on_disk = t.path().join("on_disk");
    let o = run_quiet(&parted, &on_disk);
    assert!(o.status.success(), "{}", stderr(&o));
    let cache = on_disk.join(".patronage/sources/baci");
    let spilled: Vec<String> = (0..3)
        .map(|n| format!("canonical-{n}.parquet"))
        .filter(|f| cache.join(f).exists())
        .collect();
    assert_eq!(spilled.len(), 3, "a file on disk per source file");

    // In memory: the partitioned run from a cache of the source read whole.
    let in_memory = from_source_held_whole(t.path(), &with_checks, &parted);
    let a = same_files(&on_disk, &in_memory);
    assert!(a
        .iter()
        .any(|(name, _)| name == "trade_flows/year=2020/part-0.parquet"));

    // The checks ran, on disk as in memory: the failing range check counts the
    // 12,000 rows after 2019 and samples the first five, of 2020's file.
    let results = table(&on_disk, "check_results");
    let row = |name: &str| {
        let i = (0..results.height())
            .find(|&i| str_at(&results, "check", i) == name)
            .unwrap();
        (
            str_at(&results, "status", i),
            results
                .column("failing_rows")
                .unwrap()
                .get(i)
                .unwrap()
                .to_string(),
            str_at(&results, "detail", i),
        )
    };
    assert_eq!(row("years_up_to_2019").0, "fail");
    assert_eq!(row("years_up_to_2019").1, "12000");
    assert_eq!(row("enough_rows").0, "pass");
    assert_eq!(row("key_unique").0, "pass");
    assert_eq!(row("rows_2020").1, "6000");
    assert_eq!(row("conservation_baci").0, "pass");
    let claims = table(&on_disk, "claims");
    assert_eq!(str_at(&claims, "status", 0), "reproduced");

    // A rerun: the source stage is skipped, its files on disk are reused.
    let before = std::fs::metadata(cache.join("canonical-0.parquet"))
        .unwrap()
        .modified()
        .unwrap();
    let o = run_quiet(&parted, &on_disk);
    assert!(o.status.success(), "{}", stderr(&o));
    let log = std::fs::read_to_string(on_disk.join(".patronage/runs.jsonl")).unwrap();
    let last = log.lines().last().unwrap();
    assert!(
        last.contains(r#""stage":"source:baci","status":"skipped""#),
        "{last}"
    );
    let after = std::fs::metadata(cache.join("canonical-0.parquet"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(before, after);
    assert!(output_files(&on_disk) == a);
}

/// Without `partition_by` too, a run whose checks and claims all run batch by
/// batch keeps the streamed rows on disk and writes `trade_flows.parquet` from
/// there a column at a time: every output file is byte for byte that of the
/// same pipeline built from the source held in memory (cached whole by a run
/// whose checks need the table whole), the checks and the claim included.
#[test]
fn an_unpartitioned_table_on_disk_gives_the_bytes_of_one_in_memory() {
    let (t, p, _) = baci_release("AFG", "all");
    let with_checks = with_disk_checks(t.path(), &p);
    let on_disk = t.path().join("on_disk");
    let o = run_quiet(&with_checks, &on_disk);
    assert!(o.status.success(), "{}", stderr(&o));
    let cache = on_disk.join(".patronage/sources/baci");
    assert!(cache.join("canonical-0.parquet").exists());

    let in_memory = from_source_held_whole(t.path(), &with_checks, &with_checks);
    same_files(&on_disk, &in_memory);
    // 18,000 rows, 6,000 a year: one row group (the tables crate's test of
    // rows given column by column holds the bytes over several, at 150,000).
    assert_eq!(table(&on_disk, "trade_flows").height(), 18_000);
    let claims = table(&on_disk, "claims");
    assert_eq!(str_at(&claims, "status", 0), "reproduced");
}

/// A check kind that needs the whole table at once (`group_sum`) is refused on
/// `trade_flows` kept on disk, naming the check: never skipped silently.
#[test]
fn a_check_that_needs_the_whole_table_on_disk_is_an_error() {
    let (t, p, out) = baci_release("AFG", "all");
    let parted = parted_release(
        t.path(),
        &p,
        "\n[[checks]]\nname = \"by_year\"\nkind = \"group_sum\"\ntable = \"trade_flows\"\ngroup_by = [\"year\"]\ncolumn = \"value_usd\"\nmin = 0\n",
    );
    let o = run_quiet(&parted, &out);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(e.contains("check `by_year`: kind `group_sum`"), "{e}");
}
