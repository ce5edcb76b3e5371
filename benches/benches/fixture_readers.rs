//! Criterion benchmarks of every reader not benched at scale elsewhere
//! (`comtrade.rs`: the Comtrade API CSV path; `bulk.rs`: BACI and the Comtrade
//! bulk TSV), each on the repository's fixture in its agency's layout. These
//! files are small (a few rows, cited in fixtures/SOURCES.md): the figures are a
//! per-file cost (opening the layout, decoding, header checks) that a regression
//! shows up in, not a throughput for large inputs.
//!
//! Run: `cargo bench -p patronage-benches --bench fixture_readers` (or `-- --quick`).

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use patronage_extract::comtrade_v1::{self, Layout};
use patronage_extract::delimited::Dialect;
use patronage_extract::encoding::TextEncoding;
use patronage_extract::labor_sheet::{self, SheetLayout, SheetSpec};
use patronage_extract::{
    archive_ledger, china_customs, comtrade_legacy, estimates_ledger, events_file, grid, ocha_fts,
    oecd_crs, russia_customs, ExtractError,
};

/// A reader reduced to the rows it kept.
type Reader = fn(&Path, &[u8]) -> Result<usize, ExtractError>;

fn sheet(layout: SheetLayout, name: &str, year: Option<i32>) -> SheetSpec {
    SheetSpec {
        layout,
        sheet: Some(name.to_string()),
        header_row: 3,
        header_rows: 2,
        year,
    }
}

/// Every reader, its fixture (relative to the repository root), and the rows it
/// must return there (checked before timing; the labor sheets' cells without a
/// figure are dropped later, by normalization).
const READERS: &[(&str, &str, Reader, usize)] = &[
    (
        "comtrade_v1_json",
        "fixtures/comtrade/prk_kotra_mirror_annual.json",
        |p, b| Ok(comtrade_v1::parse(p, b, Layout::ApiJson)?.rows.len()),
        8,
    ),
    (
        "comtrade_legacy",
        "fixtures/comtrade_legacy/rus_prk_2011_download.csv",
        |p, b| Ok(comtrade_legacy::parse(p, b)?.rows.len()),
        2,
    ),
    (
        "russia_customs",
        "fixtures/russia_customs/rus_prk_2017.csv",
        |p, b| Ok(russia_customs::parse(p, b, TextEncoding::Utf8)?.rows.len()),
        2,
    ),
    (
        "china_customs_gb18030",
        "fixtures/china_customs/chn_prk_2021_import_export.csv",
        |p, b| {
            Ok(china_customs::parse(p, b, TextEncoding::Gb18030)?
                .rows
                .len())
        },
        1,
    ),
    (
        "ocha_fts_page",
        "fixtures/aid/ocha_fts/prk_2000/flow-prk-2000.json",
        |p, b| Ok(ocha_fts::parse_page(p, b)?.flows.rows.len()),
        1,
    ),
    (
        "oecd_crs",
        "fixtures/aid/oecd_crs/crs_prk_2019_sample.txt",
        |p, b| Ok(oecd_crs::parse(p, b)?.rows.len()),
        4,
    ),
    (
        "archive_ledger",
        "fixtures/aid/ledger/dprk_aid_ledger.csv",
        |p, b| Ok(archive_ledger::parse(p, b)?.rows.len()),
        30,
    ),
    (
        "labor_sheet_csv_form_2t",
        "fixtures/labor/ru_form_2t_2018.csv",
        |p, b| {
            let g = grid::from_delimited(p, b, Dialect::saved_sheet(b','))?;
            let spec = sheet(SheetLayout::Form2T, "2-T", Some(2018));
            Ok(labor_sheet::read(p, &g, &spec)?.rows.len())
        },
        4,
    ),
    (
        "labor_sheet_xlsx_permits",
        "fixtures/labor/ru_labor_sheets.xlsx",
        |p, b| {
            let g = grid::from_xlsx(p, b.to_vec(), "permits")?;
            let spec = sheet(SheetLayout::PermitsByCitizenship, "permits", None);
            Ok(labor_sheet::read(p, &g, &spec)?.rows.len())
        },
        2,
    ),
    (
        "estimates_ledger",
        "fixtures/labor/dprk_estimates_ledger.csv",
        |p, b| Ok(estimates_ledger::parse(p, b)?.rows.len()),
        8,
    ),
    (
        "events_file",
        "fixtures/events/dprk_russia_timeline.csv",
        |p, b| Ok(events_file::parse(p, b)?.rows.len()),
        7,
    ),
];

fn bench(c: &mut Criterion) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut group = c.benchmark_group("fixture_readers");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    for (name, file, read, kept) in READERS {
        let path = root.join(file);
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let rows = read(&path, &bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(rows, *kept, "{name} on {file}");
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(*name, |b| {
            b.iter(|| black_box(read(&path, black_box(&bytes)).expect("read")))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
