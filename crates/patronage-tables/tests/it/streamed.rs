//! The batch writer gives the bytes of the whole-frame writer: a table streamed
//! in batches of any size, and its partitions streamed, are the files the
//! whole-frame functions write for the same rows, cut into row groups of
//! exactly 65,536 rows.

use patronage_tables::contracts::MIRROR_ALL;
use patronage_tables::parquet::{
    to_parquet_bytes, to_parquet_partitions, Provenance, ROW_GROUP_ROWS,
};
use patronage_tables::parts::PartsWriter;
use patronage_tables::sha256_hex;
use patronage_tables::stream::{table_schema, PinnedWriter};
use polars::prelude::*;

fn prov() -> Provenance {
    Provenance {
        pipeline: "t".into(),
        pipeline_sha256: "p".into(),
        inputs_sha256: "i".into(),
    }
}

/// A SYNTHETIC `mirror_all` frame of `n` rows: every column varies with the row,
/// years 2017 to 2019 interleaved, some values missing.
fn frame(n: usize) -> DataFrame {
    let i: Vec<i64> = (0..n as i64).collect();
    df!(
        "source" => i.iter().map(|_| "baci").collect::<Vec<_>>(),
        "focus_code" => i.iter().map(|&x| (x / 1000) as i32).collect::<Vec<_>>(),
        "focus_iso3" => i.iter().map(|&x| format!("F{}", x % 97)).collect::<Vec<_>>(),
        "partner_code" => i.iter().map(|&x| (x % 1000) as i32).collect::<Vec<_>>(),
        "partner_iso3" => i.iter().map(|&x| format!("P{}", x % 89)).collect::<Vec<_>>(),
        "year" => i.iter().map(|&x| 2017 + (x % 3) as i32).collect::<Vec<_>>(),
        "focus_exports_usd" => i.iter().map(|&x| (x % 5 != 0).then_some(x as f64 / 4.0)).collect::<Vec<_>>(),
        "focus_imports_usd" => i.iter().map(|&x| (x % 7 != 0).then_some(x as f64 / 8.0)).collect::<Vec<_>>(),
        "focus_exports_mills" => i.iter().map(|&x| (x % 5 != 0).then_some(x * 250)).collect::<Vec<_>>(),
        "focus_imports_mills" => i.iter().map(|&x| (x % 7 != 0).then_some(x * 125)).collect::<Vec<_>>(),
        "rows_folded" => i.iter().map(|&x| 1 + x % 3).collect::<Vec<_>>(),
    )
    .unwrap()
}

/// `df` in batches of `sizes`, repeated until the rows run out.
fn batches(df: &DataFrame, sizes: &[usize]) -> Vec<DataFrame> {
    let (mut out, mut at, mut k) = (Vec::new(), 0, 0);
    while at < df.height() {
        let n = sizes[k % sizes.len()].min(df.height() - at);
        out.push(df.slice(at as i64, n));
        at += n;
        k += 1;
    }
    out
}

/// 150,000 rows (two full row groups and a short one) streamed in batches of
/// 1, 16,384, 70,001 and 7 rows, and in one batch: the bytes of
/// `to_parquet_bytes`; the hash taken while writing is the hash of the bytes.
#[test]
fn a_streamed_table_is_the_whole_frames_file() {
    let mut df = frame(150_000);
    let whole = to_parquet_bytes(&mut df, &MIRROR_ALL, &prov()).unwrap();
    for sizes in [&[1usize, 16_384, 70_001, 7][..], &[150_000]] {
        let schema = table_schema(&MIRROR_ALL, None);
        let mut w = PinnedWriter::table(Vec::new(), &MIRROR_ALL, &schema, &prov(), None).unwrap();
        for b in batches(&df, sizes) {
            w.write(&b).unwrap();
        }
        let (bytes, done) = w.finish().unwrap();
        assert_eq!(done.rows, 150_000);
        assert_eq!(done.bytes, bytes.len() as u64);
        assert_eq!(done.sha256, sha256_hex(&bytes));
        assert!(bytes == whole, "batches of {sizes:?}");
    }
    // Row groups of exactly 65,536 rows, the last one shorter.
    let meta = ParquetReader::new(std::io::Cursor::new(whole))
        .get_metadata()
        .unwrap()
        .clone();
    let groups: Vec<usize> = meta.row_groups.iter().map(|g| g.num_rows()).collect();
    assert_eq!(
        groups,
        vec![ROW_GROUP_ROWS, ROW_GROUP_ROWS, 150_000 - 2 * ROW_GROUP_ROWS]
    );
}

/// The same rows through the parts writer, in batches of 9,999: the files, rows
/// and bytes of `to_parquet_partitions` (50,000 rows a year, in a row group
/// each).
#[test]
fn streamed_parts_are_the_whole_frames_parts() {
    let df = frame(150_000);
    let whole = to_parquet_partitions(&df, &MIRROR_ALL, &prov(), "year").unwrap();
    let mut w =
        PartsWriter::new(&MIRROR_ALL, &prov(), "year", Box::new(|_| Ok(Vec::new()))).unwrap();
    for b in batches(&df, &[9_999]) {
        w.write(&b).unwrap();
    }
    let parts = w.finish().unwrap();
    let streamed: Vec<(&str, usize, &[u8])> = parts
        .iter()
        .map(|p| (p.file.as_str(), p.finished.rows, p.out.as_slice()))
        .collect();
    let want: Vec<(&str, usize, &[u8])> = whole
        .iter()
        .map(|p| (p.file.as_str(), p.rows, p.bytes.as_slice()))
        .collect();
    assert_eq!(streamed.len(), 3);
    assert_eq!(streamed[0].0, "mirror_all/year=2017/part-0.parquet");
    assert_eq!(streamed[0].1, 50_000);
    assert!(streamed == want);
}

/// The same 150,000 rows given column by column, each column read back from
/// the whole frame's own file (buffers of their own, as rows kept on disk are)
/// and asked for a row group at a time: the bytes of `to_parquet_bytes`. A
/// writer that has rows already refuses rows column by column.
#[test]
fn a_table_written_column_by_column_is_the_whole_frames_file() {
    let mut df = frame(150_000);
    let whole = to_parquet_bytes(&mut df, &MIRROR_ALL, &prov()).unwrap();
    let back = ParquetReader::new(std::io::Cursor::new(whole.clone()))
        .finish()
        .unwrap();
    let schema = table_schema(&MIRROR_ALL, None);
    let mut w = PinnedWriter::table(Vec::new(), &MIRROR_ALL, &schema, &prov(), None).unwrap();
    let mut asked = Vec::new();
    w.write_columns(150_000, |name, offset, len| {
        asked.push((offset, len));
        Ok(back
            .column(name)
            .unwrap()
            .as_materialized_series()
            .slice(offset as i64, len))
    })
    .unwrap();
    asked.dedup();
    assert_eq!(
        asked,
        [
            (0, ROW_GROUP_ROWS),
            (ROW_GROUP_ROWS, ROW_GROUP_ROWS),
            (2 * ROW_GROUP_ROWS, 150_000 - 2 * ROW_GROUP_ROWS)
        ]
    );
    let (bytes, done) = w.finish().unwrap();
    assert_eq!(done.rows, 150_000);
    assert_eq!(done.sha256, sha256_hex(&bytes));
    assert!(bytes == whole);

    let mut w = PinnedWriter::table(Vec::new(), &MIRROR_ALL, &schema, &prov(), None).unwrap();
    w.write(&df.slice(0, 10)).unwrap();
    let e = w
        .write_columns(10, |name, _, _| {
            Ok(back
                .column(name)
                .unwrap()
                .as_materialized_series()
                .slice(0, 10))
        })
        .unwrap_err();
    assert!(e.to_string().contains("a file's first"), "{e}");
}
