//! `events_csv`: a cited events file (sanctions, agreements, transport links,
//! visits; CSV), read to the `events` timeline. No options.

use std::path::Path;
use std::sync::Arc;

use patronage_extract::events_file;
use patronage_normalize::events::Event;

use crate::config::{no_options, Domain, FormatSpec, Pipeline, Source};
use crate::domain::format::{Format, Reader};
use crate::domain::outcome::FileOutcome;
use crate::PipelineError;

/// The format.
pub(crate) static FORMAT: Format = Format {
    spec: FormatSpec {
        name: "events_csv",
        domain: Domain::Events,
        streams: false,
        option_keys: &[],
        options: no_options,
    },
    reader: Reader::Events(read),
};

/// Read one events file.
fn read(
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
        frames: Vec::new(),
        input: None,
        spilled: None,
    })
}
