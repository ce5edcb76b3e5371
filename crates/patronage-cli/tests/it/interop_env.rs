//! The Python the interop test runs: a virtual environment the test makes for
//! itself under the target folder (`<target>/tmp/interop-venv`) from the pinned
//! `tests/interop/requirements.txt`, made once and reused while that file is
//! unchanged (the venv keeps a copy of the file it was made from; a venv whose
//! copy differs or is missing, as after an interrupted install, is made anew).
//! Where Python's `venv` is missing or no package index can be reached, the
//! test is skipped with a message naming the command that would install what it
//! needs, except under `CI=true`, where that is a failure.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::root;

/// Why there is no Python for the test, and what would fix it.
pub struct Unavailable(pub String);

/// The venv's `python`, made or reused.
pub fn interop_python() -> Result<PathBuf, Unavailable> {
    let requirements = root().join("tests/interop/requirements.txt");
    let wanted = std::fs::read_to_string(&requirements).expect("tests/interop/requirements.txt");
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("interop-venv");
    let python = venv.join("bin/python");
    let stamp = venv.join("requirements.txt");
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) && python.exists() {
        return Ok(python);
    }
    let install = format!(
        "python3 -m venv {v} && {v}/bin/python -m pip install -r tests/interop/requirements.txt",
        v = venv.display()
    );
    let _ = std::fs::remove_dir_all(&venv);
    let made = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .output();
    match made {
        Err(e) => {
            return Err(Unavailable(format!(
                "python3 cannot be started ({e}); install Python 3, then: {install}"
            )))
        }
        Ok(o) if !o.status.success() => {
            return Err(Unavailable(format!(
            "python3 -m venv failed (on Debian: apt-get install python3-venv), then: {install}\n{}",
            String::from_utf8_lossy(&o.stderr)
        )))
        }
        Ok(_) => {}
    }
    let o = Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--quiet",
        ])
        .args(["--retries", "1", "--timeout", "20", "-r"])
        .arg(&requirements)
        .output()
        .expect("run the venv's pip");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    if !o.status.success() {
        let _ = std::fs::remove_dir_all(&venv);
        if unreachable_index(&said) {
            return Err(Unavailable(format!(
                "no package index could be reached to install tests/interop/requirements.txt; with one, run: {install}\n{said}"
            )));
        }
        panic!("pip could not install tests/interop/requirements.txt ({install}):\n{said}");
    }
    std::fs::write(&stamp, &wanted).expect("write the venv's copy of requirements.txt");
    Ok(python)
}

/// Whether pip failed because it could not reach the index (no network, no
/// name resolution, a proxy or TLS in the way), not because of the packages.
fn unreachable_index(pip_output: &str) -> bool {
    [
        "NewConnectionError",
        "ConnectTimeout",
        "ReadTimeout",
        "Temporary failure in name resolution",
        "Name or service not known",
        "Network is unreachable",
        "ProxyError",
        "SSLError",
        "Connection refused",
    ]
    .iter()
    .any(|m| pip_output.contains(m))
}

/// Skip the test with `why`, or fail under `CI=true`.
pub fn skip_or_fail(why: &Unavailable) {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("CI=true: the interop test cannot be skipped: {}", why.0);
    }
    eprintln!("skipped: {}", why.0);
}

#[test]
fn an_unreachable_index_is_told_from_a_bad_pin() {
    // What pip prints offline (pip 24/25) and for a version that does not exist.
    let offline = "WARNING: Retrying (Retry(total=0, connect=None, read=None, redirect=None, status=None)) after connection broken by 'NewConnectionError('<pip._vendor.urllib3.connection.HTTPSConnection object at 0x7f>: Failed to establish a new connection: [Errno -3] Temporary failure in name resolution')': /simple/pyarrow/\nERROR: Could not find a version that satisfies the requirement pyarrow==26.0.1";
    let bad_pin = "ERROR: Could not find a version that satisfies the requirement pyarrow==0.0.0 (from versions: 0.9.0, 0.10.0)\nERROR: No matching distribution found for pyarrow==0.0.0";
    assert!(unreachable_index(offline));
    assert!(!unreachable_index(bad_pin));
}
