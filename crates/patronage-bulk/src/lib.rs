//! Whole releases at full scale, outside the pipeline file: `mirror-all` folds
//! every country's reports in Comtrade bulk and BACI files into the mirror of
//! every country in one streaming pass (memory flat in file size), a job of it
//! can be cut into shards run anywhere and merged back (`shard`, `merge`), and
//! `synth` writes SYNTHETIC files of those layouts for benchmarks. Same inputs,
//! same bytes, whatever the thread count or the number of shards.

mod error;
pub mod fold_windows;
mod hash_thread;
pub mod input;
pub mod merge;
pub mod mirror_all;
pub mod scan;
pub mod shard;
pub mod synth;

pub use error::{BulkError, ShardsError};
