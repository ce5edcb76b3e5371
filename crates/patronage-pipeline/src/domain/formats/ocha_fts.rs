//! `ocha_fts`: OCHA Financial Tracking Service flow API pages, normalized to
//! `aid_events`. The pages are read as a whole source, because a flow's duplicate
//! or parent may sit on another page: they are chained by `meta.nextLink`,
//! curated together, and each flow's outcome is counted against the page it was
//! read from. One option: `shared_boundary = "drop"` (the default: FTS's own
//! funding total leaves out flows shared with other locations or years) or
//! `"keep"`.

use std::collections::BTreeMap;

use patronage_extract::ocha_fts;
use patronage_normalize::aid_events::{self, AidContext, FtsOutcome, SharedBoundary};
use rayon::prelude::*;

use crate::config::options::pick;
use crate::config::{Domain, FormatSpec, Invalid, OptionsInput, Parsed, Pipeline, Source};
use crate::domain::aid::{context, AidRecord};
use crate::domain::files::load_file;
use crate::domain::format::{options_of, Format, Reader};
use crate::domain::outcome::{FileMeta, FileOutcome};
use crate::PipelineError;

/// The format.
pub(crate) static FORMAT: Format = Format {
    spec: FormatSpec {
        name: "ocha_fts",
        domain: Domain::Aid,
        streams: false,
        option_keys: &["shared_boundary"],
        options,
    },
    reader: Reader::AidSource(read),
};

/// An FTS source's options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct OchaFts {
    /// What becomes of incoming flows shared with other locations or years.
    shared_boundary: SharedBoundary,
}

fn options(input: &OptionsInput<'_>) -> Result<Parsed, Invalid> {
    let shared_boundary = match input.shared_boundary {
        None => SharedBoundary::Drop,
        Some(v) => [SharedBoundary::Drop, SharedBoundary::Keep]
            [pick(input, v, "shared_boundary", &["drop", "keep"])?],
    };
    Ok(Parsed::new(OchaFts { shared_boundary }))
}

/// All pages of an FTS source, chained, curated together, counted per page.
fn read(
    p: &Pipeline,
    source: &Source,
) -> Result<Vec<(FileMeta, FileOutcome<AidRecord>)>, PipelineError> {
    let opts = options_of::<OchaFts>(p, source)?;
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
    let outcomes = aid_events::fts(&flows, opts.shared_boundary);
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
            frames: Vec::new(),
            input: None,
            spilled: None,
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
