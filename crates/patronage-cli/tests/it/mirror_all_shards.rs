//! `patronage mirror-all --shard-count N` run as N separate processes (the
//! index from JOB_COMPLETION_INDEX as a Kubernetes Indexed Job sets it, or
//! SLURM_ARRAY_TASK_ID as a Slurm array does), then `patronage merge OUT`:
//! every file byte-identical to one process's, single file and partitioned;
//! a missing or killed shard named, and merged once rerun; a shard there twice,
//! an input claimed twice, shards of another job refused, naming both.
//! Inputs: SYNTHETIC BACI and Comtrade bulk files from `patronage synth` (two
//! of 2019, so totals meet across shards; two bad rows appended), the cited
//! fixture `rus_prk_hs6_SYNTHETIC_split_2014-2015.tsv`, and the real Comtrade
//! bulk sample of ../shared/formats when it is there.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::{output_files, patronage, root, shared_formats, stderr, synth};

/// The job's arguments (`--baci F ... --comtrade-bulk F ...`), files under `dir`.
fn job(dir: &Path) -> Vec<String> {
    let p = |name: &str| dir.join(name);
    synth("baci", 2_000, 2018, &p("synthetic_baci_2018.csv"));
    synth("baci", 3_000, 2019, &p("synthetic_baci_2019a.csv"));
    synth("baci", 2_000, 2020, &p("synthetic_baci_2020.csv"));
    let o = patronage(
        &[
            "synth",
            "baci",
            "--rows",
            "2500",
            "--seed",
            "7",
            "--year",
            "2019",
            "--out",
            p("synthetic_baci_2019b.csv").to_str().unwrap(),
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    // An unknown exporter code and a value that is not a number: two rejects.
    let mut a = std::fs::read(p("synthetic_baci_2019a.csv")).unwrap();
    a.extend_from_slice(b"2019,999,4,010121,1.000,2.000\n2019,4,8,010121,abc,2.000\n");
    std::fs::write(p("synthetic_baci_2019a.csv"), a).unwrap();
    synth(
        "comtrade-bulk",
        2_000,
        2019,
        &p("synthetic_comtrade_bulk_2019.tsv"),
    );
    let mut args = Vec::new();
    for f in [
        "synthetic_baci_2018.csv",
        "synthetic_baci_2019a.csv",
        "synthetic_baci_2019b.csv",
        "synthetic_baci_2020.csv",
    ] {
        args.extend(["--baci".to_string(), p(f).display().to_string()]);
    }
    let mut bulk = vec![
        p("synthetic_comtrade_bulk_2019.tsv"),
        root().join("fixtures/comtrade/rus_prk_hs6_SYNTHETIC_split_2014-2015.tsv"),
    ];
    if let Some(real) = shared_formats("comtrade") {
        bulk.push(real.join("comtrade_v1_bulk_final_sample_BGR_2023_H6.tsv"));
    }
    for f in bulk {
        args.extend(["--comtrade-bulk".to_string(), f.display().to_string()]);
    }
    args
}

/// `patronage mirror-all ARGS --out OUT EXTRA`, with `env`.
fn mirror_all(args: &[String], out: &Path, extra: &[&str], env: &[(&str, String)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_patronage"));
    cmd.current_dir(root())
        .arg("mirror-all")
        .args(args)
        .args(["--out", out.to_str().unwrap(), "-q"])
        .args(extra)
        .env_remove("JOB_COMPLETION_INDEX")
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("SLURM_ARRAY_TASK_MIN");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Run every shard of `count` as its own process, all at once, each told its
/// index by `env_of(index)`; assert each succeeded.
fn run_shards(
    args: &[String],
    out: &Path,
    count: u32,
    extra: &[&str],
    env_of: impl Fn(u32) -> Vec<(&'static str, String)>,
) {
    let n = count.to_string();
    let mut flags = vec!["--shard-count", n.as_str()];
    flags.extend_from_slice(extra);
    let children: Vec<_> = (0..count)
        .map(|i| {
            mirror_all(args, out, &flags, &env_of(i))
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for (i, c) in children.into_iter().enumerate() {
        let o = c.wait_with_output().unwrap();
        assert!(o.status.success(), "shard {i}/{count}: {}", stderr(&o));
    }
}

fn k8s(i: u32) -> Vec<(&'static str, String)> {
    vec![("JOB_COMPLETION_INDEX", i.to_string())]
}

fn merge(out: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["merge", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    patronage(&args, &[])
}

/// The outputs under `dir` but the shards' folder.
fn final_outputs(dir: &Path) -> Vec<(String, Vec<u8>)> {
    output_files(dir)
        .into_iter()
        .filter(|(name, _)| !name.starts_with("shards/"))
        .collect()
}

/// Assert the merge's files are the single process's, byte for byte.
fn assert_same(got: &Path, want: &Path, what: &str) {
    let (got, want) = (final_outputs(got), final_outputs(want));
    let names = |v: &[(String, Vec<u8>)]| v.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&got), names(&want), "{what}");
    for ((name, a), (_, b)) in got.iter().zip(&want) {
        assert!(a == b, "{what}: {name} differs from one process's");
    }
}

fn single(args: &[String], out: &Path, extra: &[&str]) {
    let o = mirror_all(args, out, extra, &[]).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn shards_as_separate_processes_merge_to_one_process_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let args = job(dir.path());
    let want = dir.path().join("single");
    single(&args, &want, &[]);
    for count in 1..=4 {
        let out = dir.path().join(format!("k8s-{count}"));
        run_shards(&args, &out, count, &[], k8s);
        let o = merge(&out, &[]);
        assert!(o.status.success(), "{}", stderr(&o));
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert!(
            stdout.contains(&format!("merged {count} shards of mirror-all")),
            "{stdout}"
        );
        assert_same(&out, &want, &format!("{count} shards"));
    }
    // A Slurm array `--array=1-3`: tasks 1..3 are shards 0..2.
    let out = dir.path().join("slurm-3");
    run_shards(&args, &out, 3, &[], |i| {
        vec![
            ("SLURM_ARRAY_TASK_ID", (i + 1).to_string()),
            ("SLURM_ARRAY_TASK_MIN", "1".to_string()),
        ]
    });
    assert!(merge(&out, &[]).status.success());
    assert_same(&out, &want, "slurm");
    // Partitioned by year, three shards; `--json` prints one object.
    let want = dir.path().join("single-parts");
    single(&args, &want, &["--partition-by", "year"]);
    let out = dir.path().join("parts-3");
    run_shards(&args, &out, 3, &["--partition-by", "year"], k8s);
    let o = merge(&out, &["--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["kind"], "mirror-all");
    assert_eq!(v["shards"], 3);
    assert_eq!(v["report"]["rejects"], 2);
    assert_same(&out, &want, "partitioned");
    assert!(out.join("mirror_all/year=2019/part-0.parquet").is_file());
}

/// A job of three shards run, all merged once; returns the job's args.
fn three_shards(dir: &Path) -> (Vec<String>, PathBuf, PathBuf) {
    let args = job(dir);
    let want = dir.join("single");
    single(&args, &want, &[]);
    let out = dir.join("out");
    run_shards(&args, &out, 3, &[], k8s);
    (args, want, out)
}

#[test]
fn a_missing_or_killed_shard_is_named_and_merges_once_rerun() {
    let dir = tempfile::tempdir().unwrap();
    let (args, want, out) = three_shards(dir.path());
    let manifest = |i: u32| out.join(format!("shards/{i}-of-3/shard.json"));
    // Shard 1 never ran.
    std::fs::remove_dir_all(out.join("shards/1-of-3")).unwrap();
    let o = merge(&out, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(&format!(
            "shard 1/3 is missing: {} not found",
            manifest(1).display()
        )),
        "{}",
        stderr(&o)
    );
    assert!(!out.join("mirror_all.parquet").exists());
    run_shards(&args, &out, 3, &[], k8s);
    // Shard 2 killed before its manifest: its tables there, no shard.json.
    std::fs::remove_file(manifest(2)).unwrap();
    let o = merge(&out, &["--json"]);
    assert_eq!(o.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("shard 2/3 is missing"),
        "{v}"
    );
    // Shard 2 rerun alone: the merge succeeds, with one process's bytes.
    let o = mirror_all(&args, &out, &["--shard", "2/3"], &[])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let o = merge(&out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_same(&out, &want, "rerun");
}

#[test]
fn a_shard_twice_an_input_claimed_twice_or_another_job_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (args, _, out) = three_shards(dir.path());
    let shard_dir = |name: &str| out.join("shards").join(name);
    // A shard folder copied under another name: shard 1/3 twice.
    crate::common::copy_tree(&shard_dir("1-of-3"), &shard_dir("1-of-3-copy"));
    let o = merge(&out, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(&format!(
            "shard 1/3 is there twice: {} and {}",
            shard_dir("1-of-3").join("shard.json").display(),
            shard_dir("1-of-3-copy").join("shard.json").display()
        )),
        "{}",
        stderr(&o)
    );
    std::fs::remove_dir_all(shard_dir("1-of-3-copy")).unwrap();
    // Shard 0's manifest edited to claim an input of shard 1 as well.
    let read = |name: &str| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(shard_dir(name).join("shard.json")).unwrap()).unwrap()
    };
    let original = std::fs::read(shard_dir("0-of-3").join("shard.json")).unwrap();
    let mut zero = read("0-of-3");
    let one = read("1-of-3");
    let unit = one["units"][0].clone();
    zero["units"].as_array_mut().unwrap().push(unit.clone());
    std::fs::write(
        shard_dir("0-of-3").join("shard.json"),
        serde_json::to_vec_pretty(&zero).unwrap(),
    )
    .unwrap();
    let o = merge(&out, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(&format!(
            "input {} {} is claimed by two shards: {} and {}",
            unit["format"].as_str().unwrap(),
            unit["file"].as_str().unwrap(),
            shard_dir("0-of-3").join("shard.json").display(),
            shard_dir("1-of-3").join("shard.json").display()
        )),
        "{}",
        stderr(&o)
    );
    std::fs::write(shard_dir("0-of-3").join("shard.json"), original).unwrap();
    assert!(merge(&out, &[]).status.success());
    // Shard 1 rerun for another job (one input fewer): refused, naming both.
    let fewer = &args[2..];
    let o = mirror_all(fewer, &out, &["--shard", "1/3"], &[])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let o = merge(&out, &[]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains(&format!(
            "{} and {} are shards of different jobs: job_sha256",
            shard_dir("0-of-3").join("shard.json").display(),
            shard_dir("1-of-3").join("shard.json").display()
        )),
        "{e}"
    );
}

#[test]
fn the_shard_comes_from_the_flag_or_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let args = vec![
        "--comtrade-bulk".to_string(),
        root()
            .join("fixtures/comtrade/rus_prk_hs6_SYNTHETIC_split_2014-2015.tsv")
            .display()
            .to_string(),
    ];
    // `--shard` and `--shard-count` exclude each other.
    let o = mirror_all(&args, &out, &["--shard", "0/2", "--shard-count", "2"], &[])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cannot be used with"), "{}", stderr(&o));
    // `--shard-count` with no index in the environment.
    let o = mirror_all(&args, &out, &["--shard-count", "2"], &[])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("JOB_COMPLETION_INDEX"),
        "{}",
        stderr(&o)
    );
    // An index beyond the count.
    let o = mirror_all(
        &args,
        &out,
        &["--shard-count", "2"],
        &[("JOB_COMPLETION_INDEX", "2".to_string())],
    )
    .output()
    .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("JOB_COMPLETION_INDEX=2 is not a shard index below --shard-count 2"),
        "{}",
        stderr(&o)
    );
    // One input, two shards: shard 1 has nothing to fold and still writes its
    // empty tables and manifest; the merge is the single run's.
    run_shards(&args, &out, 2, &[], k8s);
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("shards/1-of-2/shard.json")).unwrap())
            .unwrap();
    assert_eq!(m["units"].as_array().map(Vec::len), Some(0));
    assert_eq!(m["outputs"][0]["rows"], 0);
    assert!(merge(&out, &[]).status.success());
    let want = dir.path().join("single");
    single(&args, &want, &[]);
    assert_same(&out, &want, "one input");
    // `merge` with no shards names what it looked for.
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let o = merge(&empty, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no shard manifests"), "{}", stderr(&o));
}

/// Write `bytes` into the named pipe `fifo` once a reader opens it; give up
/// when `stop` is set (a reader that never comes, or one that was killed).
#[cfg(unix)]
fn feed(
    fifo: &Path,
    bytes: Vec<u8>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> std::thread::JoinHandle<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    use std::sync::atomic::Ordering;
    let fifo = fifo.to_path_buf();
    let pause = || std::thread::sleep(std::time::Duration::from_millis(2));
    std::thread::spawn(move || {
        // Opening a pipe's write end without blocking fails until a reader
        // has opened it.
        let mut f = loop {
            match std::fs::OpenOptions::new()
                .write(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(&fifo)
            {
                Ok(f) => break f,
                Err(_) if !stop.load(Ordering::SeqCst) => pause(),
                Err(_) => return,
            }
        };
        let mut at = 0;
        while at < bytes.len() {
            match f.write(&bytes[at..]) {
                Ok(n) => at += n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    pause();
                }
                Err(_) => return,
            }
        }
    })
}

/// Run `cmd` while `feed` writes `bytes` into `fifo`; its output.
#[cfg(unix)]
fn fed(mut cmd: Command, fifo: &Path, bytes: &[u8]) -> Output {
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = feed(fifo, bytes.to_vec(), stop.clone());
    let o = cmd.output().unwrap();
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    writer.join().unwrap();
    o
}

#[cfg(unix)]
#[test]
fn a_killed_shard_leaves_no_manifest_and_merges_once_rerun() {
    // Shard 1's input is a named pipe (weight 0: it goes to the shard with
    // less to do, shard 1 of 2), so the shard cannot finish before the test
    // writes into it: killed while it waits, it has certainly not finished.
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("synthetic_baci_2019.csv");
    synth("baci", 2_000, 2019, &a);
    let b = dir.path().join("synthetic_baci_2020.csv");
    synth("baci", 1_500, 2020, &b);
    let bytes = std::fs::read(&b).unwrap();
    let fifo = dir.path().join("synthetic_baci_2020.pipe");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let args: Vec<String> = [
        "--baci",
        a.to_str().unwrap(),
        "--baci",
        fifo.to_str().unwrap(),
    ]
    .map(String::from)
    .to_vec();
    let want = dir.path().join("single");
    let o = fed(mirror_all(&args, &want, &[], &[]), &fifo, &bytes);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = dir.path().join("out");
    let o = mirror_all(&args, &out, &["--shard", "0/2"], &[])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let manifest = out.join("shards/1-of-2/shard.json");
    let shard1 = || mirror_all(&args, &out, &["--shard", "1/2"], &[]);
    let o = fed(shard1(), &fifo, &bytes);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(merge(&out, &[]).status.success());
    // Shard 1 rerun and killed while it waits for its input: the manifest of
    // its earlier run is gone (removed before anything else), none written.
    let mut child = shard1()
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    while manifest.exists() {
        assert!(child.try_wait().unwrap().is_none(), "shard 1 ended early");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!manifest.exists());
    let o = merge(&out, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(&format!(
            "shard 1/2 is missing: {} not found",
            manifest.display()
        )),
        "{}",
        stderr(&o)
    );
    // Rerun: the merge succeeds with one process's bytes.
    let o = fed(shard1(), &fifo, &bytes);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = merge(&out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_same(&out, &want, "killed and rerun");
}

/// `patronage plan --shards 3` over the job's inputs prints, per input, the
/// shard whose `shard.json` then lists it, and each shard's bytes are the sum
/// of its inputs' sizes on disk.
#[test]
fn plan_prints_the_shard_of_each_input_as_the_shards_run_it() {
    let t = tempfile::tempdir().unwrap();
    let args = job(t.path());
    let out = t.path().join("out");
    let mut plan_args = vec![
        "plan".to_string(),
        "--shards".into(),
        "3".into(),
        "--json".into(),
    ];
    plan_args.extend(args.iter().cloned());
    let refs: Vec<&str> = plan_args.iter().map(String::as_str).collect();
    let o = patronage(&refs, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let inputs = args.len() / 2;
    assert_eq!(lines.len(), inputs + 3, "a line per input, then per shard");
    run_shards(&args, &out, 3, &[], k8s);
    let mut totals = [0u64; 3];
    for unit in &lines[..inputs] {
        let (format, file) = unit["unit"].as_str().unwrap().split_once(':').unwrap();
        let shard = unit["shard"].as_str().unwrap();
        let index: usize = shard[..1].parse().unwrap();
        let bytes = std::fs::metadata(file).unwrap().len();
        assert_eq!(unit["weight"].as_u64(), Some(bytes), "{file}");
        totals[index] += bytes;
        let manifest: serde_json::Value = serde_json::from_slice(
            &std::fs::read(out.join(format!("shards/{index}-of-3/shard.json"))).unwrap(),
        )
        .unwrap();
        assert!(
            manifest["units"]
                .as_array()
                .unwrap()
                .iter()
                .any(|u| u["file"] == file && u["format"] == format),
            "{file} is in shard {shard}'s shard.json"
        );
    }
    for (i, total) in totals.iter().enumerate() {
        assert_eq!(lines[inputs + i]["weight"].as_u64(), Some(*total));
    }
}
