//! Why `mirror-all` could not finish, and why its shards could not be run or
//! merged. Every variant names the file, shard or table involved.

use std::path::PathBuf;

/// A failure of a bulk run.
#[derive(Debug, thiserror::Error)]
pub enum BulkError {
    /// An input file could not be read.
    #[error(transparent)]
    Extract(#[from] patronage_extract::ExtractError),
    /// A table could not be built or written.
    #[error(transparent)]
    Tables(#[from] patronage_tables::TablesError),
    /// Row accounting does not balance (a defect in the tool, not the data).
    #[error(transparent)]
    Accounting(#[from] patronage_core::Unbalanced),
}

/// A failure of a shard of `mirror-all` or of the merge of its shards.
#[derive(Debug, thiserror::Error)]
pub enum ShardsError {
    /// Folding or writing failed.
    #[error(transparent)]
    Bulk(#[from] BulkError),
    /// A shard's file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A shard manifest or partial table is not what a shard writes.
    #[error("{}: {message}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// No shard manifest under the output's `shards/`.
    #[error("no shard manifests: nothing matches {}", pattern.display())]
    NoShards {
        /// `OUT/shards/*/shard.json`.
        pattern: PathBuf,
    },
    /// A shard of the job wrote no manifest (not run, still running, or killed).
    #[error("shard {shard} is missing: {} not found", path.display())]
    Missing {
        /// The shard, `I/N`.
        shard: String,
        /// Where its manifest should be.
        path: PathBuf,
    },
    /// Two manifests claim the same shard.
    #[error("shard {shard} is there twice: {} and {}", first.display(), second.display())]
    SameShard {
        /// The shard, `I/N`.
        shard: String,
        /// One manifest.
        first: PathBuf,
        /// The other.
        second: PathBuf,
    },
    /// Two shards claim the same input.
    #[error(
        "input {input} is claimed by two shards: {} and {}",
        first.display(),
        second.display()
    )]
    SameInput {
        /// The input, `format file`.
        input: String,
        /// One manifest.
        first: PathBuf,
        /// The other.
        second: PathBuf,
    },
    /// Two manifests differ where every shard of one job agrees.
    #[error(
        "{} and {} are shards of different jobs: {what} {first_value} and {second_value}",
        first.display(),
        second.display()
    )]
    DifferentJobs {
        /// What differs (`job_sha256`, `tool_version`, `kind`...).
        what: &'static str,
        /// One manifest.
        first: PathBuf,
        /// Its value.
        first_value: String,
        /// The other.
        second: PathBuf,
        /// Its value.
        second_value: String,
    },
    /// No shard claims an input of the job.
    #[error("input {input} is done by no shard (manifests under {})", dir.display())]
    Uncovered {
        /// The input, `format file`.
        input: String,
        /// `OUT/shards`.
        dir: PathBuf,
    },
    /// A shard's file is not what its manifest says.
    #[error(
        "{}: {found}, but {} says {expected}",
        path.display(),
        manifest.display()
    )]
    Changed {
        /// The file.
        path: PathBuf,
        /// Its manifest.
        manifest: PathBuf,
        /// Bytes and SHA-256 the manifest gives.
        expected: String,
        /// Bytes and SHA-256 found.
        found: String,
    },
}
