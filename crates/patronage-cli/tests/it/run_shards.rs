//! `patronage run --shard I/N` (and `--shard-count N` with the index from the
//! environment, as a Kubernetes Indexed Job gives it), `patronage plan --shards
//! N` and `patronage merge OUT`: shards run as separate processes and merged
//! give every output file of one `patronage run` byte for byte, and a merge
//! refuses shards that do not add up, naming what is wrong.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common::*;

/// `patronage run PIPELINE --out OUT --shard-count COUNT -q` with `env`
/// (which gives the process its index), whatever the outcome.
fn shard_of(pipeline: &Path, out: &Path, count: u32, env: &[(&str, &str)]) -> Output {
    let count = count.to_string();
    let args = [
        "run",
        pipeline.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    patronage(&[&args[..], &["--shard-count", &count, "-q"]].concat(), env)
}

/// Run shard `index` of `count` of `pipeline` into `out` as a Kubernetes
/// Indexed Job's pod does: `--shard-count N` and `JOB_COMPLETION_INDEX`; the
/// shards of a job run at different thread counts (1, 2, 8 by index), as
/// machines of a fan-out may.
fn shard(pipeline: &Path, out: &Path, index: u32, count: u32) -> Output {
    let threads = ["1", "2", "8"][index as usize % 3];
    let index = index.to_string();
    shard_of(
        pipeline,
        out,
        count,
        &[
            ("JOB_COMPLETION_INDEX", &index),
            ("POLARS_MAX_THREADS", threads),
            ("RAYON_NUM_THREADS", threads),
        ],
    )
}

/// `patronage merge out`, whatever the outcome.
fn merge(out: &Path) -> Output {
    patronage(&["merge", out.to_str().unwrap(), "-q"], &[])
}

/// Every shard of `count` run into `out`, each asserted to succeed.
fn all_shards(pipeline: &Path, out: &Path, count: u32) {
    for i in 0..count {
        let o = shard(pipeline, out, i, count);
        assert!(o.status.success(), "shard {i}/{count}: {}", stderr(&o));
    }
}

/// Every shard of `count` run into `out` as a Slurm job array's tasks do
/// (`sbatch --array=1-N`: `SLURM_ARRAY_TASK_ID` from 1, `SLURM_ARRAY_TASK_MIN`
/// 1), each asserted to succeed.
fn slurm_shards(pipeline: &Path, out: &Path, count: u32) {
    for task in 1..=count {
        let id = task.to_string();
        let env = [
            ("SLURM_ARRAY_TASK_ID", id.as_str()),
            ("SLURM_ARRAY_TASK_MIN", "1"),
        ];
        let o = shard_of(pipeline, out, count, &env);
        assert!(o.status.success(), "task {task} of {count}: {}", stderr(&o));
    }
}

/// Every shard of `count` run into `out` and merged; the merge asserted to
/// succeed.
fn sharded(pipeline: &Path, out: &Path, count: u32) {
    all_shards(pipeline, out, count);
    let o = merge(out);
    assert!(o.status.success(), "merge of {count}: {}", stderr(&o));
}

/// The output files (not `.patronage/`, not `shards/`) of a folder.
fn outputs(out: &Path) -> Vec<(String, Vec<u8>)> {
    let files: Vec<_> = output_files(out)
        .into_iter()
        .filter(|(name, _)| !name.starts_with("shards/"))
        .collect();
    assert!(
        files.iter().any(|(n, _)| n == "manifest.json"),
        "{}",
        out.display()
    );
    files
}

/// Assert two folders hold the same output files with the same bytes, naming
/// the first that differs.
fn assert_same_outputs(single: &Path, merged: &Path) {
    let (a, b) = (outputs(single), outputs(merged));
    let names = |v: &[(String, Vec<u8>)]| v.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&a), names(&b));
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        assert!(x == y, "{name} differs between one run and the merge");
    }
}

/// A shard's `shard.json`.
fn shard_json(out: &Path, index: u32, count: u32) -> serde_json::Value {
    let path = out
        .join("shards")
        .join(format!("{index}-of-{count}"))
        .join("shard.json");
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}

/// The stages a shard ran, from its `shard.json`.
fn units_of(out: &Path, index: u32, count: u32) -> Vec<String> {
    shard_json(out, index, count)["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["stage"].as_str().unwrap().to_string())
        .collect()
}

/// `plan --shards N --json`: each unit's (stage, shard "I/N", weight).
fn planned(pipeline: &Path, count: u32) -> Vec<(String, String, u64)> {
    let o = patronage(
        &[
            "plan",
            pipeline.to_str().unwrap(),
            "--shards",
            &count.to_string(),
            "--json",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v.get("unit").is_some())
        .map(|v| {
            (
                v["unit"].as_str().unwrap().to_string(),
                v["shard"].as_str().unwrap().to_string(),
                v["weight"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// The default pipeline (the cited fixtures) run once and as 2 and 3 shards:
/// every output file of the merges is byte-identical to the single run's
/// (manifest.json, rejects, every table), each shard ran exactly the units
/// `plan --shards N` gives it, and `verify` finds no drift in a merged folder.
/// The 2 shards are a Kubernetes Indexed Job's, the 3 a Slurm job array's.
#[test]
fn dprk_shards_merge_to_the_bytes_of_one_run() {
    let dprk = root().join("pipelines/dprk.toml");
    let tmp = tempfile::tempdir().unwrap();
    let single = tmp.path().join("single");
    run_ok("pipelines/dprk.toml", &single);
    for count in [2u32, 3] {
        let out = tmp.path().join(format!("sharded{count}"));
        if count == 2 {
            all_shards(&dprk, &out, count);
        } else {
            slurm_shards(&dprk, &out, count);
        }
        let o = merge(&out);
        assert!(o.status.success(), "merge of {count}: {}", stderr(&o));
        assert_same_outputs(&single, &out);
        let plan = planned(&dprk, count);
        // One unit per source stage of the pipeline file (it has no
        // [mirror_all] step).
        let text = std::fs::read_to_string(&dprk).unwrap();
        assert_eq!(plan.len(), text.matches("\n[[sources]]").count());
        for i in 0..count {
            let want: Vec<String> = plan
                .iter()
                .filter(|(_, s, _)| *s == format!("{i}/{count}"))
                .map(|(u, _, _)| u.clone())
                .collect();
            assert!(!want.is_empty(), "shard {i}/{count} has no unit");
            assert_eq!(units_of(&out, i, count), want, "shard {i}/{count}");
        }
        let o = patronage(
            &[
                "verify",
                dprk.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ],
            &[],
        );
        assert!(o.status.success(), "{}", stderr(&o));
    }
    // A unit's weight is the bytes of its input file on disk.
    let kotra = planned(&dprk, 2)
        .into_iter()
        .find(|(u, _, _)| u == "source:kotra")
        .unwrap();
    let bytes = std::fs::metadata(root().join("fixtures/comtrade/prk_kotra_mirror_annual.json"))
        .unwrap()
        .len();
    assert_eq!(kotra.2, bytes);
}

/// A BACI line with an exporter code no registry knows (SYNTHETIC): a reject.
const BAD_BACI_LINE: &str = "2020,999,4,010121,1.000,2.000";

/// SYNTHETIC inputs from `patronage synth` in a temporary folder: three BACI
/// years (2,000 rows each; 2020 with [`BAD_BACI_LINE`]) read as three sources,
/// a Comtrade bulk file (`.tsv.gz`, 3,000 rows) as a fourth, `trade_flows`
/// partitioned by year, and a `[mirror_all]` step over all four (partitioned by
/// year too). Returns the folder's guard and the pipeline file.
fn release() -> (tempfile::TempDir, PathBuf) {
    let mut toml =
        String::from("name = \"release\"\nfocus = \"PRK\"\npartition_by = [\"year\"]\n\n");
    for year in [2019, 2020, 2021] {
        toml.push_str(&format!(
            "[[sources]]\nid = \"baci_{year}\"\nformat = \"baci\"\npath = \"BACI_HS17_Y{year}_V202401.csv\"\nscope = \"all\"\n\n"
        ));
    }
    toml.push_str(
        "[[sources]]\nid = \"bulk\"\nformat = \"comtrade_v1_bulk\"\npath = \"bulk.tsv.gz\"\nscope = \"focus\"\n\n\
         [mirror_all]\nsources = [\"baci_2019\", \"baci_2020\", \"baci_2021\", \"bulk\"]\npartition_by = [\"year\"]\n",
    );
    let (t, p, _) = temp_pipeline(&[], &toml);
    for year in [2019, 2020, 2021] {
        let path = t.path().join(format!("BACI_HS17_Y{year}_V202401.csv"));
        synth("baci", 2_000, year, &path);
        if year == 2020 {
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .open(&path)
                .unwrap();
            writeln!(f, "{BAD_BACI_LINE}").unwrap();
        }
    }
    let plain = t.path().join("bulk.tsv");
    synth("comtrade-bulk", 3_000, 2019, &plain);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&std::fs::read(&plain).unwrap()).unwrap();
    std::fs::write(t.path().join("bulk.tsv.gz"), gz.finish().unwrap()).unwrap();
    std::fs::remove_file(&plain).unwrap();
    (t, p)
}

/// The SYNTHETIC release as one run and as 2 and 3 shards: the merges write
/// every file of the single run byte for byte — `trade_flows` parts by year,
/// `mirror_all` parts, rejects (with the bad BACI line), manifest.json.
#[test]
fn synthetic_release_shards_merge_to_the_bytes_of_one_run() {
    let (t, p) = release();
    let single = t.path().join("single");
    let o = run_quiet(&p, &single);
    assert!(o.status.success(), "{}", stderr(&o));
    let names: Vec<String> = outputs(&single).into_iter().map(|(n, _)| n).collect();
    for part in [
        "trade_flows/year=2019/part-0.parquet",
        "trade_flows/year=2021/part-0.parquet",
        "mirror_all/year=2020/part-0.parquet",
        "rejects.parquet",
    ] {
        assert!(names.iter().any(|n| n == part), "{part} not in {names:?}");
    }
    // The bad line is a reject of source baci_2020 and of the mirror-all step.
    let m = manifest(&single);
    let rejected: u64 = m["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["source_id"] == "baci_2020")
        .map(|i| i["rows"]["rejected"].as_u64().unwrap())
        .sum();
    assert_eq!(rejected, 1);
    for count in [2u32, 3] {
        let out = t.path().join(format!("sharded{count}"));
        sharded(&p, &out, count);
        assert_same_outputs(&single, &out);
    }
    // Five units (four sources and the step) over three shards: each shard
    // has at least one, and the step ran in exactly one.
    let plan = planned(&p, 3);
    assert_eq!(plan.len(), 5);
    let with_step: Vec<u32> = (0..3)
        .filter(|&i| {
            units_of(&t.path().join("sharded3"), i, 3)
                .iter()
                .any(|u| u == "mirror_all")
        })
        .collect();
    assert_eq!(with_step.len(), 1);
}

/// A shard whose `shard.json` is gone (its process was killed before the end)
/// is named by the merge; run again, the merge succeeds with the bytes of one
/// run.
#[test]
fn a_missing_shard_is_named_and_a_rerun_completes_the_merge() {
    let dprk = root().join("pipelines/dprk.toml");
    let tmp = tempfile::tempdir().unwrap();
    let single = tmp.path().join("single");
    run_ok("pipelines/dprk.toml", &single);
    let out = tmp.path().join("out");
    all_shards(&dprk, &out, 3);
    let marker = out.join("shards/1-of-3/shard.json");
    std::fs::remove_file(&marker).unwrap();
    let o = merge(&out);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains(&format!(
            "shard 1/3 is missing: {} not found",
            marker.display()
        )),
        "{}",
        stderr(&o)
    );
    assert!(!out.join("manifest.json").exists());
    // The shard run again, as `--shard 1/3` this time.
    let o = patronage(
        &[
            "run",
            dprk.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--shard",
            "1/3",
            "-q",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = merge(&out);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_same_outputs(&single, &out);
}

/// Shards that do not add up to one job are refused, naming both sides: a
/// unit claimed by two shards, paths outside a shard's folder, a shard's
/// folder copied (its index twice), a shard of another job, a cached file
/// changed after its `shard.json`.
#[test]
fn shards_that_do_not_add_up_are_refused() {
    let dprk = root().join("pipelines/dprk.toml");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    all_shards(&dprk, &out, 2);
    let path = |i: u32| out.join(format!("shards/{i}-of-2/shard.json"));
    let original = std::fs::read(path(1)).unwrap();

    // Shard 1 also claims the first unit of shard 0.
    let mut one = shard_json(&out, 1, 2);
    let taken = shard_json(&out, 0, 2)["units"][0].clone();
    let stage = taken["stage"].as_str().unwrap().to_string();
    one["units"].as_array_mut().unwrap().push(taken);
    std::fs::write(path(1), serde_json::to_vec_pretty(&one).unwrap()).unwrap();
    let o = merge(&out);
    assert!(!o.status.success());
    let want = format!(
        "unit {stage} was run by two shards: 0/2 ({}) and 1/2 ({})",
        path(0).display(),
        path(1).display()
    );
    assert!(stderr(&o).contains(&want), "{}", stderr(&o));
    std::fs::write(path(1), &original).unwrap();

    // A shard.json naming paths outside its folder: a unit's cache folder,
    // then an output; each refused before anything is placed or removed.
    let outside = tmp.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("keep.txt"), b"not the merge's").unwrap();
    let mut bad = shard_json(&out, 1, 2);
    bad["units"][0]["cache"] = "../../../outside".into();
    std::fs::write(path(1), serde_json::to_vec_pretty(&bad).unwrap()).unwrap();
    let o = merge(&out);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("names the cache folder \"../../../outside\""),
        "{}",
        stderr(&o)
    );
    std::fs::write(path(1), &original).unwrap();
    let mut bad = shard_json(&out, 1, 2);
    bad["outputs"][0]["file"] = "../../../outside/keep.txt".into();
    std::fs::write(path(1), serde_json::to_vec_pretty(&bad).unwrap()).unwrap();
    let o = merge(&out);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("output \"../../../outside/keep.txt\" is not a path inside"),
        "{}",
        stderr(&o)
    );
    assert!(outside.join("keep.txt").is_file());
    std::fs::write(path(1), &original).unwrap();

    // Shard 0's folder copied beside it: index 0 twice.
    let copy = out.join("shards/0-of-2-copy");
    copy_tree(&out.join("shards/0-of-2"), &copy);
    let o = merge(&out);
    assert!(!o.status.success());
    let want = format!(
        "shard 0/2 twice: {} and {}",
        path(0).display(),
        copy.join("shard.json").display()
    );
    assert!(stderr(&o).contains(&want), "{}", stderr(&o));
    std::fs::remove_dir_all(&copy).unwrap();

    // A shard of a 3-shard job beside the 2-shard job's.
    let other = tmp.path().join("other");
    all_shards(&dprk, &other, 3);
    copy_tree(&other.join("shards/2-of-3"), &out.join("shards/2-of-3"));
    let o = merge(&out);
    assert!(!o.status.success());
    let want = format!(
        "{} and {} are shards of different jobs (shard count: 2 and 3)",
        path(0).display(),
        out.join("shards/2-of-3/shard.json").display()
    );
    assert!(stderr(&o).contains(&want), "{}", stderr(&o));
    std::fs::remove_dir_all(out.join("shards/2-of-3")).unwrap();

    // A cached file of shard 1 changed after its shard.json was written.
    let listed = one["outputs"][0]["file"].as_str().unwrap().to_string();
    let changed = out.join("shards/1-of-2").join(&listed);
    let mut bytes = std::fs::read(&changed).unwrap();
    bytes.push(b'\n');
    std::fs::write(&changed, bytes).unwrap();
    let o = merge(&out);
    assert!(!o.status.success());
    let want = format!(
        "shard 1/2: {} is missing or differs from what {} says",
        changed.display(),
        path(1).display()
    );
    assert!(stderr(&o).contains(&want), "{}", stderr(&o));
    assert!(!out.join("manifest.json").exists());
}

/// A source file changed after the shards ran: the merge would have to read
/// it again, and refuses, naming the stage and the file; it writes nothing.
#[test]
fn a_source_changed_after_the_shards_ran_is_refused() {
    let (t, p) = release();
    let out = t.path().join("out");
    all_shards(&p, &out, 2);
    let file = t.path().join("BACI_HS17_Y2021_V202401.csv");
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&file)
        .unwrap();
    writeln!(f, "2021,4,156,010121,1.000,2.000").unwrap();
    drop(f);
    let o = patronage(
        &[
            "merge",
            out.to_str().unwrap(),
            "--pipeline",
            p.to_str().unwrap(),
        ],
        &[],
    );
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains(
            "stage source:baci_2021 would read its sources (changed input BACI_HS17_Y2021_V202401.csv)"
        ),
        "{}",
        stderr(&o)
    );
    assert!(!out.join("manifest.json").exists());
}

/// `plan --shards N` prints each unit's shard and weight and each shard's
/// total; the totals add up to the units' weights.
#[test]
fn plan_prints_each_shards_units_and_total() {
    let (_t, p) = release();
    let plan = planned(&p, 2);
    let o = patronage(&["plan", p.to_str().unwrap(), "--shards", "2"], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    for i in 0..2u32 {
        let mine: Vec<&(String, String, u64)> = plan
            .iter()
            .filter(|(_, s, _)| *s == format!("{i}/2"))
            .collect();
        let total: u64 = mine.iter().map(|(_, _, w)| w).sum();
        let line = format!("shard {i}/2: {} unit(s), {total} bytes", mine.len());
        assert!(text.contains(&line), "{line} not in\n{text}");
    }
    // The mirror-all step weighs the bytes of all four sources' files.
    let sources: u64 = plan
        .iter()
        .filter(|(u, _, _)| u != "mirror_all")
        .map(|(_, _, w)| w)
        .sum();
    let step = plan.iter().find(|(u, _, _)| u == "mirror_all").unwrap();
    assert_eq!(step.2, sources);
}
