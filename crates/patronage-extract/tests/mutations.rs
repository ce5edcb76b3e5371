//! Readers never panic and never lose a row, whatever the bytes: the project's
//! Comtrade fixtures, damaged by deterministic random mutations (bytes flipped,
//! inserted, deleted, lines cut or doubled), go through every layout's reader. Each
//! run must end in an error or in rows + rejects = rows read. A short, fixed-seed
//! run; longer fuzzing belongs in a fuzz target.

use std::path::Path;

use patronage_extract::comtrade_v1::{parse, Layout};

const FIXTURES: [(&str, Layout); 4] = [
    ("rus_prk_russia_reported_annual.csv", Layout::ApiCsv),
    ("chn_prk_gacc_annual.csv", Layout::ApiCsv),
    ("rus_prk_itc_annual.tsv", Layout::BulkTsv),
    ("prk_kotra_mirror_annual.json", Layout::ApiJson),
];

/// Knuth's MMIX linear congruential generator: fixed seed, same sequence everywhere.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % bound.max(1)
    }
}

/// Bytes that matter to these formats, and some that do not belong.
const INTERESTING: &[u8] = b",\t\n\r\"{}[]:-.0123456789eE\xEF\xBB\xBF\xFF\x00 ";

fn mutate(rng: &mut Lcg, input: &[u8]) -> Vec<u8> {
    let mut b = input.to_vec();
    for _ in 0..=rng.next(4) {
        let at = rng.next(b.len() + 1);
        match rng.next(6) {
            0 if at < b.len() => b[at] = INTERESTING[rng.next(INTERESTING.len())],
            1 => b.insert(at, INTERESTING[rng.next(INTERESTING.len())]),
            2 if at < b.len() => {
                b.remove(at);
            }
            3 => b.truncate(at),
            4 => {
                // Double a line.
                let start = b[..at]
                    .iter()
                    .rposition(|c| *c == b'\n')
                    .map_or(0, |p| p + 1);
                let end = b[at..]
                    .iter()
                    .position(|c| *c == b'\n')
                    .map_or(b.len(), |p| at + p + 1);
                let line = b[start..end].to_vec();
                b.splice(end..end, line);
            }
            _ => {
                // A huge field.
                b.splice(at..at, std::iter::repeat_n(b'9', 5000));
            }
        }
    }
    b
}

#[test]
fn mutated_fixtures_never_panic_and_always_balance() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/comtrade");
    let mut rng = Lcg(2017);
    let (mut ok, mut err, mut rejected) = (0, 0, 0);
    for (name, layout) in FIXTURES {
        let original = std::fs::read(dir.join(name)).unwrap();
        for _ in 0..300 {
            let bytes = mutate(&mut rng, &original);
            // Every layout reads every mutation: wrong layouts must fail cleanly too.
            for l in [Layout::ApiCsv, Layout::BulkTsv, Layout::ApiJson] {
                match parse(Path::new(name), &bytes, l) {
                    Ok(x) => {
                        assert_eq!(
                            x.rows.len() + x.rejects.len(),
                            x.rows_read as usize,
                            "{name} as {l:?}"
                        );
                        assert!(x.rejects.iter().all(|r| r.raw.chars().count() <= 1001));
                        rejected += x.rejects.len();
                        ok += usize::from(l == layout);
                    }
                    Err(e) => {
                        assert!(e.to_string().starts_with(name), "{e}");
                        err += 1;
                    }
                }
            }
        }
    }
    // The mutations exercised both paths.
    assert!(
        ok > 100 && err > 100 && rejected > 100,
        "ok {ok}, errors {err}, rejects {rejected}"
    );
}
