//! The aid readers never panic and never lose a row, whatever the bytes: the
//! project's aid fixtures, damaged by deterministic mutations (bytes flipped,
//! inserted, deleted, the file cut), go through every aid reader. Each run ends in
//! an error naming the file or in rows + rejects = rows read.

use std::path::Path;

use patronage_extract::{archive_ledger, ocha_fts, oecd_crs, ExtractError};

const FIXTURES: [&str; 3] = [
    "ledger/dprk_aid_ledger.csv",
    "oecd_crs/crs_prk_2019_sample.txt",
    "ocha_fts/prk_2000/flow-prk-2000.json",
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

const INTERESTING: &[u8] = b",|\n\r\"{}[]:-.0123456789eE\xEF\xBB\xBF\xFF\x00 ";

fn mutate(rng: &mut Lcg, input: &[u8]) -> Vec<u8> {
    let mut b = input.to_vec();
    for _ in 0..=rng.next(4) {
        let at = rng.next(b.len() + 1);
        match rng.next(4) {
            0 if at < b.len() => b[at] = INTERESTING[rng.next(INTERESTING.len())],
            1 => b.insert(at, INTERESTING[rng.next(INTERESTING.len())]),
            2 if at < b.len() => {
                b.remove(at);
            }
            _ => b.truncate(at.max(b.len() / 2)),
        }
    }
    b
}

fn check<T>(
    name: &str,
    r: Result<patronage_extract::Extracted<T>, ExtractError>,
) -> (usize, usize) {
    match r {
        Ok(x) => {
            assert_eq!(
                x.rows.len() + x.rejects.len(),
                x.rows_read as usize,
                "{name}"
            );
            (1, x.rejects.len())
        }
        Err(e) => {
            assert!(e.to_string().starts_with(name), "{e}");
            (0, 0)
        }
    }
}

#[test]
fn mutated_aid_fixtures_never_panic_and_always_balance() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/aid");
    let mut rng = Lcg(1967);
    let (mut ok, mut rejected, mut runs) = (0, 0, 0);
    for name in FIXTURES {
        let original = std::fs::read(dir.join(name)).unwrap();
        for _ in 0..300 {
            let bytes = mutate(&mut rng, &original);
            let p = Path::new(name);
            for (o, r) in [
                check(name, archive_ledger::parse(p, &bytes)),
                check(name, oecd_crs::parse(p, &bytes)),
                check(name, ocha_fts::parse_page(p, &bytes).map(|pg| pg.flows)),
            ] {
                ok += o;
                rejected += r;
                runs += 1;
            }
        }
    }
    assert!(
        ok > 100 && ok < runs && rejected > 50,
        "ok {ok} of {runs}, rejects {rejected}"
    );
}
