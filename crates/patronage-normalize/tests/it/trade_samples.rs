//! Conformance: the legacy Comtrade, BACI, Russian customs and China customs
//! readers against real files as the agencies publish them, from
//! `../shared/formats/` beside the checkout. When the folder is absent these tests
//! say so and pass, except under CI (`CI=true`), where its absence is a failure.

use std::path::Path;

use patronage_core::{CountryRegistry, Flow, MonthRange, TradeCodes};
use patronage_extract::encoding::TextEncoding;
use patronage_extract::{baci, china_customs, russia_customs};
use patronage_normalize::russia_customs::StoimUnit;

use crate::common::{ctx, samples};

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap()
}

/// The full English GACC download: GB18030 ("Hong Kong，China" with a full-width
/// comma), a trailing comma, `?` units, five rows of January 2026 acetylene by
/// partner, regime and province.
#[test]
fn gacc_full_download() {
    let Some(dir) = samples("gacc") else { return };
    let path = dir.join("gacc_sample_english-full.csv");
    let x = china_customs::parse(&path, &read(&path), TextEncoding::Gb18030).unwrap();
    assert_eq!((x.rows_read, x.rows.len()), (5, 5));
    let values: Vec<i64> = x.rows.iter().map(|r| r.value_mills / 1000).collect();
    assert_eq!(values, [315_286, 28_579, 199_307, 234_351, 4_137]);
    let partners: Vec<Option<u32>> = x.rows.iter().map(|r| r.partner_code).collect();
    assert_eq!(
        partners,
        [Some(110), Some(121), Some(133), Some(143), Some(412)]
    );
    assert!(x
        .rows
        .iter()
        .all(|r| r.date == Some((2026, 1)) && r.commodity_code == "29012920"));
    assert_eq!(
        (x.rows[0].quantity, x.rows[0].unit.as_deref()),
        (Some(81782.0), Some("Kilogram"))
    );
    assert_eq!(x.rows[3].regime_code, Some(15));
    assert!(
        x.rows[0].raw.contains("Hong Kong，China"),
        "{}",
        x.rows[0].raw
    );
    assert_eq!(x.rows[4].line, 6);

    let declared = patronage_normalize::china_customs::Declared {
        flow: Flow::Import,
        period: None,
        partner: None,
    };
    let n = patronage_normalize::china_customs::normalize(x.rows, &ctx(), declared);
    let iso: Vec<&str> = n.flows.iter().map(|f| f.partner_iso3.as_ref()).collect();
    assert_eq!(iso, ["HKG", "MAC", "KOR", "TWN", "CHL"]);
    assert!(n.flows.iter().all(|f| f.reporter_iso3.as_ref() == "CHN"
        && f.period
            == MonthRange {
                year: 2026,
                first: 1,
                last: 1
            }
        && f.commodity_level == 8
        && f.valuation == "CIF"));

    // Read as UTF-8 it is an error that names the encoding to declare.
    let e = china_customs::parse(&path, &read(&path), TextEncoding::Utf8)
        .unwrap_err()
        .to_string();
    assert!(e.contains("declare encoding = \"gb18030\""), "{e}");
}

/// The single-month download: no date and no partner column, so the pipeline
/// declares both; three rows.
#[test]
fn gacc_degenerate_download() {
    let Some(dir) = samples("gacc") else { return };
    let path = dir.join("gacc_sample_english-degenerate.csv");
    let x = china_customs::parse(&path, &read(&path), TextEncoding::Gb18030).unwrap();
    assert_eq!(x.rows_read, 3);
    let values: Vec<i64> = x.rows.iter().map(|r| r.value_mills / 1000).collect();
    assert_eq!(values, [419_601, 17_715_334, 10_451]);
    assert_eq!(x.rows[1].quantity, Some(14_198_093.0));
    assert!(x
        .rows
        .iter()
        .all(|r| r.date.is_none() && r.partner_code.is_none()));
    let declared = patronage_normalize::china_customs::Declared {
        flow: Flow::Export,
        period: Some(MonthRange {
            year: 2026,
            first: 1,
            last: 1,
        }),
        partner: Some(109),
    };
    let n = patronage_normalize::china_customs::normalize(x.rows, &ctx(), declared);
    assert_eq!(n.flows.len(), 3);
    assert!(n.flows.iter().all(|f| f.partner_iso3.as_ref() == "PRK"
        && f.flow == Flow::Export
        && f.valuation == "FOB"));
}

/// The GACC partner lists: GB18030 with unquoted commas in names (`109,Korea,DPR,`);
/// every code is in the compiled table with the same published name.
#[test]
fn gacc_partner_lists() {
    let Some(dir) = samples("gacc") else { return };
    let path = dir.join("gacc_partners_en-TradingPartner.csv");
    let list =
        china_customs::read_partner_codes(&path, &read(&path), TextEncoding::Gb18030).unwrap();
    assert_eq!(list.len(), 243);
    let name = |c: u32| {
        list.iter()
            .find(|(k, _)| *k == c)
            .map(|(_, n)| n.as_str())
            .unwrap()
    };
    assert_eq!(name(109), "Korea,DPR");
    assert_eq!(name(133), "Korea, Rep.");
    assert_eq!(name(344), "Russian Federation");
    let codes = TradeCodes::get();
    for (code, n) in &list {
        assert_eq!(
            codes.gacc_partner(*code).map(|p| p.published_name.as_str()),
            Some(n.as_str()),
            "code {code}"
        );
    }
    let zh = dir.join("gacc_partners_zh-TradingPartner.csv");
    let list = china_customs::read_partner_codes(&zh, &read(&zh), TextEncoding::Gb18030).unwrap();
    assert_eq!(
        list.iter()
            .find(|(k, _)| *k == 109)
            .map(|(_, n)| n.as_str()),
        Some("朝鲜")
    );
}

/// The five FTS rows from the documentation, January 2021 (month from the file
/// name), STOIM in dollars: a confidential row kept at the 10-digit level.
#[test]
fn russian_customs_sample() {
    let Some(dir) = samples("russia_fts") else {
        return;
    };
    let path = dir.join("fts_sample_rows_from_docs_2021-01.csv");
    let x = russia_customs::parse(&path, &read(&path), TextEncoding::Utf8).unwrap();
    assert_eq!((x.rows_read, x.rows.len()), (5, 5));
    let r = &x.rows[0];
    assert_eq!(
        (r.napr, r.year, r.partner_iso2.as_str(), r.tnved.as_str()),
        (russia_customs::Napr::Export, 2021, "KZ", "9504500002")
    );
    assert_eq!(
        (r.unit_code, r.stoim_mills, r.netto_kg, r.kol),
        (Some(796), 38_333_710, Some(235.313), Some(495.0))
    );
    assert!(x.rows[2].is_confidential());
    assert_eq!(x.rows[2].stoim_mills, 193_128_686_730);
    let name = path.file_name().unwrap().to_str().unwrap();
    let (year, month) = russia_customs::month_from_name(name).unwrap();
    assert_eq!((year, month), (2021, 1));
    let n = patronage_normalize::russia_customs::normalize(
        x.rows,
        &ctx(),
        StoimUnit::Usd,
        MonthRange {
            year,
            first: month,
            last: month,
        },
    );
    let iso: Vec<&str> = n.flows.iter().map(|f| f.partner_iso3.as_ref()).collect();
    assert_eq!(iso, ["KAZ", "BLR", "POL", "CHN", "FRA"]);
    let flows: Vec<Flow> = n.flows.iter().map(|f| f.flow).collect();
    assert_eq!(
        flows,
        [
            Flow::Export,
            Flow::Import,
            Flow::Export,
            Flow::Import,
            Flow::Export
        ]
    );
    assert_eq!(n.flows[0].value_mills, 38_333_710);
    assert_eq!(
        (n.flows[0].quantity_unit_code, n.flows[0].quantity),
        (Some(5), Some(495.0))
    );
    assert_eq!(
        (
            n.flows[2].commodity_code.as_str(),
            n.flows[2].commodity_level
        ),
        ("XXXXXXXXXX", 10)
    );
    // The furniture row: 1,045 t at $1.46 a kilogram, as dollars (not thousands).
    assert_eq!(n.flows[1].value_mills, 1_526_541_730);
    assert!(n.rejects.is_empty() && n.dropped.is_empty());
}

/// The BACI country code files of both quoting styles: 227 and 238 codes; 490
/// "Other Asia, nes" without ISO3; V202001's typo ATA for Antigua and Barbuda (28),
/// which the registry does not inherit (28 is ATG).
#[test]
fn baci_country_code_files() {
    let Some(dir) = samples("baci") else { return };
    let v2020 = dir.join("baci_country_codes_V202001.csv");
    let v2022 = dir.join("baci_country_codes_V202201.csv");
    let a = baci::read_country_codes(&v2020, &read(&v2020)).unwrap();
    let b = baci::read_country_codes(&v2022, &read(&v2022)).unwrap();
    assert_eq!((a.len(), b.len()), (227, 238));
    let get = |l: &[baci::BaciCountry], c: u32| l.iter().find(|x| x.code == c).cloned().unwrap();
    assert_eq!(get(&a, 408).iso3.as_deref(), Some("PRK"));
    assert_eq!(get(&b, 810).iso3.as_deref(), Some("SUN"));
    assert_eq!(
        (get(&a, 490).iso3, get(&a, 490).name.as_str()),
        (None, "Other Asia, nes")
    );
    assert_eq!(get(&a, 28).iso3.as_deref(), Some("ATA"));
    assert_eq!(get(&b, 28).iso3.as_deref(), Some("ATG"));
    assert_eq!(
        CountryRegistry::comtrade().lookup(28, 2020).unwrap().iso3,
        "ATG"
    );
    // Every code of both releases is in the registry.
    for c in a.iter().chain(&b) {
        assert!(CountryRegistry::comtrade().get(c.code).is_some(), "{c:?}");
    }
}
