//! The pipeline file as written and as validated: the pipeline and its sources,
//! each source's format declaration and options, labor sheets, and where paths
//! may lead. The lowest layer of the crate: it imports no other layer, and knows
//! source formats only through the list it is given.

mod archives;
mod downloads;
mod format;
mod groups;
mod matches;
mod mirror_all;
pub mod objects;
pub mod options;
mod paths;
mod pipeline;
mod quality;
mod sheet;
mod source;

pub use format::{
    no_options, Domain, FormatOptions, FormatSpec, Invalid, NoOptions, OptionsInput, Parsed,
};
pub use mirror_all::{MirrorAllStep, FOLDED_FORMATS};
pub(crate) use paths::what_is;
pub use pipeline::{LoadOptions, Pipeline};
pub use quality::{Number, RawCheck, RawClaim};
pub use sheet::{sheet_source, RawSheet, SheetSource};
pub use source::{PendingObject, Source};
