//! The outputs load without hints in pyarrow, pandas, polars and DuckDB
//! (tests/interop/check_outputs.py). `.ci/run` installs those packages; where they
//! are missing the test fails, unless PATRONAGE_SKIP_INTEROP=1 says to skip it.

use crate::common::*;

#[test]
fn outputs_load_in_python_tools() {
    if std::env::var("PATRONAGE_SKIP_INTEROP").as_deref() == Ok("1") {
        eprintln!("skipped: PATRONAGE_SKIP_INTEROP=1");
        return;
    }
    let (_tmp, out) = run_to_temp("pipelines/dprk.toml");
    let o = std::process::Command::new("python3")
        .arg(root().join("tests/interop/check_outputs.py"))
        .arg(&out)
        .output()
        .expect("python3 is needed for the interop test");
    assert!(
        o.status.success(),
        "interop check failed (pip install pyarrow pandas polars duckdb):\n{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// `trade_flows` written as Hive partitions (`partition_by = ["year"]`) of a
/// SYNTHETIC three-year BACI release: DuckDB, polars and pyarrow each read the
/// folder as one table, with the same rows as the single file the same pipeline
/// writes without `partition_by`.
#[test]
fn partitioned_outputs_load_as_one_table() {
    if std::env::var("PATRONAGE_SKIP_INTEROP").as_deref() == Ok("1") {
        eprintln!("skipped: PATRONAGE_SKIP_INTEROP=1");
        return;
    }
    let (t, single, partitioned) = crate::releases::partitioned_and_single();
    let o = std::process::Command::new("python3")
        .arg(root().join("tests/interop/check_outputs.py"))
        .arg(&partitioned)
        .arg(&single)
        .output()
        .expect("python3 is needed for the interop test");
    assert!(
        o.status.success(),
        "interop check failed (pip install pyarrow pandas polars duckdb):\n{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    drop(t);
}
