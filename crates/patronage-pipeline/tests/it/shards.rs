//! A run fanned out over shards, through the library: each shard runs only its
//! units and records them in `shard.json`; the merge builds the run's outputs
//! from the shards' stage caches, byte for byte, and a run told to take every
//! source stage from the cache reads no source.

use std::path::{Path, PathBuf};

use patronage_core::shard::Shard;
use patronage_pipeline::merge::merge;
use patronage_pipeline::shard::{plan_shards, run_shard};
use patronage_pipeline::{run, PipelineError, RunOptions, TOOL_VERSION};

fn dprk() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../pipelines/dprk.toml")
}

fn into(out: &Path) -> RunOptions {
    RunOptions {
        output: Some(out.to_path_buf()),
        ..RunOptions::default()
    }
}

/// The top-level output files of a folder (tables and manifest.json), sorted.
fn top_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    files.sort();
    files
}

/// Two shards and their merge, in one process, give every output file of one
/// run (the default pipeline keeps its tables as single files).
#[test]
fn shards_merged_in_process_give_the_bytes_of_one_run() {
    let tmp = tempfile::tempdir().unwrap();
    let single = tmp.path().join("single");
    run(&dprk(), &into(&single)).unwrap();
    let out = tmp.path().join("out");
    for index in 0..2 {
        let report = run_shard(&dprk(), &into(&out), Shard::new(index, 2).unwrap()).unwrap();
        assert_eq!(report.folder, out.join(format!("shards/{index}-of-2")));
        // A shard writes no table and no manifest: only its stage cache and
        // shard.json.
        assert_eq!(
            top_files(&report.folder)
                .into_iter()
                .map(|(n, _)| n)
                .collect::<Vec<_>>(),
            vec!["shard.json".to_string()]
        );
    }
    let merged = merge(&out, None, &RunOptions::default()).unwrap();
    assert_eq!(merged.shards, 2);
    let (a, b) = (top_files(&single), top_files(&out));
    assert!(a.iter().any(|(n, _)| n == "manifest.json"));
    assert_eq!(
        a.iter().map(|(n, _)| n).collect::<Vec<_>>(),
        b.iter().map(|(n, _)| n).collect::<Vec<_>>()
    );
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        assert!(x == y, "{name} differs");
    }
    // The merge ran no source stage: every one was taken from the cache.
    assert!(merged
        .run
        .stages
        .iter()
        .filter(|s| s.stage.starts_with("source:"))
        .all(|s| s.status == "skipped"));
}

/// `shard.json` records the job the plan computes, the units the plan gives the
/// shard with the SHA-256 of the files they read, and every file it leaves.
#[test]
fn shard_json_records_the_job_and_its_units() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let plan = plan_shards(&dprk(), &into(&out), 3).unwrap();
    let report = run_shard(&dprk(), &into(&out), Shard::new(0, 3).unwrap()).unwrap();
    let f = &report.file;
    assert_eq!((f.kind.as_str(), f.shard.as_str()), ("pipeline", "0/3"));
    assert_eq!(f.tool_version, TOOL_VERSION);
    assert_eq!(f.job_sha256, plan.job_sha256);
    let planned: Vec<&str> = plan
        .units
        .iter()
        .filter(|u| u.shard == "0/3")
        .map(|u| u.unit.as_str())
        .collect();
    let ran: Vec<&str> = f.units.iter().map(|u| u.stage.as_str()).collect();
    assert_eq!(ran, planned);
    let root = dprk().parent().unwrap().to_path_buf();
    for u in &f.units {
        let record = format!(".patronage/{}/record.json", u.cache);
        assert!(f.outputs.iter().any(|o| o.file == record), "{record}");
        for i in &u.inputs {
            // The hash of the file on disk, taken here independently.
            let (bytes, sha) = patronage_tables::sha256_file(&root.join(&i.file)).unwrap();
            assert_eq!((i.bytes, &i.sha256), (bytes, &sha), "{}", i.file);
        }
    }
    // What shard.json says on disk is what the report returned.
    let on_disk: serde_json::Value =
        serde_json::from_slice(&std::fs::read(report.folder.join("shard.json")).unwrap()).unwrap();
    assert_eq!(on_disk, serde_json::to_value(f).unwrap());
}

/// A run that must take every source stage from the stage cache refuses to
/// read a source, naming the stage and why; with the cache in place it
/// finishes without reading any.
#[test]
fn a_run_from_the_cache_only_reads_no_source() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let cached_only = RunOptions {
        cached_sources_only: true,
        ..into(&out)
    };
    let err = run(&dprk(), &cached_only).unwrap_err();
    assert!(matches!(err, PipelineError::Shards { .. }), "{err}");
    assert!(
        err.to_string().starts_with(
            "stage source:ru_reported would read its sources (no cached output (first run of \
             this source here))"
        ),
        "{err}"
    );
    assert!(!out.join("manifest.json").exists());
    run(&dprk(), &into(&out)).unwrap();
    let again = run(&dprk(), &cached_only).unwrap();
    assert!(again.stages.iter().all(|s| s.status == "skipped"));
}
