//! SYNTHETIC inputs at full scale, for benchmarks and tests: a CEPII BACI CSV and
//! a UN Comtrade v1 bulk final TSV (monthly), in the real layouts, from a seed.
//!
//! Nothing written here is data: every figure is drawn from a deterministic linear
//! congruential generator (Knuth's MMIX constants; no `rand`). Only the country
//! codes are real: the current country codes of the compiled registry valid in
//! every year 2010-2024 — so every row maps to a country in the year it is dated.
//! The same seed and row count give the same bytes.
//!
//! BACI rows are unique by (t, i, j, k), as in a release. Comtrade bulk HS6
//! import/export rows are unique by reporter, period, flow, partner and commodity;
//! around them are the rows a total must leave out, in roughly these shares:
//! breakdowns by second partner, customs procedure and transport mode (2% each),
//! other flows (DX, RX: 4%), rows for the world as partner (2%) and chapter-level
//! commodity rows (2%); those may repeat a key (they are drawn per HS6 slot).

use std::io::{self, Write};

use patronage_core::{CountryKind, CountryRegistry};

/// Years every synthetic country code must be valid in.
const VALID_YEARS: std::ops::RangeInclusive<i32> = 2010..=2024;

/// Knuth's MMIX linear congruential generator.
#[derive(Debug, Clone)]
pub struct Lcg(u64);

impl Lcg {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Lcg(seed ^ 0x5DEE_CE66_D1CE_B00C)
    }

    /// The next 31 bits.
    pub fn draw(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    /// A value in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.draw() % n.max(1)
    }
}

/// The country codes synthetic rows use, ascending.
pub fn country_codes() -> Vec<u32> {
    let reg = CountryRegistry::comtrade();
    let mut seen = std::collections::HashSet::new();
    let mut codes: Vec<u32> = (1..1000u32)
        .filter_map(|c| reg.get(c))
        .filter(|c| c.kind == CountryKind::Country && VALID_YEARS.clone().all(|y| c.valid_in(y)))
        .filter(|c| seen.insert(c.iso3.clone()))
        .map(|c| c.code)
        .collect();
    codes.sort_unstable();
    codes
}

/// A value with three decimals, as both layouts print them.
fn decimal3(mills: u64) -> String {
    format!("{}.{:03}", mills / 1000, mills % 1000)
}

/// How many products a pair gets so that `rows` rows spread over `pairs` pairs.
fn per_pair(rows: u64, pairs: u64) -> u64 {
    rows.div_ceil(pairs.max(1)).max(1)
}

/// Ascending distinct HS6 codes for one pair: `n` of them, drawn with random
/// steps over 010000..=979999.
fn products(rng: &mut Lcg, n: u64, out: &mut Vec<u32>) {
    out.clear();
    let span = 970_000u64;
    let step = (span / n.max(1)).max(1);
    let mut k = 10_000u64;
    for _ in 0..n {
        if k > 979_999 {
            break;
        }
        out.push(k as u32);
        k += 1 + rng.below(step.saturating_mul(2).saturating_sub(1).max(1));
    }
}

/// Write `rows` SYNTHETIC BACI rows (`t,i,j,k,v,q`) for `year` (and the years
/// after it when the pairs of one year run out).
pub fn write_baci(out: &mut impl Write, rows: u64, seed: u64, year: i32) -> io::Result<()> {
    let codes = country_codes();
    let pairs = (codes.len() * (codes.len() - 1)) as u64;
    let per = per_pair(rows, pairs);
    let mut rng = Lcg::new(seed);
    let mut ks = Vec::new();
    let mut written = 0u64;
    let mut line = String::with_capacity(64);
    writeln!(out, "t,i,j,k,v,q")?;
    let mut t = year;
    while written < rows {
        for &i in &codes {
            for &j in &codes {
                if i == j || written >= rows {
                    continue;
                }
                // Between 1 and about twice the mean products per pair.
                let n = 1 + rng.below(2 * per);
                products(&mut rng, n, &mut ks);
                for &k in &ks {
                    if written >= rows {
                        break;
                    }
                    use std::fmt::Write as _;
                    line.clear();
                    let v = 1 + rng.below(5_000_000); // thousandths of $1,000
                    let _ = write!(line, "{t},{i},{j},{k:06},{},", decimal3(v));
                    if rng.below(10) == 0 {
                        line.push_str("             NA");
                    } else {
                        let q = rng.below(10_000_000);
                        let _ = write!(line, "{:>15}", decimal3(q));
                    }
                    line.push('\n');
                    out.write_all(line.as_bytes())?;
                    written += 1;
                }
            }
        }
        t += 1;
    }
    Ok(())
}

/// The bulk final header, as the file writes it.
fn bulk_header() -> String {
    patronage_extract::comtrade_v1::BULK_COLUMNS.join("\t")
}

/// Write `rows` SYNTHETIC Comtrade v1 bulk final rows (monthly, HS6, CRLF) for
/// `year`: reporters × months × partners × commodities, with breakdown rows, other
/// flows, world rows and chapter rows in between (see the module note).
pub fn write_comtrade_bulk(
    out: &mut impl Write,
    rows: u64,
    seed: u64,
    year: i32,
) -> io::Result<()> {
    let codes = country_codes();
    // Each (reporter, month, partner) carries about `per` commodity rows.
    let pairs = (codes.len() * (codes.len() - 1) * 12) as u64;
    let per = per_pair(rows, pairs);
    let mut rng = Lcg::new(seed.wrapping_add(1));
    let mut ks = Vec::new();
    let mut written = 0u64;
    let mut line = String::with_capacity(256);
    write!(out, "{}\r\n", bulk_header())?;
    let mut t = year;
    'all: while written < rows {
        for &r in &codes {
            for month in 1..=12u32 {
                for &p in &codes {
                    if p == r {
                        continue;
                    }
                    let n = 1 + rng.below(2 * per);
                    products(&mut rng, n, &mut ks);
                    for &k in &ks {
                        if written >= rows {
                            break 'all;
                        }
                        let draw = rng.below(100);
                        let value = 1 + rng.below(900_000_000);
                        let flow = if rng.below(2) == 0 { "M" } else { "X" };
                        // (flow, partner, partner2, customs, mot, commodity)
                        let (flow, partner, partner2, customs, mot, cmd) = match draw {
                            0..=1 => (flow, p, codes[(k as usize) % codes.len()], "C00", 0, None),
                            2..=3 => (flow, p, 0, "C01", 0, None),
                            4..=5 => (flow, p, 0, "C00", 2100, None),
                            6..=7 => ("DX", p, 0, "C00", 0, None),
                            8..=9 => ("RX", p, 0, "C00", 0, None),
                            10..=11 => (flow, 0, 0, "C00", 0, None),
                            12..=13 => (flow, p, 0, "C00", 0, Some(format!("{:02}", k / 10_000))),
                            _ => (flow, p, 0, "C00", 0, None),
                        };
                        let cmd = cmd.unwrap_or_else(|| format!("{k:06}"));
                        let primary = decimal3(value);
                        let (cif, fob) = if flow.ends_with('M') {
                            (primary.as_str(), "")
                        } else {
                            ("", primary.as_str())
                        };
                        let qty = decimal3(rng.below(50_000_000));
                        use std::fmt::Write as _;
                        line.clear();
                        let _ = write!(
                            line,
                            "20100{t}{month:02}202100\tC\tM\t{t}{month:02}01\t{t}\t{month}\t{t}{month:02}\t{r}\t{flow}\t{partner}\t{partner2}\tHS\tH6\t1\t{cmd}\t{customs}\t0\t{mot}\t8\t{qty}\t0\t8\t{qty}\t0\t{qty}\t0\t0.0\t0\t{cif}\t{fob}\t{primary}\t0\t1\t0\r\n"
                        );
                        out.write_all(line.as_bytes())?;
                        written += 1;
                    }
                }
            }
        }
        t += 1;
    }
    Ok(())
}
