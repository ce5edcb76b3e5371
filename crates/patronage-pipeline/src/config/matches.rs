//! The files a source's `path` names: one file, or a glob (`*`, `?` and `[...]`
//! within a name, `**` for any depth of folders), found by walking the folders
//! the pattern can reach and no others. The walk keeps these promises:
//!
//! - it starts at the pattern's literal folder and never leaves the pipeline's
//!   root: the first folder or file it would use outside (symbolic links
//!   resolved) stops it with an error, so `/**/*` is refused before a folder is
//!   read;
//! - it enters each physical folder once per position in the pattern, so a
//!   symbolic link that loops ends the descent instead of multiplying it;
//! - it keeps one path per physical file (device and inode): a file reached
//!   under two names (a link, a hard link, a loop) is read once, and the other
//!   names are reported as aliases, never dropped silently;
//! - past [`MAX_MATCHES`] files it stops with an error naming the pattern;
//! - a path that is not a file says what it is (a folder, a named pipe, a
//!   symbolic link to nothing), and a folder it cannot read is an error.
//!
//! The files come back sorted by path, so the same tree gives the same list.
//! Across sources, [`ReadBy`] refuses one physical file read by two sources
//! declared alike (its rows would count twice); sources that read a file
//! differently (two sheets of one workbook) may share it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ffi::OsString;
use std::io::ErrorKind;
use std::path::{Component, Path, PathBuf};

use glob::{MatchOptions, Pattern};

use super::paths::{kind_of, what_is, PathPolicy};

/// The most files one source's pattern may match.
pub(crate) const MAX_MATCHES: usize = 100_000;

/// What a pattern matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Matched {
    /// One path per physical file, sorted.
    pub files: Vec<PathBuf>,
    /// Paths that named a file or folder already matched, each as
    /// `<alias> is <first>` (relative to the pipeline's folder).
    pub aliases: Vec<String>,
}

/// One component of a pattern.
enum Part {
    /// A name or `..`, taken as written.
    Literal(OsString),
    /// A name with wildcards.
    Wild(Pattern),
    /// `**`: any number of folders, none included.
    AnyDepth,
}

/// A physical file or folder.
type FileId = (u64, u64);

/// The files `pattern` (relative to `dir`) matches inside `policy`'s root.
pub(crate) fn matching_files(
    dir: &Path,
    pattern: &str,
    policy: &PathPolicy,
) -> Result<Matched, String> {
    matching_files_capped(dir, pattern, policy, MAX_MATCHES)
}

fn matching_files_capped(
    dir: &Path,
    pattern: &str,
    policy: &PathPolicy,
    cap: usize,
) -> Result<Matched, String> {
    let full = dir.join(pattern);
    let mut start = PathBuf::new();
    let mut parts = Vec::new();
    for c in full.components() {
        let text = c.as_os_str();
        let wild = text.to_str().is_some_and(|s| s.contains(['*', '?', '[']));
        if !wild && parts.is_empty() {
            start.push(text);
            continue;
        }
        parts.push(match c {
            Component::Normal(_) if text == "**" => Part::AnyDepth,
            Component::Normal(_) if wild => {
                let s = text.to_str().unwrap_or_default();
                Part::Wild(
                    Pattern::new(s).map_err(|e| format!("`{pattern}` is not a valid glob: {e}"))?,
                )
            }
            _ => Part::Literal(text.to_os_string()),
        });
    }
    let mut walk = Walk {
        dir,
        pattern,
        policy,
        cap,
        found: Vec::new(),
        seen_files: HashSet::new(),
        entered: HashMap::new(),
        aliases: Vec::new(),
        not_files: Vec::new(),
    };
    if parts.is_empty() {
        walk.leaf(&start, true)?;
    } else if std::fs::metadata(fs_path(&start)).is_ok_and(|m| m.is_dir()) {
        walk.enter(&start, 0, &parts)?;
    }
    walk.finish()
}

struct Walk<'a> {
    dir: &'a Path,
    pattern: &'a str,
    policy: &'a PathPolicy,
    cap: usize,
    /// Every file matched, with its physical identity, in walk order.
    found: Vec<(PathBuf, FileId)>,
    seen_files: HashSet<FileId>,
    /// The first path by which each physical folder was entered at each
    /// position of the pattern.
    entered: HashMap<(FileId, usize), PathBuf>,
    aliases: Vec<String>,
    /// Paths the pattern names exactly that are not files, with what they are.
    not_files: Vec<String>,
}

/// `path` for the file system: the empty path is the working folder.
fn fs_path(path: &Path) -> &Path {
    if path.as_os_str().is_empty() {
        Path::new(".")
    } else {
        path
    }
}

#[cfg(unix)]
fn id_of(m: &std::fs::Metadata) -> FileId {
    use std::os::unix::fs::MetadataExt;
    (m.dev(), m.ino())
}

#[cfg(not(unix))]
fn id_of(_: &std::fs::Metadata) -> FileId {
    // Without inodes every path is its own file; `Walk` numbers them.
    (u64::MAX, 0)
}

/// The physical file `path` names (device and inode; links followed), where the
/// system has inodes.
fn file_id(path: &Path) -> Option<FileId> {
    let m = std::fs::metadata(path).ok()?;
    cfg!(unix).then(|| id_of(&m))
}

/// The physical files the sources read so far, each with the first source
/// that reads it, that source's declaration and the path it names the file by.
#[derive(Debug, Default)]
pub(crate) struct ReadBy(HashMap<FileId, (String, String, PathBuf)>);

impl ReadBy {
    /// Add the `files` of `source` declared as `declaration` (its format,
    /// monthly figures and options as text); a file an earlier source declared
    /// alike already reads is an error (paths shown relative to `dir`).
    pub(crate) fn add(
        &mut self,
        dir: &Path,
        source: &str,
        declaration: &str,
        files: &[PathBuf],
    ) -> Result<(), String> {
        for f in files {
            let Some(id) = file_id(f) else { continue };
            match self.0.get(&id) {
                Some((other, decl, named)) if decl == declaration => {
                    let rel = |p: &Path| p.strip_prefix(dir).unwrap_or(p).display().to_string();
                    return Err(format!(
                        "`{}` is the file source `{other}` already reads (as `{}`), with the \
                         same format and options: its rows would count twice; remove one of the \
                         two",
                        rel(f),
                        rel(named)
                    ));
                }
                Some(_) => {}
                None => {
                    self.0
                        .insert(id, (source.to_string(), declaration.to_string(), f.clone()));
                }
            }
        }
        Ok(())
    }
}

impl Walk<'_> {
    /// A path as the manifest shows it: relative to the pipeline's folder.
    fn rel(&self, path: &Path) -> String {
        path.strip_prefix(self.dir)
            .unwrap_or(path)
            .to_string_lossy()
            .into_owned()
    }

    /// Enter the folder `path` (which exists) at position `i` of the pattern.
    fn enter(&mut self, path: &Path, i: usize, parts: &[Part]) -> Result<(), String> {
        let real = fs_path(path)
            .canonicalize()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        self.policy
            .check_real(&real, path)
            .map_err(|m| format!("`{}` walks a folder outside the root: {m}", self.pattern))?;
        let meta = std::fs::metadata(&real).map_err(|e| format!("{}: {e}", path.display()))?;
        let id = id_of(&meta);
        if cfg!(unix) {
            if let Some(first) = self.entered.get(&(id, i)) {
                self.aliases.push(format!(
                    "folder `{}` is `{}` (walked once)",
                    self.rel(path),
                    self.rel(first)
                ));
                return Ok(());
            }
            self.entered.insert((id, i), path.to_path_buf());
        }
        self.step(path, i, parts)
    }

    /// Match `parts[i..]` below the folder `path`.
    fn step(&mut self, path: &Path, i: usize, parts: &[Part]) -> Result<(), String> {
        let last = i + 1 == parts.len();
        match &parts[i] {
            Part::Literal(name) => {
                let next = path.join(name);
                if last {
                    self.leaf(&next, true)
                } else if std::fs::metadata(fs_path(&next)).is_ok_and(|m| m.is_dir()) {
                    self.enter(&next, i + 1, parts)
                } else {
                    Ok(())
                }
            }
            Part::Wild(p) => {
                let options = MatchOptions::new();
                for (name, next) in self.list(path)? {
                    if !name.to_str().is_some_and(|n| p.matches_with(n, options)) {
                        continue;
                    }
                    if last {
                        self.leaf(&next, false)?;
                    } else if std::fs::metadata(&next).is_ok_and(|m| m.is_dir()) {
                        self.enter(&next, i + 1, parts)?;
                    }
                }
                Ok(())
            }
            Part::AnyDepth => {
                if last {
                    // `dir/**`: every file below.
                    for (_, next) in self.list(path)? {
                        match std::fs::metadata(&next) {
                            Ok(m) if m.is_dir() => self.enter(&next, i, parts)?,
                            _ => self.leaf(&next, false)?,
                        }
                    }
                    return Ok(());
                }
                self.step(path, i + 1, parts)?;
                for (_, next) in self.list(path)? {
                    if std::fs::metadata(&next).is_ok_and(|m| m.is_dir()) {
                        self.enter(&next, i, parts)?;
                    }
                }
                Ok(())
            }
        }
    }

    /// The entries of the folder `path`, sorted by name.
    fn list(&self, path: &Path) -> Result<Vec<(OsString, PathBuf)>, String> {
        let read = |e: std::io::Error| {
            format!(
                "`{}`: folder {} cannot be read: {e}",
                self.pattern,
                path.display()
            )
        };
        let mut entries = Vec::new();
        for e in std::fs::read_dir(fs_path(path)).map_err(read)? {
            let name = e.map_err(read)?.file_name();
            let next = path.join(&name);
            entries.push((name, next));
        }
        entries.sort();
        Ok(entries)
    }

    /// The path `path` the pattern matched: a file is kept (once per physical
    /// file), a folder is passed over unless the pattern names it exactly, and
    /// anything else is an error saying what it is.
    fn leaf(&mut self, path: &Path, exact: bool) -> Result<(), String> {
        let link = match std::fs::symlink_metadata(fs_path(path)) {
            Ok(m) => m,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        let meta = match std::fs::metadata(fs_path(path)) {
            Ok(m) => m,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return Err(format!(
                    "`{}` is {}",
                    self.rel(path),
                    what_is(fs_path(path), &link.file_type())
                ));
            }
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        if meta.is_dir() {
            if exact {
                self.note_not_file(path, &meta.file_type());
            }
            return Ok(());
        }
        if !meta.is_file() {
            let via = if link.file_type().is_symlink() {
                " (through a symbolic link)"
            } else {
                ""
            };
            return Err(format!(
                "`{}` is {}{via}, not a file",
                self.rel(path),
                kind_of(&meta.file_type())
            ));
        }
        self.policy.check_file(fs_path(path))?;
        let id = if cfg!(unix) {
            id_of(&meta)
        } else {
            (u64::MAX, self.found.len() as u64)
        };
        self.found.push((path.to_path_buf(), id));
        if self.seen_files.insert(id) && self.seen_files.len() > self.cap {
            return Err(format!(
                "`{}` matches more than {} files; a source reads at most {} (name fewer files, \
                 or split them among sources)",
                self.pattern, self.cap, self.cap
            ));
        }
        if self.found.len() > 2 * self.cap {
            return Err(format!(
                "`{}` reaches the same files by more than {} paths (symbolic links); name the \
                 files once",
                self.pattern,
                2 * self.cap
            ));
        }
        Ok(())
    }

    fn note_not_file(&mut self, path: &Path, t: &std::fs::FileType) {
        self.not_files
            .push(format!("`{}` is {}", self.rel(path), kind_of(t)));
    }

    /// The files, one path per physical file (the first by path), sorted.
    fn finish(mut self) -> Result<Matched, String> {
        self.found.sort();
        let mut first: BTreeMap<FileId, PathBuf> = BTreeMap::new();
        let mut files = Vec::new();
        for (path, id) in self.found {
            match first.get(&id) {
                Some(f) => {
                    let (alias, f) = (path.strip_prefix(self.dir).unwrap_or(&path), f);
                    self.aliases.push(format!(
                        "file `{}` is `{}` (read once)",
                        alias.display(),
                        f.strip_prefix(self.dir).unwrap_or(f).display()
                    ));
                }
                None => {
                    first.insert(id, path.clone());
                    files.push(path);
                }
            }
        }
        if files.is_empty() {
            let what = if self.not_files.is_empty() {
                String::new()
            } else {
                format!(": {}, not a file", self.not_files.join(", "))
            };
            return Err(format!(
                "`{}` matches no file (looked in {}){what}",
                self.pattern,
                self.dir.display()
            ));
        }
        self.aliases.sort();
        Ok(Matched {
            files,
            aliases: self.aliases,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A project `<tmp>/p` with its pipeline folder `<tmp>/p/pipelines`; the
    /// policy is the default one (the project).
    fn project() -> (tempfile::TempDir, PathBuf, PathPolicy) {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("p/pipelines");
        std::fs::create_dir_all(&dir).unwrap();
        let policy = PathPolicy::new(&dir, None, false).unwrap();
        (tmp, dir, policy)
    }

    fn write(path: &Path) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "x").unwrap();
    }

    fn names(m: &Matched, dir: &Path) -> Vec<String> {
        m.files
            .iter()
            .map(|f| f.strip_prefix(dir).unwrap().display().to_string())
            .collect()
    }

    #[test]
    fn globs_match_as_before() {
        let (_tmp, dir, policy) = project();
        let data = dir.join("../data");
        for f in [
            "a.csv",
            "b.csv",
            "c.tsv",
            "sub/d.csv",
            "sub/deep/e.csv",
            ".h.csv",
        ] {
            write(&data.join(f));
        }
        let m = |p: &str| names(&matching_files(&dir, p, &policy).unwrap(), &dir);
        assert_eq!(m("../data/a.csv"), ["../data/a.csv"]);
        assert_eq!(
            m("../data/*.csv"),
            ["../data/.h.csv", "../data/a.csv", "../data/b.csv"]
        );
        assert_eq!(m("../data/[ab].?sv"), ["../data/a.csv", "../data/b.csv"]);
        assert_eq!(
            m("../data/**/*.csv"),
            [
                "../data/.h.csv",
                "../data/a.csv",
                "../data/b.csv",
                "../data/sub/d.csv",
                "../data/sub/deep/e.csv"
            ]
        );
        assert_eq!(m("../data/*/d.csv"), ["../data/sub/d.csv"]);
        assert_eq!(m("../data/sub/*/../d.csv"), ["../data/sub/deep/../d.csv"]);
        assert_eq!(m("../data/**").len(), 6);
        let e = matching_files(&dir, "../data/*.xlsx", &policy).unwrap_err();
        assert!(e.contains("`../data/*.xlsx` matches no file"), "{e}");
        let e = matching_files(&dir, "../data/a**.csv", &policy).unwrap_err();
        assert!(e.contains("is not a valid glob"), "{e}");
    }

    /// `/**/*` used to walk the whole machine (12.9 GB, killed after 5
    /// minutes): the walk starts at `/`, outside the root, so nothing is read.
    #[test]
    fn a_glob_from_the_file_system_root_stops_before_walking() {
        let (_tmp, dir, policy) = project();
        let e = matching_files(&dir, "/**/*", &policy).unwrap_err();
        assert!(e.contains("`/**/*` walks a folder outside the root"), "{e}");
        let e = matching_files(&dir, "../../**/*.csv", &policy).unwrap_err();
        assert!(e.contains("walks a folder outside the root"), "{e}");
    }

    /// A link inside the root to a folder outside it stops the walk there.
    #[cfg(unix)]
    #[test]
    fn a_glob_stops_at_the_first_folder_outside_the_root() {
        let (tmp, dir, policy) = project();
        write(&dir.join("../data/a.csv"));
        write(&tmp.path().join("outside/secret.csv"));
        std::os::unix::fs::symlink(tmp.path().join("outside"), dir.join("../data/z")).unwrap();
        let e = matching_files(&dir, "../data/**/*.csv", &policy).unwrap_err();
        assert!(
            e.contains("`../data/**/*.csv` walks a folder outside the root"),
            "{e}"
        );
        assert!(e.contains("data/z"), "{e}");
    }

    /// More files than the cap is an error naming the pattern and the cap (the
    /// cap is 3 here; [`MAX_MATCHES`] in a run).
    #[test]
    fn a_broad_glob_stops_at_the_cap_of_matches() {
        let (_tmp, dir, policy) = project();
        for i in 0..4 {
            write(&dir.join(format!("../data/{i}.csv")));
        }
        let ok = matching_files_capped(&dir, "../data/[0-2].csv", &policy, 3).unwrap();
        assert_eq!(ok.files.len(), 3);
        let e = matching_files_capped(&dir, "../data/*.csv", &policy, 3).unwrap_err();
        assert_eq!(
            e,
            "`../data/*.csv` matches more than 3 files; a source reads at most 3 (name fewer \
             files, or split them among sources)"
        );
        assert_eq!(MAX_MATCHES, 100_000);
    }

    /// `ln -s .. lp/up` made `lp/**/a.csv` match `lp/a.csv`, `lp/up/lp/a.csv`,
    /// `lp/up/lp/up/lp/a.csv`... 41 times. The folder is walked once, and the
    /// path that would have walked it again is reported.
    #[cfg(unix)]
    #[test]
    fn a_symlink_loop_reads_each_file_once() {
        let (_tmp, dir, policy) = project();
        let lp = dir.join("../fixtures/lp");
        write(&lp.join("a.csv"));
        std::os::unix::fs::symlink("..", lp.join("up")).unwrap();
        let m = matching_files(&dir, "../fixtures/lp/**/a.csv", &policy).unwrap();
        assert_eq!(names(&m, &dir), ["../fixtures/lp/a.csv"]);
        assert_eq!(
            m.aliases,
            ["folder `../fixtures/lp/up/lp` is `../fixtures/lp` (walked once)"]
        );
    }

    /// Two names of one file (a hard link, a symbolic link) in one pattern: the
    /// first by path is read, the others are reported.
    #[cfg(unix)]
    #[test]
    fn one_file_under_two_names_is_read_once() {
        let (_tmp, dir, policy) = project();
        let data = dir.join("../data");
        write(&data.join("a.csv"));
        std::fs::hard_link(data.join("a.csv"), data.join("b.csv")).unwrap();
        std::os::unix::fs::symlink("a.csv", data.join("c.csv")).unwrap();
        write(&data.join("d.csv"));
        let m = matching_files(&dir, "../data/*.csv", &policy).unwrap();
        assert_eq!(names(&m, &dir), ["../data/a.csv", "../data/d.csv"]);
        assert_eq!(
            m.aliases,
            [
                "file `../data/b.csv` is `../data/a.csv` (read once)",
                "file `../data/c.csv` is `../data/a.csv` (read once)"
            ]
        );
    }

    /// A folder, a named pipe or a link to nothing where a file is expected says
    /// what it is, not "matches no file" alone.
    #[cfg(unix)]
    #[test]
    fn a_source_that_is_not_a_file_says_what_it_is() {
        let (tmp, dir, policy) = project();
        let data = dir.join("../data");
        std::fs::create_dir_all(data.join("folder.csv")).unwrap();
        let e = matching_files(&dir, "../data/folder.csv", &policy).unwrap_err();
        assert_eq!(
            e,
            format!(
                "`../data/folder.csv` matches no file (looked in {}): `../data/folder.csv` is \
                 a folder, not a file",
                dir.display()
            )
        );
        std::os::unix::fs::symlink(tmp.path().join("gone.csv"), data.join("gone.csv")).unwrap();
        let e = matching_files(&dir, "../data/gone.csv", &policy).unwrap_err();
        assert!(
            e.starts_with("`../data/gone.csv` is a symbolic link to `")
                && e.ends_with("gone.csv`, which does not exist"),
            "{e}"
        );
        let fifo = data.join("pipe.csv");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let e = matching_files(&dir, "../data/pipe.csv", &policy).unwrap_err();
        assert_eq!(e, "`../data/pipe.csv` is a named pipe (FIFO), not a file");
        std::fs::remove_file(data.join("gone.csv")).unwrap();
        // In a glob too: a named pipe is never read (it would block the run).
        let e = matching_files(&dir, "../data/*.csv", &policy).unwrap_err();
        assert_eq!(e, "`../data/pipe.csv` is a named pipe (FIFO), not a file");
    }
}
