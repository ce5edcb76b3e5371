//! The trade domain: source files to `trade_flows`, and `trade_flows` to the
//! mirror, share and window tables.

use std::path::Path;

use patronage_aggregate::{
    compute_windows, mirror_rows, mirror_trade_frame, partner_share_frame, trade_windows_frame,
    MirrorSpec, WindowResult,
};
use patronage_core::CountryRegistry;
use patronage_extract::comtrade_v1;
use patronage_normalize::{trade_flows_frame, TradeFlow};
use patronage_tables::contracts;
use polars::prelude::*;

use crate::config::{Pipeline, Source};
use crate::source::{table_error, FileOutcome, Tables};
use crate::PipelineError;

/// Extract and normalize one trade file.
pub(crate) fn read_file(
    p: &Pipeline,
    source: &Source,
    file: &Path,
    rel: &str,
    bytes: Vec<u8>,
) -> Result<FileOutcome<TradeFlow>, PipelineError> {
    let Some(layout) = source.format.comtrade_layout() else {
        return crate::trade_sources::read_file(p, source, file, rel, bytes);
    };
    let extracted = comtrade_v1::parse(file, &bytes, layout)?;
    drop(bytes); // parsed rows own what they need; free the file before normalizing
    let normalized = patronage_normalize::comtrade_v1::normalize(
        extracted.rows,
        &crate::trade_sources::context(source, rel),
        CountryRegistry::comtrade(),
    );
    Ok(FileOutcome::new(
        extracted.rows_read,
        extracted.rejects,
        normalized.flows,
        normalized.rejects,
        normalized.dropped,
    ))
}

/// `trade_flows` from kept rows.
pub(crate) fn canonical_frame(flows: Vec<TradeFlow>) -> PolarsResult<DataFrame> {
    trade_flows_frame(&flows)
}

/// The trade analysis tables, and the windows for the run report.
pub(crate) fn aggregate(
    p: &Pipeline,
    trade_flows: &DataFrame,
) -> Result<(Tables, Vec<WindowResult>), PipelineError> {
    let spec = MirrorSpec {
        focus: p.focus.clone(),
        commodity: p.commodity.clone(),
        source_priority: p.sources.iter().map(|s| s.id.clone()).collect(),
    };
    let mirror = mirror_rows(trade_flows, &spec).map_err(table_error(&contracts::MIRROR_TRADE))?;
    let windows = compute_windows(&mirror, &p.windows);
    let mut frames = vec![
        (
            &contracts::MIRROR_TRADE,
            mirror_trade_frame(&mirror, &spec).map_err(table_error(&contracts::MIRROR_TRADE))?,
        ),
        (
            &contracts::PARTNER_SHARE,
            partner_share_frame(&mirror, &spec).map_err(table_error(&contracts::PARTNER_SHARE))?,
        ),
        (
            &contracts::TRADE_WINDOWS,
            trade_windows_frame(&windows, &spec).map_err(table_error(&contracts::TRADE_WINDOWS))?,
        ),
    ];
    frames.extend(crate::trade_sources::aggregate(p, trade_flows, &spec)?);
    Ok((frames, windows))
}
