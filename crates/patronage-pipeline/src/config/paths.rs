//! Where a pipeline file may read and write. A pipeline names files relative to
//! itself; without a limit, a pipeline handed over by someone else could read any
//! file of the machine into a table (`path = "/home/me/.ssh/id_rsa"`) or write
//! anywhere (`output = "/etc"`). So every source file and the `output` folder must
//! lie inside the pipeline's root:
//!
//! - by default, the project: the folder that holds the pipeline's folder
//!   (`pipelines/dprk.toml` may read `../fixtures/...`, not `../../elsewhere`);
//! - `root = "."` (or any folder, relative to the pipeline file) sets it;
//! - `allow_outside_paths = true` lifts the limit.
//!
//! Paths are compared after resolving `..` and symbolic links, so neither leads
//! out. The `--out` option of the command line is the operator's choice and is
//! not limited.

use std::path::{Component, Path, PathBuf};

/// The folder paths must stay in, or none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PathPolicy {
    /// Canonical root; `None` when the pipeline allows any path.
    root: Option<PathBuf>,
}

impl PathPolicy {
    /// The policy for a pipeline in `dir` declaring `root` and `allow_outside`.
    pub(crate) fn new(dir: &Path, root: Option<&str>, allow_outside: bool) -> Result<Self, String> {
        if allow_outside {
            return Ok(PathPolicy { root: None });
        }
        let base = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        let wanted = base.join(root.unwrap_or(".."));
        let root = wanted.canonicalize().map_err(|e| {
            format!(
                "root `{}` ({}) cannot be resolved: {e}",
                root.unwrap_or(".."),
                wanted.display()
            )
        })?;
        Ok(PathPolicy { root: Some(root) })
    }

    /// Refuse an existing file outside the root (symbolic links resolved).
    pub(crate) fn check_file(&self, file: &Path) -> Result<(), String> {
        let Some(root) = &self.root else {
            return Ok(());
        };
        let real = file
            .canonicalize()
            .map_err(|e| format!("{}: {e}", file.display()))?;
        self.inside(root, &real, file)
    }

    /// Refuse an output folder outside the root; it may not exist yet, so its
    /// nearest existing ancestor is resolved and the rest is taken as written.
    pub(crate) fn check_output(&self, path: &Path) -> Result<(), String> {
        let Some(root) = &self.root else {
            return Ok(());
        };
        let normal = lexical(path);
        let mut existing = normal.as_path();
        let mut rest = Vec::new();
        while !existing.exists() {
            match (existing.parent(), existing.file_name()) {
                (Some(parent), Some(name)) => {
                    rest.push(name.to_os_string());
                    existing = parent;
                }
                _ => break,
            }
        }
        let base = if existing.as_os_str().is_empty() {
            Path::new(".")
        } else {
            existing
        };
        let mut real = base
            .canonicalize()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        real.extend(rest.iter().rev());
        self.inside(root, &real, path)
    }

    fn inside(&self, root: &Path, real: &Path, shown: &Path) -> Result<(), String> {
        if real.starts_with(root) {
            Ok(())
        } else {
            Err(format!(
                "`{}` is outside the pipeline's root {}; set `root` to a folder that holds it, or `allow_outside_paths = true`",
                shown.display(),
                root.display()
            ))
        }
    }
}

/// `path` with `.` dropped and `..` applied to the components before it.
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_outside_the_root_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let project = tmp.path().join("project");
        std::fs::create_dir_all(project.join("pipelines")).unwrap();
        std::fs::create_dir_all(project.join("fixtures")).unwrap();
        std::fs::write(project.join("fixtures/a.csv"), "x").unwrap();
        std::fs::write(tmp.path().join("secret.txt"), "x").unwrap();
        let dir = project.join("pipelines");

        let default = PathPolicy::new(&dir, None, false).unwrap();
        assert!(default.check_file(&dir.join("../fixtures/a.csv")).is_ok());
        let e = default
            .check_file(&dir.join("../../secret.txt"))
            .unwrap_err();
        assert!(e.contains("outside the pipeline's root"), "{e}");
        assert!(default.check_output(&dir.join("../out/dprk")).is_ok());
        assert!(default.check_output(&dir.join("../../out")).is_err());
        assert!(default.check_output(Path::new("/etc/patronage")).is_err());

        let own = PathPolicy::new(&dir, Some("."), false).unwrap();
        assert!(own.check_file(&dir.join("../fixtures/a.csv")).is_err());

        let any = PathPolicy::new(&dir, None, true).unwrap();
        assert!(any.check_file(&dir.join("../../secret.txt")).is_ok());

        assert!(PathPolicy::new(&dir, Some("missing"), false).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_does_not_lead_out() {
        let tmp = tempfile::tempdir().unwrap();
        let project = tmp.path().join("project");
        std::fs::create_dir_all(project.join("pipelines")).unwrap();
        std::fs::write(tmp.path().join("secret.txt"), "x").unwrap();
        std::os::unix::fs::symlink(tmp.path().join("secret.txt"), project.join("link.csv"))
            .unwrap();
        let policy = PathPolicy::new(&project.join("pipelines"), None, false).unwrap();
        assert!(policy.check_file(&project.join("link.csv")).is_err());
    }

    #[test]
    fn lexical_applies_parent_components() {
        assert_eq!(lexical(Path::new("a/b/../c/./d")), PathBuf::from("a/c/d"));
        assert_eq!(lexical(Path::new("../x")), PathBuf::from("../x"));
    }
}
