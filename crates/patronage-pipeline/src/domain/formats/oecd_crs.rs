//! `oecd_crs`: OECD Creditor Reporting System bulk microdata (`|`-delimited),
//! normalized to `aid_events`, file by file. No options.

use patronage_extract::oecd_crs;
use patronage_normalize::aid_events;

use crate::config::{no_options, Domain, FormatSpec};
use crate::domain::aid::{context, outcome};
use crate::domain::format::{Format, Reader};

/// The format.
pub(crate) static FORMAT: Format = Format {
    spec: FormatSpec {
        name: "oecd_crs",
        domain: Domain::Aid,
        streams: false,
        option_keys: &[],
        options: no_options,
    },
    reader: Reader::Aid(|p, source, file, rel, bytes| {
        let x = oecd_crs::parse(file, &bytes)?;
        let n = aid_events::crs(x.rows, &context(p, source, rel));
        Ok(outcome(x.rows_read, x.rejects, n))
    }),
};
