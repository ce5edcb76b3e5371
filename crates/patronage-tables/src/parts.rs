//! A table written as Hive partitions batch by batch: each batch's rows go to
//! the part of their value of the partition column, each part a
//! [`PinnedWriter`] of its own, so a table of any size is written holding at
//! most a row group per part. A part's rows keep the order the batches gave
//! them in, and its bytes are those [`crate::parquet::to_parquet_partitions`]
//! gives for the same rows: the same file names, options and footers.

use std::collections::BTreeMap;
use std::io::Write;

use polars::prelude::*;

use crate::contracts::{ColumnType, TableSpec};
use crate::stream::{table_schema, Finished, PinnedWriter, Provenance};
use crate::TablesError;

/// The file of the part of `table` where column `by` is `value`, relative to
/// the output folder: `trade_flows/year=2019/part-0.parquet`.
pub fn part_file(table: &str, by: &str, value: i32) -> String {
    format!("{table}/{by}={value}/part-0.parquet")
}

/// `by` can name partitions of `spec`: a non-null 32-bit integer column.
pub fn check_partition_column(spec: &TableSpec, by: &str) -> Result<(), TablesError> {
    match spec.column(by) {
        Some(c) if c.dtype == ColumnType::Int32 && !c.nullable => Ok(()),
        _ => Err(TablesError::Contract {
            table: spec.name,
            message: format!("`{by}` is not a non-null int32 column: it cannot name partitions"),
        }),
    }
}

/// One part as written.
pub struct WrittenPart<W> {
    /// [`part_file`] of the part.
    pub file: String,
    /// The output it was written to.
    pub out: W,
    /// Rows, bytes and SHA-256.
    pub finished: Finished,
}

/// Opens the output of a part, given its [`part_file`].
pub type OpenPart<'a, W> = Box<dyn FnMut(&str) -> std::io::Result<W> + 'a>;

/// The parts of a table, written as batches of its rows come.
pub struct PartsWriter<'a, W: Write> {
    spec: &'static TableSpec,
    prov: Provenance,
    by: String,
    schema: Schema,
    open: OpenPart<'a, W>,
    parts: BTreeMap<i32, PinnedWriter<W>>,
}

impl<'a, W: Write> PartsWriter<'a, W> {
    /// Parts of `spec` by its column `by`, each opened with `open` when its
    /// first row comes.
    pub fn new(
        spec: &'static TableSpec,
        prov: &Provenance,
        by: &str,
        open: OpenPart<'a, W>,
    ) -> Result<Self, TablesError> {
        check_partition_column(spec, by)?;
        Ok(PartsWriter {
            spec,
            prov: prov.clone(),
            by: by.to_string(),
            schema: table_schema(spec, Some(by)),
            open,
            parts: BTreeMap::new(),
        })
    }

    /// Add rows of the table (every column of its contract, in order).
    pub fn write(&mut self, df: &DataFrame) -> Result<(), TablesError> {
        let table = self.spec.name;
        let polars_err = |source| TablesError::Table { table, source };
        if df.height() == 0 {
            return Ok(());
        }
        let values = df.column(&self.by).map_err(polars_err)?;
        let values = values.i32().map_err(polars_err)?;
        let mut distinct: Vec<i32> = values.iter().flatten().collect();
        distinct.sort_unstable();
        distinct.dedup();
        if values.null_count() > 0 {
            return Err(TablesError::Contract {
                table,
                message: format!("`{}` has nulls: they name no partition", self.by),
            });
        }
        let rest = df.drop(&self.by).map_err(polars_err)?;
        for v in distinct {
            let rows = if values.len() == 1 || values.iter().all(|x| x == Some(v)) {
                rest.clone()
            } else {
                rest.filter(&values.equal(v)).map_err(polars_err)?
            };
            let writer = match self.parts.entry(v) {
                std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::btree_map::Entry::Vacant(e) => {
                    let file = part_file(table, &self.by, v);
                    let out = (self.open)(&file).map_err(|source| TablesError::Write {
                        path: file.clone().into(),
                        source,
                    })?;
                    let value = v.to_string();
                    e.insert(PinnedWriter::table(
                        out,
                        self.spec,
                        &self.schema,
                        &self.prov,
                        Some((&self.by, &value)),
                    )?)
                }
            };
            writer.write(&rows)?;
        }
        Ok(())
    }

    /// Finish every part; the parts in ascending value of the column.
    pub fn finish(self) -> Result<Vec<WrittenPart<W>>, TablesError> {
        let (table, by) = (self.spec.name, self.by);
        self.parts
            .into_iter()
            .map(|(v, w)| {
                let (out, finished) = w.finish()?;
                Ok(WrittenPart {
                    file: part_file(table, &by, v),
                    out,
                    finished,
                })
            })
            .collect()
    }
}
