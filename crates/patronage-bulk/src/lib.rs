//! Whole releases at full scale, outside the pipeline file: `mirror-all` folds
//! every country's reports in Comtrade bulk and BACI files into the mirror of
//! every country in one streaming pass (memory flat in file size), and `synth`
//! writes SYNTHETIC files of those layouts for benchmarks. Same inputs, same
//! bytes, whatever the thread count.

mod error;
pub mod fold_windows;
mod hash_thread;
pub mod input;
pub mod mirror_all;
pub mod object_input;
pub mod scan;
pub mod synth;

pub use error::BulkError;
