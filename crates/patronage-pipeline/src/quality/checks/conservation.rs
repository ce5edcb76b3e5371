//! `conservation`: the built-in row accounting check, one per source, named
//! `conservation_<source id>`. It holds when read = kept + dropped + rejected in
//! the run's accounting and the canonical table and `rejects` hold as many of
//! the source's records as the accounting says they keep and reject. Pipeline
//! files cannot declare it, nor name a check with its prefix.

use patronage_tables::contracts::{self, TableSpec};
use polars::prelude::*;

use super::results::{CheckResult, Status};
use super::Severity;
use crate::domain::manifest::RowAccount;

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

/// The row accounting check of `source`; `frame` gives a built table by name.
pub(super) fn check<'f>(
    source: &SourceRows<'_>,
    frame: impl Fn(&str) -> Option<&'f DataFrame>,
) -> PolarsResult<CheckResult> {
    let canonical = source.canonical;
    let kept = frame(canonical.name)
        .map(|df| count_records(df, source.id, record_columns(canonical)))
        .transpose()?;
    let rejected = frame(contracts::REJECTS.name)
        .map(|df| count_records(df, source.id, &[]))
        .transpose()?;
    Ok(conservation(
        source.id,
        canonical,
        source.rows,
        kept,
        rejected,
    ))
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

/// Records of `df` whose `source_id` is `id`: distinct values of `key`, or rows
/// when `key` is empty; None when the table has no `source_id` column.
fn count_records(df: &DataFrame, id: &str, key: &[&str]) -> PolarsResult<Option<u64>> {
    if df.column("source_id").is_err() {
        return Ok(None);
    }
    let rows = df
        .clone()
        .lazy()
        .filter(col("source_id").eq(lit(id)))
        .collect()?;
    if key.is_empty() {
        return Ok(Some(rows.height() as u64));
    }
    let columns = key
        .iter()
        .map(|c| rows.column(c)?.cast(&DataType::String))
        .collect::<PolarsResult<Vec<_>>>()?;
    let mut seen = std::collections::BTreeSet::new();
    for i in 0..rows.height() {
        let record: Vec<Option<String>> = columns
            .iter()
            .map(|c| c.str().map(|s| s.get(i).map(str::to_string)))
            .collect::<PolarsResult<_>>()?;
        seen.insert(record);
    }
    Ok(Some(seen.len() as u64))
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
