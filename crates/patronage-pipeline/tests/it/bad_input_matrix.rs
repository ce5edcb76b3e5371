//! The bad-input matrix: every source format × every kind of damage a real file
//! shows (empty, header only, wrong delimiter, UTF-16 / GB18030 / Latin-1 bytes,
//! byte-order mark, mixed line endings, truncated last line, a 1-10 MB field,
//! non-numeric numbers, negatives, duplicated rows, unknown codes, dates out of
//! range). Each case runs a whole pipeline on the project's fixture, damaged, and
//! must end in an error naming the file and line, or in rejects with their reason
//! and line; the row accounting balances in every run that finishes.
//!
//! A new format adds its fixture and its way of damaging a row to `FORMATS`.

use std::path::Path;

use patronage_pipeline::{run, RunOptions};

use crate::fixture;
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
    /// `run` fails with a message naming the file (a workbook: no line) and saying `says`.
    WorkbookError { says: &'static str },
    /// The run finishes as the clean file's does (one more row kept for a
    /// duplicated row), none rejected.
    Same,
    /// The run finishes with these rows kept and dropped, none rejected.
    Counts { kept: u64, dropped: u64 },
    /// Rejects as `Rejects`, with this many rows read (a sheet row that cannot be
    /// read is one reject where its figures would be several rows).
    RejectsRead(Vec<(&'static str, u64)>, u64),
}

/// A Comtrade v1 layout under test: how to edit its fixture (in `FORMATS`).
struct Comtrade {
    /// Data rows in the fixture.
    rows: u64,
    /// Set field `name` of the first record to `value` (raw bytes).
    set_first: fn(&[u8], &str, &[u8]) -> Vec<u8>,
    /// Line where the first record starts, and where record `k` (0-based) starts.
    record_line: fn(&[u8], usize) -> u64,
    /// Whether the format is delimited text (with a header line).
    delimited: Option<u8>,
}

const COMTRADE: &[Comtrade] = &[
    Comtrade {
        rows: 6,
        set_first: |b, f, v| set_delimited(b, b',', f, v),
        record_line: |_, k| 2 + k as u64,
        delimited: Some(b','),
    },
    Comtrade {
        rows: 6,
        set_first: |b, f, v| set_delimited(b, b'\t', f, v),
        record_line: |_, k| 2 + k as u64,
        delimited: Some(b'\t'),
    },
    Comtrade {
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

/// A field longer than any real one, for the formats after the Comtrade v1 ones
/// (which take 10 MB): a megabyte keeps the matrix quick.
const HUGE: usize = 1 << 20;

/// One case: its name, the damaged file, what it must give.
type Case = (&'static str, Vec<u8>, Expect);

/// A format under test: pipeline name, the file it damages, how the case's
/// source is declared, and its cases.
struct Format {
    name: &'static str,
    /// The undamaged file.
    original: fn() -> Vec<u8>,
    /// Name the case's file gets (some readers read a file's name: BACI's states
    /// the HS revision).
    file: &'static str,
    /// TOML lines the source needs besides id, format and path.
    source: &'static str,
    cases: fn(&[u8]) -> Vec<Case>,
}

/// `text` as UTF-16 LE with its byte-order mark, as Windows tools save it.
fn utf16_le(text: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        out.extend_from_slice(&u.to_le_bytes());
    }
    out
}

/// Synthetic BACI rows (made up for this test, in BACI's layout): China-DPRK and
/// DPRK-China flows of 2020, values in thousands of dollars.
const BACI_SYNTHETIC: &str = "t,i,j,k,v,q\n\
    2020,156,408,270112,100.000,           NA\n\
    2020,156,408,100630,49.500,        2.000\n\
    2020,408,156,260111,20.000,        3.000\n";

/// Aid sources need the base year of their constant dollars.
const AID: &str = "\n[aid]\nbase_year = 2020\n";

/// Every format. A new format adds a line here (and, for a delimited table, its
/// columns in a `Table`).
const FORMATS: &[Format] = &[
    Format {
        name: "comtrade_v1_csv",
        original: || fixture("fixtures/comtrade/rus_prk_russia_reported_annual.csv"),
        file: "input.comtrade_v1_csv",
        source: "",
        cases: |b| comtrade_cases(&COMTRADE[0], b),
    },
    Format {
        name: "comtrade_v1_bulk",
        original: || fixture("fixtures/comtrade/rus_prk_itc_annual.tsv"),
        file: "input.comtrade_v1_bulk",
        source: "",
        cases: |b| comtrade_cases(&COMTRADE[1], b),
    },
    Format {
        name: "comtrade_v1_json",
        original: || fixture("fixtures/comtrade/prk_kotra_mirror_annual.json"),
        file: "input.comtrade_v1_json",
        source: "",
        cases: |b| comtrade_cases(&COMTRADE[2], b),
    },
    Format {
        name: "comtrade_legacy",
        original: || fixture("fixtures/comtrade_legacy/rus_prk_2011_download.csv"),
        file: "legacy.csv",
        source: "",
        cases: |b| table_cases(&LEGACY, b),
    },
    Format {
        name: "comtrade_legacy_json",
        original: || fixture("fixtures/comtrade_legacy/rus_prk_2011_api.json"),
        file: "comtrade.json",
        source: "",
        cases: legacy_json_cases,
    },
    Format {
        name: "baci",
        original: || BACI_SYNTHETIC.as_bytes().to_vec(),
        file: "BACI_HS17_Y2020_V202401.csv",
        source: "",
        cases: |b| table_cases(&BACI, b),
    },
    Format {
        name: "russia_customs",
        original: || fixture("fixtures/russia_customs/rus_prk_2017.csv"),
        file: "rus_prk_2017.csv",
        source: "stoim_unit = \"usd\"\nperiod = \"2017\"\n",
        cases: |b| table_cases(&RUSSIA, b),
    },
    Format {
        name: "china_customs",
        original: || fixture("fixtures/china_customs/chn_prk_2017_import_export.csv"),
        file: "chn_prk_2017.csv",
        source: "flow = \"total\"\nperiod = \"2017\"\n",
        cases: |b| table_cases(&CHINA, b),
    },
    Format {
        name: "archive_ledger",
        original: || fixture("fixtures/aid/ledger/dprk_aid_ledger.csv"),
        file: "ledger.csv",
        source: AID,
        cases: |b| table_cases(&AID_LEDGER, b),
    },
    Format {
        name: "oecd_crs",
        original: || fixture("fixtures/aid/oecd_crs/crs_prk_2019_sample.txt"),
        file: "crs.txt",
        source: AID,
        cases: |b| table_cases(&CRS, b),
    },
    Format {
        name: "ocha_fts",
        // The second page alone, its `meta.count` made its own flow count (1).
        original: || {
            String::from_utf8(fixture("fixtures/aid/ocha_fts/prk_2000/flow-prk-2000-page-2.json"))
                .unwrap()
                .replacen("\"count\": 2", "\"count\": 1", 1)
                .into_bytes()
        },
        file: "flow-prk-2000.json",
        source: AID,
        cases: fts_cases,
    },
    Format {
        name: "labor_sheet_csv",
        original: || fixture("fixtures/labor/ru_form_2t_2018.csv"),
        file: "form_2t.csv",
        source: "sheet = { name = \"2-T\", layout = \"form_2t\", header_row = 3, header_rows = 2, year = 2018, host = \"RUS\" }\n",
        cases: |b| table_cases(&FORM_2T, b),
    },
    Format {
        name: "labor_sheet_xlsx",
        original: || fixture("fixtures/labor/ru_labor_sheets.xlsx"),
        file: "sheets.xlsx",
        source: "sheet = { name = \"2-T\", layout = \"form_2t\", header_row = 3, header_rows = 2, year = 2018, host = \"RUS\" }\n",
        cases: xlsx_cases,
    },
    Format {
        name: "labor_ledger_csv",
        original: || fixture("fixtures/labor/dprk_estimates_ledger.csv"),
        file: "estimates.csv",
        source: "",
        cases: |b| table_cases(&LABOR_LEDGER, b),
    },
    Format {
        name: "published_totals",
        original: || fixture("fixtures/published_totals/jetro.csv"),
        file: "totals.csv",
        source: "",
        cases: |b| table_cases(&PUBLISHED_TOTALS, b),
    },
    Format {
        name: "events_csv",
        original: || fixture("fixtures/events/dprk_russia_timeline.csv"),
        file: "timeline.csv",
        source: "",
        cases: |b| table_cases(&EVENTS, b),
    },
];

/// A delimited table format: where its columns are, and what each case gives.
struct Table {
    delimiter: u8,
    /// Line (1-based) of the column names, and of the first data row.
    header: usize,
    first: usize,
    /// Columns (by name, or `#i` by position) a case damages.
    value: &'static str,
    text: &'static str,
    /// A code column and an unknown code for it.
    code: (&'static str, &'static str),
    /// A date column and a date out of range, when the format has one.
    date: Option<(&'static str, &'static str)>,
    /// What each case must give (by case name).
    expect: fn(&str) -> Expect,
}

/// The fields of a delimited line, quotes kept (a quoted field may hold the delimiter).
fn split_fields(line: &[u8], d: u8) -> Vec<Vec<u8>> {
    let (mut out, mut cur, mut quoted) = (Vec::new(), Vec::new(), false);
    for &b in line {
        if b == b'"' {
            quoted = !quoted;
        }
        if b == d && !quoted {
            out.push(std::mem::take(&mut cur));
        } else {
            cur.push(b);
        }
    }
    out.push(cur);
    out
}

/// `bytes` with column `column` of line `line` (1-based) set to `value`.
fn set_cell(t: &Table, bytes: &[u8], line: usize, column: &str, value: &[u8]) -> Vec<u8> {
    let mut lines: Vec<Vec<u8>> = bytes.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
    let header = split_fields(&lines[t.header - 1], t.delimiter);
    let i = match column.strip_prefix('#') {
        Some(n) => n.parse().unwrap(),
        None => header
            .iter()
            .position(|h| {
                let h = String::from_utf8_lossy(h);
                h.trim_start_matches('\u{feff}')
                    .trim_end_matches('\r')
                    .trim_matches('"')
                    == column
            })
            .unwrap_or_else(|| panic!("no column {column}")),
    };
    let row = &lines[line - 1];
    let cr = row.ends_with(b"\r");
    let mut cells = split_fields(row.strip_suffix(b"\r").unwrap_or(row), t.delimiter);
    let quote = value.contains(&t.delimiter) || value.contains(&b'"');
    cells[i] = if quote {
        [
            &b"\""[..],
            &value
                .iter()
                .flat_map(|b| {
                    if *b == b'"' {
                        vec![b'"', b'"']
                    } else {
                        vec![*b]
                    }
                })
                .collect::<Vec<u8>>(),
            b"\"",
        ]
        .concat()
    } else {
        value.to_vec()
    };
    let mut row = cells.join(&t.delimiter);
    if cr {
        row.push(b'\r');
    }
    lines[line - 1] = row;
    lines.join(&b'\n')
}

/// The cases for a delimited table.
fn table_cases(t: &Table, original: &[u8]) -> Vec<Case> {
    let e = t.expect;
    let set = |column: &str, v: &[u8]| set_cell(t, original, t.first, column, v);
    let line_end = |n: usize| {
        // Byte offset just past line n (1-based).
        let mut at = 0;
        for _ in 0..n {
            at += original[at..]
                .iter()
                .position(|b| *b == b'\n')
                .map_or(original.len() - at, |p| p + 1);
        }
        at
    };
    let mut v: Vec<Case> = vec![
        ("empty file", Vec::new(), e("empty file")),
        (
            "header only",
            original[..line_end(t.header)].to_vec(),
            e("header only"),
        ),
    ];
    let other = if t.delimiter == b';' { b',' } else { b';' };
    let swapped: Vec<u8> = original
        .iter()
        .map(|b| if *b == t.delimiter { other } else { *b })
        .collect();
    v.push(("wrong delimiter", swapped, e("wrong delimiter")));
    let utf16 = utf16_le(&String::from_utf8_lossy(original));
    v.push(("UTF-16", utf16, e("UTF-16")));
    // GB18030 "朝鲜" in a text field of a file read as UTF-8.
    v.push((
        "GB18030 bytes",
        set(t.text, b"\xB3\xAF\xCF\xCA"),
        e("GB18030 bytes"),
    ));
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(original);
    v.push(("byte-order mark", bom, e("byte-order mark")));
    let mut mixed = Vec::new();
    for (i, l) in original.split_inclusive(|b| *b == b'\n').enumerate() {
        let l = l.strip_suffix(b"\n").unwrap_or(l);
        let l = l.strip_suffix(b"\r").unwrap_or(l);
        mixed.extend_from_slice(l);
        mixed.extend_from_slice(if i % 2 == 0 { b"\r\n" } else { b"\n" });
    }
    v.push(("mixed line endings", mixed, e("mixed line endings")));
    // The last line cut at its middle, no line end (blank lines at the end are
    // not the last line).
    let trimmed = original.trim_ascii_end();
    let last_start = trimmed
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |p| p + 1);
    let cut = last_start + (trimmed.len() - last_start) / 2;
    v.push((
        "truncated last line",
        trimmed[..cut].to_vec(),
        e("truncated last line"),
    ));
    v.push((
        "huge field",
        set(t.value, &vec![b'9'; HUGE]),
        e("huge field"),
    ));
    v.push((
        "non-numeric number",
        set(t.value, b"99200OOO"),
        e("non-numeric number"),
    ));
    v.push(("negative value", set(t.value, b"-992"), e("negative value")));
    // The first data row twice.
    let mut dup = original[..line_end(t.first)].to_vec();
    dup.extend_from_slice(&original[line_end(t.first - 1)..]);
    v.push(("duplicated row", dup, e("duplicated row")));
    v.push((
        "unknown code",
        set(t.code.0, t.code.1.as_bytes()),
        e("unknown code"),
    ));
    if let Some((column, value)) = t.date {
        v.push((
            "date out of range",
            set(column, value.as_bytes()),
            e("date out of range"),
        ));
    }
    v
}

/// What every delimited table gives for the cases that damage no field: `first`
/// is the first data row's line, `last` the last line's; `None` for the cases
/// each format answers in its own way.
fn common(case: &str, first: u64, last: u64) -> Option<Expect> {
    Some(match case {
        "empty file" => Expect::Error {
            line: 1,
            says: "the file is empty",
        },
        "header only" => Expect::Kept(0),
        "wrong delimiter" => Expect::Error {
            line: 1,
            says: "(the header is one field: is the file delimited by ';'?)",
        },
        "UTF-16" => Expect::Error {
            line: 1,
            says: "the file is UTF-16 LE text; expected UTF-8",
        },
        "GB18030 bytes" => Expect::Rejects(vec![("bad_encoding", first)]),
        "byte-order mark" | "mixed line endings" => Expect::Same,
        "truncated last line" => Expect::Rejects(vec![("field_count", last)]),
        _ => return None,
    })
}

/// Reject `reason` on line `line`.
fn one(reason: &'static str, line: u64) -> Expect {
    Expect::Rejects(vec![(reason, line)])
}

const LEGACY: Table = Table {
    delimiter: b',',
    header: 1,
    first: 2,
    value: "Trade Value (US$)",
    text: "Partner",
    code: ("Partner Code", "999"),
    date: Some(("Year", "2911")),
    expect: |case| match case {
        // A legacy file that is not UTF-8 is read as windows-1252: the partner's
        // name in other bytes is a description, never a reason to reject the row.
        "GB18030 bytes" => Expect::Same,
        c => common(c, 2, 3).unwrap_or_else(|| match c {
            "huge field" | "non-numeric number" => one("bad_field", 2),
            "negative value" => one("negative_value", 2),
            "duplicated row" => one("duplicate_figure", 3),
            "unknown code" => one("unknown_country_code", 2),
            "date out of range" => one("year_out_of_range", 2),
            c => panic!("{c}"),
        }),
    },
};

const BACI: Table = Table {
    delimiter: b',',
    header: 1,
    first: 2,
    value: "v",
    // BACI has no text column: the quantity is the field damaged.
    text: "q",
    code: ("j", "999"),
    date: Some(("t", "2911")),
    expect: |case| {
        common(case, 2, 4).unwrap_or_else(|| match case {
            "huge field" | "non-numeric number" => one("bad_field", 2),
            "negative value" => one("negative_value", 2),
            "duplicated row" => one("duplicate_figure", 3),
            "unknown code" => one("unknown_country_code", 2),
            "date out of range" => one("year_out_of_range", 2),
            c => panic!("{c}"),
        })
    },
};

const RUSSIA: Table = Table {
    delimiter: b',',
    header: 1,
    first: 2,
    value: "STOIM",
    text: "NAPR",
    code: ("STRANA", "ZZ"),
    date: Some(("PERIOD", "2911")),
    expect: |case| {
        common(case, 2, 3).unwrap_or_else(|| match case {
            "huge field" | "non-numeric number" => one("bad_number", 2),
            "negative value" => one("negative_value", 2),
            "duplicated row" => one("duplicate_figure", 3),
            "unknown code" => one("unknown_country_code", 2),
            // PERIOD must be the pipeline's `period`.
            "date out of range" => one("bad_field", 2),
            c => panic!("{c}"),
        })
    },
};

const CHINA: Table = Table {
    delimiter: b',',
    header: 1,
    first: 2,
    value: "US dollar",
    text: "Trading partner",
    code: ("Trading partner code", "\"999\""),
    // The period is the pipeline's `period`: the download has no date column.
    date: None,
    expect: |case| {
        match case {
            // GACC downloads are GB18030 (the source's default encoding): "朝鲜"
            // in those bytes is text like any other.
            "GB18030 bytes" => Expect::Same,
            // A UTF-8 byte-order mark in a file declared GB18030: the file is
            // UTF-8, and the error says which encoding to declare.
            "byte-order mark" => Expect::Error {
                line: 1,
                says: "the file is UTF-8, not gb18030 as declared",
            },
            "wrong delimiter" => Expect::Error {
                line: 1,
                says: "not a China customs download",
            },
            "huge field" | "non-numeric number" => one("bad_field", 2),
            "negative value" => one("negative_value", 2),
            // A download splits a partner's total by customs regime and location
            // and the reader sums the lines: a repeated line is summed, counted
            // as dropped `summed_over_regime_and_location` (not detectable).
            "duplicated row" => Expect::Counts {
                kept: 1,
                dropped: 1,
            },
            "unknown code" => one("bad_field", 2),
            c => common(c, 2, 2).unwrap_or_else(|| panic!("{c}")),
        }
    },
};

const AID_LEDGER: Table = Table {
    delimiter: b',',
    header: 1,
    first: 2,
    value: "amount",
    text: "note",
    code: ("donor", "ZZZ"),
    date: Some(("date", "2911-09")),
    expect: |case| {
        common(case, 2, 31).unwrap_or_else(|| match case {
            "huge field" | "non-numeric number" => one("bad_number", 2),
            "negative value" => one("negative_amount", 2),
            "duplicated row" => one("duplicate_event_id", 3),
            "unknown code" => one("unknown_country", 2),
            // The donor, SUN, is no country in 2911.
            "date out of range" => one("unknown_country", 2),
            c => panic!("{c}"),
        })
    },
};

const CRS: Table = Table {
    delimiter: b'|',
    header: 1,
    first: 2,
    value: "USD_Disbursement",
    text: "ProjectTitle",
    code: ("DonorCode", "99999"),
    date: Some(("Year", "2911")),
    expect: |case| {
        common(case, 2, 5).unwrap_or_else(|| match case {
            "huge field" | "non-numeric number" => one("bad_number", 2),
            // The CRS publishes negative disbursements (repayments, cancelled
            // commitments): a negative amount is a figure, kept.
            "negative value" => Expect::Same,
            // Not detected: the CRS has no key a row must not repeat (CrsID is
            // often empty, as in this sample).
            "duplicated row" => Expect::Same,
            // Kept with the donor's name; a DAC code outside the code list has
            // no ISO3 (donor_iso3 null).
            "unknown code" => Expect::Same,
            "date out of range" => one("year_out_of_range", 2),
            c => panic!("{c}"),
        })
    },
};

const FORM_2T: Table = Table {
    delimiter: b',',
    // Two header rows: the figure columns are named on the second.
    header: 4,
    first: 5,
    value: "на начало периода",
    text: "#0",
    code: ("#2", "999"),
    // The year is the pipeline's `year`: a form 2-T sheet has no date column.
    date: None,
    expect: |case| {
        // One country row (line 5): four figures, two of them `…`.
        match case {
            "wrong delimiter" => Expect::Error {
                line: 3,
                says: "no column `Численность иностранных работников / на начало периода`",
            },
            // The row that cannot be read is one reject, in place of its four figures.
            "GB18030 bytes" => Expect::RejectsRead(vec![("bad_encoding", 5)], 1),
            // A sheet saved as CSV drops trailing empty cells, so a cut row reads
            // as a row whose last cells are empty: its figures count as
            // `not_reported` (a gap: not told from a real short row).
            "truncated last line" => Expect::Counts {
                kept: 0,
                dropped: 4,
            },
            "huge field" | "non-numeric number" | "negative value" => one("bad_number", 5),
            // Not detected: the country's figures are kept twice.
            "duplicated row" => Expect::Counts {
                kept: 4,
                dropped: 4,
            },
            // Both figures of the row name the unknown country.
            "unknown code" => Expect::Rejects(vec![
                ("unknown_country_code", 5),
                ("unknown_country_code", 5),
            ]),
            c => common(c, 5, 5).unwrap_or_else(|| panic!("{c}")),
        }
    },
};

const LABOR_LEDGER: Table = Table {
    delimiter: b',',
    header: 1,
    first: 2,
    value: "value",
    text: "note",
    code: ("host_iso3", "ZZZ"),
    date: Some(("year", "2911")),
    expect: |case| {
        common(case, 2, 9)
            .filter(|_| case != "truncated last line")
            .unwrap_or_else(|| match case {
                // The last line is cut inside its quoted citation.
                "truncated last line" => one("unterminated_quote", 9),
                "huge field" | "non-numeric number" | "negative value" => one("bad_number", 2),
                "duplicated row" => one("duplicate_ref", 3),
                "unknown code" => one("unknown_country", 2),
                // The host, SUN, is no country in 2911.
                "date out of range" => one("country_not_valid_in_year", 2),
                c => panic!("{c}"),
            })
    },
};

const EVENTS: Table = Table {
    delimiter: b',',
    header: 1,
    first: 2,
    // An event has no figure: the title is the field made huge, negative and
    // non-numeric (a title may be any text; the cases check it is kept whole).
    value: "title",
    text: "detail",
    code: ("kind", "coup"),
    date: Some(("date", "2911-13")),
    expect: |case| {
        match case {
            // The last line is cut inside its quoted citation.
            "truncated last line" => one("unterminated_quote", 8),
            // A title is text: kept whole.
            "huge field" | "non-numeric number" | "negative value" => Expect::Same,
            // Not detected: the event is listed twice.
            "duplicated row" => Expect::Same,
            "unknown code" => one("unknown_event_kind", 2),
            "date out of range" => one("bad_date", 2),
            c => common(c, 2, 8).unwrap_or_else(|| panic!("{c}")),
        }
    },
};

const PUBLISHED_TOTALS: Table = Table {
    delimiter: b',',
    header: 1,
    first: 2,
    value: "value",
    text: "note",
    // A well-formed ISO3 code no registry knows: the normalizer rejects it.
    code: ("reporter", "ZZZ"),
    date: Some(("period", "2911")),
    expect: |case| {
        // The last line is cut after its quoted document: fields are missing.
        common(case, 2, 5).unwrap_or_else(|| match case {
            "huge field" | "non-numeric number" => one("bad_number", 2),
            "negative value" => one("negative_value", 2),
            "duplicated row" => one("duplicate_figure", 3),
            "unknown code" => one("unknown_country_code", 2),
            "date out of range" => one("year_out_of_range", 2),
            c => panic!("{c}"),
        })
    },
};

/// The cases for a legacy Comtrade API response (JSON saved on one line, as the
/// API gave it: every record on line 1). Its four records are two DPRK rows
/// (kept) and two World rows (dropped, `partner_world`).
fn legacy_json_cases(original: &[u8]) -> Vec<Case> {
    let text = String::from_utf8(original.to_vec()).unwrap();
    assert!(!text.contains('\n'), "the fixture is minified");
    // Key `key` of the first record set to `v` (raw JSON).
    let set = |key: &str, v: &str| {
        let k = format!("\"{key}\":");
        let at = text.find(&k).unwrap_or_else(|| panic!("no key {key}")) + k.len();
        let end = at + text[at..].find([',', '}']).unwrap();
        format!("{}{v}{}", &text[..at], &text[end..]).into_bytes()
    };
    let error = |says| Expect::Error { line: 1, says };
    let mut v: Vec<Case> = vec![("empty file", Vec::new(), error("the file is empty"))];
    v.push((
        "header only",
        br#"{"validation":{"status":{"name":"Ok","value":0},"message":null,"count":{"value":0}},"dataset":[]}"#.to_vec(),
        Expect::Kept(0),
    ));
    v.push((
        "wrong delimiter",
        set("TradeValue", "14500000;"),
        error("not a legacy Comtrade API response"),
    ));
    let utf16 = utf16_le(&text);
    v.push((
        "UTF-16",
        utf16,
        error("the file is UTF-16 LE text; expected UTF-8"),
    ));
    // A JSON text must be UTF-8 (RFC 8259): the file is refused.
    let mut gb = set("ptTitle", "\"\u{1}\"");
    let at = gb.iter().position(|b| *b == 1).unwrap();
    gb.splice(at..at + 1, b"\xB3\xAF\xCF\xCA".iter().copied());
    v.push(("GB18030 bytes", gb, error("the file is not UTF-8")));
    v.push((
        "byte-order mark",
        [&b"\xEF\xBB\xBF"[..], original].concat(),
        Expect::Same,
    ));
    // The records on lines of their own, CR LF and LF in turn.
    let mut n = 0;
    let mixed = text.replace("},{\"pfCode\"", "}\u{0},{\"pfCode\"");
    let mixed: String = mixed
        .split('\u{0}')
        .map(|part| {
            n += 1;
            format!("{part}{}", if n % 2 == 0 { "\r\n" } else { "\n" })
        })
        .collect();
    v.push(("mixed line endings", mixed.into_bytes(), Expect::Same));
    v.push((
        "truncated file",
        original[..original.len() - 100].to_vec(),
        error("not a legacy Comtrade API response"),
    ));
    // The first record's value: a megabyte of digits, letters, a minus sign.
    v.push((
        "huge field",
        set("TradeValue", &"9".repeat(HUGE)),
        one("bad_field", 1),
    ));
    v.push((
        "non-numeric number",
        set("TradeValue", "\"99200OOO\""),
        one("bad_field", 1),
    ));
    v.push((
        "negative value",
        set("TradeValue", "-14500000"),
        one("negative_value", 1),
    ));
    // The first record twice, `validation.count` saying so.
    let first = text.find("{\"pfCode\"").unwrap();
    let second = first + 1 + text[first + 1..].find("{\"pfCode\"").unwrap();
    let dup = format!(
        "{}{}{}",
        &text[..second],
        &text[first..second],
        &text[second..]
    )
    .replacen("\"count\":{\"value\":4}", "\"count\":{\"value\":5}", 1);
    v.push((
        "duplicated record",
        dup.into_bytes(),
        one("duplicate_figure", 1),
    ));
    v.push((
        "unknown code",
        set("ptCode", "999"),
        one("unknown_country_code", 1),
    ));
    v.push((
        "date out of range",
        set("yr", "2911"),
        one("year_out_of_range", 1),
    ));
    v
}

/// The cases for an OCHA FTS page (JSON).
fn fts_cases(original: &[u8]) -> Vec<Case> {
    let e = |case: &str| match case {
        "empty file" => Expect::Error {
            line: 1,
            says: "the file is empty",
        },
        "header only" => Expect::Kept(0),
        "wrong delimiter" => Expect::Error {
            line: 7,
            says: "not an OCHA FTS flow API response",
        },
        // A JSON text must be UTF-8 (RFC 8259): the file is refused, by name.
        "UTF-16" => Expect::Error {
            line: 1,
            says: "the file is UTF-16 LE text; expected UTF-8",
        },
        "GB18030 bytes" => Expect::Error {
            line: 13,
            says: "the file is not UTF-8",
        },
        "byte-order mark" | "mixed line endings" => Expect::Same,
        "truncated file" => Expect::Error {
            line: 56,
            says: "not an OCHA FTS flow API response",
        },
        "huge field" => one("not_a_record", 5),
        "non-numeric number" => one("bad_number", 5),
        "negative value" => one("negative_amount", 5),
        // The page then holds more flows than its `meta.count` says.
        "duplicated flow" => Expect::Error {
            line: 1,
            says: "incomplete page chain",
        },
        // The response's status.
        "unknown code" => Expect::Error {
            line: 1,
            says: "the response has status `promised`, not `ok`",
        },
        "date out of range" => one("bad_object", 5),
        c => panic!("{c}"),
    };
    let text = String::from_utf8(original.to_vec()).unwrap();
    let set = |key: &str, v: &str| {
        let k = format!("\"{key}\": ");
        let at = text.find(&k).unwrap_or_else(|| panic!("no key {key}")) + k.len();
        let end = at + text[at..].find([',', '\n']).unwrap();
        format!("{}{v}{}", &text[..at], &text[end..]).into_bytes()
    };
    let mut v: Vec<Case> = vec![("empty file", Vec::new(), e("empty file"))];
    v.push((
        "header only",
        br#"{"status": "ok", "data": {"flows": []}, "meta": {"count": 0}}"#.to_vec(),
        e("header only"),
    ));
    v.push((
        "wrong delimiter",
        set("amountUSD", "10500;"),
        e("wrong delimiter"),
    ));
    let utf16 = utf16_le(&text);
    v.push(("UTF-16", utf16, e("UTF-16")));
    let mut gb = set("description", "\"\u{1}\"");
    let at = gb.iter().position(|b| *b == 1).unwrap();
    gb.splice(at..at + 1, b"\xB3\xAF\xCF\xCA".iter().copied());
    v.push(("GB18030 bytes", gb, e("GB18030 bytes")));
    v.push((
        "byte-order mark",
        [&b"\xEF\xBB\xBF"[..], original].concat(),
        e("byte-order mark"),
    ));
    v.push((
        "mixed line endings",
        text.replacen('\n', "\r\n", 7).into_bytes(),
        e("mixed line endings"),
    ));
    v.push((
        "truncated file",
        original[..original.len() - 100].to_vec(),
        e("truncated file"),
    ));
    v.push((
        "huge field",
        set("amountUSD", &"9".repeat(HUGE)),
        e("huge field"),
    ));
    v.push((
        "non-numeric number",
        set("amountUSD", "\"10500OOO\""),
        e("non-numeric number"),
    ));
    v.push((
        "negative value",
        set("amountUSD", "-10500"),
        e("negative value"),
    ));
    // The page's first flow twice.
    let mut doc: serde_json::Value = serde_json::from_slice(original).unwrap();
    let flows = doc["data"]["flows"].as_array_mut().unwrap();
    let first = flows[0].clone();
    flows.insert(1, first);
    v.push((
        "duplicated flow",
        serde_json::to_vec_pretty(&doc).unwrap(),
        e("duplicated flow"),
    ));
    v.push((
        "unknown code",
        set("status", "\"promised\""),
        e("unknown code"),
    ));
    // The flow's year is its usage year (`date` is kept as published).
    v.push((
        "date out of range",
        text.replacen("\"name\": \"2000\"", "\"name\": \"2911\"", 1)
            .into_bytes(),
        e("date out of range"),
    ));
    v
}

/// The cases for a workbook. A workbook is a zip of XML parts: delimiters, line
/// endings, byte-order marks and encodings are the XML's business (calamine
/// decodes it), so those cases do not apply; a file that is not a zip at all, or
/// a cut one, take their place.
fn xlsx_cases(original: &[u8]) -> Vec<Case> {
    let e = |case: &str| match case {
        "empty file" | "not a workbook" | "truncated file" => Expect::WorkbookError {
            says: "not a readable .xlsx workbook",
        },
        "header only" => Expect::Kept(0),
        "huge field" | "non-numeric number" | "negative value" => one("bad_number", 5),
        // calamine names the sheet, not the cell.
        "corrupt number cell" => Expect::WorkbookError {
            says: "sheet `2-T`: Parse float error",
        },
        // Not detected: the country's figures are kept twice.
        "duplicated row" => Expect::Counts {
            kept: 4,
            dropped: 4,
        },
        "unknown code" => Expect::Rejects(vec![
            ("unknown_country_code", 5),
            ("unknown_country_code", 5),
        ]),
        c => panic!("{c}"),
    };
    let mut zip = ::zip::ZipArchive::new(std::io::Cursor::new(original)).unwrap();
    let parts: Vec<(String, Vec<u8>)> = (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index(i).unwrap();
            let mut b = Vec::new();
            std::io::Read::read_to_end(&mut f, &mut b).unwrap();
            (f.name().to_string(), b)
        })
        .collect();
    let with_sheet = |from: &str, to: &str| {
        let mut w = ::zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = ::zip::write::SimpleFileOptions::default()
            .compression_method(::zip::CompressionMethod::Deflated);
        for (name, b) in &parts {
            w.start_file(name.as_str(), opts).unwrap();
            let b = if name == "xl/worksheets/sheet1.xml" {
                let xml = String::from_utf8(b.clone()).unwrap();
                assert!(xml.contains(from), "{from}");
                xml.replacen(from, to, 1).into_bytes()
            } else {
                b.clone()
            };
            std::io::Write::write_all(&mut w, &b).unwrap();
        }
        w.finish().unwrap().into_inner()
    };
    let sheet = String::from_utf8(
        parts
            .iter()
            .find(|(n, _)| n == "xl/worksheets/sheet1.xml")
            .unwrap()
            .1
            .clone(),
    )
    .unwrap();
    let row5 = {
        let at = sheet.find("<row r=\"5\"").unwrap();
        let end = at + sheet[at..].find("</row>").unwrap() + 6;
        sheet[at..end].to_string()
    };
    let row6 = row5.replace("r=\"5\"", "r=\"6\"").replace("5\"", "6\"");
    vec![
        ("empty file", Vec::new(), e("empty file")),
        (
            "not a workbook",
            fixture("fixtures/labor/ru_form_2t_2018.csv"),
            e("not a workbook"),
        ),
        (
            "truncated file",
            original[..original.len() / 2].to_vec(),
            e("truncated file"),
        ),
        ("header only", with_sheet(&row5, ""), e("header only")),
        (
            "huge field",
            with_sheet(">34000<", &format!(">{}<", "9".repeat(HUGE))),
            e("huge field"),
        ),
        // A text cell where the number goes (what a typist leaves).
        (
            "non-numeric number",
            with_sheet(
                "<c r=\"D5\" t=\"n\"><v>34000</v></c>",
                "<c r=\"D5\" t=\"inlineStr\"><is><t>34000OOO</t></is></c>",
            ),
            e("non-numeric number"),
        ),
        // A number cell whose value is not a number (a damaged part).
        (
            "corrupt number cell",
            with_sheet("<v>34000</v>", "<v>34000OOO</v>"),
            e("corrupt number cell"),
        ),
        (
            "negative value",
            with_sheet("<v>34000</v>", "<v>-34000</v>"),
            e("negative value"),
        ),
        (
            "duplicated row",
            with_sheet(&row5, &format!("{row5}{row6}")),
            e("duplicated row"),
        ),
        (
            "unknown code",
            with_sheet(">408<", ">999<"),
            e("unknown code"),
        ),
    ]
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

/// The cases for one Comtrade v1 layout.
fn comtrade_cases(f: &Comtrade, original: &[u8]) -> Vec<(&'static str, Vec<u8>, Expect)> {
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
    let utf16 = utf16_le(&String::from_utf8_lossy(original));
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
            // The API CSV (and the Comtrade Plus web export) is read as
            // windows-1252 when it is not UTF-8: a description in other bytes
            // is text like any other, and no row is lost for it.
            Some(b',') => Expect::Kept(f.rows),
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

/// How the clean file's run accounted its rows.
fn account(report: &patronage_pipeline::RunReport) -> &patronage_pipeline::manifest::RowAccount {
    &report.sources[0].rows
}

/// Run one case; `None` when it meets its expectation, else why not.
fn run_case(
    f: &Format,
    base: &patronage_pipeline::manifest::RowAccount,
    case: &str,
    bytes: &[u8],
    expect: &Expect,
) -> Result<(), String> {
    let tmp = tempfile::tempdir().unwrap();
    let file = f.file;
    std::fs::write(tmp.path().join(file), bytes).unwrap();
    let pipeline = tmp.path().join("p.toml");
    std::fs::write(
        &pipeline,
        format!(
            "name = \"m\"\nfocus = \"PRK\"\n\n[[sources]]\nid = \"s\"\nformat = \"{}\"\npath = \"{file}\"\n{}",
            f.name, f.source
        ),
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
    if std::env::var_os("MATRIX_SHOW").is_some() {
        match &result {
            Err(e) => eprintln!(
                "{} / {case}: ERROR {}",
                f.name,
                e.to_string().chars().take(300).collect::<String>()
            ),
            Ok(r) => eprintln!(
                "{} / {case}: {:?} rejects {:?}",
                f.name,
                account(r),
                rejects(&out)
                    .iter()
                    .map(|(r, l, _)| (r.clone(), *l))
                    .collect::<Vec<_>>()
            ),
        }
    }
    let dup = u64::from(case.starts_with("duplicated"));
    match (expect, result) {
        (Expect::Error { line, says }, Err(e)) => {
            let msg = e.to_string();
            let at = format!("{file}:{line}:");
            (msg.contains(&at) && msg.contains(says))
                .then_some(())
                .ok_or(format!("error `{msg}`, expected `{at}` and `{says}`"))
        }
        (Expect::WorkbookError { says }, Err(e)) => {
            let msg = e.to_string();
            let at = format!("{file}: ");
            (msg.contains(&at) && msg.contains(says))
                .then_some(())
                .ok_or(format!("error `{msg}`, expected `{at}` and `{says}`"))
        }
        (Expect::Error { .. } | Expect::WorkbookError { .. }, Ok(_)) => {
            Err("the run finished".to_string())
        }
        (_, Err(e)) => Err(format!("error: {e}")),
        (Expect::Rejects(want), Ok(report)) => {
            let rows = account(&report);
            let got = rejects(&out);
            let pairs: Vec<(&str, u64)> = got.iter().map(|(r, l, _)| (r.as_str(), *l)).collect();
            if !rows.balances() {
                Err(format!("accounting does not balance: {rows:?}"))
            } else if pairs != *want {
                Err(format!("rejects {pairs:?}"))
            } else if got.iter().any(|(_, _, n)| *n > 1001) {
                Err("raw text not bounded".to_string())
            } else if rows.read != base.read + dup {
                Err(format!("rows {rows:?}, clean file {base:?}"))
            } else {
                Ok(())
            }
        }
        (Expect::RejectsRead(want, read), Ok(report)) => {
            let rows = account(&report);
            let got = rejects(&out);
            let pairs: Vec<(&str, u64)> = got.iter().map(|(r, l, _)| (r.as_str(), *l)).collect();
            (rows.balances() && pairs == *want && rows.read == *read)
                .then_some(())
                .ok_or(format!("rows {rows:?}, rejects {pairs:?}"))
        }
        (Expect::Counts { kept, dropped }, Ok(report)) => {
            let rows = account(&report);
            (rows.balances()
                && rows.rejected == 0
                && (rows.kept, rows.dropped_total()) == (*kept, *dropped))
                .then_some(())
                .ok_or(format!("rows {rows:?}"))
        }
        (Expect::Kept(n), Ok(report)) => {
            let rows = account(&report);
            (rows.balances() && rows.kept == *n && rows.rejected == 0)
                .then_some(())
                .ok_or(format!("rows {rows:?}"))
        }
        (Expect::Same, Ok(report)) => {
            let rows = account(&report);
            (rows.balances()
                && rows.rejected == 0
                && (rows.read, rows.kept, rows.dropped_total())
                    == (base.read + dup, base.kept + dup, base.dropped_total()))
                .then_some(())
                .ok_or(format!("rows {rows:?}, clean file {base:?}"))
        }
    }
}

/// Every format the pipeline registers has its cases here, so a new format cannot
/// skip them.
#[test]
fn matrix_covers_every_registered_format() {
    for format in patronage_pipeline::format_names() {
        assert!(
            FORMATS.iter().any(|f| f.name == format),
            "format `{format}` has no entry in FORMATS"
        );
    }
}

/// Run every case of every format, on two threads (each case is a whole run).
#[test]
fn every_format_meets_every_kind_of_bad_input() {
    let mut work = Vec::new();
    for f in FORMATS {
        let original = (f.original)();
        // The clean file first: it reads with no reject, and its accounting is what
        // a case that damages no row must give.
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join(f.file), &original).unwrap();
        let pipeline = tmp.path().join("p.toml");
        std::fs::write(
            &pipeline,
            format!(
                "name = \"m\"\nfocus = \"PRK\"\n\n[[sources]]\nid = \"s\"\nformat = \"{}\"\npath = \"{}\"\n{}",
                f.name, f.file, f.source
            ),
        )
        .unwrap();
        let report = run(
            &pipeline,
            &RunOptions {
                output: Some(tmp.path().join("out")),
                ..RunOptions::default()
            },
        )
        .unwrap_or_else(|e| panic!("{}: the clean file: {e}", f.name));
        let base = account(&report).clone();
        assert!(
            base.balances() && base.rejected == 0 && base.kept > 0,
            "{}: {base:?}",
            f.name
        );
        for (case, bytes, expect) in (f.cases)(&original) {
            work.push((f, base.clone(), case, bytes, expect));
        }
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some((f, base, case, bytes, expect)) = work.get(i) else {
                    break;
                };
                if let Err(why) = run_case(f, base, case, bytes, expect) {
                    failures
                        .lock()
                        .unwrap()
                        .push(format!("{} / {case}: {why} (expected {expect:?})", f.name));
                }
            });
        }
    });
    let mut failures = failures.into_inner().unwrap();
    failures.sort();
    assert!(
        failures.is_empty(),
        "{} of {} cases:\n{}",
        failures.len(),
        work.len(),
        failures.join("\n")
    );
    // 16 cases for each Comtrade v1 layout, 14 for each delimited table with a
    // date column, 13 without one, 14 for the FTS page and for the legacy API
    // response, 10 for the workbook.
    assert_eq!(work.len(), 3 * 16 + 8 * 14 + 2 * 13 + 14 + 14 + 10);
}
