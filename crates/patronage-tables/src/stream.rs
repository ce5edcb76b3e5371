//! The pinned Parquet writer, fed a table batch by batch. Whatever the sizes of
//! the batches, the rows are cut into row groups of exactly [`ROW_GROUP_ROWS`]
//! (the last one shorter), each written out as soon as it is full, so at most
//! one row group is held and the bytes depend only on the rows, the options and
//! the footer: a whole frame written in one batch (what
//! [`crate::parquet::to_parquet_bytes`] does) and the same rows streamed in any
//! batches give the same bytes. What is written is counted and hashed (SHA-256)
//! on its way out, so a file of any size is fingerprinted without being read
//! back.

use std::io::Write;
use std::sync::{Arc, Mutex};

use polars::prelude::*;
use polars_parquet::write::{CompressedPage, Version, WriteOptions};

use crate::contracts::{ColumnType, TableSpec, SCHEMA_VERSION};
use crate::hash::HashingWriter;
use crate::{TablesError, TOOL_VERSION};

/// Rows per row group; fixed so files do not depend on the machine, the
/// thread count or how the rows arrived.
pub const ROW_GROUP_ROWS: usize = 65_536;
/// Rows in each row group of a scratch file ([`PinnedWriter::scratch`]): what
/// its writer holds at most (about a megabyte of `trade_flows` rows).
pub const SCRATCH_GROUP_ROWS: usize = 16_384;
/// Zstandard level of the tables.
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

/// The polars type of a contract's column type.
pub(crate) fn dtype(t: ColumnType) -> DataType {
    match t {
        ColumnType::Str => DataType::String,
        ColumnType::Int32 => DataType::Int32,
        ColumnType::Int64 => DataType::Int64,
        ColumnType::Float64 => DataType::Float64,
        ColumnType::Bool => DataType::Boolean,
    }
}

/// The schema of `spec`'s columns, in contract order, less the column
/// `without` (a Hive partition's column, which its folder names).
pub fn table_schema(spec: &TableSpec, without: Option<&str>) -> Schema {
    spec.columns
        .iter()
        .filter(|c| Some(c.name) != without)
        .map(|c| Field::new(c.name.into(), dtype(c.dtype)))
        .collect()
}

/// A file as written: rows, bytes and the bytes' SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    /// Rows written.
    pub rows: usize,
    /// Bytes written.
    pub bytes: u64,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
}

/// The output, shared with the Parquet writer so it can be taken back (with its
/// count and hash) once the writer is done with it.
struct Shared<W>(Arc<Mutex<HashingWriter<W>>>);

impl<W: Write> Write for Shared<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).flush()
    }
}

/// A Parquet file written batch by batch in row groups of [`ROW_GROUP_ROWS`]
/// ([`SCRATCH_GROUP_ROWS`] for a scratch file).
pub struct PinnedWriter<W: Write> {
    table: &'static str,
    schema: Schema,
    /// Rows in each row group but the last.
    group_rows: usize,
    /// The options the pages are written with (what the batched writer was
    /// given), for row groups written column by column.
    options: WriteOptions,
    writer: polars::io::parquet::write::BatchedWriter<Shared<W>>,
    out: Arc<Mutex<HashingWriter<W>>>,
    /// Rows given but not yet written: fewer than a row group.
    held: Option<DataFrame>,
    rows: usize,
}

impl<W: Write> PinnedWriter<W> {
    /// A table's file, or with `partition` one Hive partition of it
    /// (`("year", "2019")`: the footer says so), with the pinned output
    /// options: Zstandard, full statistics, and the provenance key-values
    /// (table, schema and tool versions, pipeline, inputs, key) in the footer.
    /// `schema` is the columns every batch has.
    pub fn table(
        out: W,
        spec: &TableSpec,
        schema: &Schema,
        prov: &Provenance,
        partition: Option<(&str, &str)>,
    ) -> Result<Self, TablesError> {
        let table = spec.name;
        let polars_err = |source| TablesError::Table { table, source };
        // polars declares strings as Utf8View in the Arrow schema it embeds, and
        // pyarrow then reads `string_view`, which many compute kernels and older
        // readers do not support. The Parquet pages are the same BYTE_ARRAY either
        // way, so the footer declares the oldest Arrow types (LargeUtf8), which
        // every Arrow reader handles.
        let arrow_schema = schema.to_arrow(CompatLevel::oldest());
        let arrow_kv = polars_parquet::write::schema_to_metadata_key(&arrow_schema);
        let mut kv = vec![
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
        if let Some((column, value)) = partition {
            kv.push((
                "patronage.partition".to_string(),
                format!("{column}={value}"),
            ));
        }
        let zstd = polars_parquet::write::ZstdLevel::try_new(ZSTD_LEVEL).map_err(polars_err)?;
        Self::with(
            out,
            (table, schema),
            ROW_GROUP_ROWS,
            (
                ParquetCompression::Zstd(Some(zstd)),
                StatisticsOptions::full(),
            ),
            Some(KeyValueMetadata::from_static(kv)),
        )
    }

    /// A scratch copy of a table's rows (a stage cache, read back only by this
    /// tool): without statistics or provenance, in row groups of
    /// [`SCRATCH_GROUP_ROWS`] (so the writer holds, and a reader reads, a few
    /// megabytes of rows at a time), and
    /// Snappy-compressed: read back (memory-mapped), its pages are inflated
    /// into buffers of their own, so no column read back holds on to the file's
    /// mapping (uncompressed pages would be borrowed from it, and a few rows
    /// kept from each row group would keep every row group's pages resident).
    pub fn scratch(out: W, table: &'static str, schema: &Schema) -> Result<Self, TablesError> {
        Self::with(
            out,
            (table, schema),
            SCRATCH_GROUP_ROWS,
            (ParquetCompression::Snappy, StatisticsOptions::empty()),
            None,
        )
    }

    fn with(
        out: W,
        (table, schema): (&'static str, &Schema),
        group_rows: usize,
        (compression, statistics): (ParquetCompression, StatisticsOptions),
        kv: Option<KeyValueMetadata>,
    ) -> Result<Self, TablesError> {
        let out = Arc::new(Mutex::new(HashingWriter::new(out)));
        let writer = ParquetWriter::new(Shared(Arc::clone(&out)))
            .with_compression(compression)
            .with_statistics(statistics)
            .with_key_value_metadata(kv)
            .with_row_group_size(Some(group_rows))
            .batched(schema)
            .map_err(|source| TablesError::Table { table, source })?;
        // What `ParquetWriter` gives its batched writer (polars-io's
        // `materialize_options`: no page size set).
        let options = WriteOptions {
            statistics,
            version: Version::V1,
            compression: compression.into(),
            data_page_size: None,
        };
        Ok(PinnedWriter {
            table,
            schema: schema.clone(),
            group_rows,
            options,
            writer,
            out,
            held: None,
            rows: 0,
        })
    }

    /// Rows given so far.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Add rows (columns as the writer's schema): every full row group is
    /// written out, the rest held until more rows come or the file is finished.
    pub fn write(&mut self, df: &DataFrame) -> Result<(), TablesError> {
        let table = self.table;
        let polars_err = |source| TablesError::Table { table, source };
        if df.height() == 0 {
            return Ok(());
        }
        if df.schema().as_ref() != &self.schema {
            return Err(TablesError::Contract {
                table,
                message: format!(
                    "a batch's columns {:?} are not the file's {:?}",
                    df.schema(),
                    self.schema
                ),
            });
        }
        self.rows += df.height();
        let all = match self.held.take() {
            Some(mut held) => {
                held.vstack_mut(df).map_err(polars_err)?;
                held
            }
            None => df.clone(),
        };
        let mut offset = 0;
        while all.height() - offset >= self.group_rows {
            self.flush(all.slice(offset as i64, self.group_rows))?;
            offset += self.group_rows;
        }
        if offset < all.height() {
            self.held = Some(all.slice(offset as i64, all.height() - offset));
        }
        Ok(())
    }

    /// Write `group` as one row group.
    fn flush(&mut self, mut group: DataFrame) -> Result<(), TablesError> {
        let table = self.table;
        group.rechunk_mut();
        self.writer
            .write_batch(&group)
            .map_err(|source| TablesError::Table { table, source })
    }

    /// Add `rows` rows given a column at a time, for a writer given no rows
    /// yet: `column(name, offset, len)` gives rows `offset..offset + len` of
    /// the column `name`. Each row group is encoded and compressed one column
    /// after the other, so only one column of a row group is held at once
    /// (and the group's compressed pages), never the group's rows: the bytes
    /// are those [`PinnedWriter::write`] gives for the same rows, since every
    /// column chunk of a row group is encoded from its own values alone.
    pub fn write_columns(
        &mut self,
        rows: usize,
        mut column: impl FnMut(&str, usize, usize) -> Result<Series, TablesError>,
    ) -> Result<(), TablesError> {
        let table = self.table;
        let polars_err = |source| TablesError::Table { table, source };
        if self.rows > 0 {
            return Err(TablesError::Contract {
                table,
                message: "rows given column by column must be a file's first".to_string(),
            });
        }
        let arrow = self.schema.to_arrow(CompatLevel::newest());
        let fields = polars_parquet::write::to_parquet_schema(&arrow)
            .map_err(polars_err)?
            .fields()
            .to_vec();
        let encodings = polars::io::parquet::write::get_encodings(&arrow);
        let mut offset = 0;
        while offset < rows {
            let len = self.group_rows.min(rows - offset);
            let mut group: Vec<Vec<CompressedPage>> = Vec::with_capacity(fields.len());
            for ((name, dtype), (field, encoding)) in
                self.schema.iter().zip(fields.iter().zip(encodings.iter()))
            {
                let values = column(name, offset, len)?;
                if values.len() != len || values.dtype() != dtype {
                    return Err(TablesError::Contract {
                        table,
                        message: format!(
                            "column `{name}` gave {} rows of {} where {len} rows of {dtype} were asked",
                            values.len(),
                            values.dtype()
                        ),
                    });
                }
                let array = values.rechunk().to_arrow(0, CompatLevel::newest());
                let leaves = polars_parquet::write::array_to_columns(
                    array,
                    field.clone(),
                    self.options,
                    encoding,
                )
                .map_err(polars_err)?;
                for pages in leaves {
                    let compressed = pages
                        .map(|page| {
                            polars_parquet::write::compress(
                                page?,
                                Vec::new(),
                                self.options.compression,
                            )
                            .map_err(PolarsError::from)
                        })
                        .collect::<PolarsResult<Vec<_>>>()
                        .map_err(polars_err)?;
                    group.push(compressed);
                }
            }
            self.writer
                .write_row_group(len as u64, &group)
                .map_err(polars_err)?;
            offset += len;
        }
        self.rows += rows;
        Ok(())
    }

    /// Write the rows held and the footer; the output, with what was written.
    pub fn finish(mut self) -> Result<(W, Finished), TablesError> {
        let table = self.table;
        if let Some(held) = self.held.take() {
            self.flush(held)?;
        }
        self.writer
            .finish()
            .map_err(|source| TablesError::Table { table, source })?;
        let PinnedWriter {
            writer, out, rows, ..
        } = self;
        drop(writer);
        let out = Arc::try_unwrap(out)
            .map_err(|_| TablesError::Contract {
                table,
                message: "the Parquet writer still holds its output".to_string(),
            })?
            .into_inner()
            .unwrap_or_else(|e| e.into_inner());
        let (out, bytes, sha256) = out.finish();
        Ok((
            out,
            Finished {
                rows,
                bytes,
                sha256,
            },
        ))
    }
}
