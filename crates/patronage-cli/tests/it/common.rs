//! Helpers shared by the end-to-end tests: run the binary, read its outputs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use polars::prelude::*;

/// The workspace root (tests run the pipelines from there, as a user would).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// Run `patronage` from the workspace root with extra environment variables.
pub fn patronage(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_patronage"));
    cmd.current_dir(root()).args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run patronage")
}

/// Run a pipeline into `out`, asserting success.
pub fn run_ok(pipeline: &str, out: &Path) -> Output {
    let o = patronage(&["run", pipeline, "--out", out.to_str().unwrap()], &[]);
    assert!(
        o.status.success(),
        "patronage run {pipeline} failed:\n{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

/// Run a pipeline into a fresh temporary folder; keep the returned guard alive
/// while reading the outputs.
pub fn run_to_temp(pipeline: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = tmp.path().join("out");
    run_ok(pipeline, &out);
    (tmp, out)
}

/// Read one output table.
pub fn table(out: &Path, name: &str) -> DataFrame {
    let f = std::fs::File::open(out.join(format!("{name}.parquet"))).expect("open table");
    ParquetReader::new(f).finish().expect("read parquet")
}

/// Rows of `df` where the string column `col_name` equals `value`.
pub fn rows_where(df: &DataFrame, col_name: &str, value: &str) -> DataFrame {
    df.clone()
        .lazy()
        .filter(col(col_name).eq(lit(value)))
        .collect()
        .expect("filter")
}

/// The float in column `name` of the only row of `df`.
pub fn f64_at(df: &DataFrame, name: &str) -> Option<f64> {
    assert_eq!(df.height(), 1, "expected one row, got {df}");
    df.column(name).unwrap().f64().unwrap().get(0)
}

/// The integer in column `name` of the only row of `df`.
pub fn i32_at(df: &DataFrame, name: &str) -> Option<i32> {
    assert_eq!(df.height(), 1, "expected one row, got {df}");
    df.column(name).unwrap().i32().unwrap().get(0)
}

/// The string in column `name` of row `i`.
pub fn str_at(df: &DataFrame, name: &str, i: usize) -> String {
    df.column(name)
        .unwrap()
        .str()
        .unwrap()
        .get(i)
        .unwrap_or_default()
        .to_string()
}

/// The manifest.
pub fn manifest(out: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap()
}

/// Assert that a manifest input's rows balance: read = kept + dropped + rejected.
pub fn assert_balanced(rows: &serde_json::Value) {
    let n = |v: &serde_json::Value| v.as_u64().unwrap();
    let dropped: u64 = rows["dropped"].as_object().unwrap().values().map(n).sum();
    assert_eq!(
        n(&rows["read"]),
        n(&rows["kept"]) + dropped + n(&rows["rejected"]),
        "{rows}"
    );
}

/// Copy a folder and everything under it (a test's private copy of the fixtures).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_tree(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

/// A folder of real published samples in `../shared/formats/` beside the checkout.
/// Those files may not be redistributed, so they are not in the repository: when
/// the folder is absent the caller's test says so and passes, except under CI
/// (`CI=true`), where the folder is always laid out and its absence is a failure.
pub fn shared_formats(sub: &str) -> Option<PathBuf> {
    let dir = root().join("../shared/formats").join(sub);
    required_under_ci(dir.is_dir(), dir)
}

/// `path` when `present`; else `None` with a line saying the caller's test is
/// skipped, except under CI (`CI=true`), which provides what tests need: there
/// its absence is a failure.
pub fn required_under_ci(present: bool, path: PathBuf) -> Option<PathBuf> {
    if present {
        return Some(path);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI must provide {} (.ci/run installs it)",
        path.display()
    );
    eprintln!("skipped: {} is not here", path.display());
    None
}

/// Run the pipeline file `pipeline` into `out` with `extra` arguments after
/// `--out`, whatever the outcome.
pub fn run_pipeline(pipeline: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "run",
        pipeline.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend(extra);
    patronage(&args, &[])
}

/// Run the pipeline file `pipeline` into `out` quietly (`-q`), whatever the
/// outcome.
pub fn run_quiet(pipeline: &Path, out: &Path) -> Output {
    run_pipeline(pipeline, out, &["-q"])
}

/// What a run wrote on stderr.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A pipeline file `p.toml` with the text `toml` in a fresh temporary folder,
/// beside the input `files` (name, bytes); returns the folder's guard, the
/// pipeline file and the output folder (`out`, not created).
pub fn temp_pipeline(files: &[(&str, &[u8])], toml: &str) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    for (name, bytes) in files {
        std::fs::write(tmp.path().join(name), bytes).unwrap();
    }
    let pipeline = tmp.path().join("p.toml");
    std::fs::write(&pipeline, toml).unwrap();
    let out = tmp.path().join("out");
    (tmp, pipeline, out)
}

/// Rows of the annual (January to December) figures of `partner` in `year`.
pub fn annual(partner: &str, year: i32) -> Expr {
    col("partner_iso3")
        .eq(lit(partner))
        .and(col("year").eq(lit(year)))
        .and(col("month_first").eq(lit(1)))
        .and(col("month_last").eq(lit(12)))
}

/// Every output file (not hidden: `.patronage/` holds the stage cache and run
/// log, not outputs) under a folder, partitions' folders included, with its
/// bytes, by its path under the folder (`trade_flows/year=2019/part-0.parquet`),
/// sorted.
pub fn output_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(dir: &Path, prefix: &str, out: &mut Vec<(String, Vec<u8>)>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let path = e.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            if path.is_dir() {
                walk(&path, &format!("{prefix}{name}/"), out);
            } else {
                out.push((format!("{prefix}{name}"), std::fs::read(&path).unwrap()));
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, "", &mut files);
    files.sort();
    files
}

/// `patronage run pipeline --out out -q` with polars and rayon held to
/// `threads` threads.
pub fn run_with_threads(pipeline: &Path, out: &Path, threads: &str) -> Output {
    patronage(
        &[
            "run",
            pipeline.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "-q",
        ],
        &[
            ("POLARS_MAX_THREADS", threads),
            ("RAYON_NUM_THREADS", threads),
        ],
    )
}

/// A SYNTHETIC file of `rows` rows dated `year` (seeded by the year) from
/// `patronage synth <layout>`, written to `path`.
pub fn synth(layout: &str, rows: u64, year: i32, path: &Path) {
    let o = patronage(
        &[
            "synth",
            layout,
            "--rows",
            &rows.to_string(),
            "--seed",
            &year.to_string(),
            "--year",
            &year.to_string(),
            "--out",
            path.to_str().unwrap(),
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
}
