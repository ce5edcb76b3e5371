//! `patronage claims`: run the pipeline (unchanged stages are skipped), check its
//! published claims against the tables, and print the verdicts on stdout, as
//! text or, with `--json`, as one JSON object (a summary and every claim).

use anyhow::Context;
use patronage_report::{claims, claims_text, Claim, Tables};
use serde_json::{json, Value};

use super::pipeline_args::PipelineArgs;
use crate::exit::Exit;
use crate::json_output;

/// Arguments of `patronage claims`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    target: PipelineArgs,
    /// The verdicts as one JSON object on stdout: `claims_file`, the counts
    /// by status, and `claims` (one object per claim, the columns of the
    /// `claims` table).
    #[arg(long)]
    pub json: bool,
}

/// Print the claims' verdicts.
pub fn execute(args: Args) -> anyhow::Result<Exit> {
    let json = args.json;
    let tables = args.target.built_tables()?;
    if json {
        json_output::print(&claims_json(&tables)?);
    } else {
        print!("{}", claims_text(&tables)?);
    }
    Ok(Exit::Ok)
}

/// The verdicts as JSON.
fn claims_json(tables: &Tables) -> anyhow::Result<Value> {
    let file = tables.dir.join("claims.parquet");
    let list = claims(&tables.claims).with_context(|| format!("{}", file.display()))?;
    let count = |s: &str| list.iter().filter(|c| c.status == s).count();
    Ok(json!({
        "claims_file": file.display().to_string(),
        "reproduced": count("reproduced"),
        "deviates": count("deviates"),
        "not_computable": count("not_computable"),
        "claims": list.iter().map(claim_json).collect::<Vec<_>>(),
    }))
}

fn claim_json(c: &Claim) -> Value {
    json!({
        "claim_id": c.id,
        "status": c.status,
        "text": c.text,
        "source": c.source,
        "computed_from": c.computed_from,
        "expected": c.expected,
        "computed": c.computed,
        "unit": c.unit,
        "comparison": c.comparison,
        "tolerance": c.tolerance,
        "deviation": c.deviation,
        "deviation_pct": c.deviation_pct,
        "reason": c.reason,
    })
}
