//! Criterion benchmarks of the Comtrade v1 path: parse the comtradeapicall CSV,
//! normalize to `trade_flows`, build the frame, rebuild mirror trade.
//!
//! ALL DATA HERE IS SYNTHETIC. It is generated in memory by a deterministic linear
//! congruential generator (no `rand`), in the 47-column comtradeapicall CSV layout
//! (see `scripts/make_comtrade_fixtures.py`). Figures are invented; only the
//! country codes are real (current codes from the compiled registry, valid in
//! every year 2010-2020, no historical codes).
//!
//! Run: `cargo bench -p patronage-benches` (or `-- --quick`).

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use patronage_aggregate::{mirror_rows, MirrorSpec};
use patronage_core::{CountryKind, CountryRegistry};
use patronage_extract::comtrade_v1::{self, Layout, API_COLUMNS};
use patronage_normalize::comtrade_v1::{normalize, SourceContext};
use patronage_normalize::{trade_flows_frame, MonthlyFigures};
use polars::prelude::DataFrame;

/// Data rows in the synthetic file.
const ROWS: usize = 100_000;
/// Years the synthetic rows are dated in.
const YEARS: std::ops::RangeInclusive<i32> = 2010..=2020;
/// The partner every row trades with: the DPRK.
const PRK: u32 = 408;
/// Only used in messages: the bytes never touch the disk.
const DUMMY_PATH: &str = "synthetic/comtrade_api_100k.csv";

/// Knuth's MMIX linear congruential generator: deterministic, no dependency.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    /// A number in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Real reporter codes: countries (not areas, not historical states) valid in
/// every year used, one code per ISO3, the DPRK itself left out.
fn reporter_codes(registry: &CountryRegistry) -> Vec<u32> {
    let mut seen = std::collections::HashSet::new();
    (1..1000)
        .filter_map(|code| registry.get(code))
        .filter(|c| {
            c.code != PRK && c.kind == CountryKind::Country && YEARS.clone().all(|y| c.valid_in(y))
        })
        .filter(|c| seen.insert(c.iso3.clone()))
        .map(|c| c.code)
        .collect()
}

/// A SYNTHETIC comtradeapicall CSV: `rows` annual records with partner 408.
///
/// Mix (drawn by the LCG): about 88% TOTAL rows of flows M and X that
/// normalization keeps; 6% second-partner breakdowns (partner2Code != 0); 3%
/// domestic exports (DX); 1.5% customs-procedure and 1.5% transport-mode
/// breakdowns. The (reporter, year, flow) keys repeat (there are about 5,300 of
/// them), so `mirror_rows` sees many candidates per figure and keeps the first.
fn synthetic_csv(rows: usize, reporters: &[u32]) -> Vec<u8> {
    let mut rng = Lcg(0x5EED_2017);
    let years: Vec<i32> = YEARS.collect();
    let mut out = String::with_capacity(rows * 180);
    out.push_str(&API_COLUMNS.join(","));
    out.push('\n');
    let mut fields: Vec<String> = Vec::with_capacity(API_COLUMNS.len());
    for _ in 0..rows {
        let year = years[rng.below(years.len() as u64) as usize];
        let reporter = reporters[rng.below(reporters.len() as u64) as usize];
        let kind = rng.below(1000);
        let mut flow = if rng.below(2) == 0 { "M" } else { "X" };
        let (mut partner2, mut customs, mut mot) = (0, "C00", 0);
        match kind {
            0..=59 => {
                partner2 = reporters[rng.below(reporters.len() as u64) as usize];
            }
            60..=89 => flow = "DX",
            90..=104 => customs = "C01",
            105..=119 => mot = 2100,
            _ => {}
        }
        let value = format!("{}.{:02}", rng.below(5_000_000_000), rng.below(100));
        let net_wgt = if rng.below(4) == 0 {
            format!("{}.0", rng.below(10_000_000))
        } else {
            String::new()
        };
        // The HS revision in force that year.
        let cls = if year < 2012 {
            "H3"
        } else if year < 2017 {
            "H4"
        } else {
            "H5"
        };
        let import = flow == "M";
        fields.clear();
        fields.extend([
            "C".to_string(),                                    // typeCode
            "A".to_string(),                                    // freqCode
            format!("{year}0101"),                              // refPeriodId
            year.to_string(),                                   // refYear
            "52".to_string(),                                   // refMonth
            year.to_string(),                                   // period
            reporter.to_string(),                               // reporterCode
            String::new(),                                      // reporterISO
            String::new(),                                      // reporterDesc
            flow.to_string(),                                   // flowCode
            String::new(),                                      // flowDesc
            PRK.to_string(),                                    // partnerCode
            String::new(),                                      // partnerISO
            String::new(),                                      // partnerDesc
            partner2.to_string(),                               // partner2Code
            String::new(),                                      // partner2ISO
            String::new(),                                      // partner2Desc
            cls.to_string(),                                    // classificationCode
            "HS".to_string(),                                   // classificationSearchCode
            "True".to_string(),                                 // isOriginalClassification
            "TOTAL".to_string(),                                // cmdCode
            String::new(),                                      // cmdDesc
            String::new(),                                      // aggrLevel
            String::new(),                                      // isLeaf
            customs.to_string(),                                // customsCode
            String::new(),                                      // customsDesc
            "0".to_string(),                                    // mosCode
            mot.to_string(),                                    // motCode
            String::new(),                                      // motDesc
            "-1".to_string(),                                   // qtyUnitCode
            String::new(),                                      // qtyUnitAbbr
            String::new(),                                      // qty
            "False".to_string(),                                // isQtyEstimated
            "-1".to_string(),                                   // altQtyUnitCode
            String::new(),                                      // altQtyUnitAbbr
            String::new(),                                      // altQty
            "False".to_string(),                                // isAltQtyEstimated
            net_wgt,                                            // netWgt
            "False".to_string(),                                // isNetWgtEstimated
            String::new(),                                      // grossWgt
            "False".to_string(),                                // isGrossWgtEstimated
            if import { value.clone() } else { String::new() }, // cifvalue
            if import { String::new() } else { value.clone() }, // fobvalue
            value,                                              // primaryValue
            "0".to_string(),                                    // legacyEstimationFlag
            "True".to_string(),                                 // isReported
            "False".to_string(),                                // isAggregate
        ]);
        assert_eq!(fields.len(), API_COLUMNS.len());
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out.into_bytes()
}

fn comtrade(c: &mut Criterion) {
    let registry = CountryRegistry::comtrade();
    let reporters = reporter_codes(registry);
    let bytes = synthetic_csv(ROWS, &reporters);
    let path = Path::new(DUMMY_PATH);

    // Run each stage once outside the timings, to check the synthetic data goes
    // through the way it is meant to, and to feed the next stage.
    let extracted = comtrade_v1::parse(path, &bytes, Layout::ApiCsv).expect("synthetic CSV parses");
    assert_eq!(extracted.rows_read, ROWS as u64);
    assert!(
        extracted.rejects.is_empty(),
        "{:?}",
        extracted.rejects.first()
    );
    let ctx = SourceContext {
        source_id: Arc::from("synthetic"),
        source_file: Arc::from(DUMMY_PATH),
        monthly: MonthlyFigures::Month,
    };
    let normalized = normalize(extracted.rows.clone(), &ctx, registry);
    // The synthetic keys repeat (a figure has ~17 candidate lines): the first
    // is kept and the others are `duplicate_figure` rejects, nothing else.
    assert!(
        normalized
            .rejects
            .iter()
            .all(|r| r.reason == "duplicate_figure"),
        "{:?}",
        normalized
            .rejects
            .iter()
            .find(|r| r.reason != "duplicate_figure")
    );
    let dropped: u64 = normalized.dropped.values().sum();
    assert_eq!(
        normalized.flows.len() as u64 + dropped + normalized.rejects.len() as u64,
        ROWS as u64
    );
    let frame: DataFrame = trade_flows_frame(&normalized.flows).expect("trade_flows frame");
    let spec = MirrorSpec {
        focus: "PRK".to_string(),
        commodity: "TOTAL".to_string(),
        source_priority: vec!["synthetic".to_string()],
    };
    let mirror = mirror_rows(&frame, &spec).expect("mirror rows");
    assert!(!mirror.is_empty());
    eprintln!(
        "synthetic input: {} rows, {:.1} MB, {} reporters; kept {}, dropped {:?}; \
         trade_flows {} rows; mirror_trade {} rows",
        ROWS,
        bytes.len() as f64 / 1e6,
        reporters.len(),
        normalized.flows.len(),
        normalized.dropped,
        frame.height(),
        mirror.len()
    );

    let mut group = c.benchmark_group("comtrade_v1_100k");
    group.throughput(Throughput::Elements(ROWS as u64));
    group.bench_function("parse_api_csv", |b| {
        b.iter(|| comtrade_v1::parse(path, black_box(&bytes), Layout::ApiCsv).unwrap())
    });
    group.bench_function("normalize", |b| {
        b.iter_batched(
            || extracted.rows.clone(),
            |rows| normalize(rows, &ctx, registry),
            BatchSize::LargeInput,
        )
    });
    group.bench_function("trade_flows_frame", |b| {
        b.iter(|| trade_flows_frame(black_box(&normalized.flows)).unwrap())
    });
    group.bench_function("mirror_rows", |b| {
        b.iter(|| mirror_rows(black_box(&frame), &spec).unwrap())
    });
    group.finish();
}

criterion_group! {
    name = benches;
    // Few samples: one iteration of the parse takes a sizeable fraction of a
    // second, and a default run should finish in about a minute.
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8));
    targets = comtrade
}
criterion_main!(benches);
