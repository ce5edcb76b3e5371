//! For tests: a Python virtual environment made from a pinned requirements
//! text, under a folder the caller names (a test's `CARGO_TARGET_TMPDIR`),
//! made once and reused while the text is unchanged: the venv keeps a copy of
//! the text it was made from, and one whose copy differs or is missing (as
//! after an interrupted install) is made anew. Makers in other processes wait
//! on a lock file beside it. Where Python's `venv` is missing or no package
//! index can be reached, the answer is [`Unavailable`] with a message naming
//! the command that would install it; a requirement pip refuses is a panic.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Why there is no Python for a test, and what would fix it.
#[derive(Debug, Clone)]
pub struct Unavailable(pub String);

/// The `python` of the venv `dir` made from `requirements` (the text of a
/// requirements file), made or reused.
pub fn venv_python(dir: &Path, requirements: &str) -> Result<PathBuf, Unavailable> {
    if let Some(parent) = dir.parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    let lock_path = dir.with_extension("lock");
    let lock = std::fs::File::create(&lock_path)
        .map_err(|e| Unavailable(format!("cannot create {}: {e}", lock_path.display())))?;
    lock.lock()
        .map_err(|e| Unavailable(format!("cannot lock {}: {e}", lock_path.display())))?;
    let python = dir.join("bin/python");
    let stamp = dir.join("requirements.txt");
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(requirements) && python.exists() {
        return Ok(python);
    }
    let _ = std::fs::remove_dir_all(dir);
    let wanted = dir.with_extension("requirements.txt");
    std::fs::write(&wanted, requirements)
        .map_err(|e| Unavailable(format!("cannot write {}: {e}", wanted.display())))?;
    let install = format!(
        "python3 -m venv {v} && {v}/bin/python -m pip install -r {r}",
        v = dir.display(),
        r = wanted.display()
    );
    match Command::new("python3")
        .args(["-m", "venv"])
        .arg(dir)
        .output()
    {
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
        .arg(&wanted)
        .output()
        .map_err(|e| Unavailable(format!("the venv's pip cannot be started ({e}): {install}")))?;
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    if !o.status.success() {
        let _ = std::fs::remove_dir_all(dir);
        if unreachable_index(&said) {
            return Err(Unavailable(format!(
                "no package index could be reached; with one, run: {install}\n{said}"
            )));
        }
        panic!("pip could not install the requirements ({install}):\n{said}");
    }
    std::fs::write(&stamp, requirements)
        .map_err(|e| Unavailable(format!("cannot write {}: {e}", stamp.display())))?;
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

/// Skip the calling test with `why` (printing `skipped: <why>`), or fail
/// under `CI=true`.
pub fn skip_or_fail(why: &Unavailable) {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("CI=true: the test cannot be skipped: {}", why.0);
    }
    eprintln!("skipped: {}", why.0);
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_unreachable_index_is_told_from_a_bad_pin() {
        // What pip prints offline (pip 24/25) and for a version that does not exist.
        let offline = "WARNING: Retrying (Retry(total=0, connect=None, read=None, redirect=None, status=None)) after connection broken by 'NewConnectionError('<pip._vendor.urllib3.connection.HTTPSConnection object at 0x7f>: Failed to establish a new connection: [Errno -3] Temporary failure in name resolution')': /simple/moto/";
        let bad_pin = "ERROR: Could not find a version that satisfies the requirement moto==0.0.0 (from versions: 5.2.1)\nERROR: No matching distribution found for moto==0.0.0";
        assert!(super::unreachable_index(offline));
        assert!(!super::unreachable_index(bad_pin));
    }
}
