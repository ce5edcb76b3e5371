//! Property tests of every reader: random bytes, token soup in the formats'
//! alphabets, and real samples (the project's fixtures and the published files in
//! `../shared/formats/`) damaged by random edits. Whatever the input, a reader
//! returns (never panics, never hangs: inputs are bounded in size) either an error
//! naming the file and a line inside it, or rows and rejects that balance:
//! `rows + rejects = rows read`, every reject with a reason, a line inside the
//! file and a bounded raw text.
//!
//! `cargo test` runs a few hundred cases per strategy (proptest's default, 256);
//! a longer run: `PROPTEST_CASES=20000 cargo test -p patronage-pipeline --test it fuzz::`.
//!
//! A new reader is one line in `READERS`; every format the pipeline registers
//! must have one (named after the format, or `<format>_<variant>`).

use std::path::{Path, PathBuf};

use patronage_extract::comtrade_v1::{self, Layout};
use patronage_extract::delimited::{self, Dialect};
use patronage_extract::encoding::TextEncoding;
use patronage_extract::labor_sheet::{self, SheetLayout, SheetSpec};
use patronage_extract::{
    archive_ledger, baci, china_customs, comtrade_legacy, comtrade_legacy_json, estimates_ledger,
    events_file, grid, ocha_fts, oecd_crs, published_totals, russia_customs,
};
use patronage_extract::{ExtractError, Extracted, RowReject};
use proptest::prelude::*;
use proptest::sample::Index;

/// What every reader's result is reduced to.
struct Summary {
    rows: usize,
    rejects: Vec<RowReject>,
    rows_read: u64,
}

/// A reader under test: file name (for messages) and bytes.
type Reader = fn(&Path, &[u8]) -> Result<Summary, ExtractError>;

fn summary<T>(r: Result<Extracted<T>, ExtractError>) -> Result<Summary, ExtractError> {
    r.map(|x| Summary {
        rows: x.rows.len(),
        rejects: x.rejects,
        rows_read: x.rows_read,
    })
}

/// A code list read whole (no rejects: a bad line is an error).
fn list<T>(r: Result<Vec<T>, ExtractError>) -> Result<Summary, ExtractError> {
    r.map(|v| Summary {
        rows: v.len(),
        rejects: Vec::new(),
        rows_read: v.len() as u64,
    })
}

/// BACI's streaming reader, in blocks, reduced to one summary.
fn baci_stream(path: &Path, bytes: &[u8]) -> Result<Summary, ExtractError> {
    let mut s = Summary {
        rows: 0,
        rejects: Vec::new(),
        rows_read: 0,
    };
    s.rows_read = baci::stream(path, bytes, |x| {
        s.rows += x.rows.len();
        s.rejects.extend(x.rejects);
    })?;
    Ok(s)
}

/// The sheet layouts as the default pipeline declares them (header on rows 3-4).
fn sheet_spec(layout: SheetLayout, sheet: &str) -> SheetSpec {
    SheetSpec {
        layout,
        sheet: Some(sheet.to_string()),
        header_row: 3,
        header_rows: 2,
        year: (layout == SheetLayout::Form2T).then_some(2018),
    }
}

/// A labor sheet saved as CSV, through the grid and the sheet reader.
fn labor_csv(path: &Path, bytes: &[u8], layout: SheetLayout) -> Result<Summary, ExtractError> {
    let g = grid::from_delimited(path, bytes, Dialect::saved_sheet(b','))?;
    summary(labor_sheet::read(path, &g, &sheet_spec(layout, "2-T")))
}

/// A labor workbook (`.xlsx`, a zip of XML parts), through calamine and the sheet reader.
fn labor_xlsx(path: &Path, bytes: &[u8], layout: SheetLayout) -> Result<Summary, ExtractError> {
    let sheet = match layout {
        SheetLayout::Form2T => "2-T",
        SheetLayout::PermitsByCitizenship => "permits",
    };
    let g = grid::from_xlsx(path, bytes.to_vec(), sheet)?;
    summary(labor_sheet::read(path, &g, &sheet_spec(layout, sheet)))
}

/// The shared delimited reader alone, with a parse that keeps every row whose
/// fields are all digits and rejects the others (so both paths run).
fn delimited_digits(path: &Path, bytes: &[u8], delimiter: u8) -> Result<Summary, ExtractError> {
    summary(delimited::read(
        path,
        bytes,
        Dialect::new(delimiter),
        |h| Ok(h.names.len()),
        |n, row| {
            assert_eq!(
                row.fields.len(),
                *n,
                "a row reaches parse with the header's width"
            );
            if row
                .fields
                .iter()
                .all(|f| f.bytes().all(|b| b.is_ascii_digit()))
            {
                Ok(())
            } else {
                Err(RowReject::new(
                    row.line,
                    "not_digits",
                    "a field is not digits",
                    &row.raw(delimiter),
                ))
            }
        },
    ))
}

/// How a reader numbers the places it reports.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lines {
    /// Lines of the text (a reject's or error's line lies inside the file).
    Text,
    /// Rows of a workbook's sheet (unrelated to the zip's bytes).
    Sheet,
}

/// Every reader, by name. Add a reader here with one line.
const READERS: &[(&str, Reader, Lines)] = &[
    (
        "comtrade_v1_csv",
        |p, b| summary(comtrade_v1::parse(p, b, Layout::ApiCsv)),
        Lines::Text,
    ),
    (
        "comtrade_v1_csv_1252",
        |p, b| {
            summary(comtrade_v1::parse_encoded(
                p,
                b,
                Layout::ApiCsv,
                Some(TextEncoding::Windows1252),
            ))
        },
        Lines::Text,
    ),
    (
        "comtrade_v1_json",
        |p, b| summary(comtrade_v1::parse(p, b, Layout::ApiJson)),
        Lines::Text,
    ),
    (
        "comtrade_v1_bulk",
        |p, b| summary(comtrade_v1::parse(p, b, Layout::BulkTsv)),
        Lines::Text,
    ),
    (
        "delimited_comma",
        |p, b| delimited_digits(p, b, b','),
        Lines::Text,
    ),
    (
        "delimited_tab",
        |p, b| delimited_digits(p, b, b'\t'),
        Lines::Text,
    ),
    (
        "comtrade_legacy",
        |p, b| summary(comtrade_legacy::parse(p, b)),
        Lines::Text,
    ),
    (
        "comtrade_legacy_json",
        |p, b| summary(comtrade_legacy_json::parse(p, b)),
        Lines::Text,
    ),
    ("baci", |p, b| summary(baci::parse(p, b)), Lines::Text),
    ("baci_stream", baci_stream, Lines::Text),
    (
        "baci_country_codes",
        |p, b| list(baci::read_country_codes(p, b)),
        Lines::Text,
    ),
    (
        "russia_customs_utf8",
        |p, b| summary(russia_customs::parse(p, b, TextEncoding::Utf8)),
        Lines::Text,
    ),
    (
        "russia_customs_1251",
        |p, b| summary(russia_customs::parse(p, b, TextEncoding::Windows1251)),
        Lines::Text,
    ),
    (
        "china_customs_utf8",
        |p, b| summary(china_customs::parse(p, b, TextEncoding::Utf8)),
        Lines::Text,
    ),
    (
        "china_customs_gb18030",
        |p, b| summary(china_customs::parse(p, b, TextEncoding::Gb18030)),
        Lines::Text,
    ),
    (
        "china_partner_codes_utf8",
        |p, b| list(china_customs::read_partner_codes(p, b, TextEncoding::Utf8)),
        Lines::Text,
    ),
    (
        "china_partner_codes_gb18030",
        |p, b| {
            list(china_customs::read_partner_codes(
                p,
                b,
                TextEncoding::Gb18030,
            ))
        },
        Lines::Text,
    ),
    (
        "ocha_fts_page",
        |p, b| summary(ocha_fts::parse_page(p, b).map(|pg| pg.flows)),
        Lines::Text,
    ),
    (
        "oecd_crs",
        |p, b| summary(oecd_crs::parse(p, b)),
        Lines::Text,
    ),
    (
        "archive_ledger",
        |p, b| summary(archive_ledger::parse(p, b)),
        Lines::Text,
    ),
    (
        "labor_sheet_csv_form_2t",
        |p, b| labor_csv(p, b, SheetLayout::Form2T),
        Lines::Text,
    ),
    (
        "labor_sheet_csv_permits",
        |p, b| labor_csv(p, b, SheetLayout::PermitsByCitizenship),
        Lines::Text,
    ),
    (
        "labor_sheet_xlsx_form_2t",
        |p, b| labor_xlsx(p, b, SheetLayout::Form2T),
        Lines::Sheet,
    ),
    (
        "labor_sheet_xlsx_permits",
        |p, b| labor_xlsx(p, b, SheetLayout::PermitsByCitizenship),
        Lines::Sheet,
    ),
    (
        "labor_ledger_csv",
        |p, b| summary(estimates_ledger::parse(p, b)),
        Lines::Text,
    ),
    (
        "events_csv",
        |p, b| summary(events_file::parse(p, b)),
        Lines::Text,
    ),
    (
        "published_totals",
        |p, b| summary(published_totals::parse(p, b)),
        Lines::Text,
    ),
];

/// Every format the pipeline registers has a reader here, so a new format cannot
/// skip the fuzzing.
#[test]
fn readers_cover_every_registered_format() {
    for format in patronage_pipeline::format_names() {
        assert!(
            READERS.iter().any(|(name, _, _)| *name == format
                || name
                    .strip_prefix(format)
                    .is_some_and(|v| v.starts_with('_'))),
            "format `{format}` has no reader in READERS"
        );
    }
}

/// Largest seed kept (longer samples are cut): keeps every case fast.
const SEED_BYTES: usize = 32 << 10;

/// Real samples: every file under fixtures/ and ../shared/formats/ (when present).
fn seeds() -> &'static [(String, Vec<u8>)] {
    static SEEDS: std::sync::OnceLock<Vec<(String, Vec<u8>)>> = std::sync::OnceLock::new();
    SEEDS.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut files = Vec::new();
        for dir in [root.join("fixtures"), root.join("../shared/formats")] {
            walk(&dir, &mut files);
        }
        files.sort();
        let seeds: Vec<(String, Vec<u8>)> = files
            .into_iter()
            .filter(|p| p.extension().is_none_or(|e| e != "md"))
            .filter_map(|p| {
                let mut b = std::fs::read(&p).ok()?;
                b.truncate(SEED_BYTES);
                Some((p.file_name()?.to_string_lossy().into_owned(), b))
            })
            .collect();
        assert!(
            seeds.len() >= 6,
            "fixtures not found under {}",
            root.display()
        );
        seeds
    })
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Lines in `bytes` as a reader counts them (LF, CR LF or a lone CR end a line).
fn line_count(bytes: &[u8]) -> u64 {
    1 + bytes
        .iter()
        .filter(|b| **b == b'\n' || **b == b'\r')
        .count() as u64
}

/// Run every reader on `bytes` and check the contract.
fn check_all(bytes: &[u8]) {
    check_readers(bytes, |_| true);
}

/// Run the readers `wanted` picks on `bytes` and check the contract.
fn check_readers(bytes: &[u8], wanted: impl Fn(Lines) -> bool) {
    let path = Path::new("case.bin");
    let lines = line_count(bytes);
    for (name, read, numbering) in READERS.iter().filter(|r| wanted(r.2)) {
        // A workbook's rows are not the zip's lines: any row number will do.
        let lines = if *numbering == Lines::Sheet {
            u64::MAX
        } else {
            lines
        };
        match read(path, bytes) {
            Ok(s) => {
                assert_eq!(
                    s.rows + s.rejects.len(),
                    s.rows_read as usize,
                    "{name}: rows + rejects != rows read"
                );
                for r in &s.rejects {
                    assert!(
                        !r.reason.is_empty() && !r.detail.is_empty(),
                        "{name}: {r:?}"
                    );
                    assert!(
                        r.line >= 1 && r.line <= lines,
                        "{name}: line {} of {lines}",
                        r.line
                    );
                    assert!(r.raw.chars().count() <= patronage_core::RAW_TEXT_LIMIT + 1);
                }
            }
            Err(e) => {
                let msg = e.to_string();
                assert!(msg.starts_with("case.bin"), "{name}: {msg}");
                let line = match &e {
                    ExtractError::Layout { line, .. } | ExtractError::Syntax { line, .. } => *line,
                    ExtractError::Io { .. } => panic!("{name}: an I/O error from bytes in memory"),
                    // Readers of bytes in memory open no archive.
                    ExtractError::Archive { .. } => {
                        panic!("{name}: an archive error from bytes in memory")
                    }
                    // A workbook error names the sheet and cells, not a line.
                    ExtractError::Workbook { .. } => 1,
                };
                assert!(
                    line >= 1 && line <= lines,
                    "{name}: line {line} of {lines}: {msg}"
                );
            }
        }
    }
}

/// Bytes that matter to these formats, and some that do not belong.
const INTERESTING: &[u8] = b",\t\n\r\"{}[]:-.0123456789eE \\\x00\xEF\xBB\xBF\xFF\xFE\xC3";

/// One random edit of a seed.
#[derive(Debug, Clone)]
enum Edit {
    Set(Index, u8),
    Insert(Index, u8),
    Remove(Index),
    Truncate(Index),
    DoubleLine(Index),
    DropLine(Index),
    /// A long run of one byte (a huge field, a long number).
    Run(Index, u8, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let byte = prop_oneof![prop::sample::select(INTERESTING), any::<u8>()];
    prop_oneof![
        (any::<Index>(), byte.clone()).prop_map(|(i, b)| Edit::Set(i, b)),
        (any::<Index>(), byte.clone()).prop_map(|(i, b)| Edit::Insert(i, b)),
        any::<Index>().prop_map(Edit::Remove),
        any::<Index>().prop_map(Edit::Truncate),
        any::<Index>().prop_map(Edit::DoubleLine),
        any::<Index>().prop_map(Edit::DropLine),
        (any::<Index>(), byte, 1usize..20_000).prop_map(|(i, b, n)| Edit::Run(i, b, n)),
    ]
}

fn line_bounds(b: &[u8], at: usize) -> (usize, usize) {
    let start = b[..at]
        .iter()
        .rposition(|c| *c == b'\n')
        .map_or(0, |p| p + 1);
    let end = b[at..]
        .iter()
        .position(|c| *c == b'\n')
        .map_or(b.len(), |p| at + p + 1);
    (start, end)
}

fn apply(mut b: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        let at = |i: &Index| if b.is_empty() { 0 } else { i.index(b.len()) };
        match e {
            Edit::Set(i, x) if !b.is_empty() => {
                let p = at(i);
                b[p] = *x;
            }
            Edit::Insert(i, x) => {
                let p = at(i);
                b.insert(p, *x);
            }
            Edit::Remove(i) if !b.is_empty() => {
                let p = at(i);
                b.remove(p);
            }
            Edit::Truncate(i) => {
                let p = at(i);
                b.truncate(p);
            }
            Edit::DoubleLine(i) => {
                let (s, e) = line_bounds(&b, at(i));
                let line = b[s..e].to_vec();
                b.splice(e..e, line);
            }
            Edit::DropLine(i) => {
                let (s, e) = line_bounds(&b, at(i));
                b.drain(s..e);
            }
            Edit::Run(i, x, n) => {
                let p = at(i);
                b.splice(p..p, std::iter::repeat_n(*x, *n));
            }
            _ => {}
        }
    }
    b
}

/// Pieces of the formats: delimiters, line ends, quotes, JSON punctuation, numbers,
/// names of real columns, encodings' marks.
const TOKENS: &[&str] = &[
    ",",
    "\t",
    "\n",
    "\r\n",
    "\r",
    "\"",
    "\"\"",
    "{",
    "}",
    "[",
    "]",
    ":",
    "null",
    "true",
    "-1",
    "0",
    "52",
    "408",
    "643",
    "810",
    "156",
    "1e309",
    "-0.5",
    "3.5E9",
    "NaN",
    "",
    "\u{feff}",
    "\u{0}",
    "é",
    "\u{fffd}",
    "typeCode",
    "refYear",
    "refMonth",
    "primaryValue",
    "reporterCode",
    "partnerCode",
    "flowCode",
    "cmdCode",
    "TOTAL",
    "X",
    "M",
    "C00",
    "\"data\"",
    "\"count\"",
    "\"error\"",
    "datasetCode",
    "CIFValue",
    // The other formats' delimiters, columns and values.
    "|",
    ";",
    "NAPR",
    "PERIOD",
    "STRANA",
    "STOIM",
    "ЭК",
    "ИМ",
    "KP",
    "\"Trading partner code\"",
    "\"US dollar\"",
    "\"1,720,000,000\"",
    "109",
    "Trade Value (US$)",
    "Reporter Code",
    "Partner Code",
    "Year",
    "t,i,j,k,v,q",
    "2017",
    "1953-09",
    "2019-13",
    "USD_Disbursement",
    "DonorCode",
    "RecipientCode",
    "740",
    "amount",
    "stage",
    "committed",
    "delivered",
    "SUN",
    "PRK",
    "RUS",
    "workers_present",
    "about 8,000",
    "more than 20,000",
    "на начало периода",
    "…",
    "КНДР",
    "\"flows\"",
    "\"meta\"",
    "\"nextLink\"",
    "\"amountUSD\"",
    "\"sourceObjects\"",
    // The legacy API's JSON.
    "\"validation\"",
    "\"status\"",
    "\"dataset\"",
    "\"value\"",
    "rtCode",
    "ptCode",
    "rgCode",
    "TradeValue",
    "\"yr\"",
];

/// A JSON sample: its name, its bytes, and the same document on one line.
type JsonSeed = (String, Vec<u8>, Vec<u8>);

/// The JSON samples (those of the seeds that parse whole as JSON), each with
/// its copy saved on one line, as an API gives it (minified).
fn json_seeds() -> &'static [JsonSeed] {
    static SEEDS: std::sync::OnceLock<Vec<JsonSeed>> = std::sync::OnceLock::new();
    SEEDS.get_or_init(|| {
        let json: Vec<JsonSeed> = seeds()
            .iter()
            .filter_map(|(name, bytes)| {
                let v: serde_json::Value = serde_json::from_slice(text_without_bom(bytes)).ok()?;
                let minified = serde_json::to_string(&v).ok()?.into_bytes();
                Some((name.clone(), bytes.clone(), minified))
            })
            .collect();
        assert!(json.len() >= 4, "the JSON samples are missing");
        json
    })
}

fn text_without_bom(b: &[u8]) -> &[u8] {
    b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b)
}

/// What a reader made of a file, compared between two copies of it.
fn outcome(r: Result<Summary, ExtractError>) -> Result<(usize, u64, Vec<&'static str>), ()> {
    r.map(|s| {
        (
            s.rows,
            s.rows_read,
            s.rejects.iter().map(|r| r.reason).collect(),
        )
    })
    .map_err(|_| ())
}

/// The readers of JSON formats.
const JSON_READERS: &[&str] = &["comtrade_v1_json", "comtrade_legacy_json", "ocha_fts_page"];

/// Every JSON sample saved on one line reads as the pretty-printed original:
/// the same rows, rejects and counts from every JSON reader, and the Comtrade
/// readers' rejects each at its own place on the one line. (The other readers
/// meet minified JSON in `mutated_minified_json`.)
#[test]
fn minified_json_reads_as_its_pretty_original() {
    let path = Path::new("case.json");
    let mut rows = 0;
    for (name, pretty, minified) in json_seeds() {
        for (reader, read, _) in READERS {
            if !JSON_READERS.contains(reader) {
                continue;
            }
            let a = read(path, pretty);
            let b = read(path, minified);
            if let Ok(s) = &b {
                rows += s.rows;
                if reader.starts_with("comtrade") {
                    let mut at: Vec<(u64, u64)> =
                        s.rejects.iter().map(|r| (r.line, r.column)).collect();
                    at.sort_unstable();
                    at.dedup();
                    assert_eq!(at.len(), s.rejects.len(), "{reader} on {name}: {at:?}");
                }
            }
            assert_eq!(outcome(a), outcome(b), "{reader} on {name}");
        }
    }
    // KOTRA's 8 records, the legacy response's 4, Comtrade's recorded response's
    // 4, the FTS fixture's flows: the comparison is not of empty results.
    assert!(rows >= 16, "{rows} rows compared");
}

/// Letters a windows-1252 description may hold (Latin-1's upper half, ASCII
/// letters and spaces), never a delimiter, quote or line end.
fn latin1_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            (0xA0u32..=0xFF).prop_map(|c| char::from_u32(c).unwrap()),
            prop::sample::select(vec!['a', 'Z', ' ', '\'', '.', '-']),
        ],
        0..40,
    )
    .prop_map(|v| v.into_iter().collect())
}

/// `text` as windows-1252 bytes (Latin-1's upper half is the same there).
fn latin1_bytes(text: &str) -> Vec<u8> {
    text.chars().map(|c| c as u32 as u8).collect()
}

/// A delimited fixture with every description field (its header names listed
/// in `descriptions`) replaced by `names`, in turn, written as windows-1252.
fn with_descriptions(original: &str, descriptions: &[&str], names: &[String]) -> Vec<u8> {
    let mut lines = original.lines();
    let header = lines.next().unwrap();
    let columns: Vec<usize> = header
        .split(',')
        .enumerate()
        .filter(|(_, h)| descriptions.contains(h))
        .map(|(i, _)| i)
        .collect();
    let mut out = latin1_bytes(header);
    out.push(b'\n');
    let mut next = names.iter().cycle();
    for line in lines.filter(|l| !l.is_empty()) {
        let fields: Vec<Vec<u8>> = line
            .split(',')
            .enumerate()
            .map(|(i, f)| {
                if columns.contains(&i) {
                    latin1_bytes(next.next().map_or("", String::as_str))
                } else {
                    f.as_bytes().to_vec()
                }
            })
            .collect();
        out.extend(fields.join(&b',').into_iter().chain([b',', b'\n']));
    }
    out
}

/// A workbook's parts: (name in the zip, bytes).
type Parts = Vec<(String, Vec<u8>)>;

/// The parts (XML files) of the project's `.xlsx` samples, by workbook.
fn workbooks() -> &'static [Parts] {
    static BOOKS: std::sync::OnceLock<Vec<Parts>> = std::sync::OnceLock::new();
    BOOKS.get_or_init(|| {
        let books: Vec<Parts> = seeds()
            .iter()
            .filter(|(name, _)| name.ends_with(".xlsx"))
            .map(|(_, bytes)| {
                let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
                (0..zip.len())
                    .map(|i| {
                        let mut f = zip.by_index(i).unwrap();
                        let mut part = Vec::new();
                        std::io::Read::read_to_end(&mut f, &mut part).unwrap();
                        (f.name().to_string(), part)
                    })
                    .collect()
            })
            .collect();
        assert!(books.len() >= 2, "the .xlsx samples are missing");
        books
    })
}

/// A workbook zipped again from `parts`.
fn zip_parts(parts: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in parts {
        w.start_file(name.as_str(), opts).unwrap();
        std::io::Write::write_all(&mut w, bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        check_all(&bytes);
    }

    #[test]
    fn token_soup(tokens in prop::collection::vec(prop::sample::select(TOKENS), 0..400)) {
        check_all(tokens.concat().as_bytes());
    }

    #[test]
    fn mutated_real_samples(seed in any::<Index>(), edits in prop::collection::vec(edit(), 1..8)) {
        let seeds = seeds();
        let (_, original) = &seeds[seed.index(seeds.len())];
        check_all(&apply(original.clone(), &edits));
    }

    /// A real workbook with one of its XML parts damaged and zipped again
    /// (damage to the zip itself mostly stops at the zip's checksums; this reaches
    /// calamine's XML and the sheet reader).
    #[test]
    fn mutated_workbook_parts(
        book in any::<Index>(),
        part in any::<Index>(),
        edits in prop::collection::vec(edit(), 1..8),
    ) {
        let books = workbooks();
        let mut parts = books[book.index(books.len())].clone();
        // Half the cases damage a worksheet, the others any part.
        let sheets: Vec<usize> = (0..parts.len())
            .filter(|i| parts[*i].0.starts_with("xl/worksheets/"))
            .collect();
        let i = if part.index(2) == 0 {
            sheets[part.index(sheets.len())]
        } else {
            part.index(parts.len())
        };
        parts[i].1 = apply(std::mem::take(&mut parts[i].1), &edits);
        check_readers(&zip_parts(&parts), |l| l == Lines::Sheet);
    }

    /// A real workbook's bytes damaged as they are (the zip's own structure).
    #[test]
    fn mutated_workbook_bytes(book in any::<Index>(), edits in prop::collection::vec(edit(), 1..8)) {
        let books: Vec<&Vec<u8>> = seeds()
            .iter()
            .filter(|(name, _)| name.ends_with(".xlsx"))
            .map(|(_, b)| b)
            .collect();
        check_readers(&apply(books[book.index(books.len())].clone(), &edits), |l| l == Lines::Sheet);
    }

    /// A JSON sample saved on one line (minified, as an API gives it), damaged.
    #[test]
    fn mutated_minified_json(seed in any::<Index>(), edits in prop::collection::vec(edit(), 0..8)) {
        let seeds = json_seeds();
        let (_, _, minified) = &seeds[seed.index(seeds.len())];
        check_all(&apply(minified.clone(), &edits));
    }

    /// Comtrade CSVs whose description columns hold any Latin-1 text in
    /// windows-1252 bytes (as the Comtrade Plus website exports them, with a
    /// trailing comma): every row is read as from the UTF-8 original, none
    /// rejected for a column the tables do not use.
    #[test]
    fn latin1_descriptions_never_cost_a_row(names in prop::collection::vec(latin1_text(), 1..12)) {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
        for (reader, file, descriptions) in [
            (
                "comtrade_v1_csv",
                "comtrade/chn_prk_gacc_annual.csv",
                &["reporterDesc", "flowDesc", "partnerDesc", "partner2Desc", "cmdDesc", "customsDesc", "motDesc"][..],
            ),
            (
                "comtrade_legacy",
                "comtrade_legacy/rus_prk_2011_download.csv",
                &["Trade Flow", "Reporter", "Partner", "Commodity", "Qty Unit"][..],
            ),
        ] {
            let original = std::fs::read_to_string(root.join(file)).unwrap();
            let read = READERS.iter().find(|(n, _, _)| *n == reader).unwrap().1;
            let clean = read(Path::new(file), original.as_bytes()).unwrap();
            let latin = with_descriptions(&original, descriptions, &names);
            let got = read(Path::new(file), &latin).unwrap_or_else(|e| panic!("{reader}: {e}"));
            prop_assert_eq!(
                (got.rows, got.rows_read, got.rejects.len()),
                (clean.rows, clean.rows_read, 0),
                "{}: {:?}", reader, got.rejects
            );
        }
    }

    /// A real sample's header with random rows of the formats' tokens below it:
    /// reaches the row parsers more often than random bytes do.
    #[test]
    fn real_header_random_rows(
        seed in any::<Index>(),
        rows in prop::collection::vec(prop::collection::vec(prop::sample::select(TOKENS), 0..60), 0..20),
    ) {
        let seeds = seeds();
        let (_, original) = &seeds[seed.index(seeds.len())];
        let header_end = original.iter().position(|b| *b == b'\n').map_or(original.len(), |p| p + 1);
        let mut bytes = original[..header_end].to_vec();
        for r in rows {
            bytes.extend_from_slice(r.concat().as_bytes());
            bytes.push(b'\n');
        }
        check_all(&bytes);
    }
}

#[test]
fn every_reader_reads_its_own_sample() {
    // The table is wired to the right readers: each Comtrade layout reads its
    // fixture with no reject (6 rows in the Russian files, 8 in KOTRA's).
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/comtrade");
    for (name, file, rows) in [
        ("comtrade_v1_csv", "rus_prk_russia_reported_annual.csv", 6),
        ("comtrade_v1_json", "prk_kotra_mirror_annual.json", 8),
        ("comtrade_v1_bulk", "rus_prk_itc_annual.tsv", 6),
    ] {
        let read = READERS.iter().find(|(n, _, _)| *n == name).unwrap().1;
        let s = read(Path::new(file), &std::fs::read(dir.join(file)).unwrap())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (s.rows, s.rejects.len(), s.rows_read),
            (rows, 0, rows as u64),
            "{name}"
        );
    }
    // And every other reader reads its own fixture, rows counted in the files:
    // data lines (the GACC download is one partner line; the first FTS page holds
    // one flow, its second page the next; the code lists' lines below their header:
    // 238 BACI countries, 243 GACC partners), figure cells for the sheets (form 2-T: one country, four figure
    // columns; the permits sheet: one citizenship, two years).
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    for (name, file, rows, rejects) in [
        (
            "comtrade_legacy",
            "comtrade_legacy/rus_prk_2011_download.csv",
            2,
            0,
        ),
        // Four records: two DPRK rows, two World rows (dropped later, by the
        // normalizer, not the reader).
        (
            "comtrade_legacy_json",
            "comtrade_legacy/rus_prk_2011_api.json",
            4,
            0,
        ),
        // The Comtrade Plus web export, windows-1252: six rows, none rejected.
        (
            "comtrade_v1_csv",
            "comtrade/TradeData_SYNTHETIC_civ_tur_rus_prk.csv",
            6,
            0,
        ),
        (
            "comtrade_v1_csv_1252",
            "comtrade/TradeData_SYNTHETIC_civ_tur_rus_prk.csv",
            6,
            0,
        ),
        (
            "russia_customs_utf8",
            "russia_customs/rus_prk_2017.csv",
            2,
            0,
        ),
        (
            "china_customs_utf8",
            "china_customs/chn_prk_2017_import.csv",
            1,
            0,
        ),
        ("archive_ledger", "aid/ledger/dprk_aid_ledger.csv", 30, 0),
        ("oecd_crs", "aid/oecd_crs/crs_prk_2019_sample.txt", 4, 0),
        (
            "ocha_fts_page",
            "aid/ocha_fts/prk_2000/flow-prk-2000.json",
            1,
            0,
        ),
        ("labor_ledger_csv", "labor/dprk_estimates_ledger.csv", 8, 0),
        ("events_csv", "events/dprk_russia_timeline.csv", 7, 0),
        ("published_totals", "published_totals/jetro.csv", 4, 0),
        ("labor_sheet_csv_form_2t", "labor/ru_form_2t_2018.csv", 4, 0),
        ("labor_sheet_csv_permits", "labor/ru_mvd_permits.csv", 2, 0),
        (
            "labor_sheet_xlsx_form_2t",
            "labor/ru_labor_sheets.xlsx",
            4,
            0,
        ),
        (
            "labor_sheet_xlsx_permits",
            "labor/ru_labor_sheets.xlsx",
            2,
            0,
        ),
        (
            "baci_country_codes",
            "../../shared/formats/baci/baci_country_codes_V202201.csv",
            238,
            0,
        ),
        (
            "china_partner_codes_gb18030",
            "../../shared/formats/gacc/gacc_partners_en-TradingPartner.csv",
            243,
            0,
        ),
    ] {
        let path = dir.join(file);
        // The published code lists live in ../shared/formats beside the checkout,
        // not in the repository: skipped where absent, except under CI.
        if file.starts_with("../../shared/") && !path.is_file() {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI must provide {}",
                path.display()
            );
            eprintln!("skipped {name}: {} is not here", path.display());
            continue;
        }
        let read = READERS.iter().find(|(n, _, _)| *n == name).unwrap().1;
        let s = read(Path::new(file), &std::fs::read(&path).unwrap())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            (s.rows, s.rejects.len(), s.rows_read),
            (rows, rejects, (rows + rejects) as u64),
            "{name}"
        );
    }
}

#[test]
fn hostile_workbooks_are_errors_naming_the_part() {
    // The fuzzer's finding, and its relatives: the real workbook with one cell
    // reference past Excel's last row (calamine's u32 row overflowed: a panic),
    // with a cell at XFD1048576 (calamine would allocate the 17 billion cells
    // between it and A1) and with a shared-string count of 10^14 (calamine would
    // reserve memory for them). Each is an error naming the part, never a crash.
    let book = workbooks()[0].clone();
    let sheet = book
        .iter()
        .position(|(n, _)| n == "xl/worksheets/sheet1.xml")
        .unwrap();
    let with_sheet = |from: &str, to: &str| {
        let mut parts = book.clone();
        let xml = String::from_utf8(parts[sheet].1.clone()).unwrap();
        assert!(xml.contains(from), "{from}");
        parts[sheet].1 = xml.replacen(from, to, 1).into_bytes();
        parts
    };
    let mut strings = book.clone();
    strings.push((
        "xl/sharedStrings.xml".to_string(),
        br#"<sst count="1" uniqueCount="99999999999999"><si><t>a</t></si></sst>"#.to_vec(),
    ));
    for (parts, says) in [
        (
            with_sheet("r=\"A1\"", "r=\"A11111111111\""),
            "part `xl/worksheets/sheet1.xml`: cell reference `A11111111111` is beyond",
        ),
        (
            with_sheet("r=\"A1\"", "r=\"XFD1048576\""),
            // Row 1's one cell moved away: the others start on row 2.
            "part `xl/worksheets/sheet1.xml`: cells span rows 2-1048576 and 16384 columns",
        ),
        (
            strings,
            "part `xl/sharedStrings.xml`: uniqueCount=\"99999999999999\"",
        ),
    ] {
        let bytes = zip_parts(&parts);
        for (name, read, _) in READERS.iter().filter(|r| r.2 == Lines::Sheet) {
            match read(Path::new("book.xlsx"), &bytes) {
                Err(e @ ExtractError::Workbook { .. }) => {
                    let msg = e.to_string();
                    assert!(
                        msg.starts_with("book.xlsx: ") && msg.contains(says),
                        "{name}: {msg}"
                    );
                }
                Err(e) => panic!("{name}: {e}"),
                Ok(_) => panic!("{name}: read"),
            }
        }
    }
}
