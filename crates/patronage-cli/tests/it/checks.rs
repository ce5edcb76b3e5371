//! Data checks end to end: the default pipeline's checks on its fixtures, and the
//! same pipeline on a copy of the project whose fixtures are damaged (a share of
//! 1.5, a USSR row dated 1995): exit code 1, every table written, the failing row
//! in `check_results`. Also the pipeline file's validation of checks and paths.

use std::path::{Path, PathBuf};

use crate::common::*;
use polars::prelude::*;

/// The project's pipeline and fixtures copied to a temp folder with the same
/// layout (`pipelines/`, `fixtures/`); `damage` edits one file of
/// `fixtures/comtrade/`.
fn project_copy(damage: Option<(&str, &str, &str)>) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let pipelines = tmp.path().join("pipelines");
    let fixtures = tmp.path().join("fixtures/comtrade");
    std::fs::create_dir_all(&pipelines).unwrap();
    std::fs::copy(
        root().join("pipelines/dprk.toml"),
        pipelines.join("dprk.toml"),
    )
    .unwrap();
    copy_tree(&root().join("fixtures"), &tmp.path().join("fixtures"));
    if let Some((file, from, to)) = damage {
        let path = fixtures.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{file} has no `{from}`");
        std::fs::write(&path, text.replace(from, to)).unwrap();
    }
    let p = pipelines.join("dprk.toml");
    (tmp, p)
}

fn check_row(out: &Path, name: &str) -> DataFrame {
    let df = rows_where(&table(out, "check_results"), "check", name);
    assert_eq!(df.height(), 1, "no check {name}");
    df
}

fn failing_rows(df: &DataFrame) -> i64 {
    df.column("failing_rows")
        .unwrap()
        .i64()
        .unwrap()
        .get(0)
        .unwrap()
}

/// Every table of the run is on disk, with the manifest.
fn assert_all_tables_written(out: &Path) {
    let m = manifest(out);
    for o in m["outputs"].as_array().unwrap() {
        let f = out.join(o["file"].as_str().unwrap());
        assert!(f.is_file(), "{} missing", f.display());
    }
    assert!(m["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["table"] == "check_results"));
}

#[test]
fn default_checks_pass_except_the_known_source_disagreement() {
    let (_tmp, out) = run_to_temp("pipelines/dprk.toml");
    let results = table(&out, "check_results");
    // 45 declared in pipelines/dprk.toml (18 on the trade tables, 20 on the aid,
    // labor, events and source_comparison tables, 4 on patron_influence and
    // claims, 3 on trade_by_group and commodity_group_bans) + one conservation
    // check per source (27).
    assert_eq!(results.height(), 45 + 27);
    let failed = rows_where(&results, "status", "fail");
    assert_eq!(failed.height(), 1, "{failed}");
    assert_eq!(str_at(&failed, "check", 0), "sources_agree_within_10pct");
    assert_eq!(str_at(&failed, "severity", 0), "warn");
    // Russia 2014: KOTRA $82.17M vs ITC $71.77M exports (12.7% of the larger
    // apart; Russian customs via RFA $82.15M), $10.17M vs $13.00M imports
    // (21.8%); China 2018: KOTRA's $2.72B total vs UN Comtrade's $2.431B (10.6%);
    // China 2019: KOTRA's $2.88B exports vs KITA's $2.589B (10.1%); China 2020:
    // China customs' $539M vs KOTRA's $760.8M (29.2%); Russia 2000: KOTRA's $46M
    // vs the Russian ministry's $105M (56.2%).
    let sample = str_at(&failed, "sample", 0);
    assert!(
        sample.contains("year=2014")
            && sample.contains(
                "kotra 82170000 vs ru_itc 71770000 vs ussr_russia_totals 82150000 (12.7% apart)"
            )
            && sample.contains("kotra_totals 2720000000 vs other_totals 2431000000 (10.6% apart)")
            && sample.contains("kotra 2880000000 vs other_totals 2589000000 (10.1% apart)")
            && sample
                .contains("kotra_totals 46000000 vs ussr_russia_totals 105000000 (56.2% apart)"),
        "{sample}"
    );
    let cons = check_row(&out, "conservation_kotra");
    assert_eq!(str_at(&cons, "status", 0), "pass");
    assert!(str_at(&cons, "detail", 0).starts_with("read 8 = kept 8 + dropped 0 + rejected 0"));
}

#[test]
fn a_share_above_one_fails_the_run_with_exit_code_1() {
    // KOTRA's 2021 China figure: DPRK imports $623.55M -> $1,011.39M, so China's
    // total is 1,011.39 + 58.11 = $1,069.50M; with Russia's $40,469 (Russian
    // customs, the published series) the two partners' rows sum to
    // $1,069,540,469, 1.50006 times the DPRK total KOTRA published for 2021
    // ($713M).
    let (tmp, pipeline) = project_copy(Some((
        "prk_kotra_mirror_annual.json",
        "623550000.0",
        "1011390000.0",
    )));
    let out = tmp.path().join("out");
    let o = run_pipeline(&pipeline, &out, &[]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("partners_within_published_total"),
        "{stderr}"
    );
    assert_all_tables_written(&out);
    let row = check_row(&out, "partners_within_published_total");
    assert_eq!(str_at(&row, "status", 0), "fail");
    assert_eq!(failing_rows(&row), 2);
    let sample = str_at(&row, "sample", 0);
    assert_eq!(
        sample,
        "year=2021: sum(total_usd) = 1069540469 over declared 713000000 = 1.5001 (2 rows)"
    );
    // The terminal shows it too.
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("FAIL error partners_within_published_total"),
        "{stdout}"
    );
}

#[test]
fn an_event_listed_twice_fails_the_run_with_exit_code_1() {
    // The 2017 labor migration agreement listed twice in the timeline: the events
    // reader keeps both lines (an events file has no id column), and the default
    // check on the events table's key catches the pair.
    let timeline =
        std::fs::read_to_string(root().join("fixtures/events/dprk_russia_timeline.csv")).unwrap();
    let line = timeline
        .lines()
        .find(|l| l.starts_with("2017-03,agreement,"))
        .unwrap();
    let next = "\n2017-05,transport,";
    let twice = format!("\n{line}{next}");
    let (tmp, pipeline) = project_copy(Some(("../events/dprk_russia_timeline.csv", next, &twice)));
    let out = tmp.path().join("out");
    let o = run_pipeline(&pipeline, &out, &["-q"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("FAIL error events_key_unique"), "{stderr}");
    assert_all_tables_written(&out);
    let row = check_row(&out, "events_key_unique");
    assert_eq!(str_at(&row, "status", 0), "fail");
    // Both rows of the pair fail.
    assert_eq!(failing_rows(&row), 2);
    assert_eq!(
        str_at(&row, "sample", 0),
        "date=2017-03, kind=agreement, title=Russia-DPRK labor migration agreement (2 rows)"
    );
    // Both lines are accounted for: read 8 = kept 8.
    let cons = check_row(&out, "conservation_timeline");
    assert!(str_at(&cons, "detail", 0).starts_with("read 8 = kept 8 + dropped 0 + rejected 0"));
}

#[test]
fn a_ussr_row_dated_1995_fails_the_run_with_exit_code_1() {
    // Russia's 2011 export row becomes a USSR (810) row dated 1995.
    let (tmp, pipeline) = project_copy(Some((
        "rus_prk_russia_reported_annual.csv",
        "C,A,20110101,2011,52,2011,643,,,X,",
        "C,A,19950101,1995,52,1995,810,,,X,",
    )));
    let out = tmp.path().join("out");
    let o = run_pipeline(&pipeline, &out, &["-q"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    // Quiet, yet the failure is shown.
    assert!(
        stderr.contains("FAIL error no_country_code_rejected"),
        "{stderr}"
    );
    assert!(o.stdout.is_empty());
    assert_all_tables_written(&out);
    let row = check_row(&out, "no_country_code_rejected");
    assert_eq!(str_at(&row, "status", 0), "fail");
    assert_eq!(failing_rows(&row), 1);
    let sample = str_at(&row, "sample", 0);
    assert!(
        sample.contains("source_line=2")
            && sample.contains("reason=country_code_not_valid_in_year")
            && sample.contains("raw=C,A,19950101,1995,52,1995,810,"),
        "{sample}"
    );
    // The row is accounted for: read 6 = kept 5 + rejected 1.
    let cons = check_row(&out, "conservation_ru_reported");
    assert_eq!(str_at(&cons, "status", 0), "pass");
    assert!(str_at(&cons, "detail", 0).starts_with("read 6 = kept 5 + dropped 0 + rejected 1"));
}

/// A pipeline in a temp folder reading a copy of one fixture, with extra text.
fn small_pipeline(extra: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("p");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(
        root().join("fixtures/comtrade/rus_prk_itc_annual.tsv"),
        dir.join("itc.tsv"),
    )
    .unwrap();
    let p = dir.join("p.toml");
    std::fs::write(
        &p,
        format!("name = \"small\"\nfocus = \"PRK\"\n\n[[sources]]\nid = \"itc\"\nformat = \"comtrade_v1_bulk\"\npath = \"itc.tsv\"\n{extra}"),
    )
    .unwrap();
    (tmp, p)
}

fn load_error(extra: &str) -> String {
    let (tmp, p) = small_pipeline(extra);
    let o = run_pipeline(&p, &tmp.path().join("out"), &[]);
    assert_eq!(o.status.code(), Some(2), "{extra}");
    assert!(!tmp.path().join("out").exists());
    stderr(&o)
}

#[test]
fn checks_in_the_pipeline_file_are_validated_with_their_line() {
    // The check starts on line 9; each error names the line of the bad value.
    let check = |body: &str| format!("\n[[checks]]\nname = \"c\"\n{body}");
    for (body, expected) in [
        (
            "kind = \"uniq\"\ntable = \"trade_flows\"\ncolumns = [\"year\"]\n",
            &["p.toml:11: check `c`: unknown kind `uniq`; known: unique"][..],
        ),
        (
            "kind = \"unique\"\ntable = \"trade_flow\"\ncolumns = [\"year\"]\n",
            &["p.toml:12: check `c`: unknown table `trade_flow`"][..],
        ),
        (
            "kind = \"unique\"\ntable = \"trade_flows\"\ncolumns = [\"yr\"]\n",
            &["p.toml:13: check `c`: table `trade_flows` has no column `yr`"][..],
        ),
        (
            "kind = \"range\"\ntable = \"trade_flows\"\ncolumn = \"flow\"\nmin = 0\n",
            &["p.toml:13: check `c`: column `flow` is string, not a number"][..],
        ),
        (
            "kind = \"range\"\ntable = \"trade_flows\"\ncolumn = \"year\"\nvalues = [1]\n",
            &["p.toml:14: check `c`: `values` does not apply to kind `range`"][..],
        ),
        (
            "kind = \"range\"\ntable = \"trade_flows\"\ncolumn = \"year\"\n",
            &["p.toml:11: check `c`: kind `range` needs `min` or `max`"][..],
        ),
        (
            "kind = \"accepted_values\"\ntable = \"trade_flows\"\ncolumn = \"year\"\nvalues = [\"1995\"]\n",
            &["p.toml:14: check `c`: values: `\"1995\"` is a string but the column is int32"][..],
        ),
        // A wrong type and an unknown key are reported by the TOML reader with their line.
        (
            "kind = \"range\"\ntable = \"trade_flows\"\ncolumn = \"year\"\nmin = \"low\"\n",
            &["line 14"][..],
        ),
        (
            "kind = \"range\"\ntable = \"trade_flows\"\ncolumn = \"year\"\nmin = 0\nseverty = \"warn\"\n",
            &["line 15", "severty"][..],
        ),
        (
            "kind = \"range\"\ntable = \"trade_flows\"\ncolumn = \"year\"\nmin = 0\nseverity = \"fatal\"\n",
            &["p.toml:15: check `c`: severity `fatal`"][..],
        ),
    ] {
        let e = load_error(&check(body));
        assert!(expected.iter().all(|x| e.contains(x)), "{e}");
    }
    let twice = check("kind = \"row_count_min\"\ntable = \"trade_flows\"\nmin = 1\n");
    let e = load_error(&format!("{twice}{twice}"));
    assert!(e.contains("p.toml:16: check `c` is declared twice"), "{e}");
}

#[test]
fn warn_failures_keep_exit_code_0_and_skipped_tables_are_reported() {
    let (tmp, p) = small_pipeline(
        "\n[[checks]]\nname = \"few_rows\"\nkind = \"row_count_min\"\ntable = \"trade_flows\"\nmin = 100\nseverity = \"warn\"\n",
    );
    let out = tmp.path().join("out");
    let o = run_pipeline(&p, &out, &[]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let row = check_row(&out, "few_rows");
    assert_eq!(str_at(&row, "status", 0), "fail");
    assert_eq!(str_at(&row, "detail", 0), "at least 100 rows: 6");
}

#[test]
fn paths_outside_the_pipeline_root_are_refused_unless_allowed() {
    // The pipeline in <tmp>/p/ may read <tmp>/... (its project), not above it.
    let tmp = tempfile::tempdir().unwrap();
    let outer = tmp.path().join("outer");
    let project = outer.join("project");
    std::fs::create_dir_all(project.join("pipelines")).unwrap();
    std::fs::copy(
        root().join("fixtures/comtrade/rus_prk_itc_annual.tsv"),
        outer.join("itc.tsv"),
    )
    .unwrap();
    let p = project.join("pipelines/p.toml");
    let body = "name = \"small\"\nfocus = \"PRK\"\n\n[[sources]]\nid = \"itc\"\nformat = \"comtrade_v1_bulk\"\npath = \"../../itc.tsv\"\n";
    std::fs::write(&p, body).unwrap();
    let out = tmp.path().join("out");
    let o = run_pipeline(&p, &out, &[]);
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(
        e.contains("p.toml:7: source `itc`:") && e.contains("is outside the pipeline's root"),
        "{e}"
    );
    // An output folder outside the root is refused the same way.
    std::fs::copy(outer.join("itc.tsv"), project.join("pipelines/itc.tsv")).unwrap();
    let inside = body.replace("../../itc.tsv", "itc.tsv");
    std::fs::write(&p, format!("output = \"/tmp/elsewhere\"\n{inside}")).unwrap();
    let o = run_pipeline(&p, &out, &[]);
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("p.toml:1: output: `/tmp/elsewhere` is outside"),
        "{e}"
    );
    // The operator lifts the limit on the command line (the file cannot: see
    // `paths::a_pipeline_file_cannot_lift_its_own_path_limit`).
    std::fs::write(&p, body).unwrap();
    let o = run_pipeline(&p, &out, &["--allow-outside-paths"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}
