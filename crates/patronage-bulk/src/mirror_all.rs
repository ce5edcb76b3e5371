//! Mirror totals for every country as focus, from full-size trade files, in one
//! streaming pass per file (`patronage mirror-all`).
//!
//! A BACI release or a Comtrade bulk file holds tens of millions of HS6 rows; the
//! pipeline's row path (`patronage run`) keeps every row as a `trade_flows` row.
//! This path folds them while reading instead: each file is read in blocks, the
//! blocks' line-aligned chunks are parsed on every core straight into integer
//! sums keyed by small integers (year, reporter, partner, flow), and the chunks'
//! sums are merged in file order. Nothing per row is kept but the rejects.
//!
//! What each row becomes:
//! * BACI (`t,i,j,k,v,q`): every valid row is kept; `(t, i, j)` sums `v`.
//! * Comtrade v1 bulk: a row is dropped, counted by reason (the first that
//!   applies), when it is a breakdown (second partner, customs procedure other
//!   than C00, transport mode), a flow other than M and X, a commodity that is not
//!   an HS 6-digit code, or has the world as partner; the rest are kept and
//!   `(year, reporter, partner, flow)` sums `primaryValue` over months and
//!   commodities.
//! * Either: a row that does not parse, or whose reporter/partner code is
//!   unknown or not valid in its year, is a reject with its raw text.
//!
//! For each file, read = kept + dropped + rejected is checked. The mirror table
//! (`mirror_all`) then has, per source, focus, partner and year, the focus's
//! exports to the partner and its imports from it: for BACI the exporter's and
//! importer's side of the same reconciled figure, for Comtrade the partner's
//! report (its imports from the focus are the focus's exports; its exports, the
//! focus's imports), in the words and units of `mirror_trade` (`focus_iso3`,
//! `partner_iso3`, `focus_exports_usd`...) with the exact sums beside them
//! (`focus_exports_mills`). Money is summed exactly in thousandths of a dollar, and the
//! table is sorted by its key, so the bytes do not depend on the thread count.
//!
//! Not done here, unlike the row path: duplicate figures (two rows for one HS6
//! figure) are summed, not rejected — finding them needs every row's key — and
//! the quantity and weight columns of the bulk file are not parsed.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::path::{Path, PathBuf};

use patronage_core::{CountryRegistry, RowReject};
use patronage_extract::delimited::{Header, Row};
use patronage_extract::fold::{fold_stream, Folder};
use patronage_extract::plain::Split;
use patronage_extract::{archive, baci, comtrade_v1_totals, ExtractError};
use polars::prelude::*;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use patronage_tables::contracts::{MIRROR_ALL, REJECTS};
use patronage_tables::parquet::{
    check_contract, to_parquet_bytes, to_parquet_partitions, write_atomic, Part, Provenance,
};
use patronage_tables::{sha256_hex, table_error, HashingReader, TablesError};

use crate::fold_windows::{fold_mapped_with, fold_source, Cut, Piece};
use crate::hash_thread::PendingHash;
use crate::input::Source;
use crate::object_input;
use crate::BulkError;

/// Which layout an input is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BulkFormat {
    /// CEPII BACI CSV.
    Baci,
    /// Comtrade v1 bulk final TSV.
    ComtradeV1Bulk,
}

impl BulkFormat {
    /// The format's name, also the `source` of its rows in `mirror_all`.
    pub fn as_str(self) -> &'static str {
        match self {
            BulkFormat::Baci => "baci",
            BulkFormat::ComtradeV1Bulk => "comtrade_v1_bulk",
        }
    }

    /// The format a name ([`BulkFormat::as_str`]) stands for.
    pub fn from_name(name: &str) -> Option<Self> {
        [BulkFormat::Baci, BulkFormat::ComtradeV1Bulk]
            .into_iter()
            .find(|f| f.as_str() == name)
    }
}

/// Reasons a Comtrade bulk row is dropped, in the order they are tested.
pub const DROP_REASONS: [&str; 6] = [
    "breakdown_second_partner",
    "breakdown_customs_procedure",
    "breakdown_transport_mode",
    "flow_not_import_export",
    "commodity_not_hs6",
    "partner_world",
];

/// A multiply-shift hasher for the packed integer keys: the std SipHash costs
/// more than the rest of a row's folding.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0 ^ x ^ (x >> 29)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type Sums = HashMap<u64, (i128, u64), BuildHasherDefault<KeyHasher>>;

/// Pack a total's key: year, reporter (or exporter), partner (or importer), flow
/// (0 import or BACI, 1 export). Codes are below 1000 once looked up.
fn pack(year: i32, a: u32, b: u32, flow: u8) -> u64 {
    ((year as u64 & 0xFFFF) << 40)
        | (u64::from(a & 0xFFFF) << 24)
        | (u64::from(b & 0xFFFF) << 8)
        | u64::from(flow)
}

fn unpack(k: u64) -> (i32, u32, u32, u8) {
    (
        ((k >> 40) & 0xFFFF) as i32,
        ((k >> 24) & 0xFFFF) as u32,
        ((k >> 8) & 0xFFFF) as u32,
        (k & 0xFF) as u8,
    )
}

/// Which (code, year) pairs the registry accepts, as a dense table, so the hot
/// path does not search the registry per row.
struct Valid {
    bits: Vec<bool>,
}

const FIRST_YEAR: i32 = 1900;
const YEARS: usize = 201;
const CODES: u32 = 1000;

impl Valid {
    fn new(reg: &CountryRegistry) -> Self {
        let mut bits = vec![false; CODES as usize * YEARS];
        for code in 0..CODES {
            // `lookup(code, year)` is Ok exactly when the entry is valid that year.
            if let Some(c) = reg.get(code) {
                for y in 0..YEARS {
                    bits[code as usize * YEARS + y] = c.valid_in(FIRST_YEAR + y as i32);
                }
            }
        }
        Valid { bits }
    }
    fn ok(&self, code: u32, year: i32) -> bool {
        let y = year - FIRST_YEAR;
        code < CODES
            && (0..YEARS as i32).contains(&y)
            && self.bits[code as usize * YEARS + y as usize]
    }
}

/// One file's running result.
#[derive(Debug, Default)]
pub struct FoldAcc {
    sums: Sums,
    /// The total each flow (the key's last bit) last added to, not yet in
    /// `sums`: the files run in key order, so most rows add to the total the
    /// row before them of the same flow did, and skip the map.
    recent: [Option<(u64, i128, u64)>; 2],
    kept: u64,
    dropped: [u64; DROP_REASONS.len()],
    rejects: Vec<RowReject>,
}

impl FoldAcc {
    /// Add a kept row's value to its total.
    #[inline]
    fn add(&mut self, key: u64, value: i64) {
        self.kept += 1;
        let FoldAcc { sums, recent, .. } = self;
        match &mut recent[(key & 1) as usize] {
            Some((k, v, n)) if *k == key => {
                *v += i128::from(value);
                *n += 1;
            }
            slot => {
                if let Some((k, v, n)) = slot.replace((key, i128::from(value), 1)) {
                    let e = sums.entry(k).or_insert((0, 0));
                    e.0 += v;
                    e.1 += n;
                }
            }
        }
    }

    /// Move the recent totals into `sums`.
    fn flush(&mut self) {
        for (k, v, n) in self.recent.iter_mut().filter_map(Option::take) {
            let e = self.sums.entry(k).or_insert((0, 0));
            e.0 += v;
            e.1 += n;
        }
    }
}

/// Folds one file of either layout.
struct TotalsFolder<'r> {
    format: BulkFormat,
    registry: &'r CountryRegistry,
    valid: Valid,
}

impl<'r> TotalsFolder<'r> {
    fn new(format: BulkFormat, registry: &'r CountryRegistry) -> Self {
        TotalsFolder {
            format,
            registry,
            valid: Valid::new(registry),
        }
    }

    /// The reject for a code the registry does not accept in `year`.
    fn code_reject(
        &self,
        line: u64,
        codes: [(&str, u32); 2],
        year: i32,
        raw: impl FnOnce() -> String,
    ) -> Option<RowReject> {
        for (column, code) in codes {
            if !self.valid.ok(code, year) {
                let detail = match self.registry.lookup(code, year) {
                    Err(e) => (e.reason(), format!("{column}: {e}")),
                    Ok(_) => (
                        "unknown_country_code",
                        format!("{column}: code {code} is out of range"),
                    ),
                };
                return Some(RowReject::new(line, detail.0, detail.1, &raw()));
            }
        }
        None
    }
}

impl Folder for TotalsFolder<'_> {
    type Ctx = Vec<usize>;
    type Acc = FoldAcc;

    fn header(&self, path: &Path, h: &Header) -> Result<Vec<usize>, ExtractError> {
        match self.format {
            BulkFormat::Baci => baci::header_columns(path, h),
            BulkFormat::ComtradeV1Bulk => comtrade_v1_totals::header_columns(path, h),
        }
    }

    fn empty(&self) -> FoldAcc {
        FoldAcc::default()
    }

    fn row(&self, cols: &Vec<usize>, acc: &mut FoldAcc, row: Row<'_>) {
        let (key, value) = match self.format {
            BulkFormat::Baci => {
                let r = match baci::parse_ref(cols, row) {
                    Ok(r) => r,
                    Err(e) => return acc.rejects.push(e),
                };
                if let Some(e) = self.code_reject(
                    r.line,
                    [("i", r.exporter), ("j", r.importer)],
                    r.year,
                    || row.raw(b','),
                ) {
                    return acc.rejects.push(e);
                }
                (pack(r.year, r.exporter, r.importer, 0), r.value_mills)
            }
            BulkFormat::ComtradeV1Bulk => {
                let r = match comtrade_v1_totals::parse_ref(cols, row) {
                    Ok(r) => r,
                    Err(e) => return acc.rejects.push(e),
                };
                let flow = match r.flow_code {
                    "M" => Some(0),
                    "X" => Some(1),
                    _ => None,
                };
                let hs6 = r.cmd_code.len() == 6 && r.cmd_code.bytes().all(|b| b.is_ascii_digit());
                let drop = [
                    r.partner2_code != 0,
                    r.customs_code != "C00",
                    r.mot_code != 0,
                    flow.is_none(),
                    !hs6,
                    r.partner_code == 0,
                ]
                .iter()
                .position(|d| *d);
                if let Some(i) = drop {
                    acc.dropped[i] += 1;
                    return;
                }
                if let Some(e) = self.code_reject(
                    r.line,
                    [
                        ("reporterCode", r.reporter_code),
                        ("partnerCode", r.partner_code),
                    ],
                    r.ref_year,
                    || row.raw(b'\t'),
                ) {
                    return acc.rejects.push(e);
                }
                (
                    pack(
                        r.ref_year,
                        r.reporter_code,
                        r.partner_code,
                        flow.unwrap_or(0),
                    ),
                    r.primary_value_mills,
                )
            }
        };
        acc.add(key, value);
    }

    fn fast_row(&self, cols: &Vec<usize>, acc: &mut FoldAcc, row: Split<'_, '_>) -> bool {
        let (key, value) = match self.format {
            BulkFormat::Baci => {
                let Some(r) = baci::fast_ref(cols, row) else {
                    return false;
                };
                if !self.valid.ok(r.exporter, r.year) || !self.valid.ok(r.importer, r.year) {
                    return false;
                }
                (pack(r.year, r.exporter, r.importer, 0), r.value_mills)
            }
            BulkFormat::ComtradeV1Bulk => {
                let Some(r) = comtrade_v1_totals::fast_ref(cols, row) else {
                    return false;
                };
                let flow = match r.flow_code {
                    b"M" => Some(0),
                    b"X" => Some(1),
                    _ => None,
                };
                let hs6 = r.cmd_code.len() == 6 && r.cmd_code.iter().all(u8::is_ascii_digit);
                // The same reasons in the same order as `row`.
                let drop = [
                    r.partner2_code != 0,
                    r.customs_code != b"C00",
                    r.mot_code != 0,
                    flow.is_none(),
                    !hs6,
                    r.partner_code == 0,
                ]
                .iter()
                .position(|d| *d);
                if let Some(i) = drop {
                    acc.dropped[i] += 1;
                    return true;
                }
                if !self.valid.ok(r.reporter_code, r.ref_year)
                    || !self.valid.ok(r.partner_code, r.ref_year)
                {
                    return false;
                }
                (
                    pack(
                        r.ref_year,
                        r.reporter_code,
                        r.partner_code,
                        flow.unwrap_or(0),
                    ),
                    r.primary_value_mills,
                )
            }
        };
        acc.add(key, value);
        true
    }

    fn shift_lines(&self, acc: &mut FoldAcc, by: u64) -> bool {
        for r in &mut acc.rejects {
            r.line += by;
        }
        true
    }

    fn reject(&self, acc: &mut FoldAcc, reject: RowReject) {
        acc.rejects.push(reject);
    }

    fn merge(&self, into: &mut FoldAcc, mut part: FoldAcc) {
        part.flush();
        for (k, (v, n)) in part.sums {
            let e = into.sums.entry(k).or_insert((0, 0));
            e.0 += v;
            e.1 += n;
        }
        into.kept += part.kept;
        for (a, b) in into.dropped.iter_mut().zip(part.dropped) {
            *a += b;
        }
        into.rejects.extend(part.rejects);
    }
}

/// One input file.
#[derive(Debug, Clone)]
pub struct BulkInput {
    /// Its layout.
    pub format: BulkFormat,
    /// Where it is.
    pub path: PathBuf,
}

impl BulkInput {
    /// The inputs of a job as `mirror-all` and `plan --shards` take them: the
    /// BACI paths, then the Comtrade bulk ones, each expanded by
    /// [`object_input::expand`] (an object URL to the objects it names).
    pub fn all(baci: &[PathBuf], comtrade_bulk: &[PathBuf]) -> Result<Vec<BulkInput>, BulkError> {
        let mut out = Vec::new();
        for (paths, format) in [
            (baci, BulkFormat::Baci),
            (comtrade_bulk, BulkFormat::ComtradeV1Bulk),
        ] {
            for p in paths {
                for path in object_input::expand(p)? {
                    out.push(BulkInput { format, path });
                }
            }
        }
        Ok(out)
    }
}

/// What one file gave: the accounting and its totals.
#[derive(Debug)]
pub struct Folded {
    /// The input.
    pub input: BulkInput,
    /// Row accounting.
    pub account: Account,
    /// (year, reporter, partner, flow) → (sum of mills, rows), ascending.
    pub totals: BTreeMap<(i32, u32, u32, u8), (i64, u64)>,
    /// Rejected rows, by line.
    pub rejects: Vec<RowReject>,
}

/// Row accounting of one file: read = kept + dropped + rejected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    /// Format name.
    pub format: &'static str,
    /// File as given.
    pub file: String,
    /// Bytes read.
    pub bytes: u64,
    /// SHA-256 of the bytes read, computed as they are read (no second pass);
    /// null under `--no-hash`.
    pub sha256: Option<String>,
    /// Data rows read.
    pub read: u64,
    /// Rows summed into a total.
    pub kept: u64,
    /// Rows left out on purpose, by reason.
    pub dropped: BTreeMap<&'static str, u64>,
    /// Rows rejected (in `rejects`).
    pub rejected: u64,
    /// Totals the kept rows folded into.
    pub totals: u64,
}

/// Fold one file into its totals, streaming: mapped from the page cache and
/// hashed on a thread of its own beside the fold where the platform allows, else
/// read as a stream (pipes) and hashed as read.
pub fn fold_file(
    input: &BulkInput,
    registry: &CountryRegistry,
    hash: bool,
) -> Result<Folded, BulkError> {
    fold_file_with(input, registry, hash, Cut::default())
}

/// [`fold_file`] with a given cut into windows and chunks (tests cut small files
/// into many).
pub fn fold_file_with(
    input: &BulkInput,
    registry: &CountryRegistry,
    hash: bool,
    cut: Cut,
) -> Result<Folded, BulkError> {
    let path = &input.path;
    let io = |source: std::io::Error| {
        BulkError::Extract(ExtractError::Io {
            path: path.clone(),
            source,
        })
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let (file, len) = match Source::<std::fs::File>::map_file(file) {
        Ok(Source::Mapped { file, len, .. }) => (file, len),
        Ok(Source::Read { reader, .. }) => {
            return fold_read_with(input, reader, registry, hash, cut)
        }
        Err(file) => return fold_read_with(input, file, registry, hash, cut),
    };
    // The fold hands its mappings to the hashing thread once folded: each page
    // is mapped once for both.
    let (pending, pieces) = PendingHash::of_pieces(path, hash, len);
    let folder = TotalsFolder::new(input.format, registry);
    let seen = |piece: Piece| {
        if let Some(tx) = &pieces {
            // A hashing thread that has stopped reports it when joined.
            let _ = tx.send(piece);
        }
    };
    let folded = fold_mapped_with(
        path,
        &file,
        len,
        delimiter(input.format),
        &folder,
        cut,
        &seen,
    );
    drop(pieces);
    let (acc, read) = folded?;
    let sha256 = match pending.finish().map_err(io)? {
        Some((n, _)) if n != len => {
            return Err(io(std::io::Error::other(format!(
                "the file changed while it was read ({len} bytes mapped, {n} hashed)"
            ))))
        }
        Some((_, sha)) => Some(sha),
        None => None,
    };
    finish_fold(input, acc, read, len, sha256)
}

/// [`fold_file`] on any reader (`input.path` is used in messages), read a
/// window at a time; with `hash`, the bytes are hashed as they are read.
pub fn fold_read(
    input: &BulkInput,
    reader: impl std::io::Read + Send,
    registry: &CountryRegistry,
    hash: bool,
) -> Result<Folded, BulkError> {
    fold_read_with(input, reader, registry, hash, Cut::default())
}

/// [`fold_read`] with a given cut into windows and chunks.
pub fn fold_read_with(
    input: &BulkInput,
    reader: impl std::io::Read + Send,
    registry: &CountryRegistry,
    hash: bool,
    cut: Cut,
) -> Result<Folded, BulkError> {
    let folder = TotalsFolder::new(input.format, registry);
    let mut source = Source::reader(HashingReader::new(reader, hash));
    let (acc, read) = fold_source(
        &input.path,
        &mut source,
        delimiter(input.format),
        &folder,
        cut,
    )?;
    let (bytes, sha256) = source
        .into_reader()
        .map(HashingReader::finish)
        .unwrap_or_default();
    finish_fold(input, acc, read, bytes, sha256)
}

/// [`fold_read`] through the reader the scanner replaced
/// ([`patronage_extract::fold::fold_stream`]: a reader thread, a word-at-a-time
/// field split); kept as the reference the scanner is tested and benched
/// against.
pub fn fold_read_reference(
    input: &BulkInput,
    reader: impl std::io::Read + Send,
    registry: &CountryRegistry,
    hash: bool,
) -> Result<Folded, BulkError> {
    let folder = TotalsFolder::new(input.format, registry);
    let mut hashing = HashingReader::new(reader, hash);
    let (acc, read) = fold_stream(&input.path, &mut hashing, delimiter(input.format), &folder)?;
    let (bytes, sha256) = hashing.finish();
    finish_fold(input, acc, read, bytes, sha256)
}

/// Whether `input` must be opened through `patronage_extract::archive` (a
/// `.gz` file, or a member of a `.zip` file) rather than mapped.
fn packed(input: &BulkInput) -> bool {
    match archive::locate(&input.path) {
        archive::Location::Member(..) => true,
        archive::Location::File(file) => archive::is_gz(&file),
    }
}

/// Fold one input from the bytes a pipeline reader would see: a plain file
/// with [`fold_file`]; a `.gz` file inflated, or a `.zip` member unpacked,
/// through `patronage_extract::archive::open` with [`fold_read`] (hashed as
/// the unpacked bytes, as the pipeline hashes its inputs); an object URL
/// streamed by ranged GETs ([`crate::object_input`]), unpacked the same way.
pub fn fold_input(
    input: &BulkInput,
    registry: &CountryRegistry,
    hash: bool,
) -> Result<Folded, BulkError> {
    if let Some(url) = object_input::object_url(&input.path)? {
        let reader = object_input::open(&url)?;
        fold_read(input, reader, registry, hash)
    } else if packed(input) {
        let reader = archive::open(&input.path)?;
        fold_read(input, reader, registry, hash)
    } else {
        fold_file(input, registry, hash)
    }
}

/// Fold every input with [`fold_input`], all at the same time (when one fold
/// waits for its next block or its last chunk, the cores work on another's
/// chunks); the results in input order. The one fold of a list of inputs that
/// `patronage mirror-all` and a pipeline's `[mirror_all]` step share.
pub fn fold_inputs(
    inputs: &[BulkInput],
    registry: &CountryRegistry,
    hash: bool,
) -> Result<Vec<Folded>, BulkError> {
    inputs
        .par_iter()
        .map(|input| fold_input(input, registry, hash))
        .collect()
}

/// The delimiter of a layout.
fn delimiter(format: BulkFormat) -> u8 {
    match format {
        BulkFormat::Baci => b',',
        BulkFormat::ComtradeV1Bulk => b'\t',
    }
}

/// A file's totals, accounting and rejects from its fold.
fn finish_fold(
    input: &BulkInput,
    acc: FoldAcc,
    read: u64,
    bytes: u64,
    sha256: Option<String>,
) -> Result<Folded, BulkError> {
    let path = &input.path;
    let mut acc = acc;
    acc.flush();
    let mut rejects = acc.rejects;
    rejects.sort_by_key(|r| r.line);
    let mut totals = BTreeMap::new();
    for (k, (v, n)) in acc.sums {
        let v = i64::try_from(v).map_err(|_| TablesError::Contract {
            table: MIRROR_ALL.name,
            message: format!(
                "{}: a total exceeds the 64-bit range of thousandths of a dollar",
                path.display()
            ),
        })?;
        totals.insert(unpack(k), (v, n));
    }
    let dropped: BTreeMap<&'static str, u64> = DROP_REASONS
        .iter()
        .zip(acc.dropped)
        .filter(|(_, n)| *n > 0)
        .map(|(r, n)| (*r, n))
        .collect();
    let account = Account {
        format: input.format.as_str(),
        file: path.display().to_string(),
        bytes,
        sha256,
        read,
        kept: acc.kept,
        dropped,
        rejected: rejects.len() as u64,
        totals: totals.len() as u64,
    };
    let dropped_n: u64 = account.dropped.values().sum();
    if account.kept + dropped_n + account.rejected != account.read {
        return Err(patronage_core::Unbalanced {
            file: account.file,
            read: account.read,
            kept: account.kept,
            dropped: dropped_n,
            rejected: account.rejected,
        }
        .into());
    }
    Ok(Folded {
        input: input.clone(),
        account,
        totals,
        rejects,
    })
}

/// One `mirror_all` row before the ISO3 codes are looked up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MirrorCell {
    /// Focus exports, mills.
    pub exports: Option<i64>,
    /// Focus imports, mills.
    pub imports: Option<i64>,
    /// Source rows behind the cell.
    pub rows: u64,
}

/// (focus code, partner code, year) → cell, ascending.
pub type MirrorCells = BTreeMap<(u32, u32, i32), MirrorCell>;

/// The mirror of one file's totals for every country as focus.
pub fn mirror_cells(folded: &Folded) -> Result<BTreeMap<(u32, u32, i32), MirrorCell>, BulkError> {
    let mut out = MirrorCells::new();
    let add = |slot: &mut Option<i64>, v: i64| -> Result<(), BulkError> {
        *slot = Some(
            slot.unwrap_or(0)
                .checked_add(v)
                .ok_or_else(|| TablesError::Contract {
                    table: MIRROR_ALL.name,
                    message: "a mirror total exceeds the 64-bit range".to_string(),
                })?,
        );
        Ok(())
    };
    for (&(year, a, b, flow), &(v, n)) in &folded.totals {
        match folded.input.format {
            BulkFormat::Baci => {
                // a exported to b: a's exports, b's imports.
                let c = out.entry((a, b, year)).or_default();
                add(&mut c.exports, v)?;
                c.rows += n;
                let c = out.entry((b, a, year)).or_default();
                add(&mut c.imports, v)?;
                c.rows += n;
            }
            BulkFormat::ComtradeV1Bulk => {
                // Reporter a's report on partner b, read as b's trade with a.
                let c = out.entry((b, a, year)).or_default();
                if flow == 0 {
                    add(&mut c.exports, v)?;
                } else {
                    add(&mut c.imports, v)?;
                }
                c.rows += n;
            }
        }
    }
    Ok(out)
}

/// Dollars from exact thousandths, as `mirror_trade` writes them.
fn usd(mills: &[Option<i64>]) -> Vec<Option<f64>> {
    mills
        .iter()
        .map(|m| m.map(|m| patronage_core::usd_from_mills(m.into())))
        .collect()
}

/// The cells of `mirror_all` before the ISO3 codes are looked up, keyed as the
/// table is sorted: (source, focus code, partner code, year) → cell, ascending.
/// Two files of one source add into one cell; so do two shards' partial cells.
pub type MirrorSums = BTreeMap<(&'static str, u32, u32, i32), MirrorCell>;

/// Add `c` into the cell at `key`: the mills exactly (a side missing on both
/// stays missing), the rows folded summed. A sum beyond 64 bits is an error.
pub fn add_cell(
    sums: &mut MirrorSums,
    key: (&'static str, u32, u32, i32),
    c: MirrorCell,
) -> Result<(), BulkError> {
    let sum = |a: Option<i64>, b: Option<i64>| match (a, b) {
        (Some(a), Some(b)) => a
            .checked_add(b)
            .ok_or_else(|| TablesError::Contract {
                table: MIRROR_ALL.name,
                message: "a mirror total exceeds the 64-bit range".to_string(),
            })
            .map(Some),
        (a, b) => Ok(a.or(b)),
    };
    let m = sums.entry(key).or_default();
    m.exports = sum(m.exports, c.exports)?;
    m.imports = sum(m.imports, c.imports)?;
    m.rows += c.rows;
    Ok(())
}

/// The cells of several folded files: two files of one format are one source.
pub fn mirror_sums(folded: &[Folded]) -> Result<MirrorSums, BulkError> {
    let mut sums = MirrorSums::new();
    for f in folded {
        let source = f.input.format.as_str();
        for ((focus, partner, year), c) in mirror_cells(f)? {
            add_cell(&mut sums, (source, focus, partner, year), c)?;
        }
    }
    Ok(sums)
}

/// The `mirror_all` frame of several files, in key order: the columns of
/// `mirror_trade`'s vocabulary (ISO3 codes, dollars) and the exact sums.
pub fn mirror_frame(folded: &[Folded], registry: &CountryRegistry) -> Result<DataFrame, BulkError> {
    sums_frame(&mirror_sums(folded)?, registry)
}

/// The `mirror_all` frame of its cells, in key order, the dollars computed from
/// the exact sums: the one builder of the table, whether the cells come from
/// the files folded in this process or from the shards' partial tables.
pub fn sums_frame(sums: &MirrorSums, registry: &CountryRegistry) -> Result<DataFrame, BulkError> {
    let iso = |code: u32, year: i32| -> String {
        registry
            .lookup(code, year)
            .map(|c| c.iso3.clone())
            .unwrap_or_default()
    };
    let (mut source, mut fc, mut f, mut pc, mut p, mut y, mut ex, mut im, mut n) = (
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
    );
    for (&(s, focus, partner, year), c) in sums {
        source.push(s);
        fc.push(focus as i32);
        f.push(iso(focus, year));
        pc.push(partner as i32);
        p.push(iso(partner, year));
        y.push(year);
        ex.push(c.exports);
        im.push(c.imports);
        n.push(c.rows as i64);
    }
    let table = table_error(&MIRROR_ALL);
    DataFrame::new_infer_height(vec![
        Series::new("source".into(), source).into_column(),
        Series::new("focus_code".into(), fc).into_column(),
        Series::new("focus_iso3".into(), f).into_column(),
        Series::new("partner_code".into(), pc).into_column(),
        Series::new("partner_iso3".into(), p).into_column(),
        Series::new("year".into(), y).into_column(),
        Series::new("focus_exports_usd".into(), usd(&ex)).into_column(),
        Series::new("focus_imports_usd".into(), usd(&im)).into_column(),
        Series::new("focus_exports_mills".into(), ex).into_column(),
        Series::new("focus_imports_mills".into(), im).into_column(),
        Series::new("rows_folded".into(), n).into_column(),
    ])
    .map_err(|e| table(e).into())
}

/// One row of the `rejects` that `mirror-all` writes (stage `extract`).
#[derive(Debug, Clone, Copy)]
pub struct RejectEntry<'a> {
    /// The input's format name.
    pub source: &'a str,
    /// The input as given.
    pub file: &'a str,
    /// Line in the input.
    pub line: u64,
    /// Column where the record starts.
    pub column: u64,
    /// Reason code.
    pub reason: &'a str,
    /// What was wrong.
    pub detail: &'a str,
    /// The row as read.
    pub raw: &'a str,
}

/// The rejects of the folded files, in input order.
pub fn reject_entries(folded: &[Folded]) -> Vec<RejectEntry<'_>> {
    folded
        .iter()
        .flat_map(|f| {
            f.rejects.iter().map(|r| RejectEntry {
                source: f.input.format.as_str(),
                file: &f.account.file,
                line: r.line,
                column: r.column,
                reason: r.reason,
                detail: &r.detail,
                raw: &r.raw,
            })
        })
        .collect()
}

/// The `rejects` frame, sorted by source, file and line (stably: rows of one
/// line keep their order): the one builder of the table, whether the rows come
/// from the files folded in this process or from the shards' partial tables.
pub fn rejects_frame(mut rows: Vec<RejectEntry<'_>>) -> Result<DataFrame, BulkError> {
    rows.sort_by(|a, b| (a.source, a.file, a.line).cmp(&(b.source, b.file, b.line)));
    fn col<'a>(
        name: &str,
        rows: &[RejectEntry<'a>],
        f: impl Fn(&RejectEntry<'a>) -> &'a str,
    ) -> Column {
        Series::new(name.into(), rows.iter().map(f).collect::<Vec<_>>()).into_column()
    }
    fn long(name: &str, rows: &[RejectEntry<'_>], f: impl Fn(&RejectEntry<'_>) -> u64) -> Column {
        Series::new(
            name.into(),
            rows.iter().map(|r| f(r) as i64).collect::<Vec<_>>(),
        )
        .into_column()
    }
    let table = table_error(&REJECTS);
    DataFrame::new_infer_height(vec![
        col("stage", &rows, |_| "extract"),
        col("source_id", &rows, |r| r.source),
        col("source_file", &rows, |r| r.file),
        long("source_line", &rows, |r| r.line),
        long("source_column", &rows, |r| r.column),
        col("reason", &rows, |r| r.reason),
        col("detail", &rows, |r| r.detail),
        col("raw", &rows, |r| r.raw),
    ])
    .map_err(|e| table(e).into())
}

/// What a `mirror-all` run wrote.
#[derive(Debug, Serialize)]
pub struct MirrorAllReport {
    /// SHA-256 over the inputs' hashes in order (also in the Parquet footers);
    /// null under `--no-hash`.
    pub inputs_sha256: Option<String>,
    /// Per input file, in the order given.
    pub inputs: Vec<Account>,
    /// Rows of `mirror_all`.
    pub mirror_rows: u64,
    /// Rows of `rejects`.
    pub rejects: u64,
    /// The files written, with their hashes, so `mirror_all_report.json` is the
    /// run's manifest.
    pub outputs: Vec<OutputFile>,
}

/// A file `mirror-all` wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputFile {
    /// File name in the output folder.
    pub file: String,
    /// Table rows.
    pub rows: u64,
    /// Size.
    pub bytes: u64,
    /// Hex SHA-256 of the file.
    pub sha256: String,
}

/// Remove the `mirror_all` files of the form not being written: the single
/// file before parts are written, the parts (`mirror_all/<column>=<value>/part-N.parquet`,
/// and the folders they leave empty) before the single file is.
fn remove_other_form(out: &Path, partitioned: bool) -> Result<(), BulkError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| TablesError::Write { path, source }
    };
    if partitioned {
        let single = out.join("mirror_all.parquet");
        if single.is_file() {
            std::fs::remove_file(&single).map_err(io(&single))?;
        }
        return Ok(());
    }
    let Ok(folders) = std::fs::read_dir(out.join("mirror_all")) else {
        return Ok(());
    };
    for folder in folders.filter_map(Result::ok) {
        let name = folder.file_name().to_string_lossy().into_owned();
        if !name.contains('=') || !folder.path().is_dir() {
            continue;
        }
        for f in std::fs::read_dir(folder.path())
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
        {
            let n = f.file_name().to_string_lossy().into_owned();
            if n.starts_with("part-") && n.ends_with(".parquet") {
                std::fs::remove_file(f.path()).map_err(io(&f.path()))?;
            }
        }
        let _ = std::fs::remove_dir(folder.path());
    }
    let _ = std::fs::remove_dir(out.join("mirror_all"));
    Ok(())
}

/// Fold every input (all at once, on every core), then write
/// `mirror_all.parquet`, `rejects.parquet` and `mirror_all_report.json` (the
/// accounting) into `out`.
pub fn run_mirror_all(
    inputs: &[BulkInput],
    out: &Path,
    hash: bool,
) -> Result<MirrorAllReport, BulkError> {
    run_mirror_all_partitioned(inputs, out, hash, None)
}

/// [`run_mirror_all`], with `mirror_all` written as Hive partitions by the
/// column `partition_by` (`year`: `mirror_all/year=2019/part-0.parquet`, each
/// part in the report with its SHA-256) when given. The other form's files of
/// `mirror_all` in `out` (the single file, or parts) are removed, so the folder
/// holds one form.
pub fn run_mirror_all_partitioned(
    inputs: &[BulkInput],
    out: &Path,
    hash: bool,
    partition_by: Option<&str>,
) -> Result<MirrorAllReport, BulkError> {
    let registry = CountryRegistry::comtrade();
    let folded = fold_inputs(inputs, registry, hash)?;
    let mirror = mirror_frame(&folded, registry)?;
    let rejects = rejects_frame(reject_entries(&folded))?;
    let accounts: Vec<Account> = folded.iter().map(|f| f.account.clone()).collect();
    write_job(out, accounts, mirror, rejects, partition_by)
}

/// The footer provenance of a whole job's tables and the hash over its inputs'
/// hashes (none when an input was not hashed), from its accounts in input order.
fn job_provenance(accounts: &[Account]) -> (Provenance, Option<String>) {
    let job = serde_json::to_string(
        &accounts
            .iter()
            .map(|a| (a.format, &a.file))
            .collect::<Vec<_>>(),
    )
    .unwrap_or_default();
    let hashes: Option<Vec<&str>> = accounts.iter().map(|a| a.sha256.as_deref()).collect();
    let inputs_sha256 = hashes.map(|h| sha256_hex(h.join("\n").as_bytes()));
    let prov = Provenance {
        pipeline: "mirror-all".to_string(),
        pipeline_sha256: sha256_hex(job.as_bytes()),
        inputs_sha256: inputs_sha256.clone().unwrap_or_default(),
    };
    (prov, inputs_sha256)
}

/// Write a whole job's outputs into `out`: its tables (see [`write_tables`]),
/// then `mirror_all_report.json` last, with the accounts in the job's input
/// order. The one writer of a job's outputs, whether the frames were folded in
/// this process or merged from shards.
pub fn write_job(
    out: &Path,
    accounts: Vec<Account>,
    mut mirror: DataFrame,
    mut rejects: DataFrame,
    partition_by: Option<&str>,
) -> Result<MirrorAllReport, BulkError> {
    let (prov, inputs_sha256) = job_provenance(&accounts);
    let outputs = write_tables(out, &mut mirror, &mut rejects, &prov, partition_by)?;
    let report = MirrorAllReport {
        inputs_sha256,
        inputs: accounts,
        mirror_rows: mirror.height() as u64,
        rejects: rejects.height() as u64,
        outputs,
    };
    let json = serde_json::to_vec_pretty(&report).unwrap_or_default();
    write_atomic(&out.join("mirror_all_report.json"), &json)?;
    Ok(report)
}

/// Check the frames against their contracts and write `mirror_all` (one file,
/// or Hive parts by `partition_by`, the other form's files removed) and
/// `rejects.parquet` into `out`, each atomically, footers carrying `prov`;
/// returns the files written, `mirror_all`'s first, with their hashes.
pub fn write_tables(
    out: &Path,
    mirror: &mut DataFrame,
    rejects: &mut DataFrame,
    prov: &Provenance,
    partition_by: Option<&str>,
) -> Result<Vec<OutputFile>, BulkError> {
    check_contract(mirror, &MIRROR_ALL)?;
    check_contract(rejects, &REJECTS)?;
    std::fs::create_dir_all(out).map_err(|source| TablesError::Write {
        path: out.to_path_buf(),
        source,
    })?;
    let output = |file: &str, rows: usize, bytes: &[u8]| OutputFile {
        file: file.to_string(),
        rows: rows as u64,
        bytes: bytes.len() as u64,
        sha256: sha256_hex(bytes),
    };
    remove_other_form(out, partition_by.is_some())?;
    let parts = match partition_by {
        Some(by) => to_parquet_partitions(mirror, &MIRROR_ALL, prov, by)?,
        None => vec![Part {
            file: "mirror_all.parquet".to_string(),
            rows: mirror.height(),
            bytes: to_parquet_bytes(mirror, &MIRROR_ALL, prov)?,
        }],
    };
    let mut outputs = Vec::with_capacity(parts.len() + 1);
    for part in &parts {
        write_atomic(&out.join(&part.file), &part.bytes)?;
        outputs.push(output(&part.file, part.rows, &part.bytes));
    }
    let r = to_parquet_bytes(rejects, &REJECTS, prov)?;
    write_atomic(&out.join("rejects.parquet"), &r)?;
    outputs.push(output("rejects.parquet", rejects.height(), &r));
    Ok(outputs)
}
