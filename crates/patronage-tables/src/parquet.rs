//! The deterministic Parquet writer: same frame, same bytes. Writer options are
//! pinned (codec and level, row-group and page sizes, statistics; the batch
//! writer of `stream.rs`, fed the whole frame), and the footer carries
//! provenance key-values but no timestamp.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::contracts::TableSpec;
use polars::prelude::*;

use crate::parts::{check_partition_column, part_file};
use crate::stream::{dtype, PinnedWriter};
pub use crate::stream::{Provenance, ROW_GROUP_ROWS};
use crate::TablesError;

/// A table on disk.
#[derive(Debug, Clone)]
pub struct Written {
    /// Table name.
    pub table: &'static str,
    /// File written.
    pub path: PathBuf,
    /// Rows.
    pub rows: usize,
    /// Bytes.
    pub bytes: u64,
    /// SHA-256 of the bytes.
    pub sha256: String,
}

/// Check a frame's columns, order, types and nulls against its contract.
pub fn check_contract(df: &DataFrame, spec: &TableSpec) -> Result<(), TablesError> {
    let err = |message: String| TablesError::Contract {
        table: spec.name,
        message,
    };
    let names: Vec<&str> = df.get_column_names().iter().map(|n| n.as_str()).collect();
    let wanted: Vec<&str> = spec.columns.iter().map(|c| c.name).collect();
    if names != wanted {
        return Err(err(format!("columns {names:?}, contract {wanted:?}")));
    }
    for (c, s) in df.columns().iter().zip(spec.columns) {
        if c.dtype() != &dtype(s.dtype) {
            return Err(err(format!(
                "column `{}` is {}, contract says {}",
                s.name,
                c.dtype(),
                s.dtype.as_str()
            )));
        }
        if !s.nullable && c.null_count() > 0 {
            return Err(err(format!(
                "column `{}` has {} nulls and may have none",
                s.name,
                c.null_count()
            )));
        }
    }
    Ok(())
}

/// Serialize a frame to Parquet bytes with the pinned options.
pub fn to_parquet_bytes(
    df: &mut DataFrame,
    spec: &TableSpec,
    prov: &Provenance,
) -> Result<Vec<u8>, TablesError> {
    pinned_bytes(df, spec, prov, None)
}

/// [`to_parquet_bytes`], for a whole table or, with `partition`, one Hive
/// partition of it (`("year", "2019")`: the footer says so).
fn pinned_bytes(
    df: &mut DataFrame,
    spec: &TableSpec,
    prov: &Provenance,
    partition: Option<(&str, &str)>,
) -> Result<Vec<u8>, TablesError> {
    let schema = df.schema().as_ref().clone();
    let mut writer = PinnedWriter::table(Vec::new(), spec, &schema, prov, partition)?;
    writer.write(df)?;
    Ok(writer.finish()?.0)
}

/// One file of a table written as Hive partitions.
#[derive(Debug, Clone)]
pub struct Part {
    /// Path relative to the output folder, `/`-separated:
    /// `trade_flows/year=2019/part-0.parquet`.
    pub file: String,
    /// Rows.
    pub rows: usize,
    /// The file's bytes.
    pub bytes: Vec<u8>,
}

/// A table as Hive partitions by the 32-bit integer column `by`: one folder per
/// value, ascending (`<table>/<by>=<value>/part-0.parquet`), each file holding
/// that value's rows in the table's order without the column `by` (readers take
/// it from the folder name, as DuckDB, polars and pyarrow do), written with the
/// pinned options of [`to_parquet_bytes`]. The frame is checked against its
/// contract first; the parts are serialized one after another, so at most one
/// part's copy is in memory besides the frame.
pub fn to_parquet_partitions(
    df: &DataFrame,
    spec: &TableSpec,
    prov: &Provenance,
    by: &str,
) -> Result<Vec<Part>, TablesError> {
    check_contract(df, spec)?;
    let table = spec.name;
    let polars_err = |source| TablesError::Table { table, source };
    check_partition_column(spec, by)?;
    let values = df
        .column(by)
        .map_err(polars_err)?
        .i32()
        .map_err(polars_err)?;
    let mut distinct: Vec<i32> = values.iter().flatten().collect();
    distinct.sort_unstable();
    distinct.dedup();
    let mut parts = Vec::with_capacity(distinct.len());
    for v in distinct {
        let mut part = df
            .clone()
            .lazy()
            .filter(col(by).eq(lit(v)))
            .drop(Selector::ByName {
                names: Arc::new([PlSmallStr::from(by)]),
                strict: true,
            })
            .collect()
            .map_err(polars_err)?;
        let value = v.to_string();
        let bytes = pinned_bytes(&mut part, spec, prov, Some((by, &value)))?;
        parts.push(Part {
            file: part_file(table, by, v),
            rows: part.height(),
            bytes,
        });
    }
    Ok(parts)
}

/// Remove `path` if it is there (a file already gone is no error).
pub fn remove_if_present(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Write bytes atomically: a temporary file in the same folder, then a rename, so
/// a reader never sees half a table.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), TablesError> {
    let io = |source| TablesError::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    std::fs::write(&tmp, bytes).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}
