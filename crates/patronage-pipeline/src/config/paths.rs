//! Where a pipeline file may read and write. A pipeline names files relative to
//! itself; without a limit, a pipeline handed over by someone else could read any
//! file of the machine into a table (`path = "/home/me/.ssh/id_rsa"`) or write
//! anywhere (`output = "/etc"`). So every source file, every file a format
//! consults besides (a code list) and the `output` folder must lie inside the
//! pipeline's root:
//!
//! - by default, the project: the folder that holds the pipeline's folder
//!   (`pipelines/dprk.toml` may read `../fixtures/...`, not `../../elsewhere`);
//! - `root = "."` (or any folder of the project, relative to the pipeline file)
//!   narrows it. A file may narrow its limit, never widen it: a `root` outside the
//!   project is refused;
//! - only the operator lifts the limit, on the command line
//!   (`--allow-outside-paths`); a pipeline file cannot lift its own.
//!
//! Paths are resolved physically before they are compared: each symbolic link
//! is followed where it stands, and a `..` after it leaves the folder the link
//! led to, as the operating system would, never the text before it. A folder
//! that does not exist yet is resolved through its nearest existing ancestor.
//! The `--out` option of the command line is the operator's choice and is not
//! limited; the state folder under any output folder (`.patronage/`) holds only
//! what the tool created, never a symbolic link ([`check_state_dir`]).

use std::ffi::OsString;
use std::io::ErrorKind;
use std::path::{Component, Path, PathBuf};

/// The folder paths must stay in, or none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PathPolicy {
    /// Physical root; `None` when the operator lifted the limit.
    root: Option<PathBuf>,
}

/// What the operator says to lift the limit.
pub(crate) const LIFT: &str = "--allow-outside-paths";

impl PathPolicy {
    /// The policy for a pipeline in `dir` declaring `root`; `lifted` is the
    /// operator's choice (the command line's `--allow-outside-paths`).
    pub(crate) fn new(dir: &Path, root: Option<&str>, lifted: bool) -> Result<Self, String> {
        if lifted {
            return Ok(PathPolicy { root: None });
        }
        let base = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        let project = base.join("..").canonicalize().map_err(|e| {
            format!(
                "the project folder {} cannot be resolved: {e}",
                base.join("..").display()
            )
        })?;
        let Some(root) = root else {
            return Ok(PathPolicy {
                root: Some(project),
            });
        };
        let wanted = base.join(root);
        let real = wanted.canonicalize().map_err(|e| {
            format!(
                "root `{root}` ({}) cannot be resolved: {e}",
                wanted.display()
            )
        })?;
        if !real.starts_with(&project) {
            let leads = if real == Path::new(root) {
                String::new()
            } else {
                format!(" (it leads to {})", real.display())
            };
            return Err(format!(
                "root `{root}`{leads} is outside the project {}: a pipeline file may narrow \
                 where it reads and writes, not widen it; to let this pipeline read and \
                 write outside the project, the operator runs it with {LIFT}",
                project.display()
            ));
        }
        Ok(PathPolicy { root: Some(real) })
    }

    /// The physical root; `None` when the operator lifted the limit.
    pub(crate) fn root(&self) -> Option<&Path> {
        self.root.as_deref()
    }

    /// Refuse an existing file outside the root (symbolic links resolved); a
    /// member of a `.zip` file is where its archive is.
    pub(crate) fn check_file(&self, file: &Path) -> Result<(), String> {
        if self.root.is_none() {
            return Ok(());
        }
        let file = &patronage_extract::archive::container(file);
        let real = file
            .canonicalize()
            .map_err(|e| format!("{}: {e}", file.display()))?;
        self.check_real(&real, file)
    }

    /// Refuse an output folder outside the root; it may not exist yet, so it is
    /// resolved physically as far as it exists ([`physical`]).
    pub(crate) fn check_output(&self, path: &Path) -> Result<(), String> {
        if self.root.is_none() {
            return Ok(());
        }
        let real = physical(path)?;
        self.check_real(&real, path)
    }

    /// Refuse `real` (a physical path) outside the root; `shown` is the path as
    /// the pipeline names it.
    pub(crate) fn check_real(&self, real: &Path, shown: &Path) -> Result<(), String> {
        let Some(root) = &self.root else {
            return Ok(());
        };
        if real.starts_with(root) {
            return Ok(());
        }
        let leads = if real == shown {
            String::new()
        } else {
            format!(" (it leads to {})", real.display())
        };
        Err(format!(
            "`{}`{leads} is outside the pipeline's root {}; set `root` to a folder of the \
             project that holds it, or the operator runs the pipeline with {LIFT}",
            shown.display(),
            root.display()
        ))
    }
}

/// The physical form of `path`, which may not exist yet: each existing
/// component is resolved where it stands (a symbolic link followed, so a `..`
/// after it leaves the folder it led to), and the part that does not exist yet
/// is taken as written, its `..` undoing the folders that will be created before
/// it. A symbolic link to nothing is refused: what creating through it would do
/// depends on where it points.
pub(crate) fn physical(path: &Path) -> Result<PathBuf, String> {
    let shown = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let mut real = if path.is_absolute() {
        PathBuf::from("/")
    } else {
        Path::new(".").canonicalize().map_err(|e| shown(&e))?
    };
    // Components below `real` that do not exist yet.
    let mut pending: Vec<OsString> = Vec::new();
    for c in path.components() {
        match c {
            Component::Prefix(p) => real = PathBuf::from(p.as_os_str()),
            Component::RootDir => real.push(Component::RootDir.as_os_str()),
            Component::CurDir => {}
            Component::ParentDir => {
                if pending.pop().is_none() {
                    // `real` is physical, so its parent is the folder `..` names.
                    real.pop();
                }
            }
            Component::Normal(name) => {
                if !pending.is_empty() {
                    pending.push(name.to_os_string());
                    continue;
                }
                let next = real.join(name);
                match std::fs::symlink_metadata(&next) {
                    Ok(_) => {
                        real = next.canonicalize().map_err(|e| {
                            let target = std::fs::read_link(&next)
                                .map(|t| format!(" (a symbolic link to `{}`)", t.display()))
                                .unwrap_or_default();
                            shown(&format!("{}{target}: {e}", next.display()))
                        })?;
                    }
                    Err(e) if e.kind() == ErrorKind::NotFound => pending.push(name.to_os_string()),
                    Err(e) => return Err(shown(&format!("{}: {e}", next.display()))),
                }
            }
        }
    }
    real.extend(pending);
    Ok(real)
}

/// Refuse a state folder (`<out>/.patronage`) that is not wholly the tool's
/// own: the folder itself and everything in it were created by the tool as
/// plain folders and files, so a symbolic link there (to a folder elsewhere, a
/// file elsewhere, or nothing), a named pipe or a device would send the stage
/// cache, the lock or the run log somewhere else, or block the run. Nothing is
/// followed; a state folder that does not exist yet passes.
pub fn check_state_dir(state: &Path) -> Result<(), String> {
    match std::fs::symlink_metadata(state) {
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("{}: {e}", state.display())),
        Ok(m) if m.is_dir() => check_state_entries(state, state),
        Ok(m) => Err(not_the_tools(state, state, &m.file_type())),
    }
}

fn check_state_entries(state: &Path, dir: &Path) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut sub = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
        let path = entry.path();
        let t = entry
            .file_type()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        if t.is_dir() {
            sub.push(path);
        } else if !t.is_file() {
            return Err(not_the_tools(state, &path, &t));
        }
    }
    sub.sort();
    for d in sub {
        check_state_entries(state, &d)?;
    }
    Ok(())
}

fn not_the_tools(state: &Path, path: &Path, t: &std::fs::FileType) -> String {
    let what = what_is(path, t);
    format!(
        "`{}` is {what}: the state folder {} holds the stage cache, the lock and the run \
         log, which the tool creates itself as plain folders and files, and follows no \
         link there; remove it",
        path.display(),
        state.display()
    )
}

/// What `path` (of type `t`, its links not followed) is, for messages: a link
/// with where it leads and whether that exists, else [`kind_of`].
pub(crate) fn what_is(path: &Path, t: &std::fs::FileType) -> String {
    if !t.is_symlink() {
        return kind_of(t).to_string();
    }
    match std::fs::read_link(path) {
        Ok(target) if path.exists() => format!("a symbolic link to `{}`", target.display()),
        Ok(target) => format!(
            "a symbolic link to `{}`, which does not exist",
            target.display()
        ),
        Err(_) => "a symbolic link".to_string(),
    }
}

/// What a file that is not a plain file or folder is, for messages.
pub(crate) fn kind_of(t: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_block_device() || t.is_char_device() {
            return "a device";
        }
    }
    if t.is_symlink() {
        "a symbolic link"
    } else if t.is_dir() {
        "a folder"
    } else if t.is_file() {
        "a file"
    } else {
        "neither a file nor a folder"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `<tmp>/project/pipelines`, `<tmp>/project/fixtures/a.csv` and
    /// `<tmp>/secret.txt`.
    fn project() -> (tempfile::TempDir, PathBuf) {
        let tmp = tempfile::tempdir().unwrap();
        let project = tmp.path().join("project");
        std::fs::create_dir_all(project.join("pipelines")).unwrap();
        std::fs::create_dir_all(project.join("fixtures")).unwrap();
        std::fs::write(project.join("fixtures/a.csv"), "x").unwrap();
        std::fs::write(tmp.path().join("secret.txt"), "x").unwrap();
        (tmp, project)
    }

    #[test]
    fn files_outside_the_root_are_refused() {
        let (_tmp, project) = project();
        let dir = project.join("pipelines");

        let default = PathPolicy::new(&dir, None, false).unwrap();
        assert!(default.check_file(&dir.join("../fixtures/a.csv")).is_ok());
        let e = default
            .check_file(&dir.join("../../secret.txt"))
            .unwrap_err();
        assert!(e.contains("outside the pipeline's root"), "{e}");
        assert!(e.contains("--allow-outside-paths"), "{e}");
        assert!(default.check_output(&dir.join("../out/dprk")).is_ok());
        assert!(default.check_output(&dir.join("../../out")).is_err());
        assert!(default.check_output(Path::new("/etc/patronage")).is_err());

        let own = PathPolicy::new(&dir, Some("."), false).unwrap();
        assert!(own.check_file(&dir.join("../fixtures/a.csv")).is_err());

        let lifted = PathPolicy::new(&dir, None, true).unwrap();
        assert!(lifted.check_file(&dir.join("../../secret.txt")).is_ok());

        assert!(PathPolicy::new(&dir, Some("missing"), false).is_err());
    }

    #[test]
    fn a_root_outside_the_project_is_refused() {
        let (_tmp, project) = project();
        let dir = project.join("pipelines");
        for root in ["/", "../..", "../../.."] {
            let e = PathPolicy::new(&dir, Some(root), false).unwrap_err();
            assert!(e.contains("is outside the project"), "{root}: {e}");
            assert!(e.contains("--allow-outside-paths"), "{root}: {e}");
        }
        // Inside the project, a root narrows the limit.
        for root in ["..", ".", "../fixtures"] {
            assert!(PathPolicy::new(&dir, Some(root), false).is_ok(), "{root}");
        }
        // The operator's flag lifts the limit whatever the file says.
        assert_eq!(
            PathPolicy::new(&dir, Some("/"), true).unwrap(),
            PathPolicy { root: None }
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_does_not_lead_out() {
        let (tmp, project) = project();
        std::os::unix::fs::symlink(tmp.path().join("secret.txt"), project.join("link.csv"))
            .unwrap();
        let policy = PathPolicy::new(&project.join("pipelines"), None, false).unwrap();
        assert!(policy.check_file(&project.join("link.csv")).is_err());
    }

    /// `fixtures/sym` links to `<tmp>/o/a/b`, outside the project: the text
    /// `fixtures/sym/../pwned` reads as `fixtures/pwned`, but the system resolves
    /// it to `<tmp>/o/a/pwned`, and that is what is checked.
    #[cfg(unix)]
    #[test]
    fn output_through_symlink_and_dotdot_is_refused() {
        let (tmp, project) = project();
        let outside = tmp.path().join("o/a/b");
        std::fs::create_dir_all(&outside).unwrap();
        std::os::unix::fs::symlink(&outside, project.join("fixtures/sym")).unwrap();
        let dir = project.join("pipelines");
        let policy = PathPolicy::new(&dir, None, false).unwrap();

        let out = dir.join("../fixtures/sym/../pwned");
        let real = tmp.path().canonicalize().unwrap().join("o/a/pwned");
        assert_eq!(physical(&out).unwrap(), real);
        let e = policy.check_output(&out).unwrap_err();
        assert!(
            e.contains(&format!("(it leads to {})", real.display())),
            "{e}"
        );
        // Below the link, deeper folders still to be created are resolved too.
        assert!(policy
            .check_output(&dir.join("../fixtures/sym/new/../../x"))
            .is_err());
        // A `..` undoing a folder not created yet stays where the text says.
        assert_eq!(
            physical(&dir.join("../fixtures/new/../out")).unwrap(),
            project.canonicalize().unwrap().join("fixtures/out")
        );
        assert!(policy
            .check_output(&dir.join("../fixtures/new/../out"))
            .is_ok());
        // A link to nothing is refused: where it would create depends on it.
        std::os::unix::fs::symlink(tmp.path().join("gone"), project.join("dangling")).unwrap();
        let e = policy
            .check_output(&dir.join("../dangling/out"))
            .unwrap_err();
        assert!(e.contains("a symbolic link to"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_state_folder_is_refused() {
        let (tmp, project) = project();
        let out = project.join("out/dprk");
        std::fs::create_dir_all(&out).unwrap();
        let state = out.join(".patronage");
        // None yet, or a plain folder of plain files: fine.
        assert_eq!(check_state_dir(&state), Ok(()));
        std::fs::create_dir_all(state.join("sources/s")).unwrap();
        std::fs::write(state.join("sources/s/record.json"), "{}").unwrap();
        assert_eq!(check_state_dir(&state), Ok(()));

        // A link inside it.
        let elsewhere = tmp.path().join("elsewhere");
        std::fs::create_dir_all(&elsewhere).unwrap();
        std::os::unix::fs::symlink(&elsewhere, state.join("sources/t")).unwrap();
        let e = check_state_dir(&state).unwrap_err();
        assert!(e.contains("sources/t` is a symbolic link to"), "{e}");
        std::fs::remove_file(state.join("sources/t")).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", state.join("runs.jsonl")).unwrap();
        assert!(check_state_dir(&state).is_err());
        std::fs::remove_dir_all(&state).unwrap();

        // The folder itself.
        std::os::unix::fs::symlink(&elsewhere, &state).unwrap();
        let e = check_state_dir(&state).unwrap_err();
        assert!(e.contains(".patronage` is a symbolic link to"), "{e}");
        assert!(e.contains("remove it"), "{e}");
        std::fs::remove_file(&state).unwrap();

        // A file where the folder should be.
        std::fs::write(&state, "").unwrap();
        let e = check_state_dir(&state).unwrap_err();
        assert!(e.contains("is a file"), "{e}");
    }
}
