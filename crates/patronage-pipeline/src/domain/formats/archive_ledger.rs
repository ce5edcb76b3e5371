//! `archive_ledger`: the archival aid ledger CSV (requests, promises, deliveries
//! and payments transcribed from archives, each line cited), normalized to
//! `aid_events`. Files are read in parallel; an event id is cited by its id, so a
//! second line of the source with the same id (in any file) is rejected. No
//! options.

use std::collections::HashSet;
use std::path::Path;

use patronage_core::RowReject;
use patronage_extract::archive_ledger;
use patronage_normalize::aid_events;

use crate::config::{no_options, Domain, FormatSpec, Pipeline, Source};
use crate::domain::aid::{context, outcome, AidRecord};
use crate::domain::files::read_each;
use crate::domain::format::{Format, Reader};
use crate::domain::outcome::{FileMeta, FileOutcome};
use crate::PipelineError;

/// The format.
pub(crate) static FORMAT: Format = Format {
    spec: FormatSpec {
        name: "archive_ledger",
        domain: Domain::Aid,
        streams: false,
        option_keys: &[],
        options: no_options,
    },
    reader: Reader::AidSource(|p, source| {
        let mut files = read_each(p, source, read_file)?;
        reject_duplicate_ids(&mut files);
        Ok(files)
    }),
};

/// One ledger file.
fn read_file(
    p: &Pipeline,
    source: &Source,
    file: &Path,
    rel: &str,
    bytes: Vec<u8>,
) -> Result<FileOutcome<AidRecord>, PipelineError> {
    let x = archive_ledger::parse(file, &bytes)?;
    let n = aid_events::ledger(x.rows, &context(p, source, rel));
    Ok(outcome(x.rows_read, x.rejects, n))
}

/// Reject a ledger line whose event id an earlier line of the source already used
/// (in this file or an earlier one): a ledger event is cited by its id.
fn reject_duplicate_ids(files: &mut [(FileMeta, FileOutcome<AidRecord>)]) {
    let mut seen: HashSet<String> = HashSet::new();
    for (_, outcome) in files.iter_mut() {
        let records = std::mem::take(&mut outcome.rows);
        for record in records {
            match record.iter().find(|e| seen.contains(&e.event_id)) {
                Some(e) => outcome.rejects.push((
                    "normalize",
                    RowReject::new(
                        e.source_line,
                        "duplicate_event_id",
                        format!(
                            "column `event_id`: `{}` is used by an earlier line of this source",
                            e.event_id
                        ),
                        &e.event_id,
                    ),
                )),
                None => {
                    seen.extend(record.iter().map(|e| e.event_id.clone()));
                    outcome.rows.push(record);
                }
            }
        }
    }
}
