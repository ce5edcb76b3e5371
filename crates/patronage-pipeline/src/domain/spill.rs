//! `trade_flows` kept on disk instead of in memory, for releases too large to
//! hold: a streamed trade file writes its kept rows to a file of their own as
//! they are read ([`SpillWriter`]), and the table is those files taken in key
//! order ([`DiskTable`]), read back a few row groups at a time.
//!
//! The table's key is (source_id, source_file, source_line, source_column), so
//! the rows are in key order when the sources are taken by id, each source's
//! files by `source_file` and each file's rows in line and column order. The
//! writer checks that last order row by row and stops with an error naming the
//! file and line when it does not hold: rows are never left out of key order.
//! A file's bytes depend only on its rows (row groups of a fixed size), so they
//! are the same at any thread count and whatever the reader's block sizes.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use patronage_aggregate::FlowBatches;
use patronage_tables::contracts;
use patronage_tables::stream::{table_schema, PinnedWriter, ROW_GROUP_ROWS};
use polars::prelude::*;

use super::outcome::{table_error, SourceOutput, Spilled};
use crate::config::Domain;
use crate::PipelineError;

/// The rows of a batch, at most, for a table of `rows` rows: a sixty-fourth
/// of the table, between 16,384 and 65,536 rows. A small table is read in
/// small batches (little is held at once), a large one in large batches (each
/// read of a file on disk has a cost of its own). A table held in memory is
/// sliced into batches of this many rows; a file on disk is read as whole
/// row groups up to this many rows (at least one group).
fn batch_rows(rows: usize) -> usize {
    (rows / 64).clamp(16_384, ROW_GROUP_ROWS)
}

/// One source file's kept rows, written to `<dir>/.spill-….parquet.tmp-<pid>` as
/// they come (until the stage cache takes the file as its own).
pub(crate) struct SpillWriter {
    writer: PinnedWriter<BufWriter<File>>,
    path: PathBuf,
    source_file: String,
    /// The last row's (source_line, source_column).
    last: Option<(i64, i64)>,
}

impl SpillWriter {
    /// A writer in `dir` for the rows of `source_file`.
    pub(crate) fn create(dir: &Path, source_file: &str) -> Result<Self, PipelineError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| PipelineError::Write { path, source }
        };
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let tag = &patronage_tables::sha256_hex(source_file.as_bytes())[..16];
        let path = dir.join(format!(".spill-{tag}.parquet.tmp-{}", std::process::id()));
        let file = File::create(&path).map_err(io(&path))?;
        let writer = PinnedWriter::scratch(
            BufWriter::with_capacity(1 << 20, file),
            contracts::TRADE_FLOWS.name,
            &table_schema(&contracts::TRADE_FLOWS, None),
        )?;
        Ok(SpillWriter {
            writer,
            path,
            source_file: source_file.to_string(),
            last: None,
        })
    }

    /// Add `trade_flows` rows that follow the rows written so far in the file.
    pub(crate) fn write(&mut self, df: &DataFrame) -> Result<(), PipelineError> {
        let err = table_error(&contracts::TRADE_FLOWS);
        let lines = df.column("source_line").map_err(err)?.i64().map_err(err)?;
        let columns = df
            .column("source_column")
            .map_err(err)?
            .i64()
            .map_err(err)?;
        for (line, column) in lines.iter().zip(columns.iter()) {
            let here = (line.unwrap_or(0), column.unwrap_or(0));
            if let Some(before) = self.last.filter(|before| *before >= here) {
                return Err(PipelineError::Refused {
                    path: PathBuf::from(&self.source_file),
                    message: format!(
                        "{}:{}: the row at column {} comes after the row of line {} column {}: \
                         the rows are not in file order, so trade_flows cannot be written from \
                         disk in key order (a defect in the reader of this format)",
                        self.source_file, here.0, here.1, before.0, before.1
                    ),
                });
            }
            self.last = Some(here);
        }
        Ok(self.writer.write(df)?)
    }

    /// Finish the file: what it holds.
    pub(crate) fn finish(self) -> Result<Spilled, PipelineError> {
        let (out, done) = self.writer.finish()?;
        let path = self.path;
        out.into_inner().map_err(|e| PipelineError::Write {
            path: path.clone(),
            source: e.into_error(),
        })?;
        Ok(Spilled {
            source_file: self.source_file,
            path,
            rows: done.rows as u64,
            bytes: done.bytes,
            sha256: done.sha256,
        })
    }
}

/// `rows` (a source's rows held in memory, in file order) written as spill
/// files beside the source's others: one per source file, in the order the
/// files first appear. One pass over `source_file` gathers each file's rows
/// (a filter per file would read the whole frame once per file).
pub(crate) fn spill_frame(dir: &Path, rows: &DataFrame) -> Result<Vec<Spilled>, PipelineError> {
    let err = table_error(&contracts::TRADE_FLOWS);
    let files = rows
        .column("source_file")
        .map_err(err)?
        .str()
        .map_err(err)?;
    let mut order: Vec<&str> = Vec::new();
    let mut rows_of: std::collections::HashMap<&str, Vec<IdxSize>> = Default::default();
    for (i, f) in files.iter().enumerate() {
        if let Some(f) = f {
            rows_of
                .entry(f)
                .or_insert_with(|| {
                    order.push(f);
                    Vec::new()
                })
                .push(i as IdxSize);
        }
    }
    let mut out = Vec::with_capacity(order.len());
    for f in order {
        let idx = IdxCa::from_vec("rows".into(), rows_of.remove(f).unwrap_or_default());
        let mine = rows.take(&idx).map_err(err)?;
        let mut w = SpillWriter::create(dir, f)?;
        w.write(&mine)?;
        out.push(w.finish()?);
    }
    Ok(out)
}

/// Part of a table on disk: one source's rows.
pub(crate) enum Segment {
    /// Held in memory, sorted by key.
    Memory(DataFrame),
    /// On disk, a file per source file, in `source_file` order.
    Disk(Vec<Spilled>),
}

/// `trade_flows` as its sources' rows, each source's on disk or in memory, in
/// key order: sources by id.
pub(crate) struct DiskTable {
    /// (source id, its rows), by source id.
    pub segments: Vec<(String, Segment)>,
}

impl DiskTable {
    /// The trade sources' rows from `outputs` (taken out of them), when one of
    /// them is on disk; `None` when every trade source is held in memory.
    pub(crate) fn from_outputs(
        outputs: &mut [SourceOutput],
    ) -> Result<Option<DiskTable>, PipelineError> {
        let spec = &contracts::TRADE_FLOWS;
        let trade = |o: &&mut SourceOutput| o.domain == Domain::Trade;
        if !outputs
            .iter_mut()
            .filter(trade)
            .any(|o| !o.spilled.is_empty())
        {
            return Ok(None);
        }
        let mut segments = Vec::new();
        for o in outputs.iter_mut().filter(trade) {
            let id = o.account.source_id.clone();
            let held = std::mem::take(&mut o.canonical);
            if held.height() > 0 {
                let sorted = held
                    .sort(
                        spec.key.iter().copied(),
                        SortMultipleOptions::default().with_maintain_order(true),
                    )
                    .map_err(table_error(spec))?;
                segments.push((id.clone(), Segment::Memory(sorted)));
            }
            let mut spilled = std::mem::take(&mut o.spilled);
            spilled.sort_by(|a, b| a.source_file.cmp(&b.source_file));
            if !spilled.is_empty() {
                segments.push((id, Segment::Disk(spilled)));
            }
        }
        // Stable: a source's rows held in memory and on disk come from distinct
        // files; in key order only if held files sort first, which a source
        // holding both never has (see `read.rs`: a source spills all or none).
        segments.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(Some(DiskTable { segments }))
    }

    /// Every row in key order, in batches of at most a row group, with only
    /// `columns` when given; `f` is called on each batch in order.
    pub(crate) fn for_each_batch(
        &self,
        columns: Option<&[&str]>,
        mut f: impl FnMut(DataFrame) -> Result<(), PipelineError>,
    ) -> Result<(), PipelineError> {
        let err = table_error(&contracts::TRADE_FLOWS);
        let batch = batch_rows(self.rows());
        for (_, segment) in &self.segments {
            match segment {
                Segment::Memory(df) => {
                    let df = match columns {
                        Some(c) => df.select(c.iter().copied()).map_err(err)?,
                        None => df.clone(),
                    };
                    let mut at = 0;
                    while at < df.height() {
                        let n = batch.min(df.height() - at);
                        f(df.slice(at as i64, n))?;
                        at += n;
                    }
                }
                Segment::Disk(files) => {
                    for file in files {
                        read_row_groups(&file.path, (columns, batch), &mut f)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Rows in the table.
    pub(crate) fn rows(&self) -> usize {
        self.segments
            .iter()
            .map(|(_, segment)| match segment {
                Segment::Memory(df) => df.height(),
                Segment::Disk(files) => files.iter().map(|f| f.rows as usize).sum(),
            })
            .sum()
    }

    /// Rows `offset..offset + len` of the column `name`, in key order, read
    /// from only the files (and, in a file, the row groups) that hold them.
    pub(crate) fn column_rows(
        &self,
        name: &str,
        offset: usize,
        len: usize,
    ) -> Result<Series, PipelineError> {
        let err = table_error(&contracts::TRADE_FLOWS);
        let (end, mut at) = (offset + len, 0usize);
        let mut out: Option<Series> = None;
        let mut add = |piece: Series| -> Result<(), PipelineError> {
            match &mut out {
                Some(acc) => {
                    acc.extend(&piece).map_err(err)?;
                }
                None => out = Some(piece),
            }
            Ok(())
        };
        // The part of a piece of `n` rows starting at row `at` of the table
        // that falls in the rows asked, as (start in the piece, rows).
        let overlap = |at: usize, n: usize| {
            let (from, to) = (offset.max(at), end.min(at + n));
            (from < to).then(|| (from - at, to - from))
        };
        for (_, segment) in &self.segments {
            match segment {
                Segment::Memory(df) => {
                    if let Some((start, n)) = overlap(at, df.height()) {
                        let c = df.column(name).map_err(err)?;
                        add(c.as_materialized_series().slice(start as i64, n))?;
                    }
                    at += df.height();
                }
                Segment::Disk(files) => {
                    for file in files {
                        let rows = file.rows as usize;
                        if let Some((start, n)) = overlap(at, rows) {
                            add(read_column(&file.path, name, (start, n))?)?;
                        }
                        at += rows;
                    }
                }
            }
            if at >= end {
                break;
            }
        }
        match out {
            Some(s) => Ok(s),
            None => Ok(
                DataFrame::empty_with_schema(&table_schema(&contracts::TRADE_FLOWS, None))
                    .column(name)
                    .map_err(err)?
                    .as_materialized_series()
                    .clone(),
            ),
        }
    }

    /// The rows where `keep` holds, with only `columns`, in key order, kept
    /// as compressed batches ([`HeldBatches`]): what the analysis tables read
    /// of a table on disk, held in a few bytes a row.
    pub(crate) fn filtered_batches(
        &self,
        keep: Expr,
        columns: &[&str],
    ) -> Result<HeldBatches, PipelineError> {
        let err = table_error(&contracts::TRADE_FLOWS);
        let empty = DataFrame::empty_with_schema(&table_schema(&contracts::TRADE_FLOWS, None))
            .select(columns.iter().copied())
            .map_err(err)?;
        let mut batches = Vec::new();
        self.for_each_batch(Some(columns), |batch| {
            let kept = batch.lazy().filter(keep.clone()).collect().map_err(err)?;
            if kept.height() > 0 {
                let mut w =
                    PinnedWriter::scratch(Vec::new(), contracts::TRADE_FLOWS.name, kept.schema())?;
                w.write(&kept)?;
                batches.push(w.finish()?.0);
            }
            Ok(())
        })?;
        Ok(HeldBatches { batches, empty })
    }

    /// The rows where `keep` holds, with only `columns` when given, in key
    /// order, read batch by batch (only the rows kept are held).
    pub(crate) fn filtered(
        &self,
        keep: Expr,
        columns: Option<&[&str]>,
    ) -> Result<DataFrame, PipelineError> {
        let err = table_error(&contracts::TRADE_FLOWS);
        let mut out: Option<DataFrame> = None;
        self.for_each_batch(columns, |batch| {
            let rows = batch.height();
            let kept = batch.lazy().filter(keep.clone()).collect().map_err(err)?;
            // A batch kept whole holds no row that is not kept: its buffers
            // are all the rows' own.
            let kept = if kept.height() == rows {
                kept
            } else {
                detached(kept).map_err(err)?
            };
            // Added to one chunk, column by column: the rows are never held
            // twice, as a rechunk of many batches at the end would hold them.
            match &mut out {
                Some(acc) => acc.extend(&kept).map_err(err)?,
                None => {
                    let mut first = kept;
                    first.rechunk_mut();
                    out = Some(first);
                }
            }
            Ok(())
        })?;
        let mut df = match out {
            Some(df) => df,
            None => {
                let empty =
                    DataFrame::empty_with_schema(&table_schema(&contracts::TRADE_FLOWS, None));
                match columns {
                    Some(c) => empty.select(c.iter().copied()).map_err(err)?,
                    None => empty,
                }
            }
        };
        df.rechunk_mut();
        Ok(df)
    }
}

/// Rows held as compressed Parquet batches in memory (Snappy, a few bytes a
/// row where a frame takes a couple of hundred), given back a batch at a time
/// in the order they were taken: one batch is decoded at once.
pub(crate) struct HeldBatches {
    batches: Vec<Vec<u8>>,
    /// The columns, with no row: the one batch of a table with no row.
    empty: DataFrame,
}

impl FlowBatches for HeldBatches {
    fn each_batch(&self, each: &mut dyn FnMut(&DataFrame) -> PolarsResult<()>) -> PolarsResult<()> {
        if self.batches.is_empty() {
            return each(&self.empty);
        }
        for bytes in &self.batches {
            let batch = ParquetReader::new(std::io::Cursor::new(bytes.as_slice())).finish()?;
            each(&batch)?;
        }
        Ok(())
    }
}

/// `df` copied into buffers of its own: rows kept from a batch read back (a
/// filter that keeps one run of rows slices the batch's columns, and text
/// columns share their buffers) would otherwise keep the whole batch alive.
fn detached(df: DataFrame) -> PolarsResult<DataFrame> {
    let every = IdxCa::from_vec(
        PlSmallStr::EMPTY,
        (0..df.height() as IdxSize).collect::<Vec<_>>(),
    );
    let df = df.take(&every)?;
    let columns = df
        .columns()
        .iter()
        .map(|c| {
            Ok(match c.dtype() {
                DataType::String => {
                    let fresh: StringChunked = c.str()?.iter().collect();
                    fresh.with_name(c.name().clone()).into_column()
                }
                _ => c.clone(),
            })
        })
        .collect::<PolarsResult<Vec<_>>>()?;
    DataFrame::new(df.height(), columns)
}

/// Rows `start..start + n` of the column `name` of the Parquet file `path`
/// (only the row groups holding them are read).
fn read_column(
    path: &Path,
    name: &str,
    (start, n): (usize, usize),
) -> Result<Series, PipelineError> {
    let err = table_error(&contracts::TRADE_FLOWS);
    let file = File::open(path).map_err(|e| PipelineError::Refused {
        path: path.to_path_buf(),
        message: format!("{}: cannot read rows kept on disk: {e}", path.display()),
    })?;
    let df = ParquetReader::new(file)
        .with_slice(Some((start, n)))
        .with_columns(Some(vec![name.to_string()]))
        .finish()
        .map_err(err)?;
    Ok(df
        .column(name)
        .map_err(err)?
        .as_materialized_series()
        .clone())
}

/// The rows of the Parquet file `path`, in batches of whole row groups of up
/// to `batch` rows.
fn read_row_groups(
    path: &Path,
    (columns, batch): (Option<&[&str]>, usize),
    f: &mut impl FnMut(DataFrame) -> Result<(), PipelineError>,
) -> Result<(), PipelineError> {
    let err = table_error(&contracts::TRADE_FLOWS);
    let open = || {
        File::open(path).map_err(|e| PipelineError::Refused {
            path: path.to_path_buf(),
            message: format!("{}: cannot read rows kept on disk: {e}", path.display()),
        })
    };
    let mut reader = ParquetReader::new(open()?);
    let meta = reader.get_metadata().map_err(err)?.clone();
    // Batches of whole row groups, up to `batch` rows each.
    let mut spans: Vec<usize> = Vec::new();
    for group in &meta.row_groups {
        match spans.last_mut() {
            Some(n) if *n + group.num_rows() <= batch => *n += group.num_rows(),
            _ => spans.push(group.num_rows()),
        }
    }
    let mut offset = 0;
    for n in spans {
        let mut reader = ParquetReader::new(open()?);
        reader.set_metadata(meta.clone());
        let batch = reader
            .with_slice(Some((offset, n)))
            .with_columns(columns.map(|c| c.iter().map(|s| s.to_string()).collect()))
            .finish()
            .map_err(err)?;
        offset += n;
        f(batch)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SYNTHETIC `trade_flows` rows of `file` at `(line, column)` places.
    fn rows(file: &str, places: &[(i64, i64)]) -> DataFrame {
        let mut df = DataFrame::empty_with_schema(&table_schema(&contracts::TRADE_FLOWS, None));
        for &(line, column) in places {
            let mut row: Vec<Column> = Vec::new();
            for c in contracts::TRADE_FLOWS.columns {
                let name = c.name.into();
                let s = match c.name {
                    "source_file" => Series::new(name, [file]),
                    "source_line" => Series::new(name, [line]),
                    "source_column" => Series::new(name, [column]),
                    _ => Series::full_null(
                        name,
                        1,
                        &patronage_tables::stream::table_schema(&contracts::TRADE_FLOWS, None)
                            .get(c.name)
                            .unwrap()
                            .clone(),
                    ),
                };
                row.push(s.into_column());
            }
            df.vstack_mut_owned(DataFrame::new_infer_height(row).unwrap())
                .unwrap();
        }
        df
    }

    /// Rows in line and column order are written and read back as they were,
    /// a row group at a time; a row before the last one written is an error
    /// naming the file and its line, in the same batch or a later one.
    #[test]
    fn rows_out_of_file_order_are_refused_naming_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = SpillWriter::create(dir.path(), "a.csv").unwrap();
        w.write(&rows("a.csv", &[(2, 1), (3, 1), (3, 2)])).unwrap();
        w.write(&rows("a.csv", &[(7, 1)])).unwrap();
        let e = w
            .write(&rows("a.csv", &[(8, 1), (5, 1)]))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("a.csv:5: the row at column 1 comes after the row of line 8 column 1"),
            "{e}"
        );
        let mut w = SpillWriter::create(dir.path(), "b.csv").unwrap();
        let e = w
            .write(&rows("b.csv", &[(4, 2), (4, 2)]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("b.csv:4:"), "{e}");
        let mut w = SpillWriter::create(dir.path(), "c.csv").unwrap();
        w.write(&rows("c.csv", &[(2, 1), (9, 1)])).unwrap();
        let spilled = w.finish().unwrap();
        assert_eq!((spilled.rows, spilled.source_file.as_str()), (2, "c.csv"));
        let table = DiskTable {
            segments: vec![("s".into(), Segment::Disk(vec![spilled]))],
        };
        let mut lines = Vec::new();
        table
            .for_each_batch(Some(&["source_line"]), |b| {
                lines.extend(
                    b.column("source_line")
                        .unwrap()
                        .i64()
                        .unwrap()
                        .iter()
                        .flatten(),
                );
                Ok(())
            })
            .unwrap();
        assert_eq!(lines, vec![2, 9]);
    }

    /// A column's rows asked by position come from whichever segments hold
    /// them, in key order: a source held in memory (3 rows), then a source
    /// on disk in two files (2 and 3 rows), asked across every boundary;
    /// and the table's rows read as compressed batches are its rows.
    #[test]
    fn a_column_is_read_across_segments_and_files() {
        let dir = tempfile::tempdir().unwrap();
        let spill = |file: &str, places: &[(i64, i64)]| {
            let mut w = SpillWriter::create(dir.path(), file).unwrap();
            w.write(&rows(file, places)).unwrap();
            w.finish().unwrap()
        };
        let table = DiskTable {
            segments: vec![
                (
                    "a".into(),
                    Segment::Memory(rows("m.csv", &[(1, 1), (2, 1), (3, 1)])),
                ),
                (
                    "b".into(),
                    Segment::Disk(vec![
                        spill("x.csv", &[(4, 1), (5, 1)]),
                        spill("y.csv", &[(6, 1), (7, 1), (8, 1)]),
                    ]),
                ),
            ],
        };
        assert_eq!(table.rows(), 8);
        let lines = |offset, len| -> Vec<i64> {
            let s = table.column_rows("source_line", offset, len).unwrap();
            s.i64().unwrap().iter().flatten().collect()
        };
        assert_eq!(lines(0, 8), (1..=8).collect::<Vec<_>>());
        assert_eq!(lines(2, 3), vec![3, 4, 5]);
        assert_eq!(lines(4, 2), vec![5, 6]);
        assert_eq!(lines(7, 1), vec![8]);
        let files = table.column_rows("source_file", 1, 6).unwrap();
        let files: Vec<&str> = files.str().unwrap().iter().flatten().collect();
        assert_eq!(
            files,
            ["m.csv", "m.csv", "x.csv", "x.csv", "y.csv", "y.csv"]
        );
        assert_eq!(lines(0, 0), Vec::<i64>::new());

        let held = table
            .filtered_batches(
                col("source_line").gt(lit(2)),
                &["source_file", "source_line"],
            )
            .unwrap();
        let mut seen = Vec::new();
        held.each_batch(&mut |b| {
            seen.extend(b.column("source_line")?.i64()?.iter().flatten());
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, (3..=8).collect::<Vec<_>>());
    }
}
