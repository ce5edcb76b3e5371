//! Labor and the timeline end to end: the statistics sheets in `.xlsx` and CSV
//! give the same `labor_stock`, `labor_summary` keeps one measure per number,
//! the default run carries the cited timeline, and bad labor input gives a clear
//! error or a reject with its reason.

use std::path::{Path, PathBuf};

use crate::common::*;
use polars::prelude::*;

const XLSX: &str = "fixtures/labor/ru_labor_sheets.xlsx";
const CSV_2T: &str = "fixtures/labor/ru_form_2t_2018.csv";
const CSV_PERMITS: &str = "fixtures/labor/ru_mvd_permits.csv";
const LEDGER: &str = "fixtures/labor/dprk_estimates_ledger.csv";
const BAD_XLSX: &str = "fixtures/labor/bad/merged_cells.xlsx";

const FORM_2T_SHEET: &str =
    "layout = \"form_2t\", header_row = 3, header_rows = 2, year = 2018, host = \"RUS\"";
const PERMITS_SHEET: &str =
    "layout = \"permits_by_citizenship\", header_row = 3, header_rows = 2, host = \"RUS\"";

fn abs(path: &str) -> String {
    root().join(path).to_str().unwrap().replace('\\', "/")
}

/// A pipeline in a temp folder with the given `[[sources]]` blocks, reading the
/// repository's fixtures where they are (so its runs allow paths outside its
/// project: [`run_quiet`]).
fn pipeline(sources: &str) -> (tempfile::TempDir, PathBuf, PathBuf) {
    temp_pipeline(
        &[],
        &format!("name = \"labor\"\nfocus = \"PRK\"\n\n{sources}"),
    )
}

/// A quiet run of a pipeline of [`pipeline`], which reads outside its project.
fn run_quiet(pipeline: &Path, out: &Path) -> std::process::Output {
    run_pipeline(pipeline, out, &["-q", "--allow-outside-paths"])
}

fn source(id: &str, format: &str, path: &str, sheet: Option<String>) -> String {
    let sheet = sheet.map_or(String::new(), |s| format!("sheet = {{ {s} }}\n"));
    format!("[[sources]]\nid = \"{id}\"\nformat = \"{format}\"\npath = \"{path}\"\n{sheet}\n")
}

fn run_ok_at(p: &Path, out: &Path) {
    let o = run_quiet(p, out);
    assert!(o.status.success(), "{}", stderr(&o));
    for input in manifest(out)["inputs"].as_array().unwrap() {
        assert_balanced(&input["rows"]);
    }
}

fn i64_col(df: &DataFrame, name: &str) -> Vec<Option<i64>> {
    let c = df.column(name).unwrap().i64().unwrap();
    (0..c.len()).map(|i| c.get(i)).collect()
}

fn str_col(df: &DataFrame, name: &str) -> Vec<Option<String>> {
    let c = df.column(name).unwrap().str().unwrap();
    (0..c.len()).map(|i| c.get(i).map(str::to_string)).collect()
}

/// The `.xlsx` sheets and the same sheets saved as CSV give identical
/// `labor_stock` rows: same cells, figures, qualifiers and notes; only the file
/// name differs.
#[test]
fn xlsx_and_csv_give_identical_labor_stock() {
    let xlsx_sources = source(
        "form_2t",
        "labor_sheet_xlsx",
        &abs(XLSX),
        Some(format!("name = \"2-T\", {FORM_2T_SHEET}")),
    ) + &source(
        "permits",
        "labor_sheet_xlsx",
        &abs(XLSX),
        Some(format!("name = \"permits\", {PERMITS_SHEET}")),
    );
    let csv_sources = source(
        "form_2t",
        "labor_sheet_csv",
        &abs(CSV_2T),
        Some(format!("name = \"2-T\", {FORM_2T_SHEET}")),
    ) + &source(
        "permits",
        "labor_sheet_csv",
        &abs(CSV_PERMITS),
        Some(format!("name = \"permits\", {PERMITS_SHEET}")),
    );
    let (_a, px, ox) = pipeline(&xlsx_sources);
    let (_b, pc, oc) = pipeline(&csv_sources);
    run_ok_at(&px, &ox);
    run_ok_at(&pc, &oc);
    let x = table(&ox, "labor_stock").drop("source_file").unwrap();
    let c = table(&oc, "labor_stock").drop("source_file").unwrap();
    assert!(x.equals_missing(&c), "xlsx:\n{x}\ncsv:\n{c}");
    // The figures themselves, as the sheets carry them: Matsegora's 34,000 at the
    // start of 2018 and 11,000 at its end (form 2-T), and "почти 24 000" (almost
    // 24,000) work visas in 2017 (permits).
    assert_eq!(x.height(), 3);
    assert_eq!(
        str_col(&x, "source_ref"),
        [Some("2-T!D5"), Some("2-T!G5"), Some("permits!D5")].map(|s| s.map(String::from))
    );
    assert_eq!(
        i64_col(&x, "workers"),
        [Some(34_000), Some(11_000), Some(24_000)]
    );
    assert_eq!(
        str_col(&x, "measure"),
        [
            Some("workers_present".to_string()),
            Some("workers_present".to_string()),
            Some("work_permits_issued".to_string())
        ]
    );
    assert_eq!(
        str_col(&x, "as_of"),
        [
            Some("2018-01-01".to_string()),
            Some("2018-12-31".to_string()),
            None
        ]
    );
    assert_eq!(str_at(&x, "qualifier", 2), "almost");
    assert_eq!(str_at(&x, "origin_iso3", 0), "PRK");
    // Both files account for every figure cell the same way: 4 cells in 2-T (two
    // "…" not reported), 2 in permits (2016 "…").
    for out in [&ox, &oc] {
        let m = manifest(out);
        let rows: Vec<(u64, u64)> = m["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                (
                    i["rows"]["read"].as_u64().unwrap(),
                    i["rows"]["dropped"]["not_reported"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(rows, [(4, 2), (2, 1)]);
    }
}

/// The default run: the cited timeline, labor_stock from the sheets and the
/// ledger, and a summary with one measure per number.
#[test]
fn default_run_has_timeline_and_labor_summary() {
    let (_tmp, out) = run_to_temp("pipelines/dprk.toml");
    let events = table(&out, "events");
    let r2397 = rows_where(&events, "title", "UN Security Council resolution 2397");
    assert_eq!(r2397.height(), 1, "{events}");
    assert_eq!(str_at(&r2397, "date", 0), "2017-12-22");
    assert_eq!(str_at(&r2397, "kind", 0), "sanction");
    assert!(str_at(&r2397, "detail", 0).contains("22 Dec 2019"));
    let r2375 = rows_where(&events, "title", "UN Security Council resolution 2375");
    assert_eq!(str_at(&r2375, "date", 0), "2017-09-11");
    let deadline = rows_where(&events, "title", "UNSCR 2397 repatriation deadline");
    assert_eq!(str_at(&deadline, "date", 0), "2019-12-22");
    let kinds: Vec<String> = str_col(&events, "kind").into_iter().flatten().collect();
    for k in ["sanction", "agreement", "transport", "visit"] {
        assert!(kinds.iter().any(|x| x == k), "no {k} event");
    }
    // Sorted by date: the 1960s first.
    assert!(str_at(&events, "date", 0).starts_with("1966"));

    let stock = table(&out, "labor_stock");
    assert_eq!(
        stock.height(),
        11,
        "3 sheet figures + 8 ledger entries\n{stock}"
    );
    let summary = table(&out, "labor_summary");
    let key = |y: i32, m: &str| {
        summary
            .clone()
            .lazy()
            .filter(col("year").eq(lit(y)).and(col("measure").eq(lit(m))))
            .collect()
            .unwrap()
    };
    // 2006: about 8,000 loggers + about 3,000 others (Lankov) = 11,000 present;
    // timber 8,000 / 11,000.
    let y2006 = key(2006, "workers_present");
    assert_eq!(i64_col(&y2006, "workers"), [Some(11_000)]);
    assert_eq!(str_at(&y2006, "qualifier", 0), "about");
    assert!((f64_at(&y2006, "share_timber").unwrap() - 8.0 / 11.0).abs() < 1e-12);
    // 2017: three measures, three rows, never added: about 37,000 present,
    // almost 24,000 permits, the press's 40,000 estimate.
    let y2017: Vec<(String, i64)> = {
        let s = summary
            .clone()
            .lazy()
            .filter(col("year").eq(lit(2017)))
            .collect()
            .unwrap();
        str_col(&s, "measure")
            .into_iter()
            .flatten()
            .zip(i64_col(&s, "workers").into_iter().flatten())
            .collect()
    };
    assert_eq!(
        y2017,
        [
            ("estimate".to_string(), 40_000),
            ("work_permits_issued".to_string(), 24_000),
            ("workers_present".to_string(), 37_000)
        ]
    );
    // 2018 present: the year-end 11,000 of form 2-T, not 34,000 + 11,000; the
    // change on 2017's 37,000 is -26,000.
    let y2018 = key(2018, "workers_present");
    assert_eq!(i64_col(&y2018, "workers"), [Some(11_000)]);
    assert_eq!(str_at(&y2018, "as_of", 0), "2018-12-31");
    assert_eq!(i64_col(&y2018, "change"), [Some(-26_000)]);
    // 2019: the latest date that year, September's "under 10,000".
    let y2019 = key(2019, "workers_present");
    assert_eq!(i64_col(&y2019, "workers"), [Some(10_000)]);
    assert_eq!(str_at(&y2019, "qualifier", 0), "less_than");
    // No year x host x origin x measure twice.
    assert_eq!(
        summary
            .select(["year", "host_iso3", "origin_iso3", "measure"])
            .unwrap()
            .unique_stable(None, UniqueKeepStrategy::First, None)
            .unwrap()
            .height(),
        summary.height()
    );
    let m = manifest(&out);
    for input in m["inputs"].as_array().unwrap() {
        assert_balanced(&input["rows"]);
    }
}

/// A CSV copy of the 2-T sheet with one cell changed.
fn form_2t_with(cell: &str, value: &str) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let text = std::fs::read_to_string(root().join(CSV_2T)).unwrap();
    assert!(text.contains(cell));
    let text = text.replacen(cell, value, 1);
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("2t.csv"), text).unwrap();
    let p = tmp.path().join("p.toml");
    std::fs::write(
        &p,
        format!(
            "name = \"labor\"\nfocus = \"PRK\"\n\n{}",
            source(
                "form_2t",
                "labor_sheet_csv",
                "2t.csv",
                Some(format!("name = \"2-T\", {FORM_2T_SHEET}"))
            )
        ),
    )
    .unwrap();
    let out = tmp.path().join("out");
    (tmp, p, out)
}

/// A hedged text cell is read with its qualifier; an unreadable one is a reject
/// naming file, sheet, row and column, with the row as read; nothing is silent.
#[test]
fn text_cells_in_number_columns() {
    let (_t, p, out) = form_2t_with(",34000,", ",\"~34,000\",");
    run_ok_at(&p, &out);
    let stock = table(&out, "labor_stock");
    let d5 = rows_where(&stock, "source_ref", "2-T!D5");
    assert_eq!(i64_col(&d5, "workers"), [Some(34_000)]);
    assert_eq!(str_at(&d5, "qualifier", 0), "about");

    let (_t, p, out) = form_2t_with(",11000", ",more than 11 000");
    run_ok_at(&p, &out);
    let g5 = rows_where(&table(&out, "labor_stock"), "source_ref", "2-T!G5");
    assert_eq!(str_at(&g5, "qualifier", 0), "more_than");

    let (_t, p, out) = form_2t_with(",34000,", ",thirty-four thousand,");
    run_ok_at(&p, &out);
    let rejects = table(&out, "rejects");
    assert_eq!(rejects.height(), 1, "{rejects}");
    assert_eq!(str_at(&rejects, "reason", 0), "bad_number");
    assert_eq!(str_at(&rejects, "source_file", 0), "2t.csv");
    assert_eq!(i64_col(&rejects, "source_line"), [Some(5)]);
    let detail = str_at(&rejects, "detail", 0);
    assert!(
        detail.starts_with("sheet `2-T`, row 5 column D `Численность иностранных работников / на начало периода`: `thirty-four thousand` is neither a number nor a hedged number"),
        "{detail}"
    );
    assert!(str_at(&rejects, "raw", 0).contains("thirty-four thousand"));
    let rows = &manifest(&out)["inputs"][0]["rows"];
    assert_eq!(
        (
            rows["read"].as_u64(),
            rows["kept"].as_u64(),
            rows["rejected"].as_u64()
        ),
        (Some(4), Some(1), Some(1))
    );
}

/// A sheet the workbook does not have: the error names the file and lists the
/// sheets there are.
#[test]
fn missing_sheet_lists_the_sheets() {
    let (_t, p, out) = pipeline(&source(
        "form_2t",
        "labor_sheet_xlsx",
        &abs(XLSX),
        Some(format!("name = \"2-T 2019\", {FORM_2T_SHEET}")),
    ));
    let o = run_quiet(&p, &out);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("ru_labor_sheets.xlsx: no sheet `2-T 2019`; the workbook has `2-T`, `permits`"),
        "{e}"
    );
    assert!(!out.join("labor_stock.parquet").exists());
}

/// Merged header cells are read as headings over the columns they span; a merge
/// that gives two figure columns one name, or that covers figures, is an error
/// naming file, sheet, row and cells.
#[test]
fn merged_cells_that_hide_a_column_are_errors() {
    for (sheet, expected) in [
        (
            "merged header",
            "merged_cells.xlsx:3: sheet `merged header`, columns E, F all read `Численность иностранных работников / прибыло` (merged header cells E4:F4)",
        ),
        (
            "merged data",
            "merged_cells.xlsx:5: sheet `merged data`, cells D5:E5 are merged in the data rows",
        ),
    ] {
        let (_t, p, out) = pipeline(&source(
            "form_2t",
            "labor_sheet_xlsx",
            &abs(BAD_XLSX),
            Some(format!("name = \"{sheet}\", {FORM_2T_SHEET}")),
        ));
        let o = run_quiet(&p, &out);
        assert_eq!(o.status.code(), Some(2));
        let e = stderr(&o);
        assert!(e.contains(expected), "{e}");
    }
}

/// An unknown measure (or sector) in the ledger is a reject naming line and
/// column and listing the measures there are; the other entries are kept.
#[test]
fn unknown_measure_is_a_reject() {
    let text = std::fs::read_to_string(root().join(LEDGER)).unwrap();
    let text = text
        .replacen(",all,estimate,", ",all,press_estimate,", 1)
        .replacen(
            ",timber,workers_present,\"about 8,000\"",
            ",forestry,workers_present,\"about 8,000\"",
            1,
        );
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("ledger.csv"), text).unwrap();
    let p = tmp.path().join("p.toml");
    std::fs::write(
        &p,
        format!(
            "name = \"labor\"\nfocus = \"PRK\"\n\n{}",
            source("ledger", "labor_ledger_csv", "ledger.csv", None)
        ),
    )
    .unwrap();
    let out = tmp.path().join("out");
    run_ok_at(&p, &out);
    let rejects = table(&out, "rejects");
    assert_eq!(
        str_col(&rejects, "reason"),
        [
            Some("unknown_sector".to_string()),
            Some("unknown_measure".to_string())
        ]
    );
    assert_eq!(i64_col(&rejects, "source_line"), [Some(3), Some(6)]);
    assert!(str_at(&rejects, "detail", 1).starts_with(
        "column `measure`: unknown measure `press_estimate`; known: work_permits_issued, workers_present, quota, entries, estimate"
    ));
    assert_eq!(table(&out, "labor_stock").height(), 6);
    let rows = &manifest(&out)["inputs"][0]["rows"];
    assert_eq!(
        (rows["read"].as_u64(), rows["rejected"].as_u64()),
        (Some(8), Some(2))
    );
}

/// A sheet source without its layout, or with an unknown one, is an error in the
/// pipeline file naming the line.
#[test]
fn sheet_declaration_errors() {
    let (_t, p, out) = pipeline(&source("s", "labor_sheet_xlsx", &abs(XLSX), None));
    let e = stderr(&run_quiet(&p, &out));
    assert!(
        e.contains("p.toml:6: source `s`: format labor_sheet_xlsx needs a `sheet` table"),
        "{e}"
    );
    let (_t, p, out) = pipeline(&source(
        "s",
        "labor_sheet_xlsx",
        &abs(XLSX),
        Some("name = \"2-T\", layout = \"form_3t\", host = \"RUS\"".into()),
    ));
    let e = stderr(&run_quiet(&p, &out));
    assert!(
        e.contains("unknown sheet layout `form_3t`; known: form_2t, permits_by_citizenship"),
        "{e}"
    );
}

/// Arrivals become `entries`; departures and a total row are read, counted and
/// dropped by reason; an OKSM code the registry does not know is a reject.
#[test]
fn movements_total_rows_and_unknown_codes_are_accounted() {
    let total_row = "Всего,02,,34000,…,…,11000\n";
    let (t, p, out) = form_2t_with(",…,…,11000", ",1500,2000,11000");
    let csv = t.path().join("2t.csv");
    let text = std::fs::read_to_string(&csv).unwrap() + total_row + "Атлантида,03,999,5,…,…,…\n";
    std::fs::write(&csv, text).unwrap();
    run_ok_at(&p, &out);
    let stock = table(&out, "labor_stock");
    let e5 = rows_where(&stock, "source_ref", "2-T!E5");
    assert_eq!(str_at(&e5, "measure", 0), "entries");
    assert_eq!(i64_col(&e5, "workers"), [Some(1_500)]);
    assert_eq!(str_at(&e5, "as_of", 0), "");
    assert!(rows_where(&stock, "source_ref", "2-T!F5").height() == 0);
    assert_eq!(stock.height(), 3);
    let rows = &manifest(&out)["inputs"][0]["rows"];
    // 3 rows x 4 figure columns. Row 5: 3 kept, 1 departure. Row 6 (total): 2
    // figures dropped as total_row, 2 "…" not reported. Row 7: code 999 rejected,
    // 3 "…" not reported.
    assert_eq!(rows["read"].as_u64(), Some(12));
    assert_eq!(rows["kept"].as_u64(), Some(3));
    assert_eq!(rows["dropped"]["departed_not_a_measure"].as_u64(), Some(1));
    assert_eq!(rows["dropped"]["total_row"].as_u64(), Some(2));
    assert_eq!(rows["dropped"]["not_reported"].as_u64(), Some(5));
    assert_eq!(rows["rejected"].as_u64(), Some(1));
    let rejects = table(&out, "rejects");
    assert_eq!(str_at(&rejects, "stage", 0), "normalize");
    assert_eq!(str_at(&rejects, "reason", 0), "unknown_country_code");
    assert_eq!(i64_col(&rejects, "source_line"), [Some(7)]);
    assert!(str_at(&rejects, "detail", 0).starts_with("cell 2-T!D7 (`Атлантида`"));
}
