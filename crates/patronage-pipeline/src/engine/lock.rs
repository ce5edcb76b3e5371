//! The output folder's lock, `<out>/.patronage/lock`: one run writes a folder at
//! a time. The lock is the operating system's lock on that file (released by
//! the system when the run ends, however it ends), taken only on a plain file
//! the tool creates itself: anything else at that path (a directory, a symbolic
//! link, a FIFO, a device) is refused with an error saying what it is, never
//! followed, waited on or removed. The file holds a note naming its holder (pid,
//! host, start time), so that a second run can say who is in the way; a note
//! found in a file nobody locks was left by a run that ended without releasing
//! the lock (killed), and is taken over with a note saying whose it was.

use std::fs::{File, Metadata, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::scheduler_events::{Event, Events};
use crate::config::what_is;
use crate::PipelineError;

/// What a run does when another run holds the lock.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LockWait {
    /// Fail at once, naming the holder.
    #[default]
    Fail,
    /// Wait for the lock to be released, at most this long (`None`: no limit).
    Wait(Option<Duration>),
}

/// Who holds a lock: the lock file's note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    /// Process id.
    pub pid: u32,
    /// Host name.
    pub host: String,
    /// When the holder took the lock, UTC, RFC 3339.
    pub started_at: String,
    /// The process's start time in clock ticks since boot (Linux), so that a
    /// recycled pid is not mistaken for the holder.
    #[serde(default)]
    pub pid_start: Option<u64>,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "pid {} on host {}, started {}",
            self.pid, self.host, self.started_at
        )
    }
}

/// A held lock: the open lock file. Dropping it removes the file (if it is
/// still the one locked) and closes it, which releases the lock.
#[derive(Debug)]
pub struct OutputLock {
    path: PathBuf,
    file: File,
}

impl Drop for OutputLock {
    fn drop(&mut self) {
        if still_at(&self.path, &self.file) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// How often a waiting run tries the lock again.
const POLL: Duration = Duration::from_millis(100);
/// The longest holder note read (a note is about 150 bytes).
const NOTE_LIMIT: u64 = 4096;

/// Take the lock of the folder whose state directory is `state_dir`.
pub fn acquire(
    state_dir: &Path,
    wait: LockWait,
    events: &Events,
) -> Result<OutputLock, PipelineError> {
    let path = state_dir.join("lock");
    let io = |source| PipelineError::Write {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(state_dir).map_err(io)?;
    let me = this_process();
    let started = Instant::now();
    let mut announced = false;
    loop {
        let mut file = open_lock_file(&path)?;
        match file.try_lock() {
            Ok(()) => {
                // A run that released the lock meanwhile removed the file this
                // one opened: lock the file now at the path instead.
                if !still_at(&path, &file) {
                    continue;
                }
                let left = read_note(&mut file);
                write_note(&mut file, &me).map_err(io)?;
                if let Some(holder) = left {
                    events.emit(Event::LockTakenOver {
                        holder: holder.ok().map(|h| h.to_string()),
                    });
                }
                return Ok(OutputLock { path, file });
            }
            Err(std::fs::TryLockError::WouldBlock) => {}
            Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
        }
        let holder = match read_note(&mut file) {
            Some(Ok(h)) => h.to_string(),
            _ => "a run that has not written its holder note yet".to_string(),
        };
        match wait {
            LockWait::Fail => {
                return Err(PipelineError::Locked {
                    path: path.clone(),
                    holder,
                })
            }
            LockWait::Wait(limit) => {
                if limit.is_some_and(|l| started.elapsed() >= l) {
                    return Err(PipelineError::LockTimeout {
                        path: path.clone(),
                        holder,
                        waited_s: started.elapsed().as_secs_f64(),
                    });
                }
                if !announced {
                    events.emit(Event::LockWaiting { holder });
                    announced = true;
                }
                std::thread::sleep(POLL);
            }
        }
    }
}

/// Open (creating it if need be) the lock file at `path`, refusing anything
/// but a plain file: a symbolic link is not followed, and a FIFO or device is
/// opened without waiting, then refused.
fn open_lock_file(path: &Path) -> Result<File, PipelineError> {
    let refuse = |m: &Metadata| PipelineError::LockNotAFile {
        path: path.to_path_buf(),
        what: what_is(path, &m.file_type()),
    };
    if let Ok(m) = std::fs::symlink_metadata(path) {
        if !m.file_type().is_file() {
            return Err(refuse(&m));
        }
    }
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(|source| {
        // Replaced by something else between the look and the open.
        match std::fs::symlink_metadata(path) {
            Ok(m) if !m.file_type().is_file() => refuse(&m),
            _ => PipelineError::Write {
                path: path.to_path_buf(),
                source,
            },
        }
    })?;
    let m = file.metadata().map_err(|source| PipelineError::Write {
        path: path.to_path_buf(),
        source,
    })?;
    if !m.is_file() {
        return Err(refuse(&m));
    }
    Ok(file)
}

/// Whether `path` is still the file `file` has open (a released lock's file is
/// removed, and a new one may be created in its place).
fn still_at(path: &Path, file: &File) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (std::fs::symlink_metadata(path), file.metadata()) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        path.is_file()
    }
}

/// The note in an open lock file: `None` when it is empty, else the holder it
/// names, or `Err(())` when it names none that can be read.
fn read_note(file: &mut File) -> Option<Result<Holder, ()>> {
    let mut text = String::new();
    file.rewind().ok()?;
    let read = (&*file).take(NOTE_LIMIT).read_to_string(&mut text);
    if read.is_ok() && text.trim().is_empty() {
        return None;
    }
    Some(serde_json::from_str(&text).map_err(|_| ()))
}

/// Replace the note in the (locked) lock file with `me`.
fn write_note(file: &mut File, me: &Holder) -> std::io::Result<()> {
    let mut text = serde_json::to_string(me).unwrap_or_default();
    text.push('\n');
    file.set_len(0)?;
    file.rewind()?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

/// The run holding the lock in `state_dir`, if any, from the lock file's note,
/// without taking the lock: a note whose run no longer exists on this host (a
/// killed run's) names no holder. A lock path that is not a plain file is never
/// opened (a FIFO would block the caller).
pub fn holder(state_dir: &Path) -> Option<Holder> {
    let path = state_dir.join("lock");
    if !std::fs::symlink_metadata(&path).ok()?.file_type().is_file() {
        return None;
    }
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let mut file = options.open(&path).ok()?;
    if !file.metadata().ok()?.is_file() {
        return None;
    }
    let h = read_note(&mut file)?.ok()?;
    (!is_stale(&h, &host_name())).then_some(h)
}

/// Whether a holder is a run that no longer exists on this host.
pub fn is_stale(h: &Holder, this_host: &str) -> bool {
    h.host == this_host && !alive(h.pid, h.pid_start)
}

/// This host's name.
pub fn host_name() -> String {
    #[cfg(unix)]
    {
        let mut buf = [0u8; 256];
        // SAFETY: the buffer is valid for its length; gethostname writes at most
        // that many bytes.
        let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
        if rc == 0 {
            let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
            return String::from_utf8_lossy(&buf[..end]).into_owned();
        }
    }
    std::env::var("COMPUTERNAME")
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "unknown".to_string())
}

fn this_process() -> Holder {
    let pid = std::process::id();
    Holder {
        pid,
        host: host_name(),
        started_at: super::runlog::utc_now(),
        pid_start: process_start(pid),
    }
}

/// Whether process `pid` exists (and, where known, is the one that started at
/// `start` rather than a later process given the same pid).
fn alive(pid: u32, start: Option<u64>) -> bool {
    #[cfg(unix)]
    {
        let Ok(raw) = libc::pid_t::try_from(pid) else {
            return false;
        };
        // SAFETY: signal 0 only checks that the process exists.
        let rc = unsafe { libc::kill(raw, 0) };
        let exists = rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
        if !exists {
            return false;
        }
        match (start, process_start(pid)) {
            (Some(recorded), Some(now)) => recorded == now,
            _ => true,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (pid, start);
        true
    }
}

/// A process's start time in clock ticks since boot, from `/proc/<pid>/stat`
/// (field 22); `None` where there is no `/proc`.
fn process_start(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_not_stale() {
        let me = this_process();
        assert!(alive(me.pid, me.pid_start));
        assert!(!is_stale(&me, &me.host));
    }

    #[test]
    fn a_finished_process_is_stale_here_but_not_from_another_host() {
        let mut child = std::process::Command::new("true")
            .spawn()
            .expect("spawn true");
        let pid = child.id();
        child.wait().expect("wait");
        let h = Holder {
            pid,
            host: host_name(),
            started_at: String::new(),
            pid_start: None,
        };
        assert!(is_stale(&h, &host_name()));
        assert!(!is_stale(&h, "another-host"));
    }

    #[test]
    fn a_recycled_pid_is_stale() {
        let mut me = this_process();
        if let Some(s) = me.pid_start.as_mut() {
            *s += 1;
            assert!(!alive(me.pid, me.pid_start));
        }
    }

    #[test]
    fn second_acquire_fails_naming_the_holder_and_release_frees_it() {
        let dir = tempfile::tempdir().unwrap();
        let first = acquire(dir.path(), LockWait::Fail, &Events::default()).unwrap();
        let err = acquire(dir.path(), LockWait::Fail, &Events::default()).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains(&format!("pid {}", std::process::id())),
            "{msg}"
        );
        assert!(msg.contains(&host_name()), "{msg}");
        drop(first);
        assert!(holder(dir.path()).is_none());
        let again = acquire(dir.path(), LockWait::Fail, &Events::default());
        assert!(again.is_ok());
    }

    /// Records the events of a run.
    #[derive(Default)]
    struct Seen(std::sync::Mutex<Vec<Event>>);

    impl crate::scheduler_events::Observer for Seen {
        fn event(&self, event: &Event) {
            self.0.lock().unwrap().push(event.clone());
        }
    }

    fn taken_over(seen: &Seen) -> Vec<Option<String>> {
        seen.0
            .lock()
            .unwrap()
            .iter()
            .filter_map(|e| match e {
                Event::LockTakenOver { holder } => Some(holder.clone()),
                _ => None,
            })
            .collect()
    }

    /// A lock file nobody locks: with a note, it is taken over naming the
    /// note's holder; with text that names no holder, it is taken over without
    /// naming one; empty (a run between creating and locking it), it is simply
    /// taken. The note is this run's afterwards.
    #[test]
    fn an_unlocked_lock_file_is_taken_over_saying_what_it_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lock");
        let left = r#"{"pid":4000000,"host":"h","started_at":"2026-11-28T08:00:00.000Z"}"#;
        for (text, said) in [
            (
                left,
                vec![Some(
                    "pid 4000000 on host h, started 2026-11-28T08:00:00.000Z".to_string(),
                )],
            ),
            ("\u{1b}[2J garbage", vec![None]),
            ("", vec![]),
        ] {
            std::fs::write(&path, text).unwrap();
            let seen = std::sync::Arc::new(Seen::default());
            let events = Events::to(seen.clone());
            let lock = acquire(dir.path(), LockWait::Fail, &events).unwrap();
            assert_eq!(taken_over(&seen), said, "{text}");
            let note: Holder =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            assert_eq!(note.pid, std::process::id());
            drop(lock);
            assert!(!path.exists());
        }
    }
}
