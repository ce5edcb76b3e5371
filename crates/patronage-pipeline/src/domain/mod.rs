//! Reading sources and the glue of each domain: the format registry (one file per
//! format under `formats/`), a source's files read in parallel by its format's
//! reader, every file's rows accounted for (read = kept + dropped + rejected),
//! each domain's canonical table and analysis tables, and the manifest's record
//! of inputs and outputs. Imports only `config`.

pub(crate) mod aid;
pub(crate) mod events;
pub(crate) mod files;
pub(crate) mod format;
pub mod formats;
pub(crate) mod labor;
pub mod manifest;
pub(crate) mod memory;
pub(crate) mod mirror_all;
pub(crate) mod outcome;
pub(crate) mod read;
pub(crate) mod spill;
pub(crate) mod tables;
pub(crate) mod trade;

pub use outcome::SourceAccount;
