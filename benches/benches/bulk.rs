//! Criterion benchmarks of the full-scale readers and the mirror over every
//! country: the BACI and Comtrade bulk row readers, the streaming fold of both
//! into totals (`patronage mirror-all`: the one-pass scanner, beside the
//! word-at-a-time reader it replaced, and mapped from a file with SHA-256 on a
//! thread of its own), the two scanners alone (`memchr2` and the 64-byte
//! classifier), and the mirror aggregation.
//!
//! ALL DATA HERE IS SYNTHETIC: written in memory by `patronage_bulk::synth`
//! (the generator behind `patronage synth`), in the real layouts. Only the
//! country codes are real.
//!
//! Run: `cargo bench -p patronage-benches --bench bulk` (or `-- --quick`).

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use patronage_bulk::mirror_all::{
    fold_file, fold_read, fold_read_reference, mirror_cells, mirror_frame, BulkFormat, BulkInput,
};
use patronage_bulk::synth;
use patronage_core::CountryRegistry;
use patronage_extract::comtrade_v1::{self, Layout};
use patronage_extract::{baci, plain};

/// Data rows in each synthetic file.
const ROWS: u64 = 200_000;

fn input(format: BulkFormat, name: &str) -> BulkInput {
    BulkInput {
        format,
        path: PathBuf::from(name),
    }
}

fn bench(c: &mut Criterion) {
    let registry = CountryRegistry::comtrade();
    let mut baci_bytes = Vec::new();
    synth::write_baci(&mut baci_bytes, ROWS, 1, 2020).expect("synthetic BACI");
    let mut bulk_bytes = Vec::new();
    synth::write_comtrade_bulk(&mut bulk_bytes, ROWS, 1, 2020).expect("synthetic bulk");
    let baci_in = input(BulkFormat::Baci, "synthetic/baci_200k.csv");
    let bulk_in = input(
        BulkFormat::ComtradeV1Bulk,
        "synthetic/comtrade_bulk_200k.tsv",
    );

    // Checked once before timing: every row read, the accounting balances.
    let b = baci::parse(Path::new("synthetic/baci_200k.csv"), &baci_bytes).expect("parses");
    assert_eq!((b.rows_read, b.rejects.len()), (ROWS, 0));
    let t = comtrade_v1::parse(
        Path::new("synthetic/bulk.tsv"),
        &bulk_bytes,
        Layout::BulkTsv,
    )
    .expect("parses");
    assert_eq!((t.rows_read, t.rejects.len()), (ROWS, 0));
    let fb = fold_read(&baci_in, &baci_bytes[..], registry, false).expect("folds");
    let fc = fold_read(&bulk_in, &bulk_bytes[..], registry, false).expect("folds");
    // The scanner and the reader it replaced give the same result.
    for (i, bytes, f) in [(&baci_in, &baci_bytes, &fb), (&bulk_in, &bulk_bytes, &fc)] {
        let r = fold_read_reference(i, &bytes[..], registry, false).expect("folds");
        assert_eq!(
            (&r.account, &r.totals, &r.rejects),
            (&f.account, &f.totals, &f.rejects)
        );
    }
    // Mapped inputs: the same bytes in files (removed at the end).
    let dir = std::env::temp_dir().join(format!("patronage-bench-bulk-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let baci_file = input(
        BulkFormat::Baci,
        dir.join("synthetic_baci_200k.csv")
            .to_str()
            .unwrap_or_default(),
    );
    let bulk_file = input(
        BulkFormat::ComtradeV1Bulk,
        dir.join("synthetic_comtrade_bulk_200k.tsv")
            .to_str()
            .unwrap_or_default(),
    );
    std::fs::write(&baci_file.path, &baci_bytes).expect("write");
    std::fs::write(&bulk_file.path, &bulk_bytes).expect("write");
    for f in [&fb, &fc] {
        let a = &f.account;
        assert_eq!(
            a.kept + a.dropped.values().sum::<u64>() + a.rejected,
            a.read
        );
        eprintln!(
            "{}: {} rows ({} bytes) -> {} kept, {} totals",
            a.format,
            a.read,
            if a.format == "baci" {
                baci_bytes.len()
            } else {
                bulk_bytes.len()
            },
            a.kept,
            a.totals
        );
    }

    let mut g = c.benchmark_group("bulk_200k");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(6))
        .throughput(Throughput::Elements(ROWS));
    g.bench_function("baci_parse_rows", |bch| {
        bch.iter(|| baci::parse(Path::new("b.csv"), black_box(&baci_bytes)))
    });
    g.bench_function("comtrade_bulk_parse_rows", |bch| {
        bch.iter(|| comtrade_v1::parse(Path::new("b.tsv"), black_box(&bulk_bytes), Layout::BulkTsv))
    });
    g.bench_function("baci_fold", |bch| {
        bch.iter(|| fold_read(&baci_in, black_box(&baci_bytes[..]), registry, false))
    });
    g.bench_function("comtrade_bulk_fold", |bch| {
        bch.iter(|| fold_read(&bulk_in, black_box(&bulk_bytes[..]), registry, false))
    });
    g.bench_function("baci_fold_reference", |bch| {
        bch.iter(|| fold_read_reference(&baci_in, black_box(&baci_bytes[..]), registry, false))
    });
    g.bench_function("comtrade_bulk_fold_reference", |bch| {
        bch.iter(|| fold_read_reference(&bulk_in, black_box(&bulk_bytes[..]), registry, false))
    });
    g.bench_function("baci_fold_mapped_hashed", |bch| {
        bch.iter(|| fold_file(black_box(&baci_file), registry, true))
    });
    g.bench_function("comtrade_bulk_fold_mapped_hashed", |bch| {
        bch.iter(|| fold_file(black_box(&bulk_file), registry, true))
    });
    // The scanners alone (every line and field found, nothing parsed): the
    // one-pass `memchr2` split (`plain::rows_memchr2`) and the 64-byte bit-mask
    // classifier (`plain::ascii_lines`), which `mirror-all` and `plain::rows`
    // now scan with.
    for (name, bytes, d) in [
        ("baci", &baci_bytes, b','),
        ("comtrade_bulk", &bulk_bytes, b'\t'),
    ] {
        let text = std::str::from_utf8(bytes).expect("ASCII");
        let mut fields = 0usize;
        plain::rows_memchr2(text, 1, d, 64, |_, f, _| fields += f.len());
        let mut seen = 0usize;
        plain::ascii_lines(bytes, d, |s| seen += s.count()).expect("plain ASCII");
        assert_eq!(fields, seen);
        g.bench_function(format!("{name}_scan_memchr2"), |bch| {
            bch.iter(|| {
                let mut n = 0usize;
                plain::rows_memchr2(black_box(text), 1, d, 64, |_, f, _| n += f.len());
                n
            })
        });
        g.bench_function(format!("{name}_scan_classifier"), |bch| {
            bch.iter(|| {
                let mut n = 0usize;
                let _ = plain::ascii_lines(black_box(bytes), d, |s| n += s.count());
                n
            })
        });
    }
    g.bench_function("mirror_cells_baci", |bch| {
        bch.iter(|| mirror_cells(black_box(&fb)))
    });
    let both = [fb, fc];
    g.bench_function("mirror_frame_both", |bch| {
        bch.iter(|| mirror_frame(black_box(&both), registry))
    });
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
