//! Conformance: the readers and the country registry against real files as the
//! agencies publish them, from `../shared/formats/comtrade/` beside the checkout.
//! Those files may not be redistributed, so they are not in the repository; when
//! the folder is absent these tests say so and pass, except under CI (`CI=true`),
//! where the folder is always laid out and its absence is a failure.

use patronage_core::CountryRegistry;
use patronage_extract::comtrade_v1::{self, Layout};
use patronage_normalize::comtrade_v1::normalize;

use crate::common::{ctx, samples};

/// The recorded API response: China's 2010 imports from and exports to Argentina
/// and Germany, four records starting on lines 5, 54, 103 and 152.
#[test]
fn api_json_sample() {
    let Some(dir) = samples("comtrade") else {
        return;
    };
    let x = comtrade_v1::read(
        &dir.join("comtrade_v1_api_response_CHN_2010_TOTAL.json"),
        Layout::ApiJson,
    )
    .unwrap();
    assert_eq!(x.rows_read, 4);
    assert!(x.rejects.is_empty());
    let lines: Vec<u64> = x.rows.iter().map(|r| r.line).collect();
    assert_eq!(lines, [5, 54, 103, 152]);
    let arg = &x.rows[0];
    assert_eq!(
        (arg.reporter_code, arg.partner_code, arg.flow_code.as_str()),
        (156, 32, "M")
    );
    assert_eq!(arg.primary_value_mills, 6_804_128_143_000);
    assert_eq!(
        (arg.ref_year, arg.ref_month, arg.freq_code.as_str()),
        (2010, 52, "A")
    );
    assert_eq!(arg.classification, "H3");
    assert_eq!(arg.cmd_code, "TOTAL");
    assert_eq!(x.rows[1].primary_value_mills, 74_251_272_075_000);
    assert_eq!(x.rows[3].primary_value_mills, 68_047_133_397_000);

    let n = normalize(x.rows, &ctx(), CountryRegistry::comtrade());
    assert_eq!(n.flows.len(), 4);
    assert!(n.dropped.is_empty() && n.rejects.is_empty());
    let partners: Vec<&str> = n.flows.iter().map(|f| f.partner_iso3.as_ref()).collect();
    assert_eq!(partners, ["ARG", "DEU", "ARG", "DEU"]);
    assert!(n
        .flows
        .iter()
        .all(|f| f.reporter_iso3.as_ref() == "CHN" && f.period.months() == 12));
    assert_eq!(n.flows[0].commodity_level, 0);
}

/// The bulk final sample (Bulgaria 2023): ten rows, none a total row of M/X —
/// five DX and one XOP are other flows, four M/X rows are customs-procedure
/// breakdowns — so every row is dropped, each for its reason.
#[test]
fn bulk_final_sample() {
    let Some(dir) = samples("comtrade") else {
        return;
    };
    let x = comtrade_v1::read(
        &dir.join("comtrade_v1_bulk_final_sample_BGR_2023_H6.tsv"),
        Layout::BulkTsv,
    )
    .unwrap();
    assert_eq!(x.rows_read, 10);
    assert!(x.rejects.is_empty(), "{:?}", x.rejects);
    let first = &x.rows[0];
    assert_eq!(first.line, 2);
    assert_eq!(
        (
            first.reporter_code,
            first.flow_code.as_str(),
            first.partner_code
        ),
        (100, "DX", 51)
    );
    assert_eq!(first.primary_value_mills, 4_982_402);
    assert_eq!((first.customs_code.as_str(), first.mot_code), ("C03", 3200));
    assert_eq!(first.aggr_level, None);
    let last = x.rows.last().unwrap();
    assert_eq!(last.line, 11);
    assert_eq!(last.primary_value_mills, 1_298_531);
    // Row 3 flags quantity and net weight as estimated (1/1).
    assert!(x.rows[1].is_estimated);
    assert_eq!(x.rows[1].net_wgt_kg, Some(23.352));

    let n = normalize(x.rows, &ctx(), CountryRegistry::comtrade());
    assert!(n.flows.is_empty() && n.rejects.is_empty());
    let dropped: Vec<(&str, u64)> = n.dropped.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(
        dropped,
        [
            ("breakdown_customs_procedure", 4),
            ("flow_not_carried:DX", 5),
            ("flow_not_carried:XOP", 1)
        ]
    );
}

/// Every code in the official v1 partner list maps to its ISO3 (trailing spaces
/// trimmed; World is WLD rather than W00; 490 "Other Asia, nes" is Taiwan), and the
/// legacy list's validity years hold for the Cold War states.
#[test]
fn registry_matches_the_reference_lists() {
    let Some(dir) = samples("comtrade") else {
        return;
    };
    let bytes = std::fs::read(dir.join("comtrade_v1_ref_partner_country.csv")).unwrap();
    // The list is latin-1; codes and ISO3 are ASCII, so a lossy read is exact for them.
    let text = String::from_utf8_lossy(&bytes);
    let registry = CountryRegistry::comtrade();
    let mut checked = 0;
    for line in text.lines().skip(1).filter(|l| !l.is_empty()) {
        let fields: Vec<&str> = line
            .split("\",\"")
            .map(|f| f.trim_matches(|c| c == '"' || c == ','))
            .collect();
        let code: u32 = fields[0].parse().unwrap();
        let first_date = fields.iter().position(|f| f.contains("T00:00:00")).unwrap();
        let iso3 = fields[first_date - 1].trim();
        let expected = match code {
            0 => "WLD",
            490 => "TWN",
            _ => iso3,
        };
        assert_eq!(
            registry.get(code).map(|c| c.iso3.as_str()),
            Some(expected),
            "code {code}"
        );
        checked += 1;
    }
    assert_eq!(checked, 310);
    for (code, iso3, last) in [
        (810, "SUN", 1991),
        (278, "DDR", 1990),
        (200, "CSK", 1992),
        (890, "YUG", 1991),
        (720, "YMD", 1990),
    ] {
        let c = registry.get(code).unwrap();
        assert_eq!(
            (c.iso3.as_str(), c.valid_to),
            (iso3, Some(last)),
            "code {code}"
        );
    }
    assert_eq!(registry.get(643).unwrap().valid_from, Some(1992));
}

/// The bulk final sample (CRLF line ends, as published) streamed block by
/// block, through the one-pass scanner `patronage run` uses, gives the records,
/// lines, raw text and rejects of the whole-file reader.
#[test]
fn bulk_final_sample_streamed_as_read_whole() {
    let Some(dir) = samples("comtrade") else {
        return;
    };
    let path = dir.join("comtrade_v1_bulk_final_sample_BGR_2023_H6.tsv");
    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.windows(2).any(|w| w == b"\r\n"));
    let whole = comtrade_v1::read(&path, Layout::BulkTsv).unwrap();
    let (mut rows, mut rejects) = (Vec::new(), Vec::new());
    let read = comtrade_v1::stream(&path, &bytes[..], Layout::BulkTsv, |x| {
        rows.extend(x.rows);
        rejects.extend(x.rejects);
    })
    .unwrap();
    assert_eq!(read, 10);
    assert_eq!(read, whole.rows_read);
    assert_eq!(rows, whole.rows);
    assert_eq!(rejects, whole.rejects);
    assert!(!rows[0].raw.ends_with('\r'));
}
