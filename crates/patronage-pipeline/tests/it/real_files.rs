//! Real files as researchers save them, run through whole pipelines: the
//! Comtrade Plus website's windows-1252 export with trailing commas, an API
//! response saved on one line, the legacy API's `{validation, dataset}` JSON
//! with its World rows, a header line of 50 MB or with terminal escapes, and
//! values finer than the thousandth of a dollar kept. Each test is named after
//! the defect it guards against and asserts published or hand-computed figures.

use std::path::PathBuf;

use patronage_pipeline::{run, CheckStatus, PipelineError, RunOptions, RunReport};
use polars::prelude::*;

use crate::fixture;

/// A folder holding `file` with `bytes` and a pipeline (focus PRK) whose one
/// source reads it; `extra` is added to the source (options) and after it.
struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    fn new(format: &str, file: &str, bytes: &[u8], extra: &str) -> Case {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(file), bytes).unwrap();
        std::fs::write(
            dir.path().join("p.toml"),
            format!(
                "name = \"t\"\nfocus = \"PRK\"\n\n[[sources]]\nid = \"s\"\nformat = \"{format}\"\npath = \"{file}\"\n{extra}"
            ),
        )
        .unwrap();
        Case { dir }
    }

    fn out(&self) -> PathBuf {
        self.dir.path().join("out")
    }

    fn run(&self) -> Result<RunReport, PipelineError> {
        run(
            &self.dir.path().join("p.toml"),
            &RunOptions {
                output: Some(self.out()),
                ..RunOptions::default()
            },
        )
    }

    fn table(&self, name: &str) -> DataFrame {
        let f = std::fs::File::open(self.out().join(format!("{name}.parquet"))).unwrap();
        ParquetReader::new(f).finish().unwrap()
    }
}

fn strs(df: &DataFrame, column: &str) -> Vec<String> {
    let c = df.column(column).unwrap().str().unwrap().clone();
    (0..df.height())
        .map(|i| c.get(i).unwrap_or_default().to_string())
        .collect()
}

fn ints(df: &DataFrame, column: &str) -> Vec<i64> {
    let c = df.column(column).unwrap().i64().unwrap().clone();
    (0..df.height())
        .map(|i| c.get(i).unwrap_or_default())
        .collect()
}

fn floats(df: &DataFrame, column: &str) -> Vec<Option<f64>> {
    let c = df.column(column).unwrap().f64().unwrap().clone();
    (0..df.height()).map(|i| c.get(i)).collect()
}

/// `mirror_trade`'s (partner, year, focus exports, focus imports), in key order.
type MirrorRow = (String, i32, Option<f64>, Option<f64>);

fn mirror(c: &Case) -> Vec<MirrorRow> {
    let m = c.table("mirror_trade");
    let year = m.column("year").unwrap().i32().unwrap().clone();
    let (partner, exports, imports) = (
        strs(&m, "partner_iso3"),
        floats(&m, "focus_exports_usd"),
        floats(&m, "focus_imports_usd"),
    );
    (0..m.height())
        .map(|i| {
            (
                partner[i].clone(),
                year.get(i).unwrap_or_default(),
                exports[i],
                imports[i],
            )
        })
        .collect()
}

fn check_passes(report: &RunReport, name: &str) {
    let c = report
        .checks
        .iter()
        .find(|c| c.check == name)
        .unwrap_or_else(|| panic!("no check {name}"));
    assert_eq!(c.status, CheckStatus::Pass, "{name}: {}", c.detail);
}

/// The Comtrade Plus website exports `TradeData_*.csv` in windows-1252 with a
/// trailing comma on every line: the rows of Côte d'Ivoire and Türkiye were
/// rejected as `bad_encoding` for their `reporterDesc`, a column no table uses,
/// and their trade vanished from the totals.
#[test]
fn comtrade_plus_web_export_in_windows_1252_keeps_every_reporter() {
    let bytes = fixture("fixtures/comtrade/TradeData_SYNTHETIC_civ_tur_rus_prk.csv");
    // The file is what the website writes: not UTF-8, "Côte" and "Türkiye" one
    // byte each, a trailing comma on the header and on every row.
    assert!(std::str::from_utf8(&bytes).is_err());
    assert!(bytes.windows(4).any(|w| w == b"C\xf4te"));
    assert!(bytes.windows(3).any(|w| w == b"T\xfcr"));
    assert!(bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .all(|l| l.ends_with(b",")));

    let c = Case::new("comtrade_v1_csv", "TradeData_2019.csv", &bytes, "");
    let report = c.run().unwrap();
    let rows = &report.sources[0].rows;
    assert_eq!((rows.read, rows.kept, rows.rejected), (6, 6, 0));
    assert_eq!(c.table("rejects").height(), 0);
    // Every reporter is in the totals. The partners' exports (X) are the DPRK's
    // imports and their imports (M) its exports, as the fixture's rows say
    // (fixtures/SOURCES.md): CIV X 1,204,311.517 and M 310,000.5, TUR X
    // 2,480,116.25 and M 95,012.004, RUS 2017 X 74,200,000 and M 3,700,000.
    assert_eq!(
        mirror(&c),
        [
            (
                "CIV".to_string(),
                2019,
                Some(310_000.5),
                Some(1_204_311.517)
            ),
            (
                "RUS".to_string(),
                2017,
                Some(3_700_000.0),
                Some(74_200_000.0)
            ),
            (
                "TUR".to_string(),
                2019,
                Some(95_012.004),
                Some(2_480_116.25)
            ),
        ]
    );
    check_passes(&report, "conservation_s");

    // Declared UTF-8, the same file is an error naming the first line that is
    // not (line 4, Côte d'Ivoire's first row) and the encoding to declare.
    let c = Case::new(
        "comtrade_v1_csv",
        "TradeData_2019.csv",
        &bytes,
        "encoding = \"utf-8\"\n",
    );
    let e = c.run().unwrap_err().to_string();
    assert!(
        e.contains("TradeData_2019.csv:4:") && e.contains("declare encoding = \"windows-1252\""),
        "{e}"
    );
    // Declared windows-1252, it reads as detected.
    let c = Case::new(
        "comtrade_v1_csv",
        "TradeData_2019.csv",
        &bytes,
        "encoding = \"windows-1252\"\n",
    );
    assert_eq!(c.run().unwrap().sources[0].rows.kept, 6);
}

/// KOTRA's fixture (8 records, pretty-printed) saved as an API gives it, on one
/// line: minified JSON.
fn minified_kotra() -> Vec<u8> {
    let v: serde_json::Value =
        serde_json::from_slice(&fixture("fixtures/comtrade/prk_kotra_mirror_annual.json")).unwrap();
    let text = serde_json::to_string(&v).unwrap();
    assert!(!text.contains('\n'));
    text.into_bytes()
}

/// An API response saved on one line gave every record `source_line` 1: the
/// conservation check counted 1 record where 8 were kept, and `trade_flows`'
/// key (source, file, line) held 8 rows for one value.
#[test]
fn minified_json_keeps_every_record_apart() {
    let minified = minified_kotra();
    let key = "\n[[checks]]\nname = \"key_unique\"\nkind = \"unique\"\ntable = \"trade_flows\"\ncolumns = [\"source_id\", \"source_file\", \"source_line\", \"source_column\"]\n";
    let c = Case::new("comtrade_v1_json", "kotra.json", &minified, key);
    let report = c.run().unwrap();
    let rows = &report.sources[0].rows;
    assert_eq!((rows.read, rows.kept, rows.rejected), (8, 8, 0));
    check_passes(&report, "conservation_s");
    check_passes(&report, "key_unique");
    let flows = c.table("trade_flows");
    assert_eq!(ints(&flows, "source_line"), [1; 8]);
    let mut columns = ints(&flows, "source_column");
    columns.sort_unstable();
    columns.dedup();
    assert_eq!(columns.len(), 8, "{columns:?}");
    // Each column is where that record's `{` is on the line.
    let text = String::from_utf8(minified.clone()).unwrap();
    for col in &columns {
        let at = text.chars().nth(*col as usize - 1);
        assert_eq!(at, Some('{'), "column {col}");
    }
    // The same figures as the pretty-printed file: the mirror table is the same.
    let pretty = Case::new(
        "comtrade_v1_json",
        "kotra.json",
        &fixture("fixtures/comtrade/prk_kotra_mirror_annual.json"),
        key,
    );
    pretty.run().unwrap();
    assert_eq!(mirror(&c), mirror(&pretty));
    // CHN 2012, 2019, 2021 and RUS 2014.
    assert_eq!(mirror(&c).len(), 4);

    // Two bad records on the one line: two rejects, each at its own column.
    let text = String::from_utf8(minified).unwrap();
    let bad = text
        .replacen("\"refYear\":2012", "\"refYear\":2911", 1)
        .replacen("\"refYear\":2019", "\"refYear\":1850", 1);
    let c = Case::new("comtrade_v1_json", "kotra.json", bad.as_bytes(), "");
    let report = c.run().unwrap();
    let rows = &report.sources[0].rows;
    assert_eq!((rows.read, rows.kept, rows.rejected), (8, 6, 2), "{rows:?}");
    check_passes(&report, "conservation_s");
    let rejects = c.table("rejects");
    assert_eq!(strs(&rejects, "reason"), ["year_out_of_range"; 2]);
    assert_eq!(ints(&rejects, "source_line"), [1; 2]);
    let columns = ints(&rejects, "source_column");
    assert!(columns.windows(2).all(|w| w[0] < w[1]), "{columns:?}");
}

/// The legacy API's `{validation, dataset}` response had no reader, and its World
/// rows (partner 0) beside the partner rows must never count as a partner.
#[test]
fn legacy_api_json_world_rows_never_become_partners() {
    let bytes = fixture("fixtures/comtrade_legacy/rus_prk_2011_api.json");
    let c = Case::new("comtrade_legacy_json", "comtrade.json", &bytes, "");
    let report = c.run().unwrap();
    let rows = &report.sources[0].rows;
    // 4 records: the two DPRK rows kept, the two World rows dropped and counted.
    assert_eq!((rows.read, rows.kept, rows.rejected), (4, 2, 0));
    assert_eq!(rows.dropped.get("partner_world"), Some(&2), "{rows:?}");
    check_passes(&report, "conservation_s");
    let flows = c.table("trade_flows");
    assert_eq!(strs(&flows, "partner_iso3"), ["PRK", "PRK"]);
    // Russia's 2011 figures as its embassy published them: exports $99.2M (the
    // DPRK's imports), imports $14.5M (the DPRK's exports); no WLD partner.
    assert_eq!(
        mirror(&c),
        [(
            "RUS".to_string(),
            2011,
            Some(14_500_000.0),
            Some(99_200_000.0)
        )]
    );
    // The same figures as the legacy download CSV of the same year.
    let csv = Case::new(
        "comtrade_legacy",
        "legacy.csv",
        &fixture("fixtures/comtrade_legacy/rus_prk_2011_download.csv"),
        "",
    );
    csv.run().unwrap();
    assert_eq!(mirror(&c), mirror(&csv));
}

/// A header line of 50 MB gave a 52 MB error, printed and appended to
/// `runs.jsonl` on every failed run.
#[test]
fn a_huge_header_line_gives_a_bounded_error() {
    let mut bytes = vec![b'x'; 50 << 20];
    bytes.extend_from_slice(b"\n1\n");
    let c = Case::new("comtrade_v1_csv", "huge.csv", &bytes, "");
    let e = c.run().unwrap_err().to_string();
    assert!(
        e.contains("huge.csv:1: missing columns"),
        "{}",
        &e[..200.min(e.len())]
    );
    assert!(e.len() < 8 << 10, "an error of {} bytes", e.len());
    // The quoted header is cut at 1,000 characters, saying how long it was.
    assert!(
        e.contains(&format!("… ({} bytes in all)", 50 << 20)),
        "{}",
        &e[e.len() - 300..]
    );
    let log = std::fs::read(c.out().join(".patronage/runs.jsonl")).unwrap();
    assert!(
        log.len() < 16 << 10,
        "runs.jsonl grew by {} bytes",
        log.len()
    );
}

/// Escape sequences in a header line reached the terminal through the error
/// quoting it (ESC [ 2 J clears the screen; OSC 0 retitles the window).
#[test]
fn escape_sequences_in_a_header_never_reach_the_terminal() {
    let header = b"\x1b[2J\x1b]0;owned\x07typeCode\n1\n";
    for format in [
        "comtrade_v1_csv",
        "comtrade_legacy",
        "baci",
        "russia_customs",
    ] {
        let extra = if format == "russia_customs" {
            "stoim_unit = \"usd\"\nperiod = \"2017\"\n"
        } else {
            ""
        };
        let c = Case::new(format, "esc.csv", header, extra);
        let e = c.run().unwrap_err().to_string();
        assert!(!e.chars().any(|ch| ch.is_control()), "{format}: {e:?}");
        assert!(
            e.contains("\\u{1b}[2J\\u{1b}]0;owned\\u{7}"),
            "{format}: {e}"
        );
        let log = std::fs::read_to_string(c.out().join(".patronage/runs.jsonl")).unwrap();
        assert!(!log.contains('\u{1b}'), "{format}: {log}");
    }
}

/// Values were parsed into thousandths of a dollar with rounding: `0.0004`
/// became 0 and `0.0005` became 0.001 without a word. A value with a digit past
/// the third decimal is now rejected, `value_precision`, naming the column;
/// Comtrade's three decimals are read exactly.
#[test]
fn values_finer_than_a_thousandth_are_rejected_not_rounded() {
    let original = String::from_utf8(fixture(
        "fixtures/comtrade/rus_prk_russia_reported_annual.csv",
    ))
    .unwrap();
    let mut lines: Vec<String> = original.lines().map(str::to_string).collect();
    // Line 2: 2011 X 99,200,000; line 3: 2011 M 14,500,000; line 4: 2017 X 74,200,000.
    lines[1] = lines[1].replace("99200000.0", "0.0004");
    lines[2] = lines[2].replace("14500000.0", "0.0005");
    lines[3] = lines[3].replace("74200000.0", "1234.567");
    let c = Case::new(
        "comtrade_v1_csv",
        "values.csv",
        (lines.join("\n") + "\n").as_bytes(),
        "",
    );
    let report = c.run().unwrap();
    let rows = &report.sources[0].rows;
    assert_eq!((rows.read, rows.kept, rows.rejected), (6, 4, 2));
    let rejects = c.table("rejects");
    assert_eq!(strs(&rejects, "reason"), ["value_precision"; 2]);
    assert_eq!(ints(&rejects, "source_line"), [2, 3]);
    let detail = strs(&rejects, "detail");
    assert_eq!(
        detail[0],
        "column 44 `primaryValue`: `0.0004` has more than 3 decimals: amounts are kept exactly to 3, and rounding would change the figure"
    );
    assert!(
        detail[1].starts_with("column 44 `primaryValue`: `0.0005`"),
        "{}",
        detail[1]
    );
    // 1234.567 is kept to the thousandth.
    let flows = c.table("trade_flows");
    assert!(floats(&flows, "value_usd").contains(&Some(1234.567)));
}
