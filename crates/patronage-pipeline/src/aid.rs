//! The aid domain: archival ledgers, OCHA FTS pages and OECD CRS files to
//! `aid_events`, and `aid_events` to `aid_fulfillment` and `aid_by_donor_year`.
//!
//! Ledger and CRS files are read in parallel, one by one. FTS pages are read as a
//! whole source, because a flow's duplicate or parent may sit on another page:
//! the pages are chained by `meta.nextLink`, curated together, and each flow's
//! outcome is counted against the page it was read from. Event ids must be unique
//! in a source; a second line with the same id is rejected.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use patronage_aggregate::{aid_by_donor_year_frame, aid_fulfillment_frame, fulfillment_rows};
use patronage_core::RowReject;
use patronage_extract::{archive_ledger, ocha_fts, oecd_crs};
use patronage_normalize::aid_events::{
    self, aid_events_frame, AidContext, AidEvent, FtsOutcome, NormalizedAid,
};
use patronage_tables::contracts;
use polars::prelude::*;
use rayon::prelude::*;

use crate::config::{Format, Pipeline, Source};
use crate::source::{
    assemble, load_file, table_error, FileMeta, FileOutcome, SourceOutput, Tables,
};
use crate::PipelineError;

/// What one kept source record became: one event, or one per stage or usage year.
pub(crate) type AidRecord = Vec<AidEvent>;

fn context(p: &Pipeline, source: &Source, rel: &str) -> AidContext {
    AidContext {
        source_id: Arc::from(source.id.as_str()),
        source_file: Arc::from(rel),
        base_year: p.aid_base_year,
    }
}

/// Read every file of an aid source.
pub(crate) fn read_source(p: &Pipeline, source: &Source) -> Result<SourceOutput, PipelineError> {
    let mut files = match source.format {
        Format::OchaFts => read_fts(p, source)?,
        _ => source
            .files
            .par_iter()
            .map(|file| {
                let (meta, bytes) = load_file(p, file)?;
                let outcome = read_file(p, source, file, &meta.file, &bytes)?;
                Ok((meta, outcome))
            })
            .collect::<Result<Vec<_>, PipelineError>>()?,
    };
    if source.format == Format::ArchiveLedger {
        reject_duplicate_ids(&mut files);
    }
    assemble(source, files, canonical_frame)
}

/// A ledger or CRS file.
fn read_file(
    p: &Pipeline,
    source: &Source,
    file: &Path,
    rel: &str,
    bytes: &[u8],
) -> Result<FileOutcome<AidRecord>, PipelineError> {
    let ctx = context(p, source, rel);
    let (read, extract_rejects, normalized): (u64, Vec<RowReject>, NormalizedAid) =
        match source.format {
            Format::OecdCrs => {
                let x = oecd_crs::parse(file, bytes)?;
                (x.rows_read, x.rejects, aid_events::crs(x.rows, &ctx))
            }
            _ => {
                let x = archive_ledger::parse(file, bytes)?;
                (x.rows_read, x.rejects, aid_events::ledger(x.rows, &ctx))
            }
        };
    Ok(FileOutcome::new(
        read,
        extract_rejects,
        normalized.records,
        normalized.rejects,
        normalized.dropped,
    ))
}

/// All pages of an FTS source, chained, curated together, counted per page.
fn read_fts(
    p: &Pipeline,
    source: &Source,
) -> Result<Vec<(FileMeta, FileOutcome<AidRecord>)>, PipelineError> {
    let pages: Vec<(FileMeta, ocha_fts::FtsPage)> = source
        .files
        .par_iter()
        .map(|file| {
            let (meta, bytes) = load_file(p, file)?;
            let page = ocha_fts::parse_page(file, &bytes)?;
            Ok((meta, page))
        })
        .collect::<Result<_, PipelineError>>()?;
    let (metas, pages): (Vec<FileMeta>, Vec<ocha_fts::FtsPage>) = pages.into_iter().unzip();
    let chains = ocha_fts::chain(&pages)?;
    let contexts: Vec<AidContext> = metas.iter().map(|m| context(p, source, &m.file)).collect();
    let order: Vec<usize> = chains.into_iter().flatten().collect();
    let flows: Vec<(&ocha_fts::FtsFlow, &AidContext)> = order
        .iter()
        .flat_map(|&i| pages[i].flows.rows.iter().map(move |f| (f, i)))
        .map(|(f, i)| (f, &contexts[i]))
        .collect();
    let page_of: Vec<usize> = order
        .iter()
        .flat_map(|&i| std::iter::repeat_n(i, pages[i].flows.rows.len()))
        .collect();
    let outcomes = aid_events::fts(&flows);
    let mut per_page: Vec<FileOutcome<AidRecord>> = pages
        .iter()
        .map(|pg| FileOutcome {
            rows: Vec::new(),
            rejects: pg
                .flows
                .rejects
                .iter()
                .cloned()
                .map(|r| ("extract", r))
                .collect(),
            read: pg.flows.rows_read,
            dropped: BTreeMap::new(),
        })
        .collect();
    for (outcome, page) in outcomes.into_iter().zip(page_of) {
        let o = &mut per_page[page];
        match outcome {
            FtsOutcome::Kept(events) => o.rows.push(events),
            FtsOutcome::Dropped(reason) => *o.dropped.entry(reason.to_string()).or_default() += 1,
            FtsOutcome::Rejected(r) => o.rejects.push(("normalize", r)),
        }
    }
    Ok(metas.into_iter().zip(per_page).collect())
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
