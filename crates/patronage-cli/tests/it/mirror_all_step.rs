//! A pipeline's `[mirror_all]` step: the files of its BACI and Comtrade bulk
//! sources folded by the engine behind `patronage mirror-all`, written with the
//! run's manifest, footers, rejects and accounting, as a stage with a
//! fingerprint that `plan` shows.

use std::io::Write;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::common::*;

/// A BACI line with an exporter code no registry knows (SYNTHETIC): a reject.
const BAD_BACI_LINE: &str = "2019,999,4,010121,1.000,2.000";

/// SYNTHETIC inputs from `patronage synth` in a temporary folder:
/// `release.zip` holding two BACI years (2019: 3,000 rows and [`BAD_BACI_LINE`];
/// 2020: 3,000 rows) and `bulk.tsv.gz`, a Comtrade bulk file of 4,000 rows; and
/// a pipeline (focus PRK) reading them, the BACI release kept to 2019 by
/// `years`, with `extra` appended (the `[mirror_all]` step).
fn release(extra: &str) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let toml = format!(
        "name = \"release\"\nfocus = \"PRK\"\n\n\
         [[sources]]\nid = \"baci\"\nformat = \"baci\"\npath = \"release.zip\"\nyears = \"2019\"\nscope = \"focus\"\n\n\
         [[sources]]\nid = \"bulk\"\nformat = \"comtrade_v1_bulk\"\npath = \"bulk.tsv.gz\"\nscope = \"focus\"\n\n{extra}"
    );
    let (t, p, out) = temp_pipeline(&[], &toml);
    let dir = t.path();
    let mut archive =
        ::zip::ZipWriter::new(std::fs::File::create(dir.join("release.zip")).unwrap());
    for year in [2019, 2020] {
        let plain = dir.join(format!("y{year}.csv"));
        synth("baci", 3_000, year, &plain);
        let mut bytes = std::fs::read(&plain).unwrap();
        if year == 2019 {
            bytes.extend_from_slice(format!("{BAD_BACI_LINE}\n").as_bytes());
        }
        std::fs::remove_file(&plain).unwrap();
        archive
            .start_file(
                format!("BACI_HS17_Y{year}_V202401.csv"),
                ::zip::write::SimpleFileOptions::default()
                    .compression_method(::zip::CompressionMethod::Deflated),
            )
            .unwrap();
        archive.write_all(&bytes).unwrap();
    }
    archive.finish().unwrap();
    let plain = dir.join("bulk.tsv");
    synth("comtrade-bulk", 4_000, 2019, &plain);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&std::fs::read(&plain).unwrap()).unwrap();
    std::fs::write(dir.join("bulk.tsv.gz"), gz.finish().unwrap()).unwrap();
    std::fs::remove_file(&plain).unwrap();
    (t, p, out)
}

fn parquet(path: &Path) -> DataFrame {
    ParquetReader::new(std::fs::File::open(path).unwrap())
        .finish()
        .unwrap()
}

/// `mirror_all` of a folder, from its single file or from its parts.
fn mirror_all_of(out: &Path) -> DataFrame {
    let single = out.join("mirror_all.parquet");
    if single.is_file() {
        return parquet(&single);
    }
    let mut parts: Vec<PathBuf> = std::fs::read_dir(out.join("mirror_all"))
        .unwrap()
        .map(|e| e.unwrap().path().join("part-0.parquet"))
        .collect();
    parts.sort();
    let mut all = parquet(&parts[0]);
    for p in &parts[1..] {
        all.vstack_mut_owned(parquet(p)).unwrap();
    }
    all
}

/// A frame's rows in key order, `source` renamed by `rename` (source id to the
/// command's format names).
fn keyed(df: &DataFrame, rename: &[(&str, &str)]) -> DataFrame {
    let mut source = col("source");
    for (from, to) in rename {
        source = when(col("source").eq(lit(*from)))
            .then(lit(*to))
            .otherwise(source);
    }
    df.clone()
        .lazy()
        .with_column(source.alias("source"))
        .sort(
            ["source", "focus_code", "partner_code", "year"],
            Default::default(),
        )
        .collect()
        .unwrap()
}

/// `patronage mirror-all` on the files the step folds.
fn command(dir: &Path, extra: &[&str]) -> PathBuf {
    let out = dir.join("command");
    let member = dir.join("release.zip/BACI_HS17_Y2019_V202401.csv");
    let bulk = dir.join("bulk.tsv.gz");
    let mut args = vec![
        "mirror-all",
        "--baci",
        member.to_str().unwrap(),
        "--comtrade-bulk",
        bulk.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "-q",
    ];
    args.extend(extra);
    let o = patronage(&args, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    out
}

fn footer(path: &Path) -> Vec<(String, String)> {
    let mut f = std::fs::File::open(path).unwrap();
    let mut reader = ParquetReader::new(&mut f);
    let md = reader.get_metadata().unwrap().clone();
    md.key_value_metadata()
        .as_ref()
        .unwrap()
        .iter()
        .filter(|kv| {
            kv.key.starts_with("patronage.")
                && !["patronage.table", "patronage.key"].contains(&kv.key.as_str())
        })
        .map(|kv| (kv.key.clone(), kv.value.clone().unwrap_or_default()))
        .collect()
}

/// The step's `mirror_all` equals what `patronage mirror-all` gives on the same
/// files (a `.zip` member kept by `years`, a `.gz` file), row for row and to the
/// thousandth of a dollar, `source` aside (the source id, where the command
/// writes the format). Its file carries the run's footers and is listed in
/// `manifest.json` with its hash; `verify` checks it; its files' accounting
/// balances in `mirror_all_inputs` and equals the command's; the reject is in
/// the run's `rejects` with its raw text.
#[test]
fn the_step_gives_the_command_rows_with_the_run_provenance() {
    let (t, p, out) = release("[mirror_all]\nsources = [\"baci\", \"bulk\"]\n");
    let o = run_quiet(&p, &out);
    assert!(o.status.success(), "{}", stderr(&o));
    let ours = mirror_all_of(&out);
    let theirs_dir = command(t.path(), &[]);
    let theirs = parquet(&theirs_dir.join("mirror_all.parquet"));
    // Both synthetic files have rows for many countries as focus.
    assert!(ours.height() > 100, "{} rows", ours.height());
    let years: Vec<i32> = ours
        .column("year")
        .unwrap()
        .i32()
        .unwrap()
        .unique()
        .unwrap()
        .sort(false)
        .into_no_null_iter()
        .collect();
    assert_eq!(years, [2019], "years = \"2019\" leaves the 2020 member out");
    assert!(keyed(&ours, &[("bulk", "comtrade_v1_bulk")]).equals_missing(&keyed(&theirs, &[])));

    // The run's provenance in the footer, as every table of the run has it.
    assert_eq!(
        footer(&out.join("mirror_all.parquet")),
        footer(&out.join("trade_flows.parquet"))
    );
    let m = manifest(&out);
    let listed: Vec<&serde_json::Value> = m["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["table"] == "mirror_all")
        .collect();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["file"], "mirror_all.parquet");
    assert_eq!(listed[0]["rows"].as_u64(), Some(ours.height() as u64));
    let bytes = std::fs::read(out.join("mirror_all.parquet")).unwrap();
    assert_eq!(listed[0]["sha256"].as_str().unwrap(), sha256_hex_of(&bytes));

    // Accounting: per file, balanced, and the command's.
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(theirs_dir.join("mirror_all_report.json")).unwrap())
            .unwrap();
    let folded = m["mirror_all_inputs"].as_array().unwrap();
    assert_eq!(folded.len(), 2);
    let names: Vec<&str> = folded.iter().map(|f| f["file"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["release.zip/BACI_HS17_Y2019_V202401.csv", "bulk.tsv.gz"]
    );
    for (f, c) in folded.iter().zip(report["inputs"].as_array().unwrap()) {
        assert_balanced(&f["rows"]);
        for k in ["read", "kept", "rejected"] {
            assert_eq!(f["rows"][k], c[k], "{k} of {}", f["file"]);
        }
        assert_eq!(f["rows"]["dropped"], c["dropped"]);
        assert_eq!(f["sha256"], c["sha256"]);
    }
    // 3,000 rows and the bad one; 4,000 bulk rows, some dropped by reason.
    assert_eq!(folded[0]["rows"]["read"].as_u64(), Some(3_001));
    assert_eq!(folded[0]["rows"]["rejected"].as_u64(), Some(1));
    assert_eq!(folded[1]["rows"]["read"].as_u64(), Some(4_000));
    assert!(
        folded[1]["rows"]["dropped"]["partner_world"]
            .as_u64()
            .unwrap()
            > 0
    );
    // The same files as the sources' own inputs, with the same hashes.
    let inputs = m["inputs"].as_array().unwrap();
    for f in folded {
        assert!(inputs
            .iter()
            .any(|i| i["file"] == f["file"] && i["sha256"] == f["sha256"]));
    }

    let rejects = rows_where(&table(&out, "rejects"), "stage", "mirror_all");
    assert_eq!(rejects.height(), 1);
    assert_eq!(str_at(&rejects, "source_id", 0), "mirror_all:baci");
    assert_eq!(
        str_at(&rejects, "source_file", 0),
        "release.zip/BACI_HS17_Y2019_V202401.csv"
    );
    assert_eq!(str_at(&rejects, "raw", 0), BAD_BACI_LINE);
    assert_eq!(
        rejects.column("source_line").unwrap().i64().unwrap().get(0),
        Some(3_002)
    );

    let o = patronage(&["verify", "--out", out.to_str().unwrap()], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::write(out.join("mirror_all.parquet"), b"changed").unwrap();
    let o = patronage(&["verify", "--out", out.to_str().unwrap()], &[]);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("mirror_all.parquet")
            || stderr(&o).contains("mirror_all.parquet"),
        "{}",
        stderr(&o)
    );
}

fn sha256_hex_of(bytes: &[u8]) -> String {
    patronage_tables::sha256_hex(bytes)
}

/// `patronage run --json` of `p` into `out`, which must succeed and report
/// `event` (`stage_started`, `stage_skipped`) for the step.
fn run_reporting(p: &Path, out: &Path, event: &str) {
    let o = run_pipeline(p, out, &["--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let events = String::from_utf8_lossy(&o.stdout);
    assert!(
        events
            .lines()
            .any(|l| l.contains(&format!("\"{event}\"")) && l.contains("\"mirror_all\"")),
        "{events}"
    );
}

/// The stage's plan lines (`patronage plan --json`): (stage, action).
fn plan(p: &Path, out: &Path) -> Vec<(String, String)> {
    let o = patronage(
        &[
            "plan",
            p.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--json",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["stage"].as_str().unwrap().to_string(),
                v["action"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The step is a stage: planned to run on a first run, skipped on a rerun
/// with unchanged inputs (and the tables left byte for byte), run again when a
/// file it folds changes. Partitioned by year, every part is listed with its
/// hash and `verify` names a changed part.
#[test]
fn the_step_is_a_stage_with_a_fingerprint() {
    let (t, p, out) =
        release("[mirror_all]\nsources = [\"bulk\", \"baci\"]\npartition_by = [\"year\"]\n");
    let stage = |plan: &[(String, String)]| {
        plan.iter()
            .find(|(s, _)| s == "mirror_all")
            .map(|(_, a)| a.clone())
    };
    let first = plan(&p, &out);
    let names: Vec<&str> = first.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(
        names,
        ["source:baci", "source:bulk", "mirror_all", "aggregate"]
    );
    assert_eq!(stage(&first).as_deref(), Some("run"));
    let o = run_quiet(&p, &out);
    assert!(o.status.success(), "{}", stderr(&o));
    let before = output_files(&out);
    let part = "mirror_all/year=2019/part-0.parquet";
    let m = manifest(&out);
    let parts: Vec<&serde_json::Value> = m["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["table"] == "mirror_all")
        .collect();
    assert_eq!(parts.len(), 1);
    assert_eq!(parts[0]["file"], part);
    assert_eq!(
        parts[0]["sha256"].as_str().unwrap(),
        sha256_hex_of(&std::fs::read(out.join(part)).unwrap())
    );
    assert!(!out.join("mirror_all.parquet").exists());

    assert_eq!(stage(&plan(&p, &out)).as_deref(), Some("skip"));
    run_reporting(&p, &out, "stage_skipped");
    assert_eq!(output_files(&out), before);

    // A changed input: one more bulk row (SYNTHETIC, a copy of the last one
    // with another value) is folded into mirror_all.
    let gz = t.path().join("bulk.tsv.gz");
    let mut text = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::GzDecoder::new(std::fs::File::open(&gz).unwrap()),
        &mut text,
    )
    .unwrap();
    let last = text.lines().last().unwrap().to_string();
    text.push_str(&last);
    text.push_str("\r\n");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(text.as_bytes()).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    assert_eq!(stage(&plan(&p, &out)).as_deref(), Some("run"));
    run_reporting(&p, &out, "stage_started");
    let m = manifest(&out);
    let bulk = m["mirror_all_inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["file"] == "bulk.tsv.gz")
        .unwrap();
    assert_eq!(bulk["rows"]["read"].as_u64(), Some(4_001));

    std::fs::write(out.join(part), b"changed").unwrap();
    let o = patronage(&["verify", "--out", out.to_str().unwrap()], &[]);
    assert!(!o.status.success());
    let said = format!("{}{}", String::from_utf8_lossy(&o.stdout), stderr(&o));
    assert!(said.contains(part), "{said}");
}

/// A source stage that reruns for a changed parameter leaves its files'
/// hashes to its read; `plan` hashes the ones the step folds, so it says what
/// `run` then does: the step is skipped when only the parameter changed, and
/// runs when the file changed too.
#[test]
fn plan_hashes_the_step_inputs_a_rerun_source_leaves_to_its_read() {
    let (t, p, out) = release("[mirror_all]\nsources = [\"bulk\"]\n");
    let stage = |plan: &[(String, String)], name: &str| {
        plan.iter().find(|(s, _)| s == name).map(|(_, a)| a.clone())
    };
    let o = run_quiet(&p, &out);
    assert!(o.status.success(), "{}", stderr(&o));
    // The bulk source's parameter changes: its stage reruns, its file does not.
    let toml = std::fs::read_to_string(&p).unwrap();
    let changed = toml.replacen(
        "path = \"bulk.tsv.gz\"\nscope = \"focus\"",
        "path = \"bulk.tsv.gz\"\nscope = \"all\"",
        1,
    );
    assert_ne!(changed, toml);
    // `plan` says the bulk stage reruns and the step does `action`; `run`
    // then reports `event` for the step.
    let plan_then_run = |action: &str, event: &str| {
        let planned = plan(&p, &out);
        assert_eq!(stage(&planned, "source:bulk").as_deref(), Some("run"));
        assert_eq!(stage(&planned, "mirror_all").as_deref(), Some(action));
        run_reporting(&p, &out, event);
    };
    std::fs::write(&p, &changed).unwrap();
    plan_then_run("skip", "stage_skipped");
    // The parameter back, and the file changed (SYNTHETIC: 3,000 rows in
    // place of 4,000).
    std::fs::write(&p, &toml).unwrap();
    let plain = t.path().join("bulk.tsv");
    synth("comtrade-bulk", 3_000, 2019, &plain);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&std::fs::read(&plain).unwrap()).unwrap();
    std::fs::write(t.path().join("bulk.tsv.gz"), gz.finish().unwrap()).unwrap();
    plan_then_run("run", "stage_started");
}

/// The step writes the same bytes at 1, 2 and 3 threads: `mirror_all`, its
/// parts, `rejects` and `manifest.json`.
#[test]
fn the_step_does_not_depend_on_the_thread_count() {
    let (t, p, _) =
        release("[mirror_all]\nsources = [\"baci\", \"bulk\"]\npartition_by = [\"year\"]\n");
    let mut seen: Vec<Vec<(String, Vec<u8>)>> = Vec::new();
    for threads in ["1", "2", "3"] {
        let out = t.path().join(format!("out{threads}"));
        let o = run_with_threads(&p, &out, threads);
        assert!(o.status.success(), "{}", stderr(&o));
        let files = output_files(&out);
        assert!(files
            .iter()
            .any(|(f, _)| f == "mirror_all/year=2019/part-0.parquet"));
        seen.push(files);
    }
    assert_eq!(seen[0], seen[1]);
    assert_eq!(seen[0], seen[2]);
}

/// The step's figures on a cited fixture: Russia's 6-digit reports on North
/// Korea (`fixtures/comtrade/rus_prk_hs6_SYNTHETIC_split_2014-2015.tsv`, its
/// totals ITC's, cited in fixtures/SOURCES.md; the split across codes
/// SYNTHETIC). Russia's exports are the DPRK's imports: 2015 60,000,000 +
/// 17,500,000 = 77,500,000 and 2014 30,000,000 + 25,500,000 + 16,270,000 =
/// 71,770,000; its imports, the DPRK's exports: 2015 5,720,000, 2014
/// 8,000,000 plus 5,000,000 = 13,000,000. The chapter-27 rows are not HS6: dropped as
/// `commodity_not_hs6`, not added. A claim and a check name `mirror_all`.
#[test]
fn the_step_on_the_cited_bulk_fixture() {
    let fixture =
        std::fs::read(root().join("fixtures/comtrade/rus_prk_hs6_SYNTHETIC_split_2014-2015.tsv"))
            .unwrap();
    let toml = "name = \"t\"\nfocus = \"PRK\"\npatrons = [\"RUS\"]\n\n\
        [[sources]]\nid = \"hs6\"\nformat = \"comtrade_v1_bulk\"\npath = \"hs6.tsv\"\n\n\
        [mirror_all]\nsources = [\"hs6\"]\n\n\
        [[checks]]\nname = \"mirror_all_imports_not_negative\"\nkind = \"range\"\ntable = \"mirror_all\"\ncolumn = \"focus_imports_usd\"\nmin = 0\n\n\
        [[claims]]\nid = \"prk_imports_from_russia_2015\"\ntext = \"Russia exported $77.5M to the DPRK in 2015.\"\nsource = \"ITC Trade Map (fixtures/SOURCES.md)\"\ntable = \"mirror_all\"\nwhere = { focus_iso3 = \"PRK\", partner_iso3 = \"RUS\", year = 2015 }\ncolumn = \"focus_imports_usd\"\nexpected = 77500000\nunit = \"usd\"\ntolerance = 0\n";
    let (_t, p, out) = temp_pipeline(&[("hs6.tsv", &fixture)], toml);
    let o = run_quiet(&p, &out);
    assert!(o.status.success(), "{}", stderr(&o));
    let all = mirror_all_of(&out);
    let row = |year: i32| {
        all.clone()
            .lazy()
            .filter(
                col("focus_iso3")
                    .eq(lit("PRK"))
                    .and(col("partner_iso3").eq(lit("RUS")))
                    .and(col("year").eq(lit(year))),
            )
            .collect()
            .unwrap()
    };
    let mills = |df: &DataFrame, c: &str| df.column(c).unwrap().i64().unwrap().get(0);
    let y2015 = row(2015);
    assert_eq!(y2015.height(), 1);
    assert_eq!(str_at(&y2015, "source", 0), "hs6");
    assert_eq!(mills(&y2015, "focus_imports_mills"), Some(77_500_000_000));
    assert_eq!(mills(&y2015, "focus_exports_mills"), Some(5_720_000_000));
    assert_eq!(f64_at(&y2015, "focus_imports_usd"), Some(77_500_000.0));
    let y2014 = row(2014);
    assert_eq!(mills(&y2014, "focus_imports_mills"), Some(71_770_000_000));
    assert_eq!(mills(&y2014, "focus_exports_mills"), Some(13_000_000_000));
    let m = manifest(&out);
    let rows = &m["mirror_all_inputs"][0]["rows"];
    assert_balanced(rows);
    assert!(rows["dropped"]["commodity_not_hs6"].as_u64().unwrap() > 0);

    let claims = table(&out, "claims");
    assert_eq!(str_at(&claims, "status", 0), "reproduced");
    let checks = rows_where(
        &table(&out, "check_results"),
        "check",
        "mirror_all_imports_not_negative",
    );
    assert_eq!(str_at(&checks, "status", 0), "pass");
}

/// `[mirror_all]` mistakes are errors naming the pipeline file's line: an
/// unknown source, a source of another format, a partition column other than
/// `year`, a claim on `mirror_all` without the step.
#[test]
fn mistakes_in_the_step_name_their_line() {
    let head = "name = \"t\"\nfocus = \"PRK\"\n\n\
        [[sources]]\nid = \"hs6\"\nformat = \"comtrade_v1_bulk\"\npath = \"hs6.tsv\"\n\n\
        [[sources]]\nid = \"kotra\"\nformat = \"comtrade_v1_json\"\npath = \"kotra.json\"\n\n";
    let fixture = |name: &str| std::fs::read(root().join("fixtures/comtrade").join(name)).unwrap();
    let cases = [
        (
            "[mirror_all]\nsources = [\"nope\"]\n",
            "p.toml:15:",
            "no source `nope` is declared",
        ),
        (
            "[mirror_all]\nsources = [\"kotra\"]\n",
            "p.toml:15:",
            "format `comtrade_v1_json`",
        ),
        (
            "[mirror_all]\nsources = [\"hs6\"]\npartition_by = [\"month\"]\n",
            "p.toml:16:",
            "partitioned by `year` only",
        ),
        (
            "[[claims]]\nid = \"c\"\ntext = \"t\"\nsource = \"s\"\ntable = \"mirror_all\"\ncolumn = \"focus_imports_usd\"\nexpected = 1\nunit = \"usd\"\ntolerance = 0\n",
            "p.toml:18:",
            "no [mirror_all] step",
        ),
    ];
    for (tail, line, message) in cases {
        let (_t, p, out) = temp_pipeline(
            &[
                (
                    "hs6.tsv",
                    &fixture("rus_prk_hs6_SYNTHETIC_split_2014-2015.tsv"),
                ),
                ("kotra.json", &fixture("prk_kotra_mirror_annual.json")),
            ],
            &format!("{head}{tail}"),
        );
        let o = run_quiet(&p, &out);
        assert!(!o.status.success(), "{tail}");
        let err = stderr(&o);
        assert!(err.contains(line) && err.contains(message), "{tail}: {err}");
    }
}
