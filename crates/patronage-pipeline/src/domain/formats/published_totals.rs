//! `published_totals`: a cited CSV of trade figures as publications printed them
//! (yearbooks, customs announcements, KOTRA's reports, the press quoting them),
//! normalized to `trade_flows` with valuation `as_published`; a turnover stays
//! one `total` row, never split. No options: the file states each figure's
//! unit, currency and citation.

use std::path::Path;

use patronage_extract::published_totals;
use patronage_normalize::TradeFlow;

use crate::config::{no_options, Domain, FormatSpec, Pipeline, Source};
use crate::domain::format::{Format, Reader};
use crate::domain::outcome::FileOutcome;
use crate::domain::trade::{context, outcome};
use crate::PipelineError;

/// The format.
pub(crate) static FORMAT: Format = Format {
    spec: FormatSpec {
        name: "published_totals",
        domain: Domain::Trade,
        streams: false,
        option_keys: &[],
        options: no_options,
    },
    reader: Reader::Trade(read),
};

/// Read one published-totals file.
fn read(
    _p: &Pipeline,
    source: &Source,
    file: &Path,
    rel: &str,
    bytes: Vec<u8>,
) -> Result<FileOutcome<TradeFlow>, PipelineError> {
    let x = published_totals::parse(file, &bytes)?;
    let n = patronage_normalize::published_totals::normalize(x.rows, &context(source, rel));
    Ok(outcome(x.rows_read, x.rejects, n))
}
