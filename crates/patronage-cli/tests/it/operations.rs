//! Operations: a failing or killed run leaves the previous outputs readable and
//! consistent with their manifest and the next run completes; a second run on
//! the same folder is refused or waits; a stale lock is taken over; `verify`
//! names drift; exit codes and the JSON dictionary.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;
use crate::ops_support::*;

/// This host's name as the lock records it.
fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_string()
}

/// A lock held by this process, as a run holds it: the operating system's lock
/// on `.patronage/lock`, and a note naming this process. Release it with
/// [`release`].
struct HeldLock {
    path: std::path::PathBuf,
    _file: std::fs::File,
}

/// Take the output folder's lock as a run would.
fn hold_lock(out: &std::path::Path) -> HeldLock {
    let path = leave_lock_note(out, std::process::id());
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .unwrap();
    file.try_lock().unwrap();
    HeldLock { path, _file: file }
}

/// Release a lock taken by [`hold_lock`] as a run does: remove the file, then
/// close it.
fn release(lock: HeldLock) {
    std::fs::remove_file(&lock.path).unwrap();
}

/// Write the lock file's note naming `pid` on this host, and nobody holding the
/// lock: what a run killed while holding it leaves.
fn leave_lock_note(out: &std::path::Path, pid: u32) -> std::path::PathBuf {
    let dir = out.join(".patronage");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("lock");
    let holder = serde_json::json!({
        "pid": pid,
        "host": host(),
        "started_at": "2026-11-28T08:00:00.000Z",
    });
    std::fs::write(&path, holder.to_string()).unwrap();
    path
}

/// A pid that no longer exists: a child that has exited and been reaped.
fn dead_pid() -> u32 {
    let mut child = Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

fn verify(s: &Sandbox) -> std::process::Output {
    patronage(&["verify", "--out", s.out.to_str().unwrap()], &[])
}

/// Change one input and break another so the run fails mid-way: the old
/// outputs still verify and load, unchanged; then fix the broken input and the
/// next run completes, reading again only what is not cached.
#[test]
fn failing_run_leaves_previous_outputs_and_next_run_completes() {
    let s = Sandbox::new();
    s.run_json(&[]);
    let before = output_files(&s.out);
    let manifest_before = std::fs::read(s.out.join("manifest.json")).unwrap();

    let csv = s.fixture("chn_prk_gacc_annual.csv");
    let mut changed = std::fs::read(&csv).unwrap();
    changed.push(b'\n'); // same rows, other bytes
    std::fs::write(&csv, &changed).unwrap();
    let json = s.fixture("prk_kotra_mirror_annual.json");
    let good = std::fs::read(&json).unwrap();
    std::fs::write(&json, &good[..good.len() / 2]).unwrap();
    let o = s.cmd("run", &["--json"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let ev = events(&o);
    let last = ev.last().unwrap();
    assert_eq!(last["event"], "run_finished");
    assert_eq!(last["exit_code"], 2);
    assert!(
        last["error"]
            .as_str()
            .unwrap()
            .contains("prk_kotra_mirror_annual.json"),
        "{last}"
    );
    // Nothing changed in the folder; every table still loads; the lock is gone.
    assert_eq!(output_files(&s.out), before);
    let v = verify(&s);
    assert_eq!(v.status.code(), Some(0), "{}", text(&v));
    for (file, _) in manifest_hashes(&s.out) {
        let t = table(&s.out, file.trim_end_matches(".parquet"));
        assert!(t.width() > 0, "{file}");
    }
    assert!(!s.out.join(".patronage/lock").exists());
    let log = std::fs::read_to_string(s.out.join(".patronage/runs.jsonl")).unwrap();
    assert!(log
        .lines()
        .last()
        .unwrap()
        .contains("\"outcome\":\"failed\""));

    std::fs::write(&json, &good).unwrap();
    let ev = s.run_json(&[]);
    let ran = stages_with(&ev, "stage_started");
    // kotra is back to the bytes it had when cached; cn_gacc may have been
    // read and cached by the failed run already.
    assert!(ran.contains(&"aggregate".to_string()), "{ran:?}");
    assert!(!ran.contains(&"source:kotra".to_string()), "{ran:?}");
    assert_matches_manifest(&s.out);
    let m = manifest(&s.out);
    let cn = m["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["source_id"] == "cn_gacc")
        .unwrap();
    assert_eq!(cn["sha256"], patronage_tables::sha256_hex(&changed));
    assert_ne!(
        std::fs::read(s.out.join("manifest.json")).unwrap(),
        manifest_before
    );
}

/// A run killed while holding the lock leaves the lock file (its note) and a
/// temporary file behind; the old outputs still verify, and the next run takes
/// the lock over (saying whose it was), removes the leftovers and completes. A
/// run killed while waiting for the lock changes nothing.
#[test]
fn killed_run_leftovers_are_cleaned_and_its_stale_lock_taken_over() {
    let s = Sandbox::new();
    s.run_json(&[]);
    let before = output_files(&s.out);

    // A run killed while waiting changes nothing.
    let live = hold_lock(&s.out);
    std::fs::write(s.fixture("chn_prk_gacc_annual.csv"), {
        let mut t = std::fs::read(s.fixture("chn_prk_gacc_annual.csv")).unwrap();
        t.push(b'\n');
        t
    })
    .unwrap();
    let mut waiting = s
        .run_command(&["--wait"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert!(waiting.try_wait().unwrap().is_none(), "it waits");
    waiting.kill().unwrap();
    waiting.wait().unwrap();
    release(live);
    assert_eq!(output_files(&s.out), before);

    // A run killed while writing: its lock and a half-written temporary file.
    let pid = dead_pid();
    leave_lock_note(&s.out, pid);
    let leftover = s.out.join(format!(".trade_flows.parquet.tmp-{pid}"));
    std::fs::write(&leftover, b"PAR1 half a table").unwrap();
    let v = verify(&s);
    assert_eq!(v.status.code(), Some(0), "{}", text(&v));

    let o = s.cmd("run", &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("took over") && err.contains(&format!("pid {pid}")),
        "{err}"
    );
    assert!(!leftover.exists());
    assert!(!s.out.join(".patronage/lock").exists());
    let v = verify(&s);
    assert_eq!(v.status.code(), Some(0), "{}", text(&v));
}

/// A lock held by a live process: a second run fails at once naming the holder
/// (exit 2), `--wait=SECONDS` gives up after that long, `--wait` waits until the
/// lock is released and then runs.
#[test]
fn second_concurrent_run_is_refused_or_waits() {
    let s = Sandbox::new();
    let lock = hold_lock(&s.out);

    let o = s.cmd("run", &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("locked by another run"), "{err}");
    assert!(
        err.contains(&format!("pid {} on host {}", std::process::id(), host())),
        "{err}"
    );
    assert!(err.contains("started 2026-11-28T08:00:00.000Z"), "{err}");
    assert!(!s.out.join("manifest.json").exists());

    let t = Instant::now();
    let o = s.cmd("run", &["--wait=0.5"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(t.elapsed() >= Duration::from_millis(500));
    assert!(String::from_utf8_lossy(&o.stderr).contains("after waiting"));

    let mut waiting = s
        .run_command(&["--wait", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Its first event says it waits, and whom for; then the lock is released.
    let mut stdout = std::io::BufReader::new(waiting.stdout.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut first).unwrap();
    let first: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(first["event"], "lock_waiting");
    assert!(first["holder"]
        .as_str()
        .unwrap()
        .contains(&format!("pid {}", std::process::id())));
    release(lock);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    assert_eq!(waiting.wait().unwrap().code(), Some(0), "{rest}");
    let ev: Vec<serde_json::Value> = rest
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(ev[0]["event"], "run_started");
    assert_eq!(ev.last().unwrap()["exit_code"], 0);
    assert_matches_manifest(&s.out);
}

/// Two real runs started together on one folder both finish, one after the
/// other: their intervals in the run log do not overlap.
#[test]
fn two_runs_started_together_take_turns() {
    let s = Sandbox::new();
    let spawn = || {
        s.run_command(&["--force", "--wait=60", "-q"])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    for child in [a, b] {
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    }
    let log = std::fs::read_to_string(s.out.join(".patronage/runs.jsonl")).unwrap();
    let runs: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(runs.len(), 2);
    // RFC 3339 UTC with milliseconds sorts as text.
    let (first, second) = (&runs[0], &runs[1]);
    assert!(
        second["started_at"].as_str().unwrap() >= first["finished_at"].as_str().unwrap(),
        "{log}"
    );
    assert_matches_manifest(&s.out);
}

/// `verify` names a changed, a missing and an extra file, exit code 2; a clean
/// folder gives 0; a folder without a manifest is an error.
#[test]
fn verify_detects_modified_output() {
    let s = Sandbox::new();
    // The pipeline names its output folder, so `verify PIPELINE` finds it.
    let toml = std::fs::read_to_string(&s.pipeline).unwrap();
    std::fs::write(&s.pipeline, format!("output = \"../out\"\n{toml}")).unwrap();
    s.run_json(&[]);
    let o = verify(&s);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = patronage(&["verify", s.pipeline.to_str().unwrap()], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let listed = manifest_hashes(&s.out).len();
    assert!(String::from_utf8_lossy(&o.stdout).starts_with(&format!("ok: {listed} file(s)")));

    let path = s.out.join("mirror_trade.parquet");
    let mut bytes = std::fs::read(&path).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&path, bytes).unwrap();
    std::fs::remove_file(s.out.join("trade_windows.parquet")).unwrap();
    std::fs::write(s.out.join("notes.parquet"), b"not ours").unwrap();

    let o = patronage(&["verify", s.pipeline.to_str().unwrap()], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(
        lines[0].starts_with("changed  mirror_trade.parquet"),
        "{out}"
    );
    assert!(
        lines[1].starts_with("missing  trade_windows.parquet"),
        "{out}"
    );
    assert!(lines[2].starts_with("extra    notes.parquet"), "{out}");

    // The next run repairs what it wrote (and leaves the extra file alone).
    let ev = s.run_json(&[]);
    assert_eq!(stages_with(&ev, "stage_started"), vec!["aggregate"]);
    let o = verify(&s);
    assert_eq!(o.status.code(), Some(2));
    std::fs::remove_file(s.out.join("notes.parquet")).unwrap();
    assert_eq!(verify(&s).status.code(), Some(0));

    let empty = tempfile::tempdir().unwrap();
    let o = patronage(&["verify", "--out", empty.path().to_str().unwrap()], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("manifest.json"));
}

/// Exit codes are documented in `--help`; `schema --json` lists every table of
/// the Markdown dictionary with its columns.
#[test]
fn help_documents_exit_codes_and_schema_prints_json() {
    for args in [&["--help"][..], &["run", "--help"][..]] {
        let o = patronage(args, &[]);
        let help = String::from_utf8_lossy(&o.stdout);
        assert!(help.contains("Exit codes:"), "{help}");
        assert!(help.contains("1  data checks failed"), "{help}");
        assert!(help.contains("2  error"), "{help}");
    }
    let md = patronage(&["schema"], &[]);
    let md = String::from_utf8_lossy(&md.stdout);
    let o = patronage(&["schema", "--json"], &[]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let tables = v["tables"].as_array().unwrap();
    let md_tables: Vec<&str> = md
        .lines()
        .filter_map(|l| l.strip_prefix("### `"))
        .map(|l| l.trim_end_matches('`'))
        .collect();
    // The Markdown lists `patronage run`'s tables, then `mirror-all`'s.
    let json_tables: Vec<&str> = tables
        .iter()
        .chain(v["mirror_all_tables"].as_array().unwrap())
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(json_tables, md_tables);
    assert_eq!(md_tables.last(), Some(&"mirror_all"));
    let windows = tables
        .iter()
        .find(|t| t["name"] == "trade_windows")
        .unwrap();
    assert_eq!(
        windows["key"],
        serde_json::json!(["window_id", "partner_iso3"])
    );
    let complete = windows["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "complete")
        .unwrap();
    assert_eq!(complete["type"], "bool");
    assert_eq!(complete["nullable"], false);
}

/// A run killed (SIGKILL) while it reads its sources: the previous outputs are
/// untouched and still match their manifest, and the next run takes over the
/// lock the killed run left and completes.
#[test]
fn run_killed_mid_way_leaves_previous_outputs_and_next_run_completes() {
    let s = Sandbox::new();
    s.run_json(&[]);
    let before = output_files(&s.out);

    // Synthetic input: the fixture's six rows repeated 20,000 times, so that
    // reading it takes long enough to kill the run while it does.
    let csv = s.fixture("rus_prk_russia_reported_annual.csv");
    let original = std::fs::read_to_string(&csv).unwrap();
    let (header, rows) = original.split_once('\n').unwrap();
    let mut big = format!("{header}\n");
    for _ in 0..20_000 {
        big.push_str(rows);
    }
    std::fs::write(&csv, big).unwrap();

    let mut child = s.run_command(&["-q"]).spawn().unwrap();
    let lock = s.out.join(".patronage/lock");
    let t = Instant::now();
    // Wait for the holder note, not only the file: a run killed between creating
    // the lock file and writing its note leaves an empty file, which the next
    // run takes without a "took over" message (no holder to name).
    let has_note = || std::fs::metadata(&lock).is_ok_and(|m| m.len() > 0);
    while !has_note() && t.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "the run is still going"
    );
    child.kill().unwrap();
    child.wait().unwrap();

    assert!(lock.exists(), "a killed run leaves its lock");
    assert_eq!(output_files(&s.out), before);
    let v = verify(&s);
    assert_eq!(v.status.code(), Some(0), "{}", text(&v));

    std::fs::write(&csv, original).unwrap();
    let o = s.cmd("run", &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("took over"));
    assert!(!lock.exists());
    assert_eq!(output_files(&s.out), before);
}
