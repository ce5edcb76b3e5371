//! `patronage verify`: re-hash an output folder against its `manifest.json` and
//! name every drift — a listed file missing, a file whose bytes changed, a file
//! the manifest does not list. Hidden entries (the `.patronage` state folder,
//! temporary files) are not outputs and are not checked.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::PipelineError;

/// How one file differs from the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DriftKind {
    /// Listed, not on disk.
    Missing,
    /// On disk with other bytes.
    Changed {
        /// SHA-256 the manifest lists.
        expected: String,
        /// SHA-256 of the file.
        actual: String,
    },
    /// On disk, not listed.
    Extra,
}

/// One file that differs from the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    /// Path relative to the output folder.
    pub file: String,
    /// How it differs.
    pub kind: DriftKind,
}

impl std::fmt::Display for Drift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.kind {
            DriftKind::Missing => write!(f, "missing  {} (listed in manifest.json)", self.file),
            DriftKind::Changed { expected, actual } => write!(
                f,
                "changed  {} (manifest sha256 {}, file sha256 {})",
                self.file, expected, actual
            ),
            DriftKind::Extra => write!(f, "extra    {} (not in manifest.json)", self.file),
        }
    }
}

/// The result of checking a folder.
#[derive(Debug, Clone)]
pub struct Verification {
    /// The folder.
    pub output_dir: PathBuf,
    /// Files the manifest lists.
    pub listed: usize,
    /// SHA-256 of `manifest.json`.
    pub manifest_sha256: String,
    /// Differences, in manifest order then path order.
    pub drift: Vec<Drift>,
}

impl Verification {
    /// Whether the folder is exactly what its manifest says.
    pub fn ok(&self) -> bool {
        self.drift.is_empty()
    }
}

#[derive(Deserialize)]
struct ManifestOutputs {
    outputs: Vec<Listed>,
}

/// An output as `manifest.json` lists it.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Listed {
    pub table: String,
    pub file: String,
    pub rows: usize,
    pub bytes: u64,
    pub sha256: String,
}

/// The outputs `manifest.json` in `dir` lists, and the manifest's bytes.
pub(crate) fn listed_outputs(dir: &Path) -> Result<(Vec<Listed>, Vec<u8>), PipelineError> {
    let path = dir.join("manifest.json");
    let bytes = std::fs::read(&path).map_err(|e| PipelineError::Verify {
        path: path.clone(),
        message: format!("cannot read the manifest ({e}); has a run finished here?"),
    })?;
    let m: ManifestOutputs = serde_json::from_slice(&bytes).map_err(|e| PipelineError::Verify {
        path: path.clone(),
        message: format!("not a patronage manifest: {e}"),
    })?;
    Ok((m.outputs, bytes))
}

/// Check every output in `dir` against its `manifest.json`.
pub fn verify_outputs(dir: &Path) -> Result<Verification, PipelineError> {
    let (listed, manifest) = listed_outputs(dir)?;
    let mut drift = Vec::new();
    for l in &listed {
        match std::fs::read(dir.join(&l.file)) {
            Err(_) => drift.push(Drift {
                file: l.file.clone(),
                kind: DriftKind::Missing,
            }),
            Ok(b) => {
                let actual = patronage_tables::sha256_hex(&b);
                if actual != l.sha256 || b.len() as u64 != l.bytes {
                    drift.push(Drift {
                        file: l.file.clone(),
                        kind: DriftKind::Changed {
                            expected: l.sha256.clone(),
                            actual,
                        },
                    });
                }
            }
        }
    }
    let mut present = Vec::new();
    walk(dir, "", false, &mut present);
    present.sort();
    for f in present {
        // `shards/` holds a fan-out's shards (`patronage run --shard`), not outputs.
        if f != "manifest.json" && !f.starts_with("shards/") && !listed.iter().any(|l| l.file == f)
        {
            drift.push(Drift {
                file: f,
                kind: DriftKind::Extra,
            });
        }
    }
    Ok(Verification {
        output_dir: dir.to_path_buf(),
        listed: listed.len(),
        manifest_sha256: patronage_tables::sha256_hex(&manifest),
        drift,
    })
}

/// The files under `dir` (hidden ones too when `hidden`), as `/`-separated
/// paths after `prefix`.
pub(crate) fn walk(dir: &Path, prefix: &str, hidden: bool, out: &mut Vec<String>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.filter_map(Result::ok) {
        let name = e.file_name().to_string_lossy().into_owned();
        if !hidden && name.starts_with('.') {
            continue;
        }
        let rel = format!("{prefix}{name}");
        let path = e.path();
        if path.is_dir() {
            walk(&path, &format!("{rel}/"), hidden, out);
        } else {
            out.push(rel);
        }
    }
}
