//! Why a run could not finish. Every variant names the file involved.

use std::path::PathBuf;

/// Why a run could not finish.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The pipeline file could not be read.
    #[error("{}: cannot read the pipeline file: {source}", path.display())]
    Read {
        /// The pipeline file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The pipeline file is not valid TOML for the pipeline model (unknown key,
    /// wrong type); the message carries line and column.
    #[error("{}: {message}", path.display())]
    Parse {
        /// The pipeline file.
        path: PathBuf,
        /// The parser's message, with line and column.
        message: String,
    },
    /// The pipeline file parses but says something impossible.
    #[error("{}:{line}: {message}", path.display())]
    Invalid {
        /// The pipeline file.
        path: PathBuf,
        /// Line of the offending value.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A source file could not be read.
    #[error(transparent)]
    Extract(#[from] patronage_extract::ExtractError),
    /// A table could not be built, checked against its contract or written.
    #[error(transparent)]
    Tables(#[from] patronage_tables::TablesError),
    /// Row accounting does not balance (a defect in the tool, not the data).
    #[error(transparent)]
    Accounting(#[from] patronage_core::Unbalanced),
    /// An output could not be written.
    #[error("{}: cannot write: {source}", path.display())]
    Write {
        /// The output file.
        path: PathBuf,
        /// The OS or writer error.
        #[source]
        source: std::io::Error,
    },
    /// A path the run will not use: a state folder holding a symbolic link or a
    /// file the tool did not create.
    #[error("{message}")]
    Refused {
        /// The path refused.
        path: PathBuf,
        /// What it is, and what to do (the message names the path).
        message: String,
    },
    /// Another run holds the output folder's lock.
    #[error(
        "{}: the output folder is locked by another run ({holder}); \
         use --wait to wait for it",
        path.display()
    )]
    Locked {
        /// The lock file.
        path: PathBuf,
        /// Who holds it.
        holder: String,
    },
    /// The lock path holds something a run did not create: a directory, a
    /// symbolic link, a FIFO, a device.
    #[error(
        "{}: the output folder's lock is {what}, not a lock file; a run creates \
         its lock file itself: remove what is there",
        path.display()
    )]
    LockNotAFile {
        /// The lock path.
        path: PathBuf,
        /// What is there instead, in words.
        what: String,
    },
    /// The lock was still held when `--wait`'s time limit ran out.
    #[error(
        "{}: still locked by another run ({holder}) after waiting {waited_s:.1} s",
        path.display()
    )]
    LockTimeout {
        /// The lock file.
        path: PathBuf,
        /// Who holds it.
        holder: String,
        /// Seconds waited.
        waited_s: f64,
    },
    /// An input file changed between its fingerprint and its read.
    #[error("{file}: the file changed while the run was reading it; run again")]
    InputChanged {
        /// The input file, relative to the pipeline file.
        file: String,
    },
    /// The shards of a fan-out that cannot be merged (one missing, one twice, a
    /// unit run by two, of another job or tool version, a file changed since its
    /// `shard.json` was written), or a stage a merge would have to run by
    /// reading its sources. The message names the shard or stage and the files.
    #[error("{message}")]
    Shards {
        /// The `shard.json`, shard folder or output folder concerned.
        path: PathBuf,
        /// What is wrong, and what to do.
        message: String,
    },
    /// An output folder cannot be checked against its manifest.
    #[error("{}: {message}", path.display())]
    Verify {
        /// The manifest.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}
