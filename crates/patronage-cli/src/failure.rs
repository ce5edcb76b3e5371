//! How a command that fails says so: an error with its causes, each said once
//! (an error that quotes its cause is not followed by that cause again), and a
//! panic, which is a defect of the tool, turned into [`Exit::Error`] with a
//! message asking for a bug report, never an abort or exit code 101.

use std::any::Any;
use std::sync::Mutex;

use crate::exit::Exit;

/// An error and its causes, outermost first, joined by `: `; a cause whose text
/// the message already holds is left out.
pub fn error_text(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let part = cause.to_string();
        if text.contains(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
}

/// Where the first panic of the process happened, as `file:line:column`, kept
/// by the hook [`record_panics`] installs.
static FIRST_PANIC: Mutex<Option<String>> = Mutex::new(None);

/// Replace the printing of panics with a record of where the first one
/// happened: the command reports it when the panic reaches it
/// ([`panic_report`]). A panic on a worker thread (rayon's or polars') reaches
/// the thread that waits for the work.
pub fn record_panics() {
    std::panic::set_hook(Box::new(|info| {
        let mut first = FIRST_PANIC.lock().unwrap_or_else(|e| e.into_inner());
        if first.is_none() {
            *first = Some(
                info.location()
                    .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()))
                    .unwrap_or_default(),
            );
        }
    }));
}

/// Where the first panic happened, if the hook saw one.
pub fn first_panic_location() -> Option<String> {
    FIRST_PANIC
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
        .filter(|l| !l.is_empty())
}

/// The exit code and the message of a command that panicked with `payload`
/// at `location`.
pub fn panic_report(payload: &(dyn Any + Send), location: Option<&str>) -> (Exit, String) {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_string());
    let at = location.map(|l| format!(" at {l}")).unwrap_or_default();
    let message = format!(
        "internal error: {what}{at}. This is a defect in patronage, not in your data or \
         pipeline file: please report it, with the command you ran and, if you can, the \
         pipeline file and the input that caused it (patronage {}).",
        env!("CARGO_PKG_VERSION")
    );
    (Exit::Error, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An output folder on a read-only file system: the write error quotes its
    /// cause and the cause followed it again ("(os error 30)" twice).
    #[test]
    fn read_only_output_error_says_os_error_once() {
        let e = patronage_pipeline::PipelineError::Write {
            path: "out/manifest.json".into(),
            source: std::io::Error::from_raw_os_error(30),
        };
        let e = anyhow::Error::from(e).context("pipeline p.toml failed");
        let text = error_text(&e);
        assert_eq!(
            text,
            "pipeline p.toml failed: out/manifest.json: cannot write: Read-only file system (os error 30)"
        );
    }

    /// Causes that add something are all said, in order.
    #[test]
    fn causes_that_add_something_are_kept() {
        let e = anyhow::anyhow!("disk full").context("writing the cache");
        assert_eq!(error_text(&e), "writing the cache: disk full");
    }

    /// A panic becomes exit code 2 and a message that says it is a defect of
    /// the tool, what it said and where, and asks for a report.
    #[test]
    fn a_panic_becomes_exit_2_asking_for_a_bug_report() {
        let payload: Box<dyn Any + Send> = Box::new("attempt to add with overflow");
        let (exit, message) = panic_report(payload.as_ref(), Some("src/x.rs:1:2"));
        assert_eq!(exit, Exit::Error);
        assert_eq!(exit.code(), 2);
        assert!(
            message.starts_with(
                "internal error: attempt to add with overflow at src/x.rs:1:2. This is a defect in patronage"
            ),
            "{message}"
        );
        assert!(message.contains("please report it"), "{message}");
        let payload: Box<dyn Any + Send> = Box::new(format!("index {} out of range", 7));
        let (_, message) = panic_report(payload.as_ref(), None);
        assert!(
            message.starts_with("internal error: index 7 out of range. "),
            "{message}"
        );
        let payload: Box<dyn Any + Send> = Box::new(7u8);
        let (_, message) = panic_report(payload.as_ref(), None);
        assert!(
            message.starts_with("internal error: a panic without a message. "),
            "{message}"
        );
    }

    /// The hook records where the first panic happened and prints nothing; a
    /// panic on another thread reaches the one that joins it.
    #[test]
    fn the_hook_records_the_first_panic_and_the_payload_comes_back() {
        record_panics();
        let joined = std::thread::spawn(|| panic!("from a worker")).join();
        let _ = std::panic::take_hook();
        let payload = joined.unwrap_err();
        let location = first_panic_location().unwrap();
        assert!(
            location.starts_with("crates/patronage-cli/src/failure.rs:"),
            "{location}"
        );
        let (_, message) = panic_report(payload.as_ref(), Some(&location));
        assert!(
            message.starts_with("internal error: from a worker at "),
            "{message}"
        );
    }
}
