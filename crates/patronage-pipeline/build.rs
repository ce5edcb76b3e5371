//! Code versions for the stage fingerprints: a hash of the sources that can change
//! what a stage produces, so that a rebuilt tool with changed code reruns the
//! stages it affects and nothing else.
//!
//! - `PATRONAGE_CODE_SOURCE`: every workspace crate but the CLI, the report and the
//!   aggregates (the per-source stage: extract and normalize).
//! - `PATRONAGE_CODE_AGGREGATE`: every workspace crate but the CLI, the report and
//!   the readers (the aggregate stage: analysis tables, rejects, the writer, the
//!   manifest).
//! - `PATRONAGE_CODE_MIRROR_ALL`: every workspace crate but the CLI, the report,
//!   the aggregates and the normalizers (the `[mirror_all]` step: bulk's fold over
//!   the extract crate's scanner).
//!
//! Both also cover `Cargo.lock` (a new polars may write other bytes). A crate added
//! later counts for both stages until it is listed here. The hash is FNV-1a over
//! each file's path and bytes in path order: a cache key, not a signature.

use std::path::{Path, PathBuf};

/// Crates whose code never changes a stage's output.
/// (The report reads the tables a run wrote; it never changes them.)
const NOT_SOURCE: &[&str] = &[
    "patronage-cli",
    "patronage-report",
    "patronage-bulk",
    "patronage-aggregate",
];
const NOT_AGGREGATE: &[&str] = &[
    "patronage-cli",
    "patronage-report",
    "patronage-bulk",
    "patronage-extract",
];
const NOT_MIRROR_ALL: &[&str] = &[
    "patronage-cli",
    "patronage-report",
    "patronage-aggregate",
    "patronage-normalize",
];

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let crates = manifest_dir.join("..");
    let root = crates.join("..");
    println!(
        "cargo:rerun-if-changed={}",
        root.join("Cargo.lock").display()
    );

    let mut names: Vec<String> = std::fs::read_dir(&crates)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter(|e| e.path().join("Cargo.toml").is_file())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    // Watch what is hashed (not the CLI, so that editing it does not rebuild this
    // crate). A new crate is seen when a watched Cargo.toml starts depending on it.
    for name in names
        .iter()
        .filter(|n| !["patronage-cli", "patronage-report"].contains(&n.as_str()))
    {
        for part in ["Cargo.toml", "build.rs", "src", "data"] {
            let path = crates.join(name).join(part);
            if path.exists() {
                println!("cargo:rerun-if-changed={}", path.display());
            }
        }
    }

    for (var, excluded) in [
        ("PATRONAGE_CODE_SOURCE", NOT_SOURCE),
        ("PATRONAGE_CODE_AGGREGATE", NOT_AGGREGATE),
        ("PATRONAGE_CODE_MIRROR_ALL", NOT_MIRROR_ALL),
    ] {
        let mut files = Vec::new();
        for name in names.iter().filter(|n| !excluded.contains(&n.as_str())) {
            let dir = crates.join(name);
            files.push(dir.join("Cargo.toml"));
            files.push(dir.join("build.rs"));
            collect(&dir.join("src"), &mut files);
            collect(&dir.join("data"), &mut files);
        }
        files.push(root.join("Cargo.lock"));
        let mut h = Fnv::default();
        for f in files.iter().filter(|f| f.is_file()) {
            let rel = f.strip_prefix(&root).unwrap_or(f);
            h.write(rel.to_string_lossy().as_bytes());
            h.write(&[0]);
            h.write(&std::fs::read(f).unwrap_or_default());
            h.write(&[0]);
        }
        println!("cargo:rustc-env={var}={:016x}", h.0);
    }
}

/// Files under `dir`, recursively, sorted.
fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = rd.filter_map(Result::ok).map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            collect(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// 64-bit FNV-1a.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}
