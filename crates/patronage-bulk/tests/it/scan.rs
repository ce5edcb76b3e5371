//! The one-pass scanner, mapped input and overlapped hashing against the reader
//! they replaced (`fold_read_reference`): the same accounting, totals and
//! rejects (line, column, reason, raw text) and the same SHA-256, on the real
//! Comtrade bulk sample, the repository's fixture in that layout and SYNTHETIC
//! files with quotes, CRLF, blank lines, bad rows, a BOM and no final line feed,
//! cut into windows and chunks at every position, on 1, 2 and 3 threads, mapped
//! and through a pipe. No timings.

use std::path::{Path, PathBuf};

use patronage_bulk::fold_windows::Cut;
use patronage_bulk::input::Source;
use patronage_bulk::mirror_all::{
    fold_file, fold_file_with, fold_read, fold_read_reference, fold_read_with, BulkFormat,
    BulkInput, Folded,
};
use patronage_bulk::synth;
use patronage_core::CountryRegistry;

fn input(format: BulkFormat, path: &Path) -> BulkInput {
    BulkInput {
        format,
        path: path.to_path_buf(),
    }
}

/// Asserts two folds of one input are the same in every respect.
fn same(got: &Folded, want: &Folded, what: &str) {
    assert_eq!(got.account, want.account, "{what}");
    assert_eq!(got.totals, want.totals, "{what}");
    assert_eq!(got.rejects, want.rejects, "{what}");
}

/// The reference fold of a file's bytes.
fn reference(input: &BulkInput) -> Folded {
    let bytes = std::fs::read(&input.path).unwrap();
    fold_read_reference(input, &bytes[..], CountryRegistry::comtrade(), true).unwrap()
}

/// The real samples folder `../shared/formats/<sub>` beside the checkout, or
/// None (said on stderr) when absent; under CI its absence is a failure.
fn samples(sub: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/formats")
        .join(sub);
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI must provide {}",
        dir.display()
    );
    eprintln!("skipped: {} is not here", dir.display());
    None
}

#[test]
fn real_bulk_layouts_fold_as_the_reference_reader_does() {
    let registry = CountryRegistry::comtrade();
    let mut files = vec![Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/comtrade/rus_prk_itc_annual.tsv")];
    if let Some(dir) = samples("comtrade") {
        files.push(dir.join("comtrade_v1_bulk_final_sample_BGR_2023_H6.tsv"));
    }
    for path in files {
        let i = input(BulkFormat::ComtradeV1Bulk, &path);
        let want = reference(&i);
        // Every data line of both files is a row: the read count is the line
        // count less the header (`wc -l`; both end with a line feed).
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(want.account.read, text.lines().count() as u64 - 1);
        same(&fold_file(&i, registry, true).unwrap(), &want, "mapped");
        let bytes = std::fs::read(&path).unwrap();
        same(
            &fold_read(&i, &bytes[..], registry, true).unwrap(),
            &want,
            "read",
        );
        let small = Cut {
            chunk_bytes: 1000,
            window_bytes: 5000,
        };
        same(
            &fold_file_with(&i, registry, true, small).unwrap(),
            &want,
            "small cut",
        );
    }
}

/// A SYNTHETIC BACI file with every case the scanner must pass to the same
/// result: a BOM, CRLF and LF lines, blank lines (LF and CRLF), a quoted row
/// (the general parser's path), a trailing delimiter, bad rows (short, a value
/// that is not a number, a code unknown in its year) and no final line feed.
fn messy_baci(dir: &Path) -> PathBuf {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    synth::write_baci(&mut bytes, 12, 3, 2020).unwrap();
    let text = String::from_utf8(bytes).unwrap();
    let mut out = String::new();
    for (n, line) in text.lines().enumerate() {
        out.push_str(line);
        out.push_str(if n % 3 == 1 { "\r\n" } else { "\n" });
        if n == 4 {
            out.push_str("\n\r\n");
        }
    }
    out.push_str("\"2020\",4,8,010121,\"2.500\",NA\n");
    out.push_str("2020,4,8,010121,1.000,NA,\n");
    out.push_str("2020,4\r\n");
    out.push_str("2020,4,8,010121,abc,NA\n");
    out.push_str("2020,810,8,010121,1,NA\n\n");
    out.push_str("2020,8,4,010121,7.250,NA");
    let p = dir.join("synthetic_messy_baci.csv");
    std::fs::write(&p, out).unwrap();
    p
}

#[test]
fn windows_and_chunks_cut_at_every_position_fold_the_same() {
    let registry = CountryRegistry::comtrade();
    let dir = tempfile::tempdir().unwrap();
    let p = messy_baci(dir.path());
    let i = input(BulkFormat::Baci, &p);
    let want = reference(&i);
    // 12 synthetic rows and 6 appended (blank lines are not rows); rejected:
    // the short line, `abc` and the USSR (810) in 2020, on the file's lines
    // 18, 19 and 20 (the header on line 1, rows on 2-5 and 8-15, blank lines 6
    // and 7, then the quoted row on 16 and the trailing delimiter on 17).
    assert_eq!(want.account.read, 18);
    let lines: Vec<(u64, u64, &str)> = want
        .rejects
        .iter()
        .map(|r| (r.line, r.column, r.reason))
        .collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(
        lines.iter().map(|l| (l.0, l.1)).collect::<Vec<_>>(),
        vec![(18, 1), (19, 1), (20, 1)]
    );
    assert_eq!(lines[0].2, "field_count");
    assert_eq!(want.rejects[0].raw, "2020,4");
    let len = std::fs::metadata(&p).unwrap().len() as usize;
    for at in 1..=len + 1 {
        let chunk = Cut {
            chunk_bytes: at,
            window_bytes: 1 << 20,
        };
        same(
            &fold_file_with(&i, registry, true, chunk).unwrap(),
            &want,
            &format!("chunk {at}"),
        );
        let window = Cut {
            chunk_bytes: 7,
            window_bytes: at,
        };
        same(
            &fold_file_with(&i, registry, true, window).unwrap(),
            &want,
            &format!("mapped window {at}"),
        );
        let bytes = std::fs::read(&p).unwrap();
        same(
            &fold_read_with(&i, &bytes[..], registry, true, window).unwrap(),
            &want,
            &format!("read window {at}"),
        );
    }
}

#[test]
fn folds_do_not_depend_on_threads() {
    let registry = CountryRegistry::comtrade();
    let dir = tempfile::tempdir().unwrap();
    let mut files = vec![input(BulkFormat::Baci, &messy_baci(dir.path()))];
    let mut bytes = Vec::new();
    synth::write_comtrade_bulk(&mut bytes, 3_000, 9, 2020).unwrap();
    // A quoted field and a short line in the middle of the SYNTHETIC file.
    let text = String::from_utf8(bytes).unwrap();
    let mut lines: Vec<String> = text.split_inclusive('\n').map(str::to_string).collect();
    lines[1500] = lines[1500].replacen("\tC\t", "\t\"C\"\t", 1);
    lines[2000] = "2020\t4\r\n".to_string();
    let p = dir.path().join("synthetic_comtrade_bulk.tsv");
    std::fs::write(&p, lines.concat()).unwrap();
    files.push(input(BulkFormat::ComtradeV1Bulk, &p));
    for i in &files {
        let want = reference(i);
        for threads in [1, 2, 3] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let cut = Cut {
                chunk_bytes: 4096,
                window_bytes: 3 * 4096,
            };
            let got = pool.install(|| fold_file_with(i, registry, true, cut).unwrap());
            same(&got, &want, &format!("{threads} threads"));
            let got = pool.install(|| fold_file(i, registry, true).unwrap());
            same(&got, &want, &format!("{threads} threads, default cut"));
        }
    }
}

#[cfg(unix)]
#[test]
fn a_pipe_folds_as_the_mapped_file_does() {
    let registry = CountryRegistry::comtrade();
    let dir = tempfile::tempdir().unwrap();
    let p = messy_baci(dir.path());
    let bytes = std::fs::read(&p).unwrap();
    let mapped = fold_file(&input(BulkFormat::Baci, &p), registry, true).unwrap();
    assert!(Source::<std::fs::File>::map_file(std::fs::File::open(&p).unwrap()).is_ok());

    let fifo = dir.path().join("synthetic.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let writer = {
        let (fifo, bytes) = (fifo.clone(), bytes.clone());
        std::thread::spawn(move || std::fs::write(fifo, bytes).unwrap())
    };
    let piped = fold_file(&input(BulkFormat::Baci, &fifo), registry, true).unwrap();
    writer.join().unwrap();
    let mut account = piped.account.clone();
    account.file = mapped.account.file.clone();
    assert_eq!(account, mapped.account);
    assert_eq!(piped.totals, mapped.totals);
    assert_eq!(piped.rejects, mapped.rejects);
    assert_eq!(mapped.account.bytes, bytes.len() as u64);
    assert_eq!(
        mapped.account.sha256.as_deref(),
        Some(patronage_tables::sha256_hex(&bytes).as_str())
    );
    // A character device is not mapped: it is read as a stream.
    assert!(Source::<std::fs::File>::map_file(std::fs::File::open("/dev/null").unwrap()).is_err());
}

/// Every row (line and fields) and reject (line, reason, raw text) of a fold,
/// for a folder that cannot shift line numbers (`Folder::shift_lines` left at
/// its default), so a mapped file's chunks are numbered before they are folded.
struct Lines;

impl patronage_extract::fold::Folder for Lines {
    type Ctx = ();
    type Acc = (Vec<(u64, String)>, Vec<(u64, &'static str, String)>);
    fn header(
        &self,
        _: &Path,
        _: &patronage_extract::delimited::Header,
    ) -> Result<(), patronage_extract::ExtractError> {
        Ok(())
    }
    fn empty(&self) -> Self::Acc {
        (Vec::new(), Vec::new())
    }
    fn row(&self, _: &(), acc: &mut Self::Acc, row: patronage_extract::delimited::Row<'_>) {
        acc.0.push((row.line, row.fields.join("|")));
    }
    fn reject(&self, acc: &mut Self::Acc, r: patronage_core::RowReject) {
        acc.1.push((r.line, r.reason, r.raw));
    }
    fn merge(&self, into: &mut Self::Acc, part: Self::Acc) {
        into.0.extend(part.0);
        into.1.extend(part.1);
    }
}

#[test]
fn a_mapped_file_folds_as_the_stream_for_a_folder_without_line_shifts() {
    let dir = tempfile::tempdir().unwrap();
    let p = messy_baci(dir.path());
    let bytes = std::fs::read(&p).unwrap();
    let want = patronage_extract::fold::fold_stream(&p, &bytes[..], b',', &Lines).unwrap();
    // The 18 rows read (see `windows_and_chunks_cut_at_every_position_fold_the_same`):
    // 17 split into 6 fields and the short line on 18 rejected by the folder's
    // caller as a field count.
    assert_eq!(want.1, 18);
    assert_eq!(want.0 .0.len(), 17);
    assert_eq!(want.0 .1, vec![(18, "field_count", "2020,4".to_string())]);
    assert_eq!(want.0 .0[0].0, 2);
    let file = std::fs::File::open(&p).unwrap();
    let len = bytes.len() as u64;
    for at in 1..=bytes.len() + 1 {
        for cut in [
            Cut {
                chunk_bytes: at,
                window_bytes: 1 << 20,
            },
            Cut {
                chunk_bytes: 5,
                window_bytes: at,
            },
        ] {
            let got = patronage_bulk::fold_windows::fold_mapped(&p, &file, len, b',', &Lines, cut)
                .unwrap();
            assert_eq!(got, want, "{cut:?}");
        }
    }
}
