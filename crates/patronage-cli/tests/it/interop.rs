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
