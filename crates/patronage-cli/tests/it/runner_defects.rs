//! The runner against hostile shapes of work: very many sources, a lock path
//! that is not a plain file, money sums beyond 64 bits, an edited cache record,
//! an output folder that cannot be written. Each test builds its own inputs in a
//! temporary folder (SYNTHETIC rows, made up here) and expects the run to finish
//! with the right figures or to stop with a clear error (exit 2), never to crash,
//! hang or trust what it should not.

use std::path::Path;

use crate::common::*;
use polars::prelude::*;

/// `name = "runner"`, focus PRK, then `sources`.
fn pipeline_text(sources: &str) -> String {
    format!("name = \"runner\"\nfocus = \"PRK\"\n\n{sources}")
}

/// A BACI source declaration reading `file`.
fn baci_source(id: &str, file: &str, scope: &str) -> String {
    format!(
        "[[sources]]\nid = \"{id}\"\nformat = \"baci\"\npath = \"{file}\"\nscope = \"{scope}\"\n\n"
    )
}

/// The floats of column `name`.
fn floats(df: &DataFrame, name: &str) -> Vec<f64> {
    df.column(name)
        .unwrap()
        .f64()
        .unwrap()
        .into_no_null_iter()
        .collect()
}

/// 10,000 sources, one SYNTHETIC BACI file each: the run used to nest a
/// parallel job per source, so a thread's stack grew with the number of sources
/// until it overflowed (at 120 sources with the default 2 MiB stacks). Threads
/// get 1 MiB here (`RUST_MIN_STACK`, which sizes every thread the standard
/// library starts), so that nesting overflows with this mix of sources however
/// the work is stolen; run from a flat list of work, the depth does not grow.
/// Every source is read and accounted for, in declaration order. Every tenth
/// source holds China's exports to the DPRK in 2020 (product 270112, `v` = 1
/// thousand dollars); the others trade between Germany and France, dropped as
/// outside the focus.
#[test]
fn ten_thousand_sources_run_without_overflowing_a_stack() {
    const N: usize = 10_000;
    let tmp = tempfile::tempdir().unwrap();
    let mut toml = String::new();
    for i in 0..N {
        let row = if i % 10 == 0 {
            "2020,156,408,270112,1.000,NA"
        } else {
            "2020,276,251,870323,1.000,NA"
        };
        let file = format!("s{i}.csv");
        std::fs::write(tmp.path().join(&file), format!("t,i,j,k,v,q\n{row}\n")).unwrap();
        toml.push_str(&baci_source(&format!("s{i}"), &file, "focus"));
    }
    let pipeline = tmp.path().join("p.toml");
    std::fs::write(&pipeline, pipeline_text(&toml)).unwrap();
    let out = tmp.path().join("out");
    let args = [
        "run",
        pipeline.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "-q",
    ];
    let o = patronage(&args, &[("RUST_MIN_STACK", "1048576")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    let m = manifest(&out);
    let inputs = m["inputs"].as_array().unwrap();
    let ids: Vec<&str> = inputs
        .iter()
        .map(|i| i["source_id"].as_str().unwrap())
        .collect();
    let declared: Vec<String> = (0..N).map(|i| format!("s{i}")).collect();
    assert_eq!(ids, declared);
    for (i, input) in inputs.iter().enumerate() {
        let rows = &input["rows"];
        assert_balanced(rows);
        let kept = u64::from(i % 10 == 0);
        assert_eq!(rows["kept"].as_u64(), Some(kept), "{input}");
        let dropped = rows["dropped"]["outside_focus"].as_u64().unwrap_or(0);
        assert_eq!(dropped, 1 - kept, "{input}");
    }
    // 1,000 sources of one thousand dollars each.
    let flows = table(&out, "trade_flows");
    assert_eq!(flows.height(), 1_000);
    assert_eq!(floats(&flows, "value_usd").iter().sum::<f64>(), 1_000_000.0);
}

/// A SYNTHETIC BACI file of 2020: China's exports to the DPRK (kept) and
/// Germany's to France (dropped as outside the focus).
const TWO_ROWS: &str = "t,i,j,k,v,q\n2020,156,408,270112,1.000,NA\n2020,276,251,870323,1.000,NA\n";

/// A cached `record.json` edited by hand (its row counts inflated) no longer
/// matches its own checksum: the source stage runs again, saying why, and the
/// manifest keeps the counts of the file as read (2 read = 1 kept + 1 dropped).
#[test]
fn edited_cache_record_is_a_miss_and_its_counts_never_reach_the_manifest() {
    let (_tmp, pipeline, out) = temp_pipeline(
        &[("b.csv", TWO_ROWS.as_bytes())],
        &pipeline_text(&baci_source("b", "b.csv", "focus")),
    );
    let o = run_quiet(&pipeline, &out);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let record_path = out.join(".patronage/sources/b/record.json");
    let mut record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&record_path).unwrap()).unwrap();
    record["rows"]["read"] = 1000.into();
    record["inputs"][0]["rows"]["read"] = 1000.into();
    std::fs::write(&record_path, serde_json::to_vec_pretty(&record).unwrap()).unwrap();

    let o = run_pipeline(&pipeline, &out, &["--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let events: Vec<serde_json::Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let started = events
        .iter()
        .find(|e| e["event"] == "stage_started" && e["stage"] == "source:b")
        .expect("the source stage runs again");
    assert_eq!(
        started["reasons"][0],
        "cached record altered since it was written (record.json does not match its record_sha256)"
    );
    let rows = &manifest(&out)["inputs"][0]["rows"];
    assert_eq!(rows["read"], 2);
    assert_eq!(rows["kept"], 1);
    assert_eq!(rows["dropped"]["outside_focus"], 1);
    // The record is whole again: the next run skips the stage.
    let o = run_pipeline(&pipeline, &out, &["--json"]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("\"event\":\"stage_skipped\",\"reason\":\"unchanged: inputs, parameters and tool version; cached output intact\",\"stage\":\"source:b\""),
        "{stdout}"
    );
}

/// `patronage <args>`, killed and reported as hung if it is still going after
/// a minute (a run used to wait forever on some of these inputs).
fn patronage_or_hang(args: &[&str]) -> std::process::Output {
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_patronage"))
        .current_dir(root())
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            let o = child.wait_with_output().unwrap();
            panic!("patronage {args:?} hung; stderr so far:\n{}", stderr(&o));
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// A pipeline of one BACI source and its output folder's state directory,
/// created (empty) so that something can be put at the lock path.
fn with_state_dir() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let (tmp, pipeline, out) = temp_pipeline(
        &[("b.csv", TWO_ROWS.as_bytes())],
        &pipeline_text(&baci_source("b", "b.csv", "focus")),
    );
    std::fs::create_dir_all(out.join(".patronage")).unwrap();
    (tmp, pipeline, out)
}

/// Whatever is at the lock path that is not a plain file: the run stops at
/// once (exit 2) naming the path and what is there, writes nothing, and leaves
/// it in place; `plan` does not wait on it either.
fn assert_lock_path_refused(pipeline: &Path, out: &Path, what: &str, plan_code: i32) {
    let lock = out.join(".patronage/lock");
    let args = [
        "run",
        pipeline.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    let o = patronage_or_hang(&args);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    // A link or a pipe is refused by the check of the state folder before the
    // lock is tried; a folder, by the lock. Either way one line names the path,
    // says what is there and what to do.
    let err = stderr(&o);
    let err = err.trim_end();
    assert!(
        err.starts_with(&format!("error: pipeline {} failed: ", pipeline.display()))
            && err.contains(&lock.display().to_string())
            && err.contains(what)
            && err.contains("remove")
            && !err.contains('\n'),
        "{err}"
    );
    assert!(!out.join("manifest.json").exists());
    assert!(std::fs::symlink_metadata(&lock).is_ok());
    let wait = [
        "run",
        pipeline.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--wait",
    ];
    assert_eq!(patronage_or_hang(&wait).status.code(), Some(2));
    let plan = [
        "plan",
        pipeline.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    // `plan` never waits on it: it plans around a folder there (the run will
    // refuse it), and refuses a link or a pipe in the state folder as `run` does.
    let o = patronage_or_hang(&plan);
    assert_eq!(o.status.code(), Some(plan_code), "{}", stderr(&o));
}

/// A directory where the lock file goes: it used to be "taken over" in an
/// endless loop of notes.
#[test]
fn directory_at_the_lock_path_is_refused() {
    let (_tmp, pipeline, out) = with_state_dir();
    std::fs::create_dir(out.join(".patronage/lock")).unwrap();
    assert_lock_path_refused(&pipeline, &out, "is a folder", 0);
}

/// A symbolic link to nowhere where the lock file goes: it used to make the
/// run spin silently, creating through the link and failing forever.
#[test]
fn dangling_symlink_at_the_lock_path_is_refused() {
    let (_tmp, pipeline, out) = with_state_dir();
    let target = out.join("nowhere");
    std::os::unix::fs::symlink(&target, out.join(".patronage/lock")).unwrap();
    assert_lock_path_refused(
        &pipeline,
        &out,
        &format!("a symbolic link to `{}`", target.display()),
        2,
    );
    assert!(!target.exists(), "nothing is created through the link");
}

/// A FIFO where the lock file goes: opening it to read the holder used to
/// block the run forever.
#[test]
fn fifo_at_the_lock_path_is_refused() {
    let (_tmp, pipeline, out) = with_state_dir();
    let lock = out.join(".patronage/lock");
    let made = std::process::Command::new("mkfifo")
        .arg(&lock)
        .status()
        .unwrap();
    assert!(made.success());
    assert_lock_path_refused(&pipeline, &out, "a named pipe (FIFO)", 2);
}

/// A lock file left with text that names no holder (a run killed while writing
/// its note, or text written by hand) and nobody holding the lock: the run
/// takes it over and says so without claiming that a process no longer exists,
/// since no process was named.
#[test]
fn unreadable_lock_note_is_taken_over_without_naming_a_process() {
    let (_tmp, pipeline, out) = with_state_dir();
    std::fs::write(out.join(".patronage/lock"), "{\"pid\": ").unwrap();
    let o = run_pipeline(&pipeline, &out, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stderr(&o).lines().next(),
        Some("note: took over the output folder's lock: its lock file named no holder that could be read (left by a run that ended without releasing it, or written by hand)")
    );
    assert!(!out.join(".patronage/lock").exists());
}

/// 2 x 1,200 SYNTHETIC BACI rows of `v = 8000000000` (thousand dollars, so
/// 8 x 10^15 mills each) between China and the DPRK in 2020, with `scope =
/// "all"`: each direction sums 1,200 x 8 x 10^15 = 9.6 x 10^18 mills, past the
/// 64-bit range (9.22 x 10^18), which panicked the run ("attempt to add with
/// overflow", exit 101; a release build wrapped silently). The sums are exact:
/// $9.6 x 10^15 each way, $1.92 x 10^16 in all, and the same per HS chapter (the
/// products 100000-101199 are all in chapter 10).
#[test]
fn money_sums_beyond_64_bits_are_exact() {
    let mut csv = String::from("t,i,j,k,v,q\n");
    for (exporter, importer) in [(156, 408), (408, 156)] {
        for k in 100_000..101_200 {
            csv.push_str(&format!("2020,{exporter},{importer},{k},8000000000,NA\n"));
        }
    }
    let (_tmp, pipeline, out) = temp_pipeline(
        &[("BACI_HS17_Y2020_V202401.csv", csv.as_bytes())],
        &pipeline_text(&baci_source("baci", "BACI_HS17_Y2020_V202401.csv", "all")),
    );
    let o = run_quiet(&pipeline, &out);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let cmp = table(&out, "source_comparison");
    let directions: Vec<String> = (0..cmp.height())
        .map(|i| str_at(&cmp, "direction", i))
        .collect();
    assert_eq!(directions, ["focus_exports", "focus_imports", "total"]);
    assert_eq!(floats(&cmp, "value_usd"), [9.6e15, 9.6e15, 1.92e16]);
    let chapters = table(&out, "trade_by_commodity");
    assert_eq!(floats(&chapters, "value_usd"), [9.6e15, 9.6e15]);
}

/// An output folder that cannot be created (here under a plain file; on a
/// read-only file system it is "(os error 30)"): the message said the system's
/// error twice, once in the error and once as its cause.
#[test]
fn write_error_says_the_system_error_once() {
    let (tmp, pipeline, _) = with_state_dir();
    let file = tmp.path().join("b.csv");
    let out = file.join("out");
    let o = run_quiet(&pipeline, &out);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    // The state folder is checked first, so the error names it; the system's
    // error is said once.
    assert_eq!(
        stderr(&o).trim_end(),
        format!(
            "error: pipeline {} failed: {}: Not a directory (os error 20)",
            pipeline.display(),
            out.join(".patronage").display()
        )
    );
}
