//! The process's exit codes, defined once: each code's number, name and meaning
//! live in [`Exit`], and the "Exit codes:" text under `--help` is generated from
//! the same list, so the help cannot drift from what the commands return.

use std::fmt::Write;

/// How a command ended, as the process reports it to a shell or scheduler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// The run finished (or verify found no drift).
    Ok = 0,
    /// The run finished and wrote every table, but a data check of error
    /// severity failed (`run`).
    ChecksFailed = 1,
    /// An error stopped the command and the previous outputs are left as they
    /// were, or verify found drift; also a defect of the tool (a panic), reported
    /// as such with a request for a bug report.
    Error = 2,
}

impl Exit {
    /// Every exit code, in the order the help lists them.
    pub const ALL: [Exit; 3] = [Exit::Ok, Exit::ChecksFailed, Exit::Error];

    /// The number the process exits with.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The short name ("ok", "data checks failed", "error"), as the help and
    /// the JSON error object (`--json`) show it.
    pub fn name(self) -> &'static str {
        self.doc().0
    }

    /// The short name and the meaning, as the help shows them (one entry per
    /// line of the help).
    fn doc(self) -> (&'static str, &'static [&'static str]) {
        match self {
            Exit::Ok => ("ok", &["the run finished (or verify found no drift)"]),
            Exit::ChecksFailed => (
                "data checks failed",
                &["the run finished and wrote its outputs, but a check failed"],
            ),
            Exit::Error => (
                "error",
                &[
                    "the previous outputs are left as they were (bad pipeline file or",
                    "input, output folder locked by another run, a write failed), or verify",
                    "found drift; also an internal error (a defect of patronage: the",
                    "message asks for a bug report)",
                ],
            ),
        }
    }
}

/// The "Exit codes:" paragraph shown under `--help`: what a scheduler needs to
/// know.
pub fn help() -> String {
    let mut text = String::from("Exit codes:");
    for exit in Exit::ALL {
        let (name, meaning) = exit.doc();
        for (i, line) in meaning.iter().enumerate() {
            if i == 0 {
                let _ = write!(text, "\n  {}  {name}: {line}", exit.code());
            } else {
                let _ = write!(text, "\n     {line}");
            }
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_lists_every_code_once_in_order() {
        let help = help();
        let listed: Vec<u8> = help
            .lines()
            .filter_map(|l| l.strip_prefix("  ")?.split("  ").next()?.parse().ok())
            .collect();
        let codes: Vec<u8> = Exit::ALL.iter().map(|e| e.code()).collect();
        assert_eq!(listed, codes, "{help}");
        assert!(codes.windows(2).all(|w| w[0] < w[1]), "{codes:?}");
    }
}
