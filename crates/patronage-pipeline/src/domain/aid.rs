//! The aid domain's glue: the provenance every aid reader gives its events,
//! `aid_events` from kept records, and `aid_events` to `aid_fulfillment` and
//! `aid_by_donor_year`. The readers are the aid formats' own files.

use std::sync::Arc;

use patronage_aggregate::{aid_by_donor_year_frame, aid_fulfillment_frame, fulfillment_rows};
use patronage_core::RowReject;
use patronage_normalize::aid_events::{aid_events_frame, AidContext, AidEvent, NormalizedAid};
use patronage_tables::contracts;
use polars::prelude::*;

use super::outcome::{table_error, FileOutcome, Tables};
use crate::config::{Pipeline, Source};
use crate::PipelineError;

/// What one kept source record became: one event, or one per stage or usage year.
pub(crate) type AidRecord = Vec<AidEvent>;

pub(crate) fn context(p: &Pipeline, source: &Source, rel: &str) -> AidContext {
    AidContext {
        source_id: Arc::from(source.id.as_str()),
        source_file: Arc::from(rel),
        base_year: p.aid_base_year,
    }
}

/// A file's outcome from its reader's count and rejects and what normalizing kept.
pub(crate) fn outcome(
    read: u64,
    extract_rejects: Vec<RowReject>,
    n: NormalizedAid,
) -> FileOutcome<AidRecord> {
    FileOutcome::new(read, extract_rejects, n.records, n.rejects, n.dropped)
}

/// `aid_events` from kept records.
pub(crate) fn canonical_frame(records: Vec<AidRecord>) -> PolarsResult<DataFrame> {
    let events: Vec<AidEvent> = records.into_iter().flatten().collect();
    aid_events_frame(&events)
}

/// The aid analysis tables.
pub(crate) fn aggregate(p: &Pipeline, aid_events: &DataFrame) -> Result<Tables, PipelineError> {
    let rows = fulfillment_rows(aid_events).map_err(table_error(&contracts::AID_FULFILLMENT))?;
    Ok(vec![
        (
            &contracts::AID_FULFILLMENT,
            aid_fulfillment_frame(&rows).map_err(table_error(&contracts::AID_FULFILLMENT))?,
        ),
        (
            &contracts::AID_BY_DONOR_YEAR,
            aid_by_donor_year_frame(aid_events, p.aid_base_year)
                .map_err(table_error(&contracts::AID_BY_DONOR_YEAR))?,
        ),
    ])
}
