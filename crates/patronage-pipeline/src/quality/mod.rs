//! The quality layer: what a pipeline file says the built tables must satisfy
//! (`[[checks]]`, giving `check_results`) and what published statements they are
//! held against (`[[claims]]`, giving `claims`), with the row filters both use.
//! It reads the entries as the pipeline file gives them (`config`), built tables
//! and the sources' row accounting (`domain`), and imports nothing of the
//! engine: the engine calls in, never the reverse.
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

use crate::config::Pipeline;
use crate::PipelineError;

/// A pipeline's checks and claims, checked against the table contracts.
#[derive(Debug, Clone)]
pub struct Quality {
    /// The data checks, in declaration order.
    pub checks: Vec<CheckSpec>,
    /// The claims, in declaration order.
    pub claims: Vec<ClaimSpec>,
}

impl Quality {
    /// Validate the `[[checks]]` and `[[claims]]` of `p`; an error names the line.
    pub fn of(p: &Pipeline) -> Result<Quality, PipelineError> {
        let invalid = |span, message| p.invalid(span, message);
        // `mirror_all` is built only by the `[mirror_all]` step: a claim needs
        // its table (a check of a table not built is reported as skipped).
        if p.mirror_all.is_none() {
            let mirror = patronage_tables::contracts::MIRROR_ALL.name;
            if let Some(c) = p.claims.iter().find(|c| c.table.get_ref() == mirror) {
                return Err(invalid(
                    c.table.span(),
                    format!("claim on table `{mirror}`: the pipeline declares no [mirror_all] step to build it"),
                ));
            }
        }
        Ok(Quality {
            checks: checks::validate(p.checks.clone(), &invalid)?,
            claims: claims::validate(p.claims.clone(), &invalid)?,
        })
    }

    /// Whether a check or claim needs the whole of `trade_flows` at once (a
    /// check of a kind that is not added up batch by batch, a claim without a
    /// `where`): then the table is held in memory unless it is partitioned.
    pub(crate) fn reads_trade_flows_whole(&self) -> bool {
        let trade_flows = patronage_tables::contracts::TRADE_FLOWS.name;
        self.checks
            .iter()
            .any(|c| c.table.name == trade_flows && !c.kind.runs_on_disk())
            || self
                .claims
                .iter()
                .any(|c| c.table.name == trade_flows && c.filter.is_empty())
    }
}
