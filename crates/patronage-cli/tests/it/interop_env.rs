//! The Python the interop test runs: a virtual environment the test makes for
//! itself under the target folder (`<target>/tmp/interop-venv`) from the pinned
//! `tests/interop/requirements.txt`, made once and reused while that file is
//! unchanged, by the one venv maker the object-storage tests use too
//! (`patronage_store::python_venv`). Where Python's `venv` is missing or no
//! package index can be reached, the test is skipped with a message naming the
//! command that would install what it needs, except under `CI=true`, where
//! that is a failure.

use std::path::{Path, PathBuf};

pub use patronage_store::python_venv::{skip_or_fail, Unavailable};

use crate::common::root;

/// The venv's `python`, made or reused.
pub fn interop_python() -> Result<PathBuf, Unavailable> {
    let requirements = root().join("tests/interop/requirements.txt");
    let wanted = std::fs::read_to_string(&requirements).expect("tests/interop/requirements.txt");
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("interop-venv");
    patronage_store::python_venv::venv_python(&venv, &wanted)
}
