//! The quality layer: what a pipeline file says the built tables must satisfy
//! (`[[checks]]`, giving `check_results`) and what published statements they are
//! held against (`[[claims]]`, giving `claims`), with the row filters both use.
//! It reads specs, built tables and the sources' row accounting handed to it,
//! and imports nothing of the runner: the engine calls in, never the reverse.
//! Inside, imports run one way: `literal` ← `filter` ← `checks`, `claims` ←
//! `claim_eval`.

pub mod checks;
pub(crate) mod claim_eval;
pub mod claims;
pub(crate) mod filter;
pub(crate) mod literal;

pub use checks::{
    check_summary, CheckResult, CheckSpec, Kind, Severity, SourceRows, Status as CheckStatus,
    CONSERVATION_PREFIX,
};
pub use claims::{ClaimSpec, Comparison, Measure};
pub use filter::Filter;
pub use literal::Literal;
