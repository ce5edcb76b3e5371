//! Sources and outputs on object storage, against a local S3 server (moto on
//! 127.0.0.1, started by the test; skipped only outside CI when it cannot
//! start): `mirror-all` reading `s3://` inputs (and an `http://` one, from a
//! web server of the test's own on 127.0.0.1) and its shards fanned out as
//! separate processes (`JOB_COMPLETION_INDEX`) then merged there; a pipeline
//! whose sources are `s3://` objects run, sharded and merged, and `verify`d on
//! the store; and a run stopped between sending its uploads' parts and
//! completing them, which leaves the previous manifest valid.

use std::path::Path;
use std::process::{Command, Output};

use patronage_store::s3_test_server::S3TestServer;
use patronage_store::{ObjectUrl, Store};

use crate::common::*;

const BUCKET: &str = "patronage-it";

/// The server, or `None` when the test is skipped (outside CI only).
fn server() -> Option<S3TestServer> {
    S3TestServer::start_or_skip(Path::new(env!("CARGO_TARGET_TMPDIR")), BUCKET)
}

/// `patronage ARGS` with the server's environment and a staging folder of the
/// test's own.
fn command(
    server: &S3TestServer,
    staging: &Path,
    args: &[&str],
    env: &[(&str, String)],
) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_patronage"));
    cmd.current_dir(root()).args(args);
    for (k, v) in server.env().into_iter().chain(env.iter().cloned()) {
        cmd.env(k, v);
    }
    cmd.env("PATRONAGE_STAGING_DIR", staging);
    cmd
}

fn ok(o: Output, what: &str) -> Output {
    assert!(
        o.status.success(),
        "{what}: {}{}",
        String::from_utf8_lossy(&o.stdout),
        stderr(&o)
    );
    o
}

/// Every process of a fan-out of `count` started at once, as an Indexed Job
/// starts its pods, each asserted to succeed.
fn fan_out(server: &S3TestServer, staging: &Path, args: &[&str], count: u32) {
    let children: Vec<_> = (0..count)
        .map(|i| {
            command(
                server,
                staging,
                args,
                &[("JOB_COMPLETION_INDEX", i.to_string())],
            )
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start a shard")
        })
        .collect();
    for (i, c) in children.into_iter().enumerate() {
        ok(c.wait_with_output().unwrap(), &format!("shard {i}/{count}"));
    }
}

/// Every object below `prefix` but the shards, by path relative to it.
fn objects(store: &Store, prefix: &str) -> Vec<(String, Vec<u8>)> {
    let url = ObjectUrl::parse(&format!("s3://{BUCKET}/{prefix}")).unwrap();
    let mut out: Vec<(String, Vec<u8>)> = store
        .list(&url)
        .unwrap()
        .into_iter()
        .map(|o| {
            let rel = o.url.key[prefix.len() + 1..].to_string();
            (rel, o.url)
        })
        .filter(|(rel, _)| !rel.starts_with("shards/"))
        .map(|(rel, url)| (rel, store.get(&url).unwrap()))
        .collect();
    out.sort();
    out
}

/// A web server on 127.0.0.1 answering HEAD and ranged GET requests for one
/// file (a data provider's plain download, without the TLS); it serves at most
/// 64 requests, then stops. Returns the file's URL.
fn serve(bytes: Vec<u8>, name: &str) -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/files/{name}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().take(64) {
            let Ok(mut stream) = stream else { break };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            let mut range: Option<(usize, usize)> = None;
            let _ = reader.read_line(&mut request);
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                if let Some(r) = lower.strip_prefix("range: bytes=") {
                    let (a, b) = r.trim().split_once('-').unwrap();
                    let a: usize = a.parse().unwrap();
                    let last = bytes.len() - 1;
                    range = Some((a, b.parse::<usize>().map_or(last, |b| b.min(last))));
                }
            }
            let (status, body) = match range {
                Some((a, b)) => ("206 Partial Content", &bytes[a..=b]),
                None => ("200 OK", &bytes[..]),
            };
            let mut head = format!(
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nETag: \"v1\"\r\n\
                 Last-Modified: Mon, 30 Nov 2026 00:00:00 GMT\r\nAccept-Ranges: bytes\r\n\
                 Connection: close\r\n",
                body.len()
            );
            if let Some((a, b)) = range {
                head += &format!("Content-Range: bytes {a}-{b}/{}\r\n", bytes.len());
            }
            head += "\r\n";
            let _ = stream.write_all(head.as_bytes());
            if !request.starts_with("HEAD") {
                let _ = stream.write_all(body);
            }
        }
    });
    url
}

fn put(store: &Store, key: &str, bytes: Vec<u8>) {
    store
        .put(
            &ObjectUrl::parse(&format!("s3://{BUCKET}/{key}")).unwrap(),
            bytes,
        )
        .unwrap();
}

/// Four SYNTHETIC BACI years on the store under `in/`: `mirror-all` reads them
/// by a wildcard URL, once in one process and once as three shards started
/// together and merged on the store; every object the merge wrote equals the
/// one process's. A shard whose `shard.json` is gone (a killed pod) is named by
/// the merge; rerun, the merge completes with the same bytes.
#[test]
fn mirror_all_shards_on_s3_merge_to_the_bytes_of_one_process() {
    let Some(server) = server() else { return };
    let store = server.store().unwrap();
    let t = tempfile::tempdir().unwrap();
    for year in 2017..=2020 {
        let path = t.path().join(format!("BACI_HS17_Y{year}_V202401.csv"));
        synth("baci", 3_000 + (year as u64 - 2017) * 500, year, &path);
        put(
            &store,
            &format!("in/BACI_HS17_Y{year}_V202401.csv"),
            std::fs::read(&path).unwrap(),
        );
    }
    let staging = t.path().join("staging");
    let input = format!("s3://{BUCKET}/in/BACI_HS17_Y*_V202401.csv");
    let single = format!("s3://{BUCKET}/single");
    ok(
        command(
            &server,
            &staging,
            &["mirror-all", "--baci", &input, "--out", &single, "-q"],
            &[],
        )
        .output()
        .unwrap(),
        "mirror-all",
    );
    let one = objects(&store, "single");
    let names: Vec<&str> = one.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "mirror_all.parquet",
            "mirror_all_report.json",
            "rejects.parquet"
        ]
    );
    let report: serde_json::Value = serde_json::from_slice(&one[1].1).unwrap();
    let files: Vec<&str> = (report["inputs"].as_array().unwrap().iter())
        .map(|i| i["file"].as_str().unwrap())
        .collect();
    assert_eq!(files.len(), 4, "the wildcard names the four objects");
    assert_eq!(
        files[0],
        format!("s3://{BUCKET}/in/BACI_HS17_Y2017_V202401.csv")
    );
    // 3,000 + 3,500 + 4,000 + 4,500 rows read, none rejected.
    let read: u64 = (report["inputs"].as_array().unwrap().iter())
        .map(|i| i["read"].as_u64().unwrap())
        .sum();
    assert_eq!(read, 15_000);

    // The same file over plain HTTP (read only, no listing): the account of
    // the local file, its SHA-256 included.
    let local = t.path().join("BACI_HS17_Y2018_V202401.csv");
    let by_http = serve(
        std::fs::read(&local).unwrap(),
        "BACI_HS17_Y2018_V202401.csv",
    );
    let account = |input: &str, out: &str| -> serde_json::Value {
        let o = ok(
            command(
                &server,
                &staging,
                &["mirror-all", "--baci", input, "--out", out, "--json"],
                &[],
            )
            .output()
            .unwrap(),
            input,
        );
        let mut v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let mut a = v["inputs"][0].take();
        a["file"] = serde_json::Value::Null;
        a
    };
    let from_http = account(&by_http, t.path().join("http").to_str().unwrap());
    assert_eq!(
        from_http,
        account(
            local.to_str().unwrap(),
            t.path().join("local").to_str().unwrap()
        )
    );
    assert_eq!(from_http["read"], 3_500);

    let sharded = format!("s3://{BUCKET}/sharded");
    let shard_args = [
        "mirror-all",
        "--baci",
        &input,
        "--out",
        &sharded,
        "--shard-count",
        "3",
        "-q",
    ];
    fan_out(&server, &staging, &shard_args, 3);
    let merge = || {
        command(&server, &staging, &["merge", &sharded, "-q"], &[])
            .output()
            .unwrap()
    };
    ok(merge(), "merge");
    assert_eq!(objects(&store, "sharded"), one);

    // A killed shard leaves no shard.json: the merge names it.
    let gone = ObjectUrl::parse(&format!("{sharded}/shards/1-of-3/shard.json")).unwrap();
    store.delete(&gone).unwrap();
    let o = merge();
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("shard 1/3 is missing"),
        "{}",
        stderr(&o)
    );
    let mut rerun = shard_args.to_vec();
    rerun.splice(5..7, ["--shard", "1/3"]);
    ok(
        command(&server, &staging, &rerun, &[]).output().unwrap(),
        "shard 1/3 again",
    );
    ok(merge(), "merge after the rerun");
    assert_eq!(objects(&store, "sharded"), one);

    // Shard 0's objects copied under another folder: two shards claim the
    // same inputs, and the merge names both and writes nothing.
    let shard0 = ObjectUrl::parse(&format!("{sharded}/shards/0-of-3")).unwrap();
    let copies: Vec<ObjectUrl> = (store.list(&shard0).unwrap().into_iter())
        .map(|o| {
            let to = o.url.key.replace("/0-of-3/", "/0-of-3-again/");
            let to = ObjectUrl::parse(&format!("s3://{BUCKET}/{to}")).unwrap();
            store.put(&to, store.get(&o.url).unwrap()).unwrap();
            to
        })
        .collect();
    assert!(!copies.is_empty());
    let o = merge();
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("0-of-3/shard.json") && err.contains("0-of-3-again/shard.json"),
        "{err}"
    );
    assert_eq!(objects(&store, "sharded"), one, "nothing written");
    for c in &copies {
        store.delete(c).unwrap();
    }
    ok(merge(), "merge without the copy");
}

/// A pipeline whose three BACI sources are objects on the store, its
/// `trade_flows` partitioned by year, a `[mirror_all]` step over them, and its
/// `output` a URL on the store: run there and verified there;
/// run as two shards started together and merged on the store, with every
/// object equal to the single run's. Then one source object changes and a run
/// is stopped after sending its uploads' parts, before completing any (what a
/// killed pod leaves): the previous manifest and every object it lists are
/// unchanged and `verify` passes; the run completed publishes the new manifest.
#[test]
fn a_pipeline_reads_and_writes_object_storage_and_an_interrupted_upload_keeps_the_old_run() {
    let Some(server) = server() else { return };
    let store = server.store().unwrap();
    let t = tempfile::tempdir().unwrap();
    let mut toml = format!(
        "name = \"objects\"\nfocus = \"PRK\"\npartition_by = [\"year\"]\n\
         output = \"s3://{BUCKET}/run1\"\n\n"
    );
    for year in [2019, 2020, 2021] {
        let path = t.path().join(format!("y{year}.csv"));
        synth("baci", 2_000, year, &path);
        put(
            &store,
            &format!("release/BACI_HS17_Y{year}_V202401.csv"),
            std::fs::read(&path).unwrap(),
        );
        toml.push_str(&format!(
            "[[sources]]\nid = \"baci_{year}\"\nformat = \"baci\"\n\
             path = \"s3://{BUCKET}/release/BACI_HS17_Y{year}_V202401.csv\"\nscope = \"all\"\n\n"
        ));
    }
    toml.push_str("[mirror_all]\nsources = [\"baci_2019\", \"baci_2020\", \"baci_2021\"]\n");
    let project = t.path().join("project");
    std::fs::create_dir_all(project.join("pipelines")).unwrap();
    let pipeline = project.join("pipelines/objects.toml");
    std::fs::write(&pipeline, toml).unwrap();
    let p = pipeline.to_str().unwrap();
    let staging = t.path().join("staging");
    // The pipeline's `output` is the URL: no --out.
    ok(
        command(&server, &staging, &["run", p, "-q"], &[])
            .output()
            .unwrap(),
        "run",
    );
    // The objects were read from the project's download cache, named by URL.
    assert!(project
        .join(format!(
            "data/cache/objects/s3/{BUCKET}/release/BACI_HS17_Y2019_V202401.csv"
        ))
        .is_file());
    // Nothing changed: every stage would be skipped, the objects fingerprinted
    // by the store's size and ETag and the SHA-256 taken while downloading.
    let plan = ok(
        command(&server, &staging, &["plan", p, "--json"], &[])
            .output()
            .unwrap(),
        "plan",
    );
    let stages: Vec<serde_json::Value> = String::from_utf8_lossy(&plan.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(stages.len(), 5, "three sources, mirror_all, aggregate");
    for s in &stages {
        assert_eq!(s["action"], "skip", "{s}");
    }
    let verify = || {
        command(&server, &staging, &["verify", p], &[])
            .output()
            .unwrap()
    };
    ok(verify(), "verify on the store");
    let first = objects(&store, "run1");
    let manifest: serde_json::Value =
        serde_json::from_slice(&first.iter().find(|(n, _)| n == "manifest.json").unwrap().1)
            .unwrap();
    // Inputs are named by their URL, not where the cache lies.
    let inputs = manifest["inputs"].as_array().unwrap();
    assert!(
        inputs
            .iter()
            .any(|i| i["file"]
                == format!("s3://{BUCKET}/release/BACI_HS17_Y2019_V202401.csv").as_str()),
        "{inputs:?}"
    );
    let listed = manifest["outputs"].as_array().unwrap().len();
    assert_eq!(
        first.len(),
        listed + 1,
        "every listed file and the manifest"
    );
    assert!(first
        .iter()
        .any(|(n, _)| n == "trade_flows/year=2020/part-0.parquet"));
    assert!(first.iter().any(|(n, _)| n == "mirror_all.parquet"));

    let run2 = format!("s3://{BUCKET}/run2");
    fan_out(
        &server,
        &staging,
        &["run", p, "--out", &run2, "--shard-count", "2", "-q"],
        2,
    );
    // The merge runs on another machine: the same pipeline file in a project
    // whose download cache is empty. It downloads no source: each object the
    // shards read is stood in for by a placeholder carrying the SHA-256 the
    // shards recorded, the store still listing it with the ETag they read.
    let elsewhere = t.path().join("merge-machine");
    std::fs::create_dir_all(elsewhere.join("pipelines")).unwrap();
    let moved = elsewhere.join("pipelines/objects.toml");
    std::fs::copy(&pipeline, &moved).unwrap();
    ok(
        command(
            &server,
            &t.path().join("merge-staging"),
            &["merge", &run2, "--pipeline", moved.to_str().unwrap(), "-q"],
            &[],
        )
        .output()
        .unwrap(),
        "merge",
    );
    assert_eq!(objects(&store, "run2"), first);
    for year in [2019, 2020, 2021] {
        let cached = elsewhere.join(format!(
            "data/cache/objects/s3/{BUCKET}/release/BACI_HS17_Y{year}_V202401.csv"
        ));
        let sidecar: serde_json::Value = serde_json::from_slice(
            &std::fs::read(cached.with_extension("csv.object.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(sidecar["placeholder"], true, "{}", cached.display());
        assert_eq!(sidecar["sha256"], "", "no byte of the object was read");
    }

    // A source changes; the next run is stopped before any upload completes.
    let changed = t.path().join("y2021b.csv");
    synth("baci", 2_500, 2021, &changed);
    put(
        &store,
        "release/BACI_HS17_Y2021_V202401.csv",
        std::fs::read(&changed).unwrap(),
    );
    // The shards read the object before it changed: a merge refuses, naming
    // the stage, and leaves the merged objects as they were.
    let o = command(
        &server,
        &t.path().join("merge-staging"),
        &["merge", &run2, "--pipeline", moved.to_str().unwrap(), "-q"],
        &[],
    )
    .output()
    .unwrap();
    assert!(!o.status.success());
    assert!(stderr(&o).contains("source:baci_2021"), "{}", stderr(&o));
    assert_eq!(objects(&store, "run2"), first);
    let o = command(
        &server,
        &staging,
        &["run", p, "-q"],
        &[("PATRONAGE_TEST_STOP_BEFORE_COMMIT", "1".into())],
    )
    .output()
    .unwrap();
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert_eq!(
        objects(&store, "run1"),
        first,
        "the previous run, untouched"
    );
    ok(verify(), "verify after the interrupted upload");
    ok(
        command(&server, &staging, &["run", p, "-q"], &[])
            .output()
            .unwrap(),
        "run again",
    );
    ok(verify(), "verify the new run");
    let second = objects(&store, "run1");
    let manifest_of = |o: &[(String, Vec<u8>)]| {
        o.iter()
            .find(|(n, _)| n == "manifest.json")
            .unwrap()
            .1
            .clone()
    };
    assert_ne!(manifest_of(&second), manifest_of(&first));
}

/// `patronage claims` on the default pipeline with `--out` on the store: its
/// quiet run publishes every output, each object byte-identical to the same
/// run's file on disk, and its verdicts are those of the local run.
#[test]
fn claims_publish_their_run_to_the_store() {
    let Some(server) = server() else { return };
    let store = server.store().unwrap();
    let t = tempfile::tempdir().unwrap();
    let staging = t.path().join("staging");
    let local = t.path().join("local");
    let url = format!("s3://{BUCKET}/dprk");
    let on_store = command(&server, &staging, &["claims", "--out", &url], &[])
        .output()
        .unwrap();
    let on_disk = command(
        &server,
        &staging,
        &["claims", "--out", local.to_str().unwrap()],
        &[],
    )
    .output()
    .unwrap();
    assert_eq!(
        on_store.status.code(),
        on_disk.status.code(),
        "{}",
        stderr(&on_store)
    );
    // The same verdicts (the first line names the claims file it read).
    let verdicts = |o: &Output| {
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        text.lines().skip(1).collect::<Vec<_>>().join("\n")
    };
    assert_eq!(verdicts(&on_store), verdicts(&on_disk));
    assert!(verdicts(&on_disk).contains("REPRODUCED"));
    let published = objects(&store, "dprk");
    assert!(published.iter().any(|(n, _)| n == "claims.parquet"));
    assert_eq!(published, output_files(&local));
}
