//! The bad-input matrix: every source format × every kind of damage a real file
//! shows (empty, header only, wrong delimiter, UTF-16 / GB18030 / Latin-1 bytes,
//! byte-order mark, mixed line endings, truncated last line, a 10 MB field,
//! non-numeric numbers, negatives, duplicated rows, unknown codes, dates out of
//! range). Each case runs a whole pipeline on the project's fixture, damaged, and
//! must end in an error naming the file and line, or in rejects with their reason
//! and line; the row accounting balances in every run that finishes.
//!
//! A new format adds its fixture and its way of damaging a row to `FORMATS`.

use std::path::Path;

use patronage_pipeline::{run, RunOptions};
use polars::prelude::*;

/// What a case must give.
#[derive(Debug, Clone)]
enum Expect {
    /// `run` fails with a message naming `file:line` and saying `says`.
    Error { line: u64, says: &'static str },
    /// The run finishes with exactly these rejects (reason, line); the rest kept.
    Rejects(Vec<(&'static str, u64)>),
    /// The run finishes with this many rows kept and none rejected.
    Kept(u64),
}

/// A format under test: its pipeline name, a fixture, and how to edit it.
struct Format {
    name: &'static str,
    fixture: &'static str,
    /// Data rows in the fixture.
    rows: u64,
    /// Set field `name` of the first record to `value` (raw bytes).
    set_first: fn(&[u8], &str, &[u8]) -> Vec<u8>,
    /// Line where the first record starts, and where record `k` (0-based) starts.
    record_line: fn(&[u8], usize) -> u64,
    /// Whether the format is delimited text (with a header line).
    delimited: Option<u8>,
}

const FORMATS: &[Format] = &[
    Format {
        name: "comtrade_v1_csv",
        fixture: "rus_prk_russia_reported_annual.csv",
        rows: 6,
        set_first: |b, f, v| set_delimited(b, b',', f, v),
        record_line: |_, k| 2 + k as u64,
        delimited: Some(b','),
    },
    Format {
        name: "comtrade_v1_bulk",
        fixture: "rus_prk_itc_annual.tsv",
        rows: 6,
        set_first: |b, f, v| set_delimited(b, b'\t', f, v),
        record_line: |_, k| 2 + k as u64,
        delimited: Some(b'\t'),
    },
    Format {
        name: "comtrade_v1_json",
        fixture: "prk_kotra_mirror_annual.json",
        rows: 8,
        set_first: set_json,
        record_line: json_record_line,
        delimited: None,
    },
];

/// Field `field` of the first data row of a delimited file set to `value`.
fn set_delimited(bytes: &[u8], d: u8, field: &str, value: &[u8]) -> Vec<u8> {
    let lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
    let header: Vec<&[u8]> = lines[0].split(|b| *b == d).collect();
    let field = match field {
        // The bulk file spells these differently.
        "cifvalue" if d == b'\t' => "CIFValue",
        "fobvalue" if d == b'\t' => "FOBValue",
        f => f,
    };
    let i = header
        .iter()
        .position(|h| h.strip_suffix(b"\r").unwrap_or(h) == field.as_bytes())
        .unwrap_or_else(|| panic!("no column {field}"));
    let mut cells: Vec<Vec<u8>> = lines[1].split(|b| *b == d).map(<[u8]>::to_vec).collect();
    cells[i] = value.to_vec();
    let row = cells.join(&d);
    let mut out = Vec::new();
    for (n, l) in lines.iter().enumerate() {
        if n > 0 {
            out.push(b'\n');
        }
        out.extend_from_slice(if n == 1 { &row } else { l });
    }
    out
}

/// Key `field` of the first record of the JSON envelope set to `value` (raw JSON).
fn set_json(bytes: &[u8], field: &str, value: &[u8]) -> Vec<u8> {
    let key = format!("\"{field}\": ");
    let at = find(bytes, key.as_bytes()).unwrap_or_else(|| panic!("no key {field}")) + key.len();
    let end = at
        + bytes[at..]
            .iter()
            .position(|b| *b == b',' || *b == b'\n')
            .unwrap();
    let mut out = bytes[..at].to_vec();
    out.extend_from_slice(value);
    out.extend_from_slice(&bytes[end..]);
    out
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Line of the `{` that opens record `k` of `data`.
fn json_record_line(bytes: &[u8], k: usize) -> u64 {
    let mut from = 0;
    let mut at = 0;
    for _ in 0..=k {
        at = from + find(&bytes[from..], b"\"typeCode\"").expect("record");
        from = at + 1;
    }
    let brace = bytes[..at].iter().rposition(|b| *b == b'{').unwrap();
    1 + bytes[..brace].iter().filter(|b| **b == b'\n').count() as u64
}

/// The cases for one format.
fn cases(f: &Format, original: &[u8]) -> Vec<(&'static str, Vec<u8>, Expect)> {
    let set = |field: &str, v: &[u8]| (f.set_first)(original, field, v);
    let first = (f.record_line)(original, 0);
    let last_line = 1 + original.iter().filter(|b| **b == b'\n').count() as u64
        - u64::from(original.ends_with(b"\n"));
    let mut v: Vec<(&'static str, Vec<u8>, Expect)> = Vec::new();

    v.push((
        "empty file",
        Vec::new(),
        Expect::Error {
            line: 1,
            says: "the file is empty",
        },
    ));
    let mut utf16 = vec![0xFF, 0xFE];
    for u in String::from_utf8_lossy(original).encode_utf16() {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    v.push((
        "UTF-16",
        utf16,
        Expect::Error {
            line: 1,
            says: "UTF-16",
        },
    ));
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(original);
    v.push(("byte-order mark", bom, Expect::Kept(f.rows)));
    // CR LF on every other line.
    let mut mixed = Vec::new();
    for (i, l) in original.split_inclusive(|b| *b == b'\n').enumerate() {
        let l = l.strip_suffix(b"\n").unwrap_or(l);
        let l = l.strip_suffix(b"\r").unwrap_or(l);
        mixed.extend_from_slice(l);
        mixed.extend_from_slice(if i % 2 == 0 { b"\r\n" } else { b"\n" });
    }
    v.push(("mixed line endings", mixed, Expect::Kept(f.rows)));
    // Ten megabytes of digits where a value goes.
    let huge = vec![b'9'; 10 << 20];
    v.push((
        "huge field",
        set("primaryValue", &huge),
        Expect::Rejects(vec![("bad_number", first)]),
    ));
    let text = |s: &str| match f.delimited {
        Some(_) => s.as_bytes().to_vec(),
        None => format!("\"{s}\"").into_bytes(),
    };
    v.push((
        "non-numeric number",
        set("primaryValue", &text("99200OOO")),
        Expect::Rejects(vec![("bad_number", first)]),
    ));
    v.push((
        "negative value",
        set("primaryValue", b"-99200000.0"),
        Expect::Rejects(vec![("negative_value", first)]),
    ));
    v.push((
        "unknown country code",
        set("partnerCode", b"999"),
        Expect::Rejects(vec![("unknown_country_code", first)]),
    ));
    v.push((
        "year out of range",
        set("refYear", b"2911"),
        Expect::Rejects(vec![("year_out_of_range", first)]),
    ));
    v.push((
        "month out of range",
        set("refMonth", b"13"),
        Expect::Rejects(vec![("bad_period", first)]),
    ));
    // GB18030 "朝鲜" and Latin-1 "Corée" in a description: not UTF-8.
    for (name, bytes) in [
        ("GB18030 bytes", &b"\xB3\xAF\xCF\xCA"[..]),
        ("Latin-1 bytes", &b"Cor\xE9e"[..]),
    ] {
        let expect = match f.delimited {
            Some(_) => Expect::Rejects(vec![("bad_encoding", first)]),
            // A JSON text must be UTF-8 (RFC 8259): the file is refused.
            None => Expect::Error {
                line: 1 + original[..find(original, b"\"reporterDesc\"").unwrap()]
                    .iter()
                    .filter(|b| **b == b'\n')
                    .count() as u64,
                says: "not UTF-8",
            },
        };
        let field = if f.delimited == Some(b'\t') {
            // The bulk layout has no description column; a code field then.
            "cmdCode"
        } else {
            "reporterDesc"
        };
        let value = match f.delimited {
            Some(_) => bytes.to_vec(),
            None => [&b"\""[..], bytes, b"\""].concat(),
        };
        v.push((name, set(field, &value), expect));
    }

    match f.delimited {
        Some(d) => {
            let header_end = find(original, b"\n").unwrap() + 1;
            v.push((
                "header only",
                original[..header_end].to_vec(),
                Expect::Kept(0),
            ));
            let other = if d == b',' { b';' } else { b',' };
            let swapped: Vec<u8> = original
                .iter()
                .map(|b| if *b == d { other } else { *b })
                .collect();
            v.push((
                "wrong delimiter",
                swapped,
                Expect::Error {
                    line: 1,
                    says: if d == b',' {
                        "(the header is one field: is the file delimited by ';'?)"
                    } else {
                        "(the header is one field: is the file delimited by ','?)"
                    },
                },
            ));
            // The last line cut in the middle, no line end.
            let trimmed = original.strip_suffix(b"\n").unwrap_or(original);
            let cut = trimmed.len() - 40;
            v.push((
                "truncated last line",
                trimmed[..cut].to_vec(),
                Expect::Rejects(vec![("field_count", last_line)]),
            ));
            // The first data row twice.
            let second_end = header_end + find(&original[header_end..], b"\n").unwrap() + 1;
            let mut dup = original[..second_end].to_vec();
            dup.extend_from_slice(&original[header_end..]);
            v.push((
                "duplicated row",
                dup,
                Expect::Rejects(vec![("duplicate_figure", first + 1)]),
            ));
        }
        None => {
            let empty = br#"{"elapsedTime": "0.01 secs", "count": 0, "data": [], "error": ""}"#;
            v.push(("header only", empty.to_vec(), Expect::Kept(0)));
            // Semicolons between a record's fields.
            let semi = set("typeCode", b"\"C\";");
            v.push((
                "wrong delimiter",
                semi,
                Expect::Error {
                    line: first + 1,
                    says: "not a Comtrade v1 API response",
                },
            ));
            let cut = original.len() - 200;
            v.push((
                "truncated file",
                original[..cut].to_vec(),
                Expect::Error {
                    line: 1 + original[..cut].iter().filter(|b| **b == b'\n').count() as u64,
                    says: "not a Comtrade v1 API response",
                },
            ));
            // The first record twice, with `count` saying so.
            let start = find(original, b"\"data\": [").unwrap() + 9;
            let second = {
                let at = find(&original[start..], b"\"typeCode\"").unwrap() + start;
                let at2 = find(&original[at + 1..], b"\"typeCode\"").unwrap() + at + 1;
                original[..at2].iter().rposition(|b| *b == b'{').unwrap()
            };
            let mut dup = original[..second].to_vec();
            dup.extend_from_slice(&original[start..second]);
            dup.extend_from_slice(&original[second..]);
            let dup = String::from_utf8(dup)
                .unwrap()
                .replacen("\"count\": 8", "\"count\": 9", 1)
                .into_bytes();
            let line = json_record_line(&dup, 1);
            v.push((
                "duplicated record",
                dup,
                Expect::Rejects(vec![("duplicate_figure", line)]),
            ));
        }
    }
    v
}

fn rejects(out: &Path) -> Vec<(String, u64, usize)> {
    let f = std::fs::File::open(out.join("rejects.parquet")).unwrap();
    let df = ParquetReader::new(f).finish().unwrap();
    let reason = df.column("reason").unwrap().str().unwrap().clone();
    let line = df.column("source_line").unwrap().i64().unwrap().clone();
    let raw = df.column("raw").unwrap().str().unwrap().clone();
    (0..df.height())
        .map(|i| {
            (
                reason.get(i).unwrap().to_string(),
                line.get(i).unwrap() as u64,
                raw.get(i).unwrap().chars().count(),
            )
        })
        .collect()
}

#[test]
fn every_format_meets_every_kind_of_bad_input() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/comtrade");
    let mut failures = Vec::new();
    let mut ran = 0;
    for f in FORMATS {
        let original = std::fs::read(fixtures.join(f.fixture)).unwrap();
        for (case, bytes, expect) in cases(f, &original) {
            ran += 1;
            let tmp = tempfile::tempdir().unwrap();
            let file = format!("input.{}", f.name);
            std::fs::write(tmp.path().join(&file), &bytes).unwrap();
            let pipeline = tmp.path().join("p.toml");
            std::fs::write(
                &pipeline,
                format!("name = \"m\"\nfocus = \"PRK\"\n\n[[sources]]\nid = \"s\"\nformat = \"{}\"\npath = \"{file}\"\n", f.name),
            )
            .unwrap();
            let out = tmp.path().join("out");
            let result = run(
                &pipeline,
                &RunOptions {
                    output: Some(out.clone()),
                    ..RunOptions::default()
                },
            );
            let got = match (&expect, result) {
                (Expect::Error { line, says }, Err(e)) => {
                    let msg = e.to_string();
                    let at = format!("{file}:{line}:");
                    (msg.contains(&at) && msg.contains(says))
                        .then_some(())
                        .ok_or(format!("error `{msg}`, expected `{at}` and `{says}`"))
                }
                (Expect::Error { .. }, Ok(_)) => Err("the run finished".to_string()),
                (_, Err(e)) => Err(format!("error: {e}")),
                (Expect::Rejects(want), Ok(report)) => {
                    let rows = &report.sources[0].rows;
                    let got = rejects(&out);
                    let pairs: Vec<(&str, u64)> =
                        got.iter().map(|(r, l, _)| (r.as_str(), *l)).collect();
                    if !rows.balances() {
                        Err(format!("accounting does not balance: {rows:?}"))
                    } else if pairs != *want {
                        Err(format!("rejects {pairs:?}"))
                    } else if got.iter().any(|(_, _, n)| *n > 1001) {
                        Err("raw text not bounded".to_string())
                    } else if rows.kept + rows.rejected
                        != f.rows + u64::from(case.starts_with("duplicated"))
                    {
                        Err(format!("rows {rows:?}"))
                    } else {
                        Ok(())
                    }
                }
                (Expect::Kept(n), Ok(report)) => {
                    let rows = &report.sources[0].rows;
                    (rows.balances() && rows.kept == *n && rows.rejected == 0)
                        .then_some(())
                        .ok_or(format!("rows {rows:?}"))
                }
            };
            if let Err(why) = got {
                failures.push(format!("{} / {case}: {why} (expected {expect:?})", f.name));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {ran} cases:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(ran, 3 * 16);
}
