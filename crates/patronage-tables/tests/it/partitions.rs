//! Tables written as Hive partitions: one part per value, ascending, each
//! without the partition column, with the pinned writer's bytes.

use patronage_tables::contracts::MIRROR_ALL;
use patronage_tables::parquet::{to_parquet_partitions, Provenance};
use polars::prelude::*;

fn prov() -> Provenance {
    Provenance {
        pipeline: "t".into(),
        pipeline_sha256: "p".into(),
        inputs_sha256: "i".into(),
    }
}

/// A SYNTHETIC `mirror_all` frame: three rows, years 2020, 2019, 2020 (in key
/// order: by focus code first).
fn frame() -> DataFrame {
    df!(
        "source" => ["baci", "baci", "baci"],
        "focus_code" => [4i32, 8, 8],
        "focus_iso3" => ["AFG", "ALB", "ALB"],
        "partner_code" => [8i32, 4, 4],
        "partner_iso3" => ["ALB", "AFG", "AFG"],
        "year" => [2020i32, 2019, 2020],
        "focus_exports_usd" => [Some(1.5f64), None, Some(2.0)],
        "focus_imports_usd" => [None, Some(0.25f64), None],
        "focus_exports_mills" => [Some(1500i64), None, Some(2000)],
        "focus_imports_mills" => [None, Some(250i64), None],
        "rows_folded" => [1i64, 1, 1],
    )
    .unwrap()
}

#[test]
fn one_part_per_year_without_the_column() {
    let parts = to_parquet_partitions(&frame(), &MIRROR_ALL, &prov(), "year").unwrap();
    let files: Vec<(&str, usize)> = parts.iter().map(|p| (p.file.as_str(), p.rows)).collect();
    assert_eq!(
        files,
        [
            ("mirror_all/year=2019/part-0.parquet", 1),
            ("mirror_all/year=2020/part-0.parquet", 2)
        ]
    );
    let back = ParquetReader::new(std::io::Cursor::new(parts[1].bytes.clone()))
        .finish()
        .unwrap();
    assert!(back.column("year").is_err());
    assert_eq!(
        back.column("focus_code")
            .unwrap()
            .i32()
            .unwrap()
            .into_no_null_iter()
            .collect::<Vec<_>>(),
        [4, 8]
    );
    let mut reader = ParquetReader::new(std::io::Cursor::new(parts[0].bytes.clone()));
    let kv = reader
        .get_metadata()
        .unwrap()
        .key_value_metadata()
        .clone()
        .unwrap();
    assert!(kv
        .iter()
        .any(|k| k.key == "patronage.partition" && k.value.as_deref() == Some("year=2019")));
    // The same frame gives the same bytes.
    let again = to_parquet_partitions(&frame(), &MIRROR_ALL, &prov(), "year").unwrap();
    assert!(parts.iter().zip(&again).all(|(a, b)| a.bytes == b.bytes));
}

#[test]
fn only_a_non_null_int32_column_names_partitions() {
    let e = to_parquet_partitions(&frame(), &MIRROR_ALL, &prov(), "source").unwrap_err();
    assert!(
        e.to_string()
            .contains("`source` is not a non-null int32 column"),
        "{e}"
    );
}
