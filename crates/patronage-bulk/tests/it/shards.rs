//! Shards of a `mirror-all` job and their merge, in the library: the
//! assignment of inputs to shards by their byte sizes, and 1 to 4 shards
//! merged into files byte-identical to the unsharded run's, single file and
//! partitioned, with cells that span shards. Inputs: SYNTHETIC BACI and
//! Comtrade bulk files from `synth` (two of one year, so totals meet across
//! shards; two bad rows appended for rejects; one as a `.zip` member) and the
//! cited fixture `rus_prk_hs6_SYNTHETIC_split_2014-2015.tsv` (ITC's totals).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use patronage_bulk::merge::merge_mirror_all;
use patronage_bulk::mirror_all::{run_mirror_all_partitioned, BulkFormat, BulkInput};
use patronage_bulk::shard::{input_size, plan, run_shard};
use patronage_bulk::{synth, ShardsError};
use patronage_core::shard::Shard;
use polars::prelude::*;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/comtrade")
        .join(name)
}

fn input(format: BulkFormat, path: &Path) -> BulkInput {
    BulkInput {
        format,
        path: path.to_path_buf(),
    }
}

/// The job's inputs, written under `dir`.
fn job(dir: &Path) -> Vec<BulkInput> {
    let baci = |rows: u64, seed: u64, year: i32, extra: &[u8]| {
        let mut b = Vec::new();
        synth::write_baci(&mut b, rows, seed, year).unwrap();
        b.extend_from_slice(extra);
        b
    };
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let b2018 = write("synthetic_baci_2018.csv", &baci(2_000, 18, 2018, b""));
    // Two files of 2019: their totals of one exporter, importer and year add
    // up whichever shards fold them. Two bad rows: an unknown exporter code and
    // a value that is not a number.
    let b2019a = write(
        "synthetic_baci_2019a.csv",
        &baci(
            3_000,
            19,
            2019,
            b"2019,999,4,010121,1.000,2.000\n2019,4,8,010121,abc,2.000\n",
        ),
    );
    let b2019b = write("synthetic_baci_2019b.csv", &baci(2_500, 20, 2019, b""));
    // 2020 as a member of a `.zip` file.
    let zip_path = dir.join("synthetic_baci_2020.zip");
    let mut w = ::zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    w.start_file(
        "synthetic_baci_2020.csv",
        ::zip::write::SimpleFileOptions::default()
            .compression_method(::zip::CompressionMethod::Deflated),
    )
    .unwrap();
    w.write_all(&baci(1_500, 21, 2020, b"")).unwrap();
    w.finish().unwrap();
    let mut bulk = Vec::new();
    synth::write_comtrade_bulk(&mut bulk, 2_000, 19, 2019).unwrap();
    let bulk = write("synthetic_comtrade_bulk_2019.tsv", &bulk);
    vec![
        input(BulkFormat::Baci, &b2018),
        input(BulkFormat::Baci, &b2019a),
        input(BulkFormat::Baci, &b2019b),
        input(BulkFormat::Baci, &zip_path.join("synthetic_baci_2020.csv")),
        input(BulkFormat::ComtradeV1Bulk, &bulk),
        input(
            BulkFormat::ComtradeV1Bulk,
            &fixture("rus_prk_hs6_SYNTHETIC_split_2014-2015.tsv"),
        ),
    ]
}

/// Every file under `dir` but the shards' folder, by relative path.
fn outputs(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(dir: &Path, prefix: &str, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if prefix.is_empty() && name == "shards" {
                continue;
            }
            if p.is_dir() {
                walk(&p, &format!("{prefix}{name}/"), out);
            } else {
                out.insert(format!("{prefix}{name}"), std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, "", &mut out);
    out
}

/// The keys (source, focus, partner, year) of a `mirror_all.parquet`.
fn keys(path: &Path) -> BTreeSet<(String, i32, i32, i32)> {
    let df = ParquetReader::new(std::fs::File::open(path).unwrap())
        .finish()
        .unwrap();
    let s = patronage_tables::columns::strs(&df, "source").unwrap();
    let f = patronage_tables::columns::ints(&df, "focus_code").unwrap();
    let p = patronage_tables::columns::ints(&df, "partner_code").unwrap();
    let y = patronage_tables::columns::ints(&df, "year").unwrap();
    (0..df.height())
        .map(|i| {
            (
                s[i].clone().unwrap(),
                f[i].unwrap(),
                p[i].unwrap(),
                y[i].unwrap(),
            )
        })
        .collect()
}

#[test]
fn the_assignment_follows_the_inputs_byte_sizes() {
    // Real files of the repository and SYNTHETIC ones of fixed bytes; their
    // sizes are read from the file system and printed.
    let dir = tempfile::tempdir().unwrap();
    let inputs = job(dir.path());
    let planned = plan(&inputs, 2, input_size).unwrap();
    for p in &planned {
        println!(
            "{:>8} bytes  {} {}  -> shard {}",
            p.bytes, p.format, p.file, p.shard
        );
    }
    let sizes: Vec<u64> = planned.iter().map(|p| p.bytes).collect();
    // The `.zip` member weighs its unpacked bytes, as read by the fold.
    let member = {
        let mut b = Vec::new();
        synth::write_baci(&mut b, 1_500, 21, 2020).unwrap();
        b.len() as u64
    };
    assert_eq!(sizes[3], member);
    // The sizes (the SYNTHETIC files' bytes are fixed by their seeds; the
    // fixture as committed).
    assert_eq!(sizes, [86_590, 130_213, 108_358, 64_742, 306_282, 1_408]);
    // By hand, heaviest first to the lighter shard (ties to shard 0):
    // Comtrade 306,282 -> 0 (loads 306,282 / 0); 2019a 130,213 -> 1 (130,213);
    // 2019b 108,358 -> 1 (238,571); 2018 86,590 -> 1 (325,161); the 2020
    // member 64,742 -> 0 (371,024); the fixture 1,408 -> 1 (326,569).
    let got: Vec<u32> = planned.iter().map(|p| p.index).collect();
    assert_eq!(got, [1, 1, 1, 0, 0, 1]);
    assert_eq!(planned[4].shard, "0/2");
    // Four shards: the four heaviest open one each (Comtrade 0, 2019a 1,
    // 2019b 2, 2018 3); the member joins shard 3 (86,590 the least) and the
    // fixture shard 2 (108,358 the least then).
    let four: Vec<u32> = plan(&inputs, 4, input_size)
        .unwrap()
        .iter()
        .map(|p| p.index)
        .collect();
    assert_eq!(four, [3, 1, 2, 3, 0, 2]);
    // The assignment does not depend on the order the inputs are listed in.
    let mut reversed = inputs.clone();
    reversed.reverse();
    let mut back: Vec<u32> = plan(&reversed, 2, input_size)
        .unwrap()
        .iter()
        .map(|p| p.index)
        .collect();
    back.reverse();
    assert_eq!(back, got);
}

#[test]
fn one_to_four_shards_merge_to_the_unsharded_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = job(dir.path());
    for partition_by in [None, Some("year")] {
        let single = dir.path().join(format!("single-{partition_by:?}"));
        let report = run_mirror_all_partitioned(&inputs, &single, true, partition_by).unwrap();
        let want = outputs(&single);
        assert_eq!(report.rejects, 2);
        for count in 1..=4u32 {
            let out = dir.path().join(format!("sharded-{partition_by:?}-{count}"));
            // The shards in reverse, as a scheduler may finish them.
            for index in (0..count).rev() {
                let shard = Shard::new(index, count).unwrap();
                let m = run_shard(&inputs, &out, true, partition_by, shard, input_size).unwrap();
                assert_eq!(m.shard, format!("{index}/{count}"));
            }
            let merged = merge_mirror_all(&out).unwrap();
            assert_eq!(merged.shards, count);
            let got = outputs(&out);
            assert_eq!(
                got.keys().collect::<Vec<_>>(),
                want.keys().collect::<Vec<_>>(),
                "{partition_by:?} {count}"
            );
            for (name, bytes) in &want {
                assert!(
                    got[name] == *bytes,
                    "{name} differs from the unsharded run's ({partition_by:?}, {count} shards)"
                );
            }
            // Cells of 2019 meet across shards when the two 2019 files are
            // folded by different shards: merging added partial totals.
            let planned = plan(&inputs, count, input_size).unwrap();
            if partition_by.is_none() && planned[1].index != planned[2].index {
                let a = keys(
                    &out.join(format!("shards/{}-of-{count}", planned[1].index))
                        .join("mirror_all.parquet"),
                );
                let b = keys(
                    &out.join(format!("shards/{}-of-{count}", planned[2].index))
                        .join("mirror_all.parquet"),
                );
                assert!(a.intersection(&b).count() > 0, "{count} shards");
            }
        }
    }
    // The cited ITC totals survive the merge: Russia's exports to the DPRK are
    // the DPRK's imports in its mirror (2014 $71.77M and $13.0M the other way;
    // 2015 $77.5M and $5.72M), in exact thousandths.
    let df = ParquetReader::new(
        std::fs::File::open(dir.path().join("sharded-None-3/mirror_all.parquet")).unwrap(),
    )
    .finish()
    .unwrap()
    .lazy()
    .filter(
        col("source")
            .eq(lit("comtrade_v1_bulk"))
            .and(col("focus_iso3").eq(lit("PRK")))
            .and(col("partner_iso3").eq(lit("RUS"))),
    )
    .sort(["year"], Default::default())
    .collect()
    .unwrap();
    let years = patronage_tables::columns::ints(&df, "year").unwrap();
    let imports = patronage_tables::columns::longs(&df, "focus_imports_mills").unwrap();
    let exports = patronage_tables::columns::longs(&df, "focus_exports_mills").unwrap();
    assert_eq!(years, [Some(2014), Some(2015)]);
    assert_eq!(imports, [Some(71_770_000_000), Some(77_500_000_000)]);
    assert_eq!(exports, [Some(13_000_000_000), Some(5_720_000_000)]);
}

#[test]
fn a_changed_shard_file_or_a_missing_shard_is_refused_and_nothing_written() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = job(dir.path());
    let out = dir.path().join("out");
    for index in 0..2 {
        let shard = Shard::new(index, 2).unwrap();
        run_shard(&inputs, &out, true, None, shard, input_size).unwrap();
    }
    // A partial table changed after its shard wrote its manifest.
    let rejects = out.join("shards/1-of-2/rejects.parquet");
    let mut bytes = std::fs::read(&rejects).unwrap();
    bytes.push(0);
    std::fs::write(&rejects, &bytes).unwrap();
    match merge_mirror_all(&out) {
        Err(ShardsError::Changed { path, .. }) => assert_eq!(path, rejects),
        other => panic!("{other:?}"),
    }
    assert!(!out.join("mirror_all.parquet").exists());
    // Shard 1 rerun: the merge goes through; shard 0's manifest removed: the
    // merge names it.
    run_shard(
        &inputs,
        &out,
        true,
        None,
        Shard::new(1, 2).unwrap(),
        input_size,
    )
    .unwrap();
    merge_mirror_all(&out).unwrap();
    std::fs::remove_file(out.join("shards/0-of-2/shard.json")).unwrap();
    let e = merge_mirror_all(&out).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "shard 0/2 is missing: {} not found",
            out.join("shards/0-of-2/shard.json").display()
        )
    );
}

#[test]
fn unhashed_shards_merge_to_the_unhashed_bytes_and_do_not_mix_with_hashed_ones() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = job(dir.path());
    let single = dir.path().join("single");
    let report = run_mirror_all_partitioned(&inputs, &single, false, None).unwrap();
    assert_eq!(report.inputs_sha256, None);
    let out = dir.path().join("out");
    for index in 0..2 {
        let shard = Shard::new(index, 2).unwrap();
        run_shard(&inputs, &out, false, None, shard, input_size).unwrap();
    }
    let merged = merge_mirror_all(&out).unwrap();
    assert_eq!(merged.report.inputs_sha256, None);
    assert!(outputs(&out) == outputs(&single));
    // Shard 0 rerun with hashing: a job of another setting, refused.
    run_shard(
        &inputs,
        &out,
        true,
        None,
        Shard::new(0, 2).unwrap(),
        input_size,
    )
    .unwrap();
    match merge_mirror_all(&out) {
        Err(ShardsError::DifferentJobs { what, .. }) => assert_eq!(what, "job_sha256"),
        other => panic!("{other:?}"),
    }
}
