//! Bad input gives a clear error naming file and line (exit code 2), or a row in
//! `rejects` naming file and line with the raw text; the row accounting still
//! balances. One test per case. Inputs are the project's fixtures, damaged here.

use std::path::{Path, PathBuf};

use crate::common::*;
use polars::prelude::*;

const RU_CSV: &str = "fixtures/comtrade/rus_prk_russia_reported_annual.csv";
const KOTRA_JSON: &str = "fixtures/comtrade/prk_kotra_mirror_annual.json";
const ITC_TSV: &str = "fixtures/comtrade/rus_prk_itc_annual.tsv";

/// A pipeline in a temp folder reading `file_name` (with `content`) as `format`.
fn setup(format: &str, file_name: &str, content: &[u8]) -> (tempfile::TempDir, PathBuf, PathBuf) {
    temp_pipeline(
        &[(file_name, content)],
        &format!("name = \"bad\"\nfocus = \"PRK\"\n\n[[sources]]\nid = \"src\"\nformat = \"{format}\"\npath = \"{file_name}\"\n"),
    )
}

fn fixture(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap()
}

/// The one reject, and the manifest's accounting for the one input.
fn only_reject(out: &Path) -> (DataFrame, serde_json::Value) {
    let rejects = table(out, "rejects");
    assert_eq!(rejects.height(), 1, "{rejects}");
    let rows = manifest(out)["inputs"][0]["rows"].clone();
    assert_balanced(&rows);
    assert_eq!(rows["rejected"], 1);
    (rejects, rows)
}

fn line_of(df: &DataFrame) -> i64 {
    df.column("source_line")
        .unwrap()
        .i64()
        .unwrap()
        .get(0)
        .unwrap()
}

#[test]
fn missing_column_is_an_error_naming_file_and_line() {
    // Drop the `primaryValue` column (the 44th) from header and rows.
    let text: String = fixture(RU_CSV)
        .lines()
        .map(|l| {
            let mut f: Vec<&str> = l.split(',').collect();
            f.remove(43);
            f.join(",") + "\n"
        })
        .collect();
    let (_tmp, p, out) = setup("comtrade_v1_csv", "ru.csv", text.as_bytes());
    let o = run_quiet(&p, &out);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("ru.csv:1: missing column `primaryValue`"), "{e}");
    assert!(
        !out.join("trade_flows.parquet").exists(),
        "no table from a failed run"
    );
}

#[test]
fn non_numeric_value_is_a_reject_naming_file_line_and_column() {
    let text = fixture(RU_CSV).replacen("14500000.0,0,True", "14.5M,0,True", 1);
    let (_tmp, p, out) = setup("comtrade_v1_csv", "ru.csv", text.as_bytes());
    let o = run_quiet(&p, &out);
    assert!(o.status.success(), "{}", stderr(&o));
    let (rej, rows) = only_reject(&out);
    assert_eq!(str_at(&rej, "stage", 0), "extract");
    assert_eq!(str_at(&rej, "reason", 0), "bad_number");
    assert_eq!(str_at(&rej, "source_file", 0), "ru.csv");
    assert_eq!(line_of(&rej), 3, "the 2011 import row is on line 3");
    assert_eq!(
        str_at(&rej, "detail", 0),
        "column 44 `primaryValue`: `14.5M` is not a number"
    );
    assert!(str_at(&rej, "raw", 0).contains("14.5M"));
    assert_eq!(rows["kept"], 5);
}

#[test]
fn unknown_country_code_is_a_reject() {
    // Partner 408 -> 999 on the first data row (line 2).
    let text = fixture(RU_CSV).replacen(",643,,,X,,408,", ",643,,,X,,999,", 1);
    let (_tmp, p, out) = setup("comtrade_v1_csv", "ru.csv", text.as_bytes());
    assert!(run_quiet(&p, &out).status.success());
    let (rej, _) = only_reject(&out);
    assert_eq!(str_at(&rej, "stage", 0), "normalize");
    assert_eq!(str_at(&rej, "reason", 0), "unknown_country_code");
    assert_eq!(line_of(&rej), 2);
    assert_eq!(
        str_at(&rej, "detail", 0),
        "partnerCode: unknown country code 999"
    );
}

#[test]
fn ussr_row_dated_after_1991_is_a_reject() {
    // Reporter 643 -> 810 (USSR) on the 2011 export row.
    let text = fixture(RU_CSV).replacen(",2011,643,", ",2011,810,", 1);
    let (_tmp, p, out) = setup("comtrade_v1_csv", "ru.csv", text.as_bytes());
    assert!(run_quiet(&p, &out).status.success());
    let (rej, _) = only_reject(&out);
    assert_eq!(str_at(&rej, "reason", 0), "country_code_not_valid_in_year");
    assert_eq!(line_of(&rej), 2);
    assert!(str_at(&rej, "detail", 0).contains("810 (SUN) is valid open..=1991, not in 2011"));
}

#[test]
fn truncated_csv_last_line_is_a_reject() {
    let full = fixture(RU_CSV);
    let cut = &full[..full.len() - 40];
    let (_tmp, p, out) = setup("comtrade_v1_csv", "ru.csv", cut.as_bytes());
    assert!(run_quiet(&p, &out).status.success());
    let (rej, rows) = only_reject(&out);
    assert_eq!(str_at(&rej, "reason", 0), "field_count");
    assert_eq!(line_of(&rej), 7);
    assert!(
        str_at(&rej, "detail", 0).contains("expected 47 fields"),
        "{}",
        str_at(&rej, "detail", 0)
    );
    assert_eq!(rows["kept"], 5);
}

#[test]
fn truncated_json_is_an_error_naming_file_line_and_column() {
    let full = fixture(KOTRA_JSON);
    let cut = &full[..full.len() / 2];
    let (_tmp, p, out) = setup("comtrade_v1_json", "kotra.json", cut.as_bytes());
    let o = run_quiet(&p, &out);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    let lines = cut.lines().count();
    assert!(e.contains(&format!("kotra.json:{lines}:")), "{e}");
    assert!(e.contains("EOF"), "{e}");
}

#[test]
fn file_in_the_wrong_layout_is_an_error() {
    // A bulk TSV declared as the API CSV.
    let (_tmp, p, out) = setup("comtrade_v1_csv", "itc.tsv", fixture(ITC_TSV).as_bytes());
    let o = run_quiet(&p, &out);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("itc.tsv:1: missing columns"), "{e}");
    assert!(e.contains("wrong delimiter?"), "{e}");
    // The API CSV declared as the bulk TSV.
    let (_tmp, p, out) = setup("comtrade_v1_bulk", "ru.csv", fixture(RU_CSV).as_bytes());
    let e = stderr(&run_quiet(&p, &out));
    assert!(e.contains("ru.csv:1: missing columns"), "{e}");
    // A CSV declared as JSON.
    let (_tmp, p, out) = setup("comtrade_v1_json", "ru.csv", fixture(RU_CSV).as_bytes());
    let e = stderr(&run_quiet(&p, &out));
    assert!(
        e.contains("ru.csv:1:2: not a Comtrade v1 API response: expected ident"),
        "{e}"
    );
}

#[test]
fn empty_file_is_an_error() {
    let (_tmp, p, out) = setup("comtrade_v1_csv", "empty.csv", b"");
    let o = run_quiet(&p, &out);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("empty.csv:1: the file is empty"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn pipeline_file_errors_name_the_line() {
    let (_tmp, p, out) = setup("comtrade_v1_csv", "ru.csv", fixture(RU_CSV).as_bytes());
    let text = std::fs::read_to_string(&p).unwrap();
    // An unknown key.
    std::fs::write(&p, text.replace("focus = ", "focal = \"PRK\"\nfocus = ")).unwrap();
    let e = stderr(&run_quiet(&p, &out));
    assert!(
        e.contains("unknown field `focal`") && e.contains("line 2"),
        "{e}"
    );
    // A glob that matches nothing.
    std::fs::write(&p, text.replace("ru.csv", "nothing*.csv")).unwrap();
    let e = stderr(&run_quiet(&p, &out));
    assert!(
        e.contains("p.toml:7: source `src`: `nothing*.csv` matches no file"),
        "{e}"
    );
    // A focus the registry does not know.
    std::fs::write(&p, text.replace("\"PRK\"", "\"XYZ\"")).unwrap();
    let e = stderr(&run_quiet(&p, &out));
    assert!(e.contains("p.toml:2: focus `XYZ`"), "{e}");
}
