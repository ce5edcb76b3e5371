//! Events file entries to the `events` table.

use std::sync::Arc;

use patronage_extract::events_file::EventEntry;
use polars::prelude::*;

/// One timeline event with its provenance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Source id.
    pub source_id: Arc<str>,
    /// File, relative to the pipeline file.
    pub source_file: Arc<str>,
    /// The entry as read.
    pub entry: EventEntry,
}

/// Build the `events` frame, sorted by date, kind, title (then provenance).
pub fn events_frame(events: &[Event]) -> PolarsResult<DataFrame> {
    let mut rows: Vec<&Event> = events.iter().collect();
    rows.sort_by(|a, b| {
        (
            &a.entry.date,
            a.entry.kind.as_str(),
            &a.entry.title,
            &a.source_id,
            &a.source_file,
            a.entry.line,
        )
            .cmp(&(
                &b.entry.date,
                b.entry.kind.as_str(),
                &b.entry.title,
                &b.source_id,
                &b.source_file,
                b.entry.line,
            ))
    });
    patronage_core::frame!(
        rows,
        [
            column!("date", |r| r.entry.date.as_str()),
            column!("year", |r| r.entry.year),
            column!("kind", |r| r.entry.kind.as_str()),
            column!("title", |r| r.entry.title.as_str()),
            column!("detail", |r| r.entry.detail.as_deref()),
            column!("source_id", |r| r.source_id.as_ref()),
            column!("source_file", |r| r.source_file.as_ref()),
            column!("source_line", |r| r.entry.line as i64),
            column!("source_ref", |r| r.entry.citation.as_str()),
        ]
    )
}
