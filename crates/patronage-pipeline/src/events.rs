//! The events domain: cited events files to the `events` timeline.

use std::path::Path;
use std::sync::Arc;

use patronage_extract::events_file;
use patronage_normalize::events::{events_frame, Event};
use polars::prelude::*;

use crate::config::{Pipeline, Source};
use crate::source::FileOutcome;
use crate::PipelineError;

/// Read one events file.
pub(crate) fn read_file(
    _p: &Pipeline,
    source: &Source,
    file: &Path,
    rel: &str,
    bytes: Vec<u8>,
) -> Result<FileOutcome<Event>, PipelineError> {
    let x = events_file::parse(file, &bytes)?;
    let (source_id, source_file): (Arc<str>, Arc<str>) =
        (Arc::from(source.id.as_str()), Arc::from(rel));
    Ok(FileOutcome {
        rows: x
            .rows
            .into_iter()
            .map(|entry| Event {
                source_id: source_id.clone(),
                source_file: source_file.clone(),
                entry,
            })
            .collect(),
        rejects: x.rejects.into_iter().map(|r| ("extract", r)).collect(),
        read: x.rows_read,
        dropped: Default::default(),
    })
}

/// `events` from kept rows.
pub(crate) fn canonical_frame(events: Vec<Event>) -> PolarsResult<DataFrame> {
    events_frame(&events)
}
