//! The parse floor: the fastest honest pass over delimited files, timed by
//! `e2e_bulk.py` beside the engines.
//!
//! Invariant: every byte of every file is looked at and every line end and
//! delimiter is found (and counted, so the work cannot be skipped): the files
//! are mapped (read from the page cache without a copy), cut into 4 MiB pieces
//! and scanned on every core by the fastest pass there is: the 64-byte bit-mask
//! classifier `mirror-all` scans with (`patronage_extract::plain::ascii_lines`;
//! a piece that is not plain ASCII is scanned with `memchr2`), or with
//! `--memchr2` the `memchr2` pass alone. With `--hash`, each file's SHA-256 is
//! also computed on a thread of its own while the scan runs, through mappings
//! as `mirror-all` hashes by default. Nothing is parsed, checked or written: no
//! engine doing the job can be faster than this.
//!
//! Usage: `parse-floor [--hash] [--memchr2] FILE...` (a `.tsv` file is
//! TAB-delimited, any other comma-delimited). Prints, per file, its bytes, line
//! ends and delimiters (and SHA-256).

use rayon::prelude::*;

/// Bytes per piece scanned by one core at a time.
const PIECE: usize = 4 << 20;

fn main() -> std::io::Result<()> {
    let mut hash = false;
    let mut classifier = true;
    let mut files = Vec::new();
    for a in std::env::args().skip(1) {
        match a.as_str() {
            "--hash" => hash = true,
            "--memchr2" => classifier = false,
            _ => files.push(std::path::PathBuf::from(a)),
        }
    }
    if files.is_empty() {
        eprintln!("usage: parse-floor [--hash] [--memchr2] FILE...");
        std::process::exit(2);
    }
    let hashes: Vec<_> = files
        .iter()
        .map(|p| {
            let p = p.clone();
            hash.then(|| std::thread::spawn(move || sha256_mapped(&p)))
        })
        .collect();
    let maps = files
        .iter()
        .map(|p| {
            let f = std::fs::File::open(p)?;
            // SAFETY: read-only mapping of a file nothing else writes during the run.
            unsafe { memmap2::Mmap::map(&f) }
        })
        .collect::<std::io::Result<Vec<_>>>()?;
    let pieces: Vec<(usize, u8, &[u8])> = files
        .iter()
        .zip(&maps)
        .enumerate()
        .flat_map(|(i, (p, m))| {
            let delimiter = if p.extension().is_some_and(|e| e == "tsv") {
                b'\t'
            } else {
                b','
            };
            m.chunks(PIECE).map(move |c| (i, delimiter, c))
        })
        .collect();
    let counts: Vec<(usize, u64, u64)> = pieces
        .par_iter()
        .map(|(i, d, c)| {
            let (mut lines, mut delims) = (0u64, 0u64);
            if classifier {
                let mut seen = 0u64;
                if let Ok(lfs) = patronage_extract::plain::ascii_lines(c, *d, |s| {
                    seen += s.delims.len() as u64;
                }) {
                    return (*i, lfs, seen);
                }
            }
            for at in memchr::memchr2_iter(*d, b'\n', c) {
                if c[at] == b'\n' {
                    lines += 1;
                } else {
                    delims += 1;
                }
            }
            (*i, lines, delims)
        })
        .collect();
    for (i, ((p, m), h)) in files.iter().zip(&maps).zip(hashes).enumerate() {
        let (lines, delims) = counts
            .iter()
            .filter(|c| c.0 == i)
            .fold((0, 0), |a, c| (a.0 + c.1, a.1 + c.2));
        let sha = match h {
            Some(h) => {
                h.join()
                    .map_err(|_| std::io::Error::other("hashing thread stopped"))??
                    .1
            }
            None => String::new(),
        };
        println!(
            "{} bytes={} line_ends={lines} delimiters={delims} sha256={sha}",
            p.display(),
            m.len()
        );
    }
    Ok(())
}

/// Size and SHA-256 of a file, hashed through mappings of 16 MiB as
/// `mirror-all` hashes its inputs.
fn sha256_mapped(path: &std::path::Path) -> std::io::Result<(u64, String)> {
    const WINDOW: u64 = 16 << 20;
    let file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    let windows = (0..len.div_ceil(WINDOW)).map(|i| {
        let at = i * WINDOW;
        let mut options = memmap2::MmapOptions::new();
        options.offset(at).len(WINDOW.min(len - at) as usize);
        // SAFETY: read-only mapping of a file nothing else writes during the run.
        unsafe { options.map(&file) }
    });
    patronage_tables::sha256_parts(windows)
}
