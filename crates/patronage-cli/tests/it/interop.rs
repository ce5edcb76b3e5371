//! The outputs load without hints in pyarrow, pandas, polars and DuckDB
//! (tests/interop/check_outputs.py), run by the Python of a virtual environment
//! the test makes for itself (`interop_env`): `cargo test --workspace` needs
//! nothing installed but Python 3. Without a reachable package index the test
//! is skipped, saying what to run, except under `CI=true`; with
//! PATRONAGE_SKIP_INTEROP=1 it is skipped on purpose.

use crate::common::*;
use crate::interop_env::{interop_python, skip_or_fail};

#[test]
fn outputs_load_in_python_tools() {
    if std::env::var("PATRONAGE_SKIP_INTEROP").as_deref() == Ok("1") {
        eprintln!("skipped: PATRONAGE_SKIP_INTEROP=1");
        return;
    }
    let python = match interop_python() {
        Ok(p) => p,
        Err(why) => return skip_or_fail(&why),
    };
    let (_tmp, out) = run_to_temp("pipelines/dprk.toml");
    let o = std::process::Command::new(&python)
        .arg(root().join("tests/interop/check_outputs.py"))
        .arg(&out)
        .output()
        .expect("run the interop venv's python");
    assert!(
        o.status.success(),
        "interop check failed ({}):\n{}{}",
        python.display(),
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
