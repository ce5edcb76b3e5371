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
use crate::domain::read::key_ties;
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
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    // A source's id is allocated once, not once a row.
    let mut add = |id: &str| match counts.get_mut(id) {
        Some(n) => *n += 1,
        None => {
            counts.insert(id.to_string(), 1);
        }
    };
    // A table in (source_id, key) order, as a built canonical table is, has
    // the rows of a record next to each other: a record starts where a row
    // does not tie with the one before, and nothing is held per row.
    let ordered: Vec<&str> = std::iter::once("source_id")
        .chain(key.iter().copied())
        .collect();
    if !key.is_empty() {
        if let Some(tied) = key_ties(df, &ordered)? {
            for i in 0..df.height() {
                if i > 0 && tied[i - 1] {
                    continue;
                }
                if let Some(id) = ids.get(i) {
                    add(id);
                }
            }
            return Ok(Some(counts));
        }
    }
    let columns = key
        .iter()
        .map(|c| df.column(c)?.cast(&DataType::String))
        .collect::<PolarsResult<Vec<_>>>()?;
    let mut seen = BTreeSet::new();
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
        add(id);
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Records are counted alike whether the rows are in key order (the
    /// rows of a record side by side, counted where a record starts) or not
    /// (counted through a set). SYNTHETIC rows, counted by hand: source `a`
    /// has three records, one of them two rows (a JSON record split in two
    /// flows, line 2 column 5), and one row with no id; source `b` has two.
    #[test]
    fn records_are_counted_alike_in_key_order_or_not() {
        let ids = [
            None,
            Some("a"),
            Some("a"),
            Some("a"),
            Some("a"),
            Some("b"),
            Some("b"),
        ];
        let files = ["f", "f", "f", "f", "g", "f", "f"];
        let lines = [1i64, 2, 2, 3, 2, 1, 2];
        let columns = [1i64, 5, 5, 1, 1, 1, 1];
        let sorted = df!(
            "source_id" => ids,
            "source_file" => files,
            "source_line" => lines,
            "source_column" => columns,
        )
        .unwrap();
        let key = record_columns(&contracts::TRADE_FLOWS);
        assert!(key_ties(&sorted, &["source_id", "source_file"])
            .unwrap()
            .is_some());
        let want = BTreeMap::from([("a".to_string(), 3u64), ("b".to_string(), 2)]);
        assert_eq!(count_records(&sorted, key).unwrap(), Some(want.clone()));
        // The same rows, last first: not in key order.
        let reversed = sorted.reverse();
        assert!(key_ties(&reversed, &["source_id"]).unwrap().is_none());
        assert_eq!(count_records(&reversed, key).unwrap(), Some(want));
        // No key: rows are counted.
        let rows = BTreeMap::from([("a".to_string(), 4u64), ("b".to_string(), 2)]);
        assert_eq!(count_records(&sorted, &[]).unwrap(), Some(rows));
    }
}
