//! Every table a run builds from its sources' outputs, before the data checks
//! and claims: each domain's canonical table (sorted by key, so the order sources
//! are declared in never shows), its analysis tables, `patron_influence` across
//! the domains, and `rejects` in stage, source, file, line and column order.

use patronage_aggregate::WindowResult;
use patronage_tables::contracts::{self, TableSpec};
use polars::prelude::*;

use super::manifest::InputEntry;
use super::memory;
use super::outcome::{table_error, RejectRow, SourceAccount, SourceOutput, Tables};
use super::read::canonical;
use super::spill::DiskTable;
use super::{aid, labor, trade};
use crate::config::{Domain, Pipeline};
use crate::PipelineError;

/// The tables a run builds from its sources, before checks and claims.
pub(crate) struct Built {
    /// Every table built, with its contract.
    pub frames: Tables,
    /// The windows computed.
    pub windows: Vec<WindowResult>,
    /// One manifest entry per input file.
    pub inputs: Vec<InputEntry>,
    /// Accounting per source, in priority order.
    pub sources: Vec<SourceAccount>,
    /// SHA-256 over the inputs' hashes in order.
    pub inputs_sha256: String,
    /// One manifest entry per file the `[mirror_all]` step folded.
    pub mirror_inputs: Vec<InputEntry>,
    /// `trade_flows` when some of its rows are on disk (then not in `frames`).
    pub trade_flows_on_disk: Option<DiskTable>,
}

/// SHA-256 over the inputs' hashes in order (the manifest's `inputs_sha256`).
pub(crate) fn inputs_hash(inputs: &[InputEntry]) -> String {
    patronage_tables::sha256_hex(
        inputs
            .iter()
            .map(|i| i.sha256.as_str())
            .collect::<Vec<_>>()
            .join("\n")
            .as_bytes(),
    )
}

/// Canonical tables, each domain's analysis tables, `patron_influence` and
/// `rejects`, from the sources' outputs in declaration order.
pub(crate) fn build(
    p: &Pipeline,
    outputs: Vec<SourceOutput>,
    on_disk: bool,
) -> Result<Built, PipelineError> {
    let mut inputs = Vec::new();
    let mut sources: Vec<SourceAccount> = Vec::new();
    let mut rejects: Vec<&RejectRow> = Vec::new();
    for o in &outputs {
        inputs.extend(o.inputs.iter().cloned());
        sources.push(o.account.clone());
        rejects.extend(&o.rejects);
    }
    rejects.sort_by(|a, b| {
        (
            a.stage,
            &a.source_id,
            &a.source_file,
            a.reject.line,
            a.reject.column,
        )
            .cmp(&(
                b.stage,
                &b.source_id,
                &b.source_file,
                b.reject.line,
                b.reject.column,
            ))
    });

    let inputs_sha256 = inputs_hash(&inputs);
    let rejects = rejects_frame(&rejects).map_err(table_error(&contracts::REJECTS))?;
    // Each domain's table takes its sources' frames: no row is held twice.
    let mut outputs = outputs;

    let mut trade_flows_on_disk = DiskTable::from_outputs(&mut outputs)?;
    let mut frames: Vec<(&'static TableSpec, DataFrame)> = Vec::new();
    // Rows on disk from a stage cached when the table was kept there, in a
    // run that needs it whole: read them into memory.
    let held = match trade_flows_on_disk.take_if(|_| !on_disk) {
        Some(t) => Some(t.filtered(lit(true), None)?),
        None => None,
    };
    let windows = match &trade_flows_on_disk {
        // The analysis tables read only the focus's rows: read them alone.
        Some(on_disk) => {
            let held = trade::focus_flows(p, on_disk)?;
            // What reading them freed goes back before the tables are built.
            memory::release_freed();
            let (trade_tables, windows) = trade::aggregate(p, &held)?;
            frames.extend(trade_tables);
            windows
        }
        None => {
            let trade_flows = match held {
                Some(rows) => rows,
                None => canonical(Domain::Trade, &mut outputs)?,
            };
            let (trade_tables, windows) = trade::aggregate(p, &trade_flows)?;
            frames.push((&contracts::TRADE_FLOWS, trade_flows));
            frames.extend(trade_tables);
            windows
        }
    };
    let aid_events = canonical(Domain::Aid, &mut outputs)?;
    frames.extend(aid::aggregate(p, &aid_events)?);
    frames.push((&contracts::AID_EVENTS, aid_events));
    let labor_stock = canonical(Domain::Labor, &mut outputs)?;
    let labor_tables = labor::aggregate(p, &labor_stock)?;
    frames.push((&contracts::LABOR_STOCK, labor_stock));
    frames.extend(labor_tables);
    let events = canonical(Domain::Events, &mut outputs)?;
    frames.push((&contracts::EVENTS, events));
    let influence = patron_influence(p, &frames)?;
    frames.push((&contracts::PATRON_INFLUENCE, influence));
    frames.push((&contracts::REJECTS, rejects));
    Ok(Built {
        frames,
        windows,
        inputs,
        sources,
        inputs_sha256,
        mirror_inputs: Vec::new(),
        trade_flows_on_disk,
    })
}

/// The table built by this run under `spec` (every table is built, empty or not).
pub(crate) fn table_in<'a>(
    frames: &'a [(&'static TableSpec, DataFrame)],
    spec: &'static TableSpec,
) -> Result<&'a DataFrame, PipelineError> {
    frames
        .iter()
        .find(|(s, _)| s.name == spec.name)
        .map(|(_, df)| df)
        .ok_or_else(|| {
            table_error(spec)(PolarsError::NoData(
                format!("table {} is read before it is built", spec.name).into(),
            ))
        })
}

/// `patron_influence` from the trade, aid and labor tables.
fn patron_influence(
    p: &Pipeline,
    frames: &[(&'static TableSpec, DataFrame)],
) -> Result<DataFrame, PipelineError> {
    let registry = patronage_core::CountryRegistry::comtrade();
    patronage_aggregate::patron_influence_frame(
        &patronage_aggregate::InfluenceInputs {
            focus: &p.focus,
            patrons: &p.patrons,
            mirror_trade: table_in(frames, &contracts::MIRROR_TRADE)?,
            aid_by_donor_year: table_in(frames, &contracts::AID_BY_DONOR_YEAR)?,
            aid_events: table_in(frames, &contracts::AID_EVENTS)?,
            labor_summary: table_in(frames, &contracts::LABOR_SUMMARY)?,
        },
        |iso3, year| registry.iso3_valid_in(iso3, year),
    )
    .map_err(table_error(&contracts::PATRON_INFLUENCE))
}

pub(crate) fn rejects_frame(rows: &[&RejectRow]) -> PolarsResult<DataFrame> {
    patronage_core::frame!(
        rows,
        [
            column!("stage", |r| r.stage),
            column!("source_id", |r| r.source_id.clone()),
            column!("source_file", |r| r.source_file.clone()),
            column!("source_line", |r| r.reject.line as i64),
            column!("source_column", |r| r.reject.column as i64),
            column!("reason", |r| r.reject.reason),
            column!("detail", |r| r.reject.detail.clone()),
            column!("raw", |r| r.reject.raw.clone()),
        ]
    )
}
