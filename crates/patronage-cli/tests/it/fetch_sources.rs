//! Sources as they ship and sources named by what to download: a pipeline over
//! a SYNTHETIC three-year BACI release zip (made with `patronage synth`) writes
//! the same table bytes as the same pipeline over the unpacked CSVs; and a
//! pipeline whose source says `fetch = { baci = {...} }` is planned (what would
//! be downloaded), refused under `--offline`, run (one request to a local
//! server), recorded in manifest.json, and fetched again with no request.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::common::{output_files, patronage, table};

const RELEASE: &str = "BACI_HS17_V202401.zip";

/// SYNTHETIC BACI year files from `patronage synth` (2018 to 2021) and a code
/// list naming every country they use but one (whose rows become rejects).
fn synthetic_release(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut members = Vec::new();
    let mut codes = std::collections::BTreeSet::new();
    for year in 2018..=2021 {
        let out = dir.join(format!("synth_{year}.csv"));
        let o = patronage(
            &[
                "synth",
                "baci",
                "--rows",
                "1500",
                "--seed",
                &year.to_string(),
                "--year",
                &year.to_string(),
                "--out",
                out.to_str().unwrap(),
            ],
            &[],
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let bytes = std::fs::read(&out).unwrap();
        for line in String::from_utf8_lossy(&bytes).lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            assert_eq!(f[0], year.to_string(), "one year per file");
            codes.insert(f[1].parse::<u32>().unwrap());
            codes.insert(f[2].parse::<u32>().unwrap());
        }
        members.push((format!("BACI_HS17_Y{year}_V202401.csv"), bytes));
    }
    let registry = patronage_core::CountryRegistry::comtrade();
    let mut list = String::from("country_code,country_name,country_iso2,country_iso3\n");
    for c in codes.iter().skip(1) {
        let country = registry.get(*c).unwrap();
        list.push_str(&format!("{c},\"{}\",,{}\n", country.name, country.iso3));
    }
    members.push(("country_codes_V202401.csv".to_string(), list.into_bytes()));
    members.push((
        "Readme.txt".to_string(),
        b"SYNTHETIC release for tests\n".to_vec(),
    ));
    members
}

fn zip_of(members: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let o = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in members {
        w.start_file(name.as_str(), o).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

fn run(pipeline: &Path, out: &Path, extra: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut args = vec![
        "run",
        pipeline.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "-q",
    ];
    args.extend(extra);
    patronage(&args, env)
}

const HEAD: &str = "name = \"baci_release\"\nfocus = \"PRK\"\n\n[[sources]]\nid = \"baci\"\nformat = \"baci\"\nscope = \"all\"\n";

#[test]
fn a_release_zip_gives_the_same_bytes_as_its_unpacked_files() {
    let tmp = tempfile::tempdir().unwrap();
    let members = synthetic_release(tmp.path());
    // One pipeline file, byte for byte, for both projects: the members of the
    // zip and the files unpacked into a folder named as the archive (as
    // `unzip -d` would) have the same paths; 2018 is left out by `years`.
    let pipeline = format!(
        "{HEAD}path = \"../data/{RELEASE}/BACI_*.csv\"\n\
         country_codes = \"../data/{RELEASE}/country_codes_V202401.csv\"\n\
         years = \"2019..2021\"\n"
    );
    let zipped = tmp.path().join("zipped");
    write(&zipped.join("data").join(RELEASE), &zip_of(&members));
    write(&zipped.join("pipelines/p.toml"), pipeline.as_bytes());
    let unpacked = tmp.path().join("unpacked");
    for (name, bytes) in &members {
        write(&unpacked.join("data").join(RELEASE).join(name), bytes);
    }
    write(&unpacked.join("pipelines/p.toml"), pipeline.as_bytes());
    // The release named whole: its data members, its own code list.
    let whole = zipped.join("pipelines/whole.toml");
    write(
        &whole,
        format!("{HEAD}path = \"../data/{RELEASE}\"\nyears = \"2019..2021\"\n").as_bytes(),
    );
    let outs = [
        tmp.path().join("out_zip"),
        tmp.path().join("out_dir"),
        tmp.path().join("out_whole"),
    ];
    let pipelines = [
        zipped.join("pipelines/p.toml"),
        unpacked.join("pipelines/p.toml"),
        whole,
    ];
    for (p, out) in pipelines.iter().zip(&outs) {
        let o = run(p, out, &[], &[]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let (a, b) = (output_files(&outs[0]), output_files(&outs[1]));
    assert!(a.len() > 3 && a.iter().any(|(n, _)| n == "manifest.json"));
    assert_eq!(
        a.iter().map(|f| &f.0).collect::<Vec<_>>(),
        b.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        assert!(
            x == y,
            "{name} differs between the zip and the unpacked files"
        );
    }
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(outs[0].join("manifest.json")).unwrap()).unwrap();
    let inputs = m["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 3, "2019, 2020 and 2021");
    for (i, year) in inputs.iter().zip(2019..) {
        let file = format!("BACI_HS17_Y{year}_V202401.csv");
        assert_eq!(i["file"], format!("../data/{RELEASE}/{file}"));
        // A member hashes as the file it unpacks to.
        let bytes = &members.iter().find(|(n, _)| *n == file).unwrap().1;
        assert_eq!(i["sha256"], patronage_tables::sha256_hex(bytes).as_str());
        // 1,500 rows a year read; the left-out country's rows rejected, not lost.
        assert_eq!(i["rows"]["read"], 1500);
        assert!(i["rows"]["rejected"].as_u64().unwrap() > 0, "{}", i["rows"]);
    }
    // Naming the archive whole gives the same rows (its code list found in it).
    for t in ["trade_flows", "rejects"] {
        let (x, y) = (table(&outs[0], t), table(&outs[2], t));
        assert!(x.height() > 0 || t == "rejects");
        assert!(x.equals_missing(&y), "{t}");
    }
}

/// A local server answering every request with `body`, counting requests.
fn serve(body: Vec<u8>) -> (String, Arc<AtomicUsize>) {
    serve_by_path(move |_| body.clone())
}

/// A local server answering each request with what `answer` gives for its
/// path and query, counting requests.
fn serve_by_path(answer: impl Fn(&str) -> Vec<u8> + Send + 'static) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let target = line.split_whitespace().nth(1).unwrap_or("").to_string();
            line.clear();
            while reader.read_line(&mut line).unwrap_or(0) > 0 && line != "\r\n" {
                line.clear();
            }
            seen.fetch_add(1, Ordering::SeqCst);
            let body = answer(&target);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
            let _ = stream.flush();
            let _ = reader.read(&mut [0u8; 0]);
        }
    });
    (base, count)
}

#[test]
fn fts_pages_fetched_by_a_pipeline_are_read_as_one_chain() {
    let Some(dir) = crate::common::shared_formats("ocha_fts") else {
        return;
    };
    // The three recorded pages: the first for the flow query, the others where
    // their `meta.nextLink` points (its path, on this server).
    let (base, requests) = serve_by_path(move |target| {
        let name = if target.starts_with("/v1/public/fts/flow?") {
            "custom-search-locationid-171-year-2020.json".to_string()
        } else {
            target.rsplit('/').next().unwrap_or("").to_string()
        };
        std::fs::read(dir.join(name)).unwrap_or_default()
    });
    let tmp = tempfile::tempdir().unwrap();
    let pipeline = tmp.path().join("pipelines/p.toml");
    write(
        &pipeline,
        b"name = \"fts\"\nfocus = \"PRK\"\n\n[aid]\nbase_year = 2020\n\n[[sources]]\nid = \"fts\"\n\
          format = \"ocha_fts\"\nfetch = { fts = { country = \"PRK\", year = \"2020\" } }\n",
    );
    let out = tmp.path().join("out");
    let o = run(
        &pipeline,
        &out,
        &[],
        &[("PATRONAGE_FTS_URL", base.as_str())],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(requests.load(Ordering::SeqCst), 3);
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let inputs = m["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 3);
    // The chain holds the 424 flows `meta.count` announces, every one accounted.
    let read: u64 = inputs
        .iter()
        .map(|i| i["rows"]["read"].as_u64().unwrap())
        .sum();
    assert_eq!(read, 424);
    assert_eq!(m["downloads"].as_array().unwrap().len(), 3);
    assert_eq!(m["downloads"][2]["params"]["page"], "3");
}

#[test]
fn a_source_named_by_fetch_is_planned_downloaded_once_and_recorded() {
    let tmp = tempfile::tempdir().unwrap();
    let members = synthetic_release(tmp.path());
    let zip = zip_of(&members);
    let (base, requests) = serve(zip.clone());
    let project = tmp.path().join("project");
    let pipeline = project.join("pipelines/p.toml");
    write(
        &pipeline,
        format!("{HEAD}fetch = {{ baci = {{ hs = \"HS17\", version = \"V202401\" }} }}\nyears = \"2020\"\n").as_bytes(),
    );
    let env = [("PATRONAGE_BACI_URL", base.as_str())];
    let out = project.join("out");
    // The plan shows the download and makes none.
    let o = patronage(
        &[
            "plan",
            pipeline.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        &env,
    );
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        text.contains(&format!("would download {base}/{RELEASE}")),
        "{text}"
    );
    // --offline refuses, naming it.
    let o = run(&pipeline, &out, &["--offline"], &env);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--offline") && err.contains(&format!("{base}/{RELEASE}")),
        "{err}"
    );
    assert_eq!(requests.load(Ordering::SeqCst), 0);
    // The run downloads it once, and reads the 2020 member from the cache.
    let o = run(&pipeline, &out, &[], &env);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(requests.load(Ordering::SeqCst), 1);
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let sha = patronage_tables::sha256_hex(&zip);
    assert_eq!(m["downloads"][0]["url"], format!("{base}/{RELEASE}"));
    assert_eq!(m["downloads"][0]["sha256"], sha.as_str());
    assert_eq!(m["downloads"][0]["bytes"], zip.len());
    assert!(
        m["downloads"][0].get("fetched_at").is_none(),
        "no time in the manifest"
    );
    assert_eq!(m["inputs"].as_array().unwrap().len(), 1);
    let file = m["inputs"][0]["file"].as_str().unwrap();
    assert!(
        file.ends_with(&format!("{sha}/{RELEASE}/BACI_HS17_Y2020_V202401.csv")),
        "{file}"
    );
    let lock: serde_json::Value =
        serde_json::from_slice(&std::fs::read(project.join("fetch.lock")).unwrap()).unwrap();
    assert_eq!(lock["files"][0]["sha256"], sha.as_str());
    // Fetching the same release again (the command, from the project) asks nothing.
    let o = patronage(
        &[
            "fetch",
            "baci",
            "--hs",
            "HS17",
            "--version",
            "V202401",
            "--json",
            "--baci-url",
            &base,
            "--cache",
            project.join("data/cache").to_str().unwrap(),
            "--lock",
            project.join("fetch.lock").to_str().unwrap(),
        ],
        &[],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["requests"], 0);
    assert_eq!(j["files"][0]["downloaded"], false);
    assert_eq!(j["files"][0]["sha256"], sha.as_str());
    assert_eq!(requests.load(Ordering::SeqCst), 1);
    // And a second run, offline, reads the cache.
    let o = run(&pipeline, &out, &["--offline", "--force"], &env);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(requests.load(Ordering::SeqCst), 1);
}

#[test]
fn a_gz_file_is_read_as_the_file_it_unpacks_to() {
    let Some(dir) = crate::common::shared_formats("comtrade") else {
        return;
    };
    let plain = std::fs::read(dir.join("comtrade_v1_bulk_final_sample_BGR_2023_H6.tsv")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&plain).unwrap();
    write(&tmp.path().join("data/bulk.tsv.gz"), &gz.finish().unwrap());
    write(&tmp.path().join("data/bulk.tsv"), &plain);
    let mut inputs = Vec::new();
    for name in ["bulk.tsv", "bulk.tsv.gz"] {
        let p = tmp.path().join(format!("pipelines/{name}.toml"));
        write(
            &p,
            format!("name = \"bulk\"\nfocus = \"BGR\"\n\n[[sources]]\nid = \"bulk\"\nformat = \"comtrade_v1_bulk\"\npath = \"../data/{name}\"\n").as_bytes(),
        );
        let out = tmp.path().join(format!("out_{name}"));
        let o = run(&p, &out, &[], &[]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let m: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
        let i = &m["inputs"][0];
        inputs.push((i["bytes"].clone(), i["sha256"].clone(), i["rows"].clone()));
    }
    // The gz file hashes as the TSV and its ten rows are read and accounted alike
    // (every one dropped by reason: see the normalizer's conformance test).
    assert_eq!(inputs[0], inputs[1]);
    assert_eq!(inputs[1].0, plain.len());
    assert_eq!(inputs[1].1, patronage_tables::sha256_hex(&plain).as_str());
    assert_eq!(inputs[1].2["read"], 10);
}

#[test]
fn a_damaged_release_zip_is_an_error_naming_archive_member_and_offset() {
    let tmp = tempfile::tempdir().unwrap();
    let members = synthetic_release(tmp.path());
    let mut zip = zip_of(&members);
    // The first member's compressed data starts after its 30-byte local header
    // and its 27-byte name; damage it a little way in.
    let start = 30 + members[0].0.len();
    for b in &mut zip[start + 400..start + 480] {
        *b ^= 0xa5;
    }
    write(&tmp.path().join("data").join(RELEASE), &zip);
    let p = tmp.path().join("pipelines/p.toml");
    write(
        &p,
        format!("{HEAD}path = \"../data/{RELEASE}\"\n").as_bytes(),
    );
    let o = run(&p, &tmp.path().join("out"), &[], &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    let archive = tmp.path().join("pipelines/../data").join(RELEASE);
    assert!(
        err.contains(&format!("damaged archive `{}`", archive.display())),
        "{err}"
    );
    assert!(
        err.contains(&format!("member `{}`: at byte ", members[0].0)),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "(the member's packed data starts at byte {start} of the archive)"
        )),
        "{err}"
    );
    assert!(!tmp.path().join("out/trade_flows.parquet").exists());
}

/// Every file under `dir`, with its bytes.
fn all_files(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(all_files(&p));
        } else {
            out.push((p.clone(), std::fs::read(&p).unwrap()));
        }
    }
    out
}

#[test]
fn a_comtrade_source_fetched_with_a_key_leaves_the_key_in_no_file() {
    let Some(dir) = crate::common::shared_formats("comtrade") else {
        return;
    };
    let body = std::fs::read(dir.join("comtrade_v1_api_response_CHN_2010_TOTAL.json")).unwrap();
    let (base, requests) = serve(body);
    let tmp = tempfile::tempdir().unwrap();
    let pipeline = tmp.path().join("pipelines/p.toml");
    write(
        &pipeline,
        b"name = \"chn\"\nfocus = \"CHN\"\n\n[[sources]]\nid = \"chn_reported\"\nformat = \"comtrade_v1_json\"\n\
          fetch = { comtrade = { reporter = \"CHN\", period = \"2010\", flow = [\"M\", \"X\"] } }\n",
    );
    let key = "k3y-that-must-stay-0ut-of-every-file";
    let env = [
        ("PATRONAGE_COMTRADE_URL", base.as_str()),
        ("COMTRADE_API_KEY", key),
    ];
    let out = tmp.path().join("out");
    let o = run(&pipeline, &out, &[], &env);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(requests.load(Ordering::SeqCst), 1);
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    // The recorded answer's four records are read and accounted for.
    assert_eq!(m["inputs"][0]["rows"]["read"], 4);
    assert_eq!(m["downloads"][0]["source"], "comtrade");
    let written = all_files(tmp.path());
    assert!(written.len() > 10);
    for (path, bytes) in written {
        assert!(
            !bytes.windows(key.len()).any(|w| w == key.as_bytes()),
            "{} holds the key",
            path.display()
        );
        assert!(!path.display().to_string().contains(key));
    }
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!said.contains(key));
}

/// A pipeline with a source named by `fetch` and a local one, run as two
/// shards: the shard whose units do not include the `fetch` source makes no
/// request; the other downloads the release once; the merge makes none and
/// writes the bytes of one run.
#[test]
fn only_the_shard_that_reads_a_fetch_source_downloads_it() {
    let tmp = tempfile::tempdir().unwrap();
    let members = synthetic_release(tmp.path());
    let zip = zip_of(&members);
    let (base, requests) = serve(zip);
    let project = tmp.path().join("project");
    let pipeline = project.join("pipelines/p.toml");
    let (name, local) = &members[0];
    write(&project.join("pipelines").join(name), local);
    write(
        &pipeline,
        format!(
            "{HEAD}fetch = {{ baci = {{ hs = \"HS17\", version = \"V202401\" }} }}\nyears = \"2020\"\n\n\
             [[sources]]\nid = \"local\"\nformat = \"baci\"\nscope = \"all\"\npath = \"{name}\"\n"
        )
        .as_bytes(),
    );
    let env = [("PATRONAGE_BACI_URL", base.as_str())];
    // The plan: the `fetch` source, not yet downloaded, weighs nothing; the
    // local file goes first, to shard 0, and the `fetch` source to shard 1.
    let o = patronage(
        &[
            "plan",
            pipeline.to_str().unwrap(),
            "--shards",
            "2",
            "--json",
        ],
        &env,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let plan: Vec<serde_json::Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(plan[0]["unit"], "source:baci");
    assert_eq!(plan[0]["shard"], "1/2");
    assert_eq!(plan[1]["unit"], "source:local");
    assert_eq!(plan[1]["shard"], "0/2");
    let out = project.join("sharded");
    let o = run(&pipeline, &out, &["--shard", "0/2"], &env);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        requests.load(Ordering::SeqCst),
        0,
        "shard 0 reads no fetch source"
    );
    let o = run(&pipeline, &out, &["--shard", "1/2"], &env);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(requests.load(Ordering::SeqCst), 1);
    let o = patronage(&["merge", out.to_str().unwrap(), "-q"], &env);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        requests.load(Ordering::SeqCst),
        1,
        "the merge downloads nothing"
    );
    let single = project.join("single");
    let o = run(&pipeline, &single, &[], &env);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let merged: Vec<_> = output_files(&out)
        .into_iter()
        .filter(|(n, _)| !n.starts_with("shards/"))
        .collect();
    assert_eq!(merged, output_files(&single));
}
