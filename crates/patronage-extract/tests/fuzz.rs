//! Property tests of every reader: random bytes, token soup in the formats'
//! alphabets, and real samples (the project's fixtures and the published files in
//! `../shared/formats/`) damaged by random edits. Whatever the input, a reader
//! returns (never panics, never hangs: inputs are bounded in size) either an error
//! naming the file and a line inside it, or rows and rejects that balance:
//! `rows + rejects = rows read`, every reject with a reason, a line inside the
//! file and a bounded raw text.
//!
//! `cargo test` runs a few hundred cases per strategy (proptest's default, 256);
//! a longer run: `PROPTEST_CASES=20000 cargo test -p patronage-extract --test fuzz`.
//!
//! A new reader is one line in `READERS`.

use std::path::{Path, PathBuf};

use patronage_extract::comtrade_v1::{self, Layout};
use patronage_extract::delimited::{self, Dialect};
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

/// Every reader, by name. Add a reader here with one line.
const READERS: &[(&str, Reader)] = &[
    ("comtrade_v1_csv", |p, b| {
        summary(comtrade_v1::parse(p, b, Layout::ApiCsv))
    }),
    ("comtrade_v1_json", |p, b| {
        summary(comtrade_v1::parse(p, b, Layout::ApiJson))
    }),
    ("comtrade_v1_bulk", |p, b| {
        summary(comtrade_v1::parse(p, b, Layout::BulkTsv))
    }),
    ("delimited_comma", |p, b| delimited_digits(p, b, b',')),
    ("delimited_tab", |p, b| delimited_digits(p, b, b'\t')),
];

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
    let path = Path::new("case.bin");
    let lines = line_count(bytes);
    for (name, read) in READERS {
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
];

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
        let read = READERS.iter().find(|(n, _)| *n == name).unwrap().1;
        let s = read(Path::new(file), &std::fs::read(dir.join(file)).unwrap())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (s.rows, s.rejects.len(), s.rows_read),
            (rows, 0, rows as u64),
            "{name}"
        );
    }
}
