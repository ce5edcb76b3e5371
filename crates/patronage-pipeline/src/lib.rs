//! The pipeline: a TOML file that names a focus country, its sources and the
//! comparisons to make; a runner that reads every source, normalizes, aggregates
//! and writes one Parquet file per table with a manifest of inputs and outputs.

mod aid;
pub mod config;
mod error;
mod events;
pub mod labor;
pub mod manifest;
pub mod mirror_all;
pub mod parquet;
mod paths;
pub mod quality;
mod run;
mod source;
pub mod synth;
mod trade;
pub mod trade_config;
mod trade_sources;

// Reproducible, schedulable runs: stage fingerprints and cache, the output lock,
// events for schedulers, the run log, atomic commits, verify, the JSON dictionary.
mod cache;
mod commit;
pub mod dictionary;
pub mod fingerprint;
pub mod lock;
pub mod run_events;
pub mod runlog;
pub mod stages;
pub mod verify;

pub use config::Pipeline;
pub use error::PipelineError;
pub use quality::{check_summary, CheckResult, CheckStatus};
pub use run::{output_dir_of, run, ChecksFailed, RunOptions, RunReport, SourceAccount};
pub use stages::{plan, Plan};
pub use verify::verify_outputs;

/// The tool's version, written into manifests and Parquet footers.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The pipeline `patronage run` uses when given none.
pub const DEFAULT_PIPELINE: &str = "pipelines/dprk.toml";

/// Hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Size and hex SHA-256 of a file, read in blocks (for files too large to hold).
pub fn sha256_file(path: &std::path::Path) -> std::io::Result<(u64, String)> {
    let mut hashing = HashingReader::new(std::fs::File::open(path)?, true);
    std::io::copy(&mut hashing, &mut std::io::sink())?;
    let (bytes, sha) = hashing.finish();
    Ok((bytes, sha.unwrap_or_default()))
}

/// A reader that counts, and hashes (SHA-256) when asked, what passes through
/// it, so a file read once for its rows is also fingerprinted in that one read.
pub struct HashingReader<R> {
    inner: R,
    hasher: Option<sha2::Sha256>,
    bytes: u64,
}

impl<R> HashingReader<R> {
    /// Count what `inner` yields, and hash it when `hash` is true.
    pub fn new(inner: R, hash: bool) -> Self {
        use sha2::Digest;
        HashingReader {
            inner,
            hasher: hash.then(sha2::Sha256::new),
            bytes: 0,
        }
    }

    /// Bytes read and, when hashed, their hex SHA-256.
    pub fn finish(self) -> (u64, Option<String>) {
        use sha2::Digest;
        let hex = self
            .hasher
            .map(|h| h.finalize().iter().map(|b| format!("{b:02x}")).collect());
        (self.bytes, hex)
    }
}

impl<R: std::io::Read> std::io::Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use sha2::Digest;
        let n = self.inner.read(buf)?;
        if let Some(h) = &mut self.hasher {
            h.update(&buf[..n]);
        }
        self.bytes += n as u64;
        Ok(n)
    }
}
