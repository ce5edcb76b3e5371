//! Reproducible builds: the same inputs give the same bytes — from run to run,
//! whatever the thread count, and whether a table is built from freshly read
//! sources or from the stage cache — and a warm rerun with nothing changed
//! skips every stage.

use crate::common::*;
use crate::ops_support::*;

/// Two runs into two fresh folders: identical manifests and identical files.
#[test]
fn two_runs_give_identical_hashes() {
    let a = Sandbox::new();
    let b = Sandbox::new();
    a.run_json(&[]);
    b.run_json(&[]);
    assert_eq!(
        std::fs::read(a.out.join("manifest.json")).unwrap(),
        std::fs::read(b.out.join("manifest.json")).unwrap()
    );
    assert_eq!(output_files(&a.out), output_files(&b.out));
    assert_matches_manifest(&a.out);
    // A forced rebuild in place gives the same bytes again.
    let before = output_files(&a.out);
    let ev = a.run_json(&["--force"]);
    assert_eq!(stages_with(&ev, "stage_skipped"), Vec::<String>::new());
    assert_eq!(output_files(&a.out), before);
}

/// POLARS_MAX_THREADS 1, 2 and 8: the same outputs, the same cached source
/// frames, and the same outputs again when the aggregate stage rebuilds them
/// from the cache.
#[test]
fn thread_counts_give_identical_hashes_fresh_and_from_the_cache() {
    let mut fresh = Vec::new();
    let mut cached = Vec::new();
    let mut cache_files = Vec::new();
    for threads in ["1", "2", "8"] {
        let s = Sandbox::new();
        let env = [
            ("POLARS_MAX_THREADS", threads),
            ("RAYON_NUM_THREADS", threads),
        ];
        let args = [
            "run",
            s.pipeline.to_str().unwrap(),
            "--out",
            s.out.to_str().unwrap(),
            "-q",
        ];
        let o = patronage(&args, &env);
        assert!(o.status.success(), "{}", text(&o));
        // Every table the manifest lists, and the manifest.
        assert_eq!(
            output_files(&s.out).len(),
            manifest_hashes(&s.out).len() + 1
        );
        fresh.push(output_files(&s.out));
        cache_files.push(output_files(
            &s.out.join(".patronage/sources/ru_customs_ytd"),
        ));
        // Remove one table: the next run rebuilds every table from cached frames.
        std::fs::remove_file(s.out.join("trade_flows.parquet")).unwrap();
        let o = patronage(&args, &env);
        assert!(o.status.success(), "{}", text(&o));
        cached.push(output_files(&s.out));
    }
    for i in 1..3 {
        assert_eq!(fresh[0], fresh[i], "fresh outputs, run {i}");
        assert_eq!(cache_files[0], cache_files[i], "cached frames, run {i}");
    }
    for c in &cached {
        assert_eq!(&fresh[0], c, "outputs rebuilt from the cache");
    }
}

/// A warm rerun with nothing changed skips every stage and leaves every file
/// alone; changing one input reruns only that source and the aggregate stage.
#[test]
fn warm_rerun_skips_every_stage() {
    let s = Sandbox::new();
    let cold = s.run_json(&[]);
    let started = &cold[0];
    assert_eq!(started["event"], "run_started");
    let mut all: Vec<String> = started["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    all.sort();
    // One stage per source of the pipeline, then the aggregate stage.
    let sources = std::fs::read_to_string(&s.pipeline)
        .unwrap()
        .matches("[[sources]]")
        .count();
    assert!(sources >= 5);
    assert_eq!(all.len(), sources + 1, "{all:?}");
    assert_eq!(stages_with(&cold, "stage_started"), all);
    let before = output_files(&s.out);
    let rows_before = table(&s.out, "trade_flows").height();
    let mtime = |f: &str| {
        std::fs::metadata(s.out.join(f))
            .unwrap()
            .modified()
            .unwrap()
    };
    let mtime_before = mtime("mirror_trade.parquet");

    // `plan --json`: one object per stage, every one skipped.
    let plan = s.cmd("plan", &["--json"]);
    let planned = events(&plan);
    assert_eq!(planned.len(), all.len());
    assert!(planned.iter().all(|p| p["action"] == "skip"), "{planned:?}");

    let warm = s.run_json(&[]);
    assert_eq!(warm[0]["to_run"], 0);
    assert_eq!(stages_with(&warm, "stage_skipped"), all);
    assert!(stages_with(&warm, "stage_started").is_empty(), "{warm:?}");
    assert!(warm.iter().all(|e| e["event"] != "table_written"));
    let last = warm.last().unwrap();
    assert_eq!(last["event"], "run_finished");
    assert_eq!(last["exit_code"], 0);
    assert_eq!(last["stages_run"], 0);
    assert_eq!(last["stages_skipped"], sources + 1);
    assert_eq!(output_files(&s.out), before);
    assert_eq!(mtime("mirror_trade.parquet"), mtime_before);

    // The run log has both runs, with timings; the manifest has none.
    let log = std::fs::read_to_string(s.out.join(".patronage/runs.jsonl")).unwrap();
    assert_eq!(log.lines().count(), 2);
    let manifest = std::fs::read_to_string(s.out.join("manifest.json")).unwrap();
    assert!(!manifest.contains("duration") && !manifest.contains("started_at"));

    // One input changes: its source and the aggregate stage run, nothing else.
    let csv = s.fixture("chn_prk_gacc_annual.csv");
    let mut text = std::fs::read_to_string(&csv).unwrap();
    text.push('\n'); // a blank line: same rows, other bytes
    std::fs::write(&csv, text).unwrap();
    let plan = s.cmd("plan", &[]);
    let plan_text = String::from_utf8_lossy(&plan.stdout);
    assert!(
        plan_text.contains("run   source:cn_gacc")
            && plan_text.contains("changed input ../fixtures/comtrade/chn_prk_gacc_annual.csv"),
        "{plan_text}"
    );
    assert!(plan_text.contains("skip  source:kotra"), "{plan_text}");
    let ev = s.run_json(&[]);
    assert_eq!(
        stages_with(&ev, "stage_started"),
        vec!["aggregate", "source:cn_gacc"]
    );
    // Same rows, so the same tables; only the input hash in the footers and the
    // manifest differs.
    assert_eq!(table(&s.out, "trade_flows").height(), rows_before);
    assert_matches_manifest(&s.out);
}

/// A source stage that runs again but produces the same output does not make
/// the aggregate stage run (early cutoff), and a changed window reruns only the
/// aggregate stage.
#[test]
fn unchanged_upstream_output_skips_the_aggregate_stage() {
    let s = Sandbox::new();
    s.run_json(&[]);
    let windows_before = table(&s.out, "trade_windows").height();
    std::fs::remove_file(s.out.join(".patronage/sources/kotra/canonical.parquet")).unwrap();
    let ev = s.run_json(&[]);
    assert_eq!(stages_with(&ev, "stage_started"), vec!["source:kotra"]);
    assert!(stages_with(&ev, "stage_skipped").contains(&"aggregate".to_string()));

    // A new window is a parameter of the aggregate stage only.
    let mut toml = std::fs::read_to_string(&s.pipeline).unwrap();
    toml.push_str(
        "\n[[windows]]\nid = \"cn_2017\"\npartner = \"CHN\"\n\
         current = { from = \"2017-01\", to = \"2017-12\" }\n\
         baseline = { from = \"2016-01\", to = \"2016-12\" }\n",
    );
    std::fs::write(&s.pipeline, toml).unwrap();
    let ev = s.run_json(&[]);
    assert_eq!(stages_with(&ev, "stage_started"), vec!["aggregate"]);
    let started = ev.iter().find(|e| e["event"] == "stage_started").unwrap();
    assert_eq!(started["reasons"][0], "pipeline file changed");
    assert_eq!(table(&s.out, "trade_windows").height(), windows_before + 1);
}

/// A source taken out of the pipeline: the other sources are not read again,
/// its cached output is removed, and the outputs no longer list its file.
#[test]
fn removed_source_is_dropped_from_cache_and_outputs() {
    let s = Sandbox::new();
    s.run_json(&[]);
    assert!(s.out.join(".patronage/sources/ru_itc").is_dir());
    let toml = std::fs::read_to_string(&s.pipeline).unwrap();
    let start = toml.find("[[sources]]\nid = \"ru_itc\"").unwrap();
    let end = start + 1 + toml[start + 1..].find("[[sources]]").unwrap();
    std::fs::write(&s.pipeline, format!("{}{}", &toml[..start], &toml[end..])).unwrap();

    let ev = s.run_json(&[]);
    assert_eq!(stages_with(&ev, "stage_started"), vec!["aggregate"]);
    assert!(!s.out.join(".patronage/sources/ru_itc").exists());
    let m = manifest(&s.out);
    let ids: Vec<&str> = m["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["source_id"].as_str().unwrap())
        .collect();
    assert!(
        !ids.contains(&"ru_itc") && ids.contains(&"kotra"),
        "{ids:?}"
    );
    let flows = table(&s.out, "trade_flows");
    assert_eq!(rows_where(&flows, "source_id", "ru_itc").height(), 0);
    assert_matches_manifest(&s.out);
}

/// An input is read once on a run that must read it: the hash the cache
/// records is the one the read took. Size and modification time never decide
/// that a file is unchanged: a file rewritten with the same size and
/// modification time is hashed, found changed and read again (never stale
/// outputs), and a file only touched is hashed, found unchanged and not read.
#[test]
fn a_rewrite_keeping_size_and_time_is_read_again() {
    use polars::prelude::*;
    let s = Sandbox::new();
    s.run_json(&[]);
    let csv = s.fixture("chn_prk_gacc_annual.csv");
    let input_sha = |out: &std::path::Path| -> String {
        let m = manifest(out);
        let inputs = m["inputs"].as_array().unwrap();
        let i = inputs
            .iter()
            .find(|i| {
                i["file"]
                    .as_str()
                    .unwrap()
                    .ends_with("chn_prk_gacc_annual.csv")
            })
            .unwrap();
        i["sha256"].as_str().unwrap().to_string()
    };
    let record = |out: &std::path::Path| -> serde_json::Value {
        let text =
            std::fs::read_to_string(out.join(".patronage/sources/cn_gacc/record.json")).unwrap();
        serde_json::from_str(&text).unwrap()
    };
    let recorded = &record(&s.out)["fingerprint"]["files"][0];
    assert_eq!(recorded["sha256"].as_str().unwrap(), input_sha(&s.out));
    let len = std::fs::metadata(&csv).unwrap().len();

    // China's 2017 exports to the DPRK, 3,340,000,000 in the fixture, become
    // 3,350,000,000: the same number of bytes, and the old modification time.
    let modified = std::fs::metadata(&csv).unwrap().modified().unwrap();
    let text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(text.matches(",3340000000.0,3340000000.0,").count(), 1);
    let text = text.replace(",3340000000.0,3340000000.0,", ",3350000000.0,3350000000.0,");
    std::fs::write(&csv, &text).unwrap();
    let f = std::fs::File::options().write(true).open(&csv).unwrap();
    f.set_modified(modified).unwrap();
    drop(f);
    assert_eq!(std::fs::metadata(&csv).unwrap().len(), len);
    let ev = s.run_json(&[]);
    assert_eq!(
        stages_with(&ev, "stage_started"),
        vec!["aggregate", "source:cn_gacc"]
    );
    let started = ev
        .iter()
        .find(|e| e["event"] == "stage_started" && e["stage"] == "source:cn_gacc")
        .unwrap();
    assert_eq!(
        started["reasons"][0],
        "changed input ../fixtures/comtrade/chn_prk_gacc_annual.csv"
    );
    let flows = table(&s.out, "trade_flows");
    let gacc = rows_where(&flows, "source_id", "cn_gacc");
    let x2017 = gacc
        .lazy()
        .filter(
            col("year")
                .eq(lit(2017))
                .and(col("flow").eq(lit("export")))
                .and(col("commodity_code").eq(lit("TOTAL"))),
        )
        .collect()
        .unwrap();
    assert_eq!(x2017.height(), 1);
    assert_eq!(
        x2017.column("value_usd").unwrap().f64().unwrap().get(0),
        Some(3_350_000_000.0)
    );
    let sha_after_rewrite = input_sha(&s.out);
    assert_eq!(
        record(&s.out)["fingerprint"]["files"][0]["sha256"]
            .as_str()
            .unwrap(),
        sha_after_rewrite
    );

    // Touched only: hashed, unchanged, so every stage is skipped.
    let later = modified + std::time::Duration::from_secs(60);
    let f = std::fs::File::options().write(true).open(&csv).unwrap();
    f.set_modified(later).unwrap();
    drop(f);
    let ev = s.run_json(&[]);
    assert!(stages_with(&ev, "stage_started").is_empty(), "{ev:?}");
    assert_eq!(input_sha(&s.out), sha_after_rewrite);
}
