//! Putting a run's outputs in place so that a run that fails or is killed leaves
//! the previous outputs readable and consistent with the previous manifest.
//!
//! Every table is built and serialized before anything is written. Then each
//! file whose bytes differ from the file on disk is written to a temporary file
//! beside it and flushed to disk; only when all of them are written are they
//! renamed over the old ones, tables first and `manifest.json` last. A table
//! too large to hold (`trade_flows` kept on disk) is streamed into its
//! temporary files before that ([`Prewritten`]) and put in place with the
//! others, first. A failure
//! before the renames leaves the folder as it was; the renames themselves take
//! microseconds. Files whose bytes are unchanged are left alone (same bytes,
//! same modification time).

use std::path::{Path, PathBuf};

use crate::PipelineError;

/// A file to put in place.
pub(crate) struct Pending {
    /// Final path.
    pub path: PathBuf,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// A file already written, flushed to disk, at its temporary path
/// ([`temp_path`] of its final one).
pub(crate) struct Prewritten {
    /// Final path.
    pub path: PathBuf,
    /// Size of what was written.
    pub bytes: u64,
    /// SHA-256 of what was written.
    pub sha256: String,
}

/// Put every file in place, the files `written` first (in their order), then
/// `files`; returns, per file in that order, whether it was already there with
/// these bytes (and so left alone: a written file left alone has its temporary
/// file removed). With `force` every file is rewritten.
pub(crate) fn commit_all(
    written: &[Prewritten],
    files: &[Pending],
    force: bool,
) -> Result<Vec<bool>, PipelineError> {
    let same_written: Vec<bool> = written
        .iter()
        .map(|w| {
            !force
                && patronage_tables::sha256_file(&w.path)
                    .is_ok_and(|(bytes, sha)| bytes == w.bytes && sha == w.sha256)
        })
        .collect();
    let mut temps: Vec<(PathBuf, &Path)> = Vec::new();
    for (w, same) in written.iter().zip(&same_written) {
        let tmp = temp_path(&w.path);
        if *same {
            let _ = std::fs::remove_file(&tmp);
        } else {
            temps.push((tmp, &w.path));
        }
    }
    let unchanged: Vec<bool> = files
        .iter()
        .map(|f| !force && std::fs::read(&f.path).is_ok_and(|old| old == f.bytes))
        .collect();
    for (f, same) in files.iter().zip(&unchanged) {
        if *same {
            continue;
        }
        let tmp = temp_path(&f.path);
        if let Err(e) = write_synced(&tmp, &f.bytes) {
            let _ = std::fs::remove_file(&tmp);
            for (t, _) in &temps {
                let _ = std::fs::remove_file(t);
            }
            return Err(PipelineError::Write {
                path: f.path.clone(),
                source: e,
            });
        }
        temps.push((tmp, &f.path));
    }
    for (i, (tmp, path)) in temps.iter().enumerate() {
        if let Err(source) = std::fs::rename(tmp, path) {
            for (t, _) in &temps[i..] {
                let _ = std::fs::remove_file(t);
            }
            return Err(PipelineError::Write {
                path: path.to_path_buf(),
                source,
            });
        }
    }
    let mut dirs: Vec<&Path> = (written.iter().map(|w| w.path.as_path()))
        .chain(files.iter().map(|f| f.path.as_path()))
        .filter_map(Path::parent)
        .collect();
    dirs.sort();
    dirs.dedup();
    for dir in dirs {
        sync_dir(dir);
    }
    Ok(same_written.into_iter().chain(unchanged).collect())
}

/// Remove the outputs `files` (paths relative to `dir`, `/`-separated, as a
/// manifest lists them) that a new manifest no longer lists, and the partition
/// folders they leave empty. Called after the new manifest is in place, so a
/// reader never sees a manifest that lists a removed file; a file that cannot be
/// removed shows up in `verify` as not listed.
pub(crate) fn remove_outputs(dir: &Path, files: &[String]) {
    for f in files {
        // Only plain relative paths below `dir`: a manifest edited to name
        // `../x` or an absolute path removes nothing.
        let rel = Path::new(f);
        if rel.is_absolute()
            || rel
                .components()
                .any(|c| !matches!(c, std::path::Component::Normal(_)))
        {
            continue;
        }
        let path = dir.join(rel);
        if std::fs::remove_file(&path).is_err() {
            continue;
        }
        let mut parent = path.parent();
        while let Some(p) = parent.filter(|p| *p != dir && p.starts_with(dir)) {
            if std::fs::remove_dir(p).is_err() {
                break;
            }
            parent = p.parent();
        }
    }
}

/// Remove temporary files left in `dir` (and its partition folders) by a run
/// that was killed. Only called
/// while holding the folder's lock, so no other run is writing them.
pub(crate) fn remove_stale_temps(dir: &Path) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.filter_map(Result::ok) {
        let name = e.file_name().to_string_lossy().into_owned();
        let path = e.path();
        if name.starts_with('.') && name.contains(".tmp-") && path.is_file() {
            let _ = std::fs::remove_file(path);
        } else if !name.starts_with('.') && e.file_type().is_ok_and(|t| t.is_dir()) {
            // A partitioned table's folders (`trade_flows/year=2019/`).
            remove_stale_temps(&path);
        }
    }
}

/// `.<name>.tmp-<pid>` beside `path`: hidden, so readers and `verify` skip it.
pub(crate) fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut f = std::fs::File::create(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Flush a folder's entries (the renames) to disk where the platform allows.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_changed_files_and_leaves_identical_ones() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.parquet");
        let b = dir.path().join("b.parquet");
        std::fs::write(&a, b"same").unwrap();
        std::fs::write(&b, b"old").unwrap();
        let files = [
            Pending {
                path: a.clone(),
                bytes: b"same".to_vec(),
            },
            Pending {
                path: b.clone(),
                bytes: b"new".to_vec(),
            },
        ];
        assert_eq!(commit_all(&[], &files, false).unwrap(), vec![true, false]);
        assert_eq!(std::fs::read(&b).unwrap(), b"new");
        assert_eq!(commit_all(&[], &files, true).unwrap(), vec![false, false]);
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 2, "no temporary file left behind");
    }

    #[test]
    fn a_failed_write_leaves_the_old_files() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.parquet");
        std::fs::write(&a, b"old").unwrap();
        // The second file's folder is a file, so its temporary file cannot be made.
        let blocker = dir.path().join("blocker");
        std::fs::write(&blocker, b"").unwrap();
        let files = [
            Pending {
                path: a.clone(),
                bytes: b"new".to_vec(),
            },
            Pending {
                path: blocker.join("b.parquet"),
                bytes: b"new".to_vec(),
            },
        ];
        assert!(commit_all(&[], &files, false).is_err());
        assert_eq!(std::fs::read(&a).unwrap(), b"old");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 2, "temporary file of a removed");
    }
}
