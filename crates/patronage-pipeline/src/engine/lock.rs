//! The output folder's lock, `<out>/.patronage/lock`: one run writes a folder at
//! a time. The lock file names its holder (pid, host, start time) so that a
//! second run can say who is in the way, and so that a lock left by a run that was
//! killed can be recognised — its pid no longer exists on this host — and taken
//! over. A lock held from another host is never taken over: this host cannot
//! tell whether that run is alive.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::scheduler_events::{Event, Events};
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

/// Who holds a lock: the lock file's content.
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
    /// Unique to one acquisition, so a run only ever removes its own lock.
    #[serde(default)]
    pub token: String,
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

/// A held lock; released (the file removed) when dropped.
#[derive(Debug)]
pub struct OutputLock {
    path: PathBuf,
    token: String,
}

impl Drop for OutputLock {
    fn drop(&mut self) {
        if let Ok(Some(h)) = read_holder(&self.path) {
            if h.token == self.token {
                let _ = std::fs::remove_file(&self.path);
            }
        }
    }
}

/// How often a waiting run looks at the lock again.
const POLL: Duration = Duration::from_millis(100);
/// A lock file that stays empty or unreadable this long was left by a run killed
/// while writing it.
const UNREADABLE_GRACE: Duration = Duration::from_secs(5);

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
        match try_create(&path, &me) {
            Ok(()) => {
                return Ok(OutputLock {
                    path: path.clone(),
                    token: me.token,
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(io(e)),
        }
        let holder = match read_holder(&path) {
            Ok(Some(h)) => h,
            Ok(None) => continue, // released meanwhile
            Err(age) => {
                if age >= UNREADABLE_GRACE {
                    let _ = std::fs::remove_file(&path);
                    events.emit(Event::LockTakenOver {
                        holder: "an unreadable lock file (a run killed while taking it)"
                            .to_string(),
                    });
                    continue;
                }
                std::thread::sleep(POLL);
                continue;
            }
        };
        if is_stale(&holder, &me.host) {
            // Remove it only if it is still the same stale lock.
            if read_holder(&path).ok().flatten().as_ref() == Some(&holder) {
                let _ = std::fs::remove_file(&path);
                events.emit(Event::LockTakenOver {
                    holder: holder.to_string(),
                });
            }
            continue;
        }
        match wait {
            LockWait::Fail => {
                return Err(PipelineError::Locked {
                    path: path.clone(),
                    holder: holder.to_string(),
                })
            }
            LockWait::Wait(limit) => {
                if limit.is_some_and(|l| started.elapsed() >= l) {
                    return Err(PipelineError::LockTimeout {
                        path: path.clone(),
                        holder: holder.to_string(),
                        waited_s: started.elapsed().as_secs_f64(),
                    });
                }
                if !announced {
                    events.emit(Event::LockWaiting {
                        holder: holder.to_string(),
                    });
                    announced = true;
                }
                std::thread::sleep(POLL);
            }
        }
    }
}

/// The holder of the lock in `state_dir`, if any, without taking it.
pub fn holder(state_dir: &Path) -> Option<Holder> {
    read_holder(&state_dir.join("lock")).ok().flatten()
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
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    Holder {
        pid,
        host: host_name(),
        started_at: super::runlog::utc_now(),
        pid_start: process_start(pid),
        token: format!("{pid}-{nanos}"),
    }
}

fn try_create(path: &Path, me: &Holder) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    let mut text = serde_json::to_string(me).unwrap_or_default();
    text.push('\n');
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

/// The lock's holder; `Ok(None)` when there is no lock; `Err(age)` when the file
/// exists but cannot be parsed (being written, or left half-written), with its age.
fn read_holder(path: &Path) -> Result<Option<Holder>, Duration> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(_) => return Err(age(path)),
    };
    serde_json::from_str(&text).map(Some).map_err(|_| age(path))
}

fn age(path: &Path) -> Duration {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .unwrap_or_default()
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
            token: String::new(),
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
}
