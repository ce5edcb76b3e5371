//! The deterministic Parquet writer: same frame, same bytes. Writer options are
//! pinned (codec and level, row-group and page sizes, statistics), the frame is
//! rechunked, and the footer carries provenance key-values but no timestamp.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::contracts::{ColumnType, TableSpec, SCHEMA_VERSION};
use polars::prelude::*;

use crate::{TablesError, TOOL_VERSION};

/// Rows per row group; fixed so files do not depend on the machine.
const ROW_GROUP_ROWS: usize = 65_536;
/// Zstandard level.
const ZSTD_LEVEL: i32 = 3;

/// What identifies the build, written into every footer.
#[derive(Debug, Clone)]
pub struct Provenance {
    /// Pipeline name.
    pub pipeline: String,
    /// SHA-256 of the pipeline file.
    pub pipeline_sha256: String,
    /// SHA-256 over the input files' hashes, in manifest order.
    pub inputs_sha256: String,
}

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

fn dtype(t: ColumnType) -> DataType {
    match t {
        ColumnType::Str => DataType::String,
        ColumnType::Int32 => DataType::Int32,
        ColumnType::Int64 => DataType::Int64,
        ColumnType::Float64 => DataType::Float64,
        ColumnType::Bool => DataType::Boolean,
    }
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
    let table = spec.name;
    let polars_err = |source| TablesError::Table { table, source };
    df.rechunk_mut();
    // polars declares strings as Utf8View in the Arrow schema it embeds, and
    // pyarrow then reads `string_view`, which many compute kernels and older
    // readers do not support. The Parquet pages are the same BYTE_ARRAY either way,
    // so the footer declares the oldest Arrow types (LargeUtf8), which every Arrow
    // reader handles.
    let arrow_schema = df.schema().to_arrow(CompatLevel::oldest());
    let arrow_kv = polars_parquet::write::schema_to_metadata_key(&arrow_schema);
    let kv = vec![
        (arrow_kv.key, arrow_kv.value.unwrap_or_default()),
        ("patronage.table".to_string(), table.to_string()),
        (
            "patronage.schema_version".to_string(),
            SCHEMA_VERSION.to_string(),
        ),
        (
            "patronage.tool_version".to_string(),
            TOOL_VERSION.to_string(),
        ),
        ("patronage.pipeline".to_string(), prov.pipeline.clone()),
        (
            "patronage.pipeline_sha256".to_string(),
            prov.pipeline_sha256.clone(),
        ),
        (
            "patronage.inputs_sha256".to_string(),
            prov.inputs_sha256.clone(),
        ),
        ("patronage.key".to_string(), spec.key.join(",")),
    ];
    let mut kv = kv;
    if let Some((column, value)) = partition {
        kv.push((
            "patronage.partition".to_string(),
            format!("{column}={value}"),
        ));
    }
    let mut buf = Vec::new();
    ParquetWriter::new(&mut buf)
        .with_compression(ParquetCompression::Zstd(Some(
            polars_parquet::write::ZstdLevel::try_new(ZSTD_LEVEL).map_err(polars_err)?,
        )))
        .with_statistics(StatisticsOptions::full())
        .with_row_group_size(Some(ROW_GROUP_ROWS))
        .with_key_value_metadata(Some(KeyValueMetadata::from_static(kv)))
        .finish(df)
        .map_err(polars_err)?;
    Ok(buf)
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
    match spec.column(by) {
        Some(c) if c.dtype == ColumnType::Int32 && !c.nullable => {}
        _ => {
            return Err(TablesError::Contract {
                table,
                message: format!(
                    "`{by}` is not a non-null int32 column: it cannot name partitions"
                ),
            })
        }
    }
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
            file: format!("{table}/{by}={value}/part-0.parquet"),
            rows: part.height(),
            bytes,
        });
    }
    Ok(parts)
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
