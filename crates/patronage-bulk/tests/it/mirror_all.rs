//! `mirror-all`: the SYNTHETIC full-scale inputs read through the real readers,
//! the streaming fold against the row path, the accounting, and determinism
//! across thread counts. No timings.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use patronage_bulk::mirror_all::{
    fold_file, mirror_cells, run_mirror_all, BulkFormat, BulkInput, MirrorCell,
};
use patronage_bulk::synth;
use patronage_core::CountryRegistry;
use patronage_extract::baci;
use patronage_extract::comtrade_v1::{self, Layout};

fn synth_file(dir: &Path, format: BulkFormat, rows: u64, seed: u64) -> PathBuf {
    let mut bytes = Vec::new();
    match format {
        BulkFormat::Baci => synth::write_baci(&mut bytes, rows, seed, 2020).unwrap(),
        BulkFormat::ComtradeV1Bulk => {
            synth::write_comtrade_bulk(&mut bytes, rows, seed, 2020).unwrap()
        }
    }
    let p = dir.join(format!("synthetic_{}_{rows}_{seed}", format.as_str()));
    std::fs::write(&p, bytes).unwrap();
    p
}

fn input(format: BulkFormat, path: &Path) -> BulkInput {
    BulkInput {
        format,
        path: path.to_path_buf(),
    }
}

/// Totals as (year, reporter, partner, flow) → (mills, rows).
type Totals = BTreeMap<(i32, u32, u32, u8), (i64, u64)>;

#[test]
fn synthetic_baci_parses_and_folds_like_the_row_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = synth_file(dir.path(), BulkFormat::Baci, 10_000, 7);
    let bytes = std::fs::read(&path).unwrap();
    // Same seed, same bytes; another seed, other bytes.
    let mut again = Vec::new();
    synth::write_baci(&mut again, 10_000, 7, 2020).unwrap();
    assert_eq!(bytes, again);
    let mut other = Vec::new();
    synth::write_baci(&mut other, 10_000, 8, 2020).unwrap();
    assert_ne!(bytes, other);

    // The real reader: every row parses, and (t, i, j, k) is unique as in a release.
    let rows = baci::parse(&path, &bytes).unwrap();
    assert_eq!(
        (rows.rows_read, rows.rows.len(), rows.rejects.len()),
        (10_000, 10_000, 0)
    );
    let keys: HashSet<_> = rows
        .rows
        .iter()
        .map(|r| (r.year, r.exporter, r.importer, r.product.clone()))
        .collect();
    assert_eq!(keys.len(), 10_000);

    // The row path's totals, summed here from the parsed rows.
    let mut want: Totals = BTreeMap::new();
    for r in &rows.rows {
        let e = want.entry((r.year, r.exporter, r.importer, 0)).or_default();
        e.0 += r.value_mills;
        e.1 += 1;
    }
    let folded = fold_file(
        &input(BulkFormat::Baci, &path),
        CountryRegistry::comtrade(),
        true,
    )
    .unwrap();
    assert_eq!(folded.totals, want);
    let a = &folded.account;
    assert_eq!((a.read, a.kept, a.rejected), (10_000, 10_000, 0));
    assert!(a.dropped.is_empty());
}

#[test]
fn synthetic_comtrade_bulk_drops_by_reason_like_the_row_path() {
    let dir = tempfile::tempdir().unwrap();
    // About 9 MB: the fold cuts it into several chunks.
    let path = synth_file(dir.path(), BulkFormat::ComtradeV1Bulk, 60_000, 3);
    let bytes = std::fs::read(&path).unwrap();
    let rows = comtrade_v1::parse(&path, &bytes, Layout::BulkTsv).unwrap();
    assert_eq!(
        (rows.rows_read, rows.rows.len(), rows.rejects.len()),
        (60_000, 60_000, 0)
    );

    // The rules applied to the full reader's rows, in the fold's order.
    let mut dropped: BTreeMap<&str, u64> = BTreeMap::new();
    let mut want: Totals = BTreeMap::new();
    for r in &rows.rows {
        let reason = if r.partner2_code != 0 {
            Some("breakdown_second_partner")
        } else if r.customs_code != "C00" {
            Some("breakdown_customs_procedure")
        } else if r.mot_code != 0 {
            Some("breakdown_transport_mode")
        } else if r.flow_code != "M" && r.flow_code != "X" {
            Some("flow_not_import_export")
        } else if r.cmd_code.len() != 6 || !r.cmd_code.bytes().all(|b| b.is_ascii_digit()) {
            Some("commodity_not_hs6")
        } else if r.partner_code == 0 {
            Some("partner_world")
        } else {
            None
        };
        match reason {
            Some(why) => *dropped.entry(why).or_default() += 1,
            None => {
                let flow = u8::from(r.flow_code == "X");
                let e = want
                    .entry((r.ref_year, r.reporter_code, r.partner_code, flow))
                    .or_default();
                e.0 += r.primary_value_mills;
                e.1 += 1;
            }
        }
    }
    // The synthetic file has every kind of row the job leaves out.
    assert_eq!(dropped.len(), 6, "{dropped:?}");
    let folded = fold_file(
        &input(BulkFormat::ComtradeV1Bulk, &path),
        CountryRegistry::comtrade(),
        true,
    )
    .unwrap();
    assert_eq!(folded.totals, want);
    let a = &folded.account;
    assert_eq!(a.dropped, dropped);
    let kept: u64 = want.values().map(|v| v.1).sum();
    assert_eq!((a.read, a.kept, a.rejected), (60_000, kept, 0));
    assert_eq!(a.kept + a.dropped.values().sum::<u64>(), 60_000);
}

#[test]
fn mirror_of_hand_made_rows() {
    let dir = tempfile::tempdir().unwrap();
    // 4 = AFG, 8 = ALB. AFG exports 1.000 + 0.250 (thousand USD) to ALB, imports 2.500.
    let b = dir.path().join("b.csv");
    std::fs::write(
        &b,
        "t,i,j,k,v,q\n2020,4,8,010121,1.000,NA\n2020,4,8,010122,0.250,1\n2020,8,4,010121,2.500,NA\n",
    )
    .unwrap();
    let f = fold_file(
        &input(BulkFormat::Baci, &b),
        CountryRegistry::comtrade(),
        false,
    )
    .unwrap();
    let m = mirror_cells(&f).unwrap();
    assert_eq!(
        m[&(4, 8, 2020)],
        MirrorCell {
            exports: Some(1_250_000),
            imports: Some(2_500_000),
            rows: 3
        }
    );
    assert_eq!(
        m[&(8, 4, 2020)],
        MirrorCell {
            exports: Some(2_500_000),
            imports: Some(1_250_000),
            rows: 3
        }
    );
    // Comtrade: ALB (8) reports M 10.5 from AFG in two months and X 3 to AFG;
    // AFG's exports to ALB are 21.0, its imports 3.0; ALB as focus has no figure.
    let header = comtrade_v1::BULK_COLUMNS.join("\t");
    let row = |month: u32, flow: &str, value: &str| {
        format!("0\tC\tM\t2020{month:02}01\t2020\t{month}\t2020{month:02}\t8\t{flow}\t4\t0\tHS\tH6\t1\t010121\tC00\t0\t0\t-1\t\t0\t-1\t\t0\t\t0\t\t0\t\t\t{value}\t0\t1\t0")
    };
    let c = dir.path().join("c.tsv");
    std::fs::write(
        &c,
        [
            header,
            row(1, "M", "10.5"),
            row(2, "M", "10.5"),
            row(2, "X", "3"),
        ]
        .join("\r\n"),
    )
    .unwrap();
    let f = fold_file(
        &input(BulkFormat::ComtradeV1Bulk, &c),
        CountryRegistry::comtrade(),
        false,
    )
    .unwrap();
    let m = mirror_cells(&f).unwrap();
    assert_eq!(m.len(), 1);
    assert_eq!(
        m[&(4, 8, 2020)],
        MirrorCell {
            exports: Some(21_000),
            imports: Some(3_000),
            rows: 3
        }
    );
}

#[test]
fn rejects_keep_raw_text_and_outputs_do_not_depend_on_threads() {
    let dir = tempfile::tempdir().unwrap();
    let b = synth_file(dir.path(), BulkFormat::Baci, 20_000, 5);
    // Bad rows after the synthetic ones: a code unknown to the registry, a value
    // that is not a number, a short line, the USSR (810) in 2020.
    let mut text = std::fs::read_to_string(&b).unwrap();
    text.push_str(
        "2020,4,999,010121,1.000,NA\n2020,4,8,010121,abc,NA\n2020,4\n2020,810,8,010121,1,NA\n",
    );
    std::fs::write(&b, text).unwrap();
    let c = synth_file(dir.path(), BulkFormat::ComtradeV1Bulk, 20_000, 5);
    let inputs = [
        input(BulkFormat::Baci, &b),
        input(BulkFormat::ComtradeV1Bulk, &c),
    ];

    let mut outputs = Vec::new();
    for threads in [1, 2, 3] {
        let out = dir.path().join(format!("out{threads}"));
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let report = pool
            .install(|| run_mirror_all(&inputs, &out, true))
            .unwrap();
        assert_eq!(report.inputs[0].read, 20_004);
        assert_eq!(report.inputs[0].rejected, 4);
        assert_eq!(report.rejects, 4);
        outputs.push((
            std::fs::read(out.join("mirror_all.parquet")).unwrap(),
            std::fs::read(out.join("rejects.parquet")).unwrap(),
        ));
    }
    assert!(outputs.windows(2).all(|w| w[0] == w[1]));

    use polars::prelude::SerReader;
    let rejects = polars::prelude::ParquetReader::new(
        std::fs::File::open(dir.path().join("out1/rejects.parquet")).unwrap(),
    )
    .finish()
    .unwrap();
    let col = |n: &str| -> Vec<String> {
        let c = rejects.column(n).unwrap().str().unwrap().clone();
        (0..c.len())
            .map(|i| c.get(i).unwrap_or_default().to_string())
            .collect()
    };
    let reasons = col("reason");
    assert_eq!(reasons[1], "bad_field");
    assert_eq!(reasons[2], "field_count");
    assert_eq!(col("raw")[2], "2020,4");
    assert_eq!(col("raw")[1], "2020,4,8,010121,abc,NA");
    // 999 is no code at all; 810 (USSR) exists but not in 2020.
    assert_ne!(reasons[0], reasons[3], "{reasons:?}");
    assert!(col("detail")[0].starts_with("j: "), "{:?}", col("detail"));
    assert!(col("detail")[3].starts_with("i: "), "{:?}", col("detail"));
}
