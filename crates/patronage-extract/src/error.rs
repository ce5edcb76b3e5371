//! A file that cannot be read at all, naming the file and the line. What an
//! error displays is bounded and escaped whatever its parts hold: a message
//! quoting a 50 MB header line or a file name with terminal escapes prints as
//! a few kilobytes of plain text.

use std::path::{Path, PathBuf};

use patronage_core::{escape_bounded, MESSAGE_LIMIT};

/// A path or a message as an error displays it.
fn shown(s: &str) -> String {
    escape_bounded(s, MESSAGE_LIMIT)
}

fn path_shown(p: &Path) -> String {
    shown(&p.display().to_string())
}

/// A file that cannot be read at all. Row-level problems are not errors: they
/// become rejects.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// The file could not be opened or read.
    #[error("{}: cannot read: {source}", path_shown(path))]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not in the expected layout (missing columns, wrong header,
    /// an API error envelope, an empty file).
    #[error("{}:{line}: {}", path_shown(path), shown(message))]
    Layout {
        /// The file.
        path: PathBuf,
        /// Line where the problem was found.
        line: u64,
        /// What was expected and what was found.
        message: String,
    },
    /// A workbook that cannot be opened, or lacks the sheet the pipeline names
    /// (the message lists the sheets there are).
    #[error("{}: {}", path_shown(path), shown(message))]
    Workbook {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The file is not well-formed (broken or truncated JSON).
    #[error("{}:{line}:{column}: {}", path_shown(path), shown(message))]
    Syntax {
        /// The file.
        path: PathBuf,
        /// Line of the error.
        line: u64,
        /// Column of the error.
        column: u64,
        /// What the parser said.
        message: String,
    },
    /// A compressed file or archive that cannot be read: the archive, the member
    /// (for a `.zip`), and the offset in the unpacked bytes where reading stopped.
    #[error(
        "damaged archive `{}`{}: at byte {offset}: {}",
        path_shown(path),
        member.as_deref().map(|m| format!(": member `{}`", shown(m))).unwrap_or_default(),
        shown(message)
    )]
    Archive {
        /// The archive (`.zip` or `.gz`).
        path: PathBuf,
        /// The member, for a `.zip`.
        member: Option<String>,
        /// Unpacked bytes of the member read before the damage.
        offset: u64,
        /// What is wrong.
        message: String,
    },
}
