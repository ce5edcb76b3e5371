//! The events domain's glue: the `events` timeline from kept entries.

use patronage_normalize::events::{events_frame, Event};
use polars::prelude::*;

/// `events` from kept rows.
pub(crate) fn canonical_frame(events: Vec<Event>) -> PolarsResult<DataFrame> {
    events_frame(&events)
}
