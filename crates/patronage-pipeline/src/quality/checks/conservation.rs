//! `conservation`: the built-in row accounting check, one per source, named
//! `conservation_<source id>`. It holds when read = kept + dropped + rejected in
//! the run's accounting and the canonical table and `rejects` hold as many of
//! the source's records as the accounting says they keep and reject. Pipeline
//! files cannot declare it, nor name a check with its prefix.

use std::collections::{BTreeMap, BTreeSet};

use patronage_tables::contracts::{self, TableSpec};
use polars::prelude::*;

use super::results::{CheckResult, Status};
use super::Severity;
use crate::domain::manifest::RowAccount;
use crate::domain::spill::{DiskTable, Segment};

/// Names of the built-in row accounting checks start with this, then the source id.
pub const CONSERVATION_PREFIX: &str = "conservation_";

/// The kind name of the row accounting checks in `check_results`.
pub const NAME: &str = "conservation";

/// What the row accounting check needs of one source.
#[derive(Debug, Clone, Copy)]
pub struct SourceRows<'a> {
    /// Source id.
    pub id: &'a str,
    /// The canonical table the source's domain normalizes into.
    pub canonical: &'static TableSpec,
    /// Its row accounting, summed over its files.
    pub rows: &'a RowAccount,
}

/// The row accounting checks of `sources`, in their order; `frame` gives a
/// built table by name. Each table is counted once for every source (a run may
/// have thousands of sources).
pub(super) fn check_all<'f>(
    sources: &[SourceRows<'_>],
    frame: impl Fn(&str) -> Option<&'f DataFrame>,
    on_disk: Option<&DiskTable>,
) -> PolarsResult<Vec<CheckResult>> {
    let mut counted: BTreeMap<&str, Option<BTreeMap<String, u64>>> = BTreeMap::new();
    for table in sources
        .iter()
        .map(|s| s.canonical)
        .chain([&contracts::REJECTS])
    {
        if !counted.contains_key(table.name) {
            let key = if table.name == contracts::REJECTS.name {
                &[][..]
            } else {
                record_columns(table)
            };
            let counts = match on_disk.filter(|_| table.name == contracts::TRADE_FLOWS.name) {
                Some(t) => Some(count_on_disk(t, key)?),
                None => frame(table.name)
                    .map(|df| count_records(df, key))
                    .transpose()?
                    .flatten(),
            };
            counted.insert(table.name, counts);
        }
    }
    // A table without a `source_id` column cannot be counted (None); a source
    // with no row in a table that has one holds 0 records there.
    let records = |table: &str, id: &str| {
        counted
            .get(table)
            .map(|c| c.as_ref().map(|c| c.get(id).copied().unwrap_or(0)))
    };
    Ok(sources
        .iter()
        .map(|s| {
            conservation(
                s.id,
                s.canonical,
                s.rows,
                records(s.canonical.name, s.id),
                records(contracts::REJECTS.name, s.id),
            )
        })
        .collect())
}

/// The columns that name one source record in a canonical table. A record may
/// become several rows (an OCHA FTS flow split by usage year, an OECD CRS line
/// with a commitment and a disbursement), and the row accounting counts records.
/// A trade record is placed by line and column: the records of a JSON response
/// saved on one line share their line.
fn record_columns(table: &TableSpec) -> &'static [&'static str] {
    match table.name {
        "aid_events" | "labor_stock" => &["source_file", "source_ref"],
        "trade_flows" => &["source_file", "source_line", "source_column"],
        _ => &["source_file", "source_line"],
    }
}

/// Records of `df` per `source_id`: distinct values of `key`, or rows when `key`
/// is empty; None when the table has no `source_id` column.
fn count_records(df: &DataFrame, key: &[&str]) -> PolarsResult<Option<BTreeMap<String, u64>>> {
    let Ok(ids) = df.column("source_id") else {
        return Ok(None);
    };
    let ids = ids.str()?;
    let columns = key
        .iter()
        .map(|c| df.column(c)?.cast(&DataType::String))
        .collect::<PolarsResult<Vec<_>>>()?;
    let mut seen = BTreeSet::new();
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for i in 0..df.height() {
        let Some(id) = ids.get(i) else { continue };
        if !key.is_empty() {
            let record: Vec<Option<&str>> = columns
                .iter()
                .map(|c| c.str().map(|s| s.get(i)))
                .collect::<PolarsResult<_>>()?;
            if !seen.insert((id, record)) {
                continue;
            }
        }
        *counts.entry(id.to_string()).or_default() += 1;
    }
    Ok(Some(counts))
}

/// Records of `trade_flows` on disk per `source_id`: the rows of a source's
/// files on disk (distinct by construction: each file's rows were checked to be
/// in strictly increasing line and column order as they were written), and
/// the records of the rows held in memory.
fn count_on_disk(t: &DiskTable, key: &[&str]) -> PolarsResult<BTreeMap<String, u64>> {
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for (id, segment) in &t.segments {
        match segment {
            Segment::Disk(files) => {
                *counts.entry(id.clone()).or_default() += files.iter().map(|f| f.rows).sum::<u64>();
            }
            Segment::Memory(df) => {
                for (id, n) in count_records(df, key)?.unwrap_or_default() {
                    *counts.entry(id).or_default() += n;
                }
            }
        }
    }
    Ok(counts)
}

/// read = kept + dropped + rejected from the run's accounting, and the kept and
/// rejected counts equal to the rows the tables hold for the source.
fn conservation(
    id: &str,
    canonical: &'static TableSpec,
    r: &RowAccount,
    kept_rows: Option<Option<u64>>,
    rejected_rows: Option<Option<u64>>,
) -> CheckResult {
    let mut detail = format!(
        "read {} = kept {} + dropped {} + rejected {}",
        r.read,
        r.kept,
        r.dropped_total(),
        r.rejected
    );
    let mut ok = r.balances();
    let mut failing = 0u64;
    for (what, table, counted, expected) in [
        ("kept", canonical.name, kept_rows, r.kept),
        (
            "rejected",
            contracts::REJECTS.name,
            rejected_rows,
            r.rejected,
        ),
    ] {
        if let Some(Some(n)) = counted {
            detail.push_str(&format!("; {table} holds {n} records of the source"));
            if n != expected {
                ok = false;
                failing += n.abs_diff(expected);
                detail.push_str(&format!(" (accounting says {what} {expected})"));
            }
        }
    }
    if !r.balances() {
        failing += r.read.abs_diff(r.kept + r.dropped_total() + r.rejected);
    }
    CheckResult {
        check: format!("{CONSERVATION_PREFIX}{id}"),
        kind: NAME,
        table: canonical.name,
        severity: Severity::Error,
        status: if ok { Status::Pass } else { Status::Fail },
        failing_rows: failing,
        detail,
        sample: String::new(),
    }
}
