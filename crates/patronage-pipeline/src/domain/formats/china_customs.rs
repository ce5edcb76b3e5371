//! `china_customs`: a China customs (GACC) statistics download, normalized to
//! `trade_flows`. The files do not state their flow, so the source must (`flow`);
//! a single-period download needs `period`, a one-partner download `partner` (a
//! GACC partner code: 109 = DPRK); `encoding` defaults to GB18030.

use std::path::Path;

use patronage_core::{Flow, MonthRange};
use patronage_extract::encoding::TextEncoding;
use patronage_extract::{china_customs, ExtractError};
use patronage_normalize::TradeFlow;

use crate::config::options::{encoding, period, pick};
use crate::config::{Domain, FormatSpec, Invalid, OptionsInput, Parsed, Pipeline, Source};
use crate::domain::format::{options_of, Format, Reader};
use crate::domain::outcome::FileOutcome;
use crate::domain::trade::{context, outcome};
use crate::PipelineError;

/// The format.
pub(crate) static FORMAT: Format = Format {
    spec: FormatSpec {
        name: "china_customs",
        domain: Domain::Trade,
        streams: false,
        option_keys: &["flow", "period", "encoding", "partner"],
        options,
    },
    reader: Reader::Trade(read),
};

/// A China customs source's options.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ChinaCustoms {
    /// Flow the files hold.
    flow: Flow,
    /// Period of a single-period download.
    period: Option<MonthRange>,
    /// Text encoding.
    encoding: TextEncoding,
    /// GACC partner code of a one-partner download.
    partner: Option<u32>,
}

fn options(input: &OptionsInput<'_>) -> Result<Parsed, Invalid> {
    let Some(v) = input.flow else {
        return Err((
            input.id_span.clone(),
            format!(
                "source `{}`: format `china_customs` needs `flow` (\"import\", \"export\" or \"total\"): China customs files do not state it",
                input.id
            ),
        ));
    };
    let flow = [Flow::Import, Flow::Export, Flow::Total]
        [pick(input, v, "flow", &["import", "export", "total"])?];
    let partner = match input.partner {
        None => None,
        Some(v) => {
            let code: u32 = v.get_ref().trim().parse().map_err(|_| {
                (
                    v.span(),
                    format!(
                        "source `{}`: partner `{}` is not a GACC partner code (109 = DPRK)",
                        input.id,
                        v.get_ref()
                    ),
                )
            })?;
            if patronage_core::TradeCodes::get()
                .gacc_partner(code)
                .is_none()
            {
                return Err((
                    v.span(),
                    format!(
                        "source `{}`: partner {code} is not in China customs' partner code list",
                        input.id
                    ),
                ));
            }
            Some(code)
        }
    };
    Ok(Parsed::new(ChinaCustoms {
        flow,
        period: period(input)?,
        encoding: encoding(input)?.unwrap_or(TextEncoding::Gb18030),
        partner,
    }))
}

fn read(
    p: &Pipeline,
    source: &Source,
    file: &Path,
    rel: &str,
    bytes: Vec<u8>,
) -> Result<FileOutcome<TradeFlow>, PipelineError> {
    let opts = options_of::<ChinaCustoms>(p, source)?;
    let layout = |message: String| ExtractError::Layout {
        path: file.to_path_buf(),
        line: 1,
        message,
    };
    let x = china_customs::parse(file, &bytes, opts.encoding)?;
    drop(bytes);
    if opts.period.is_none() && x.rows.iter().any(|r| r.date.is_none()) {
        return Err(layout(format!(
            "no `Date of data` column (a single-period download): declare `period` for source `{}`",
            source.id
        ))
        .into());
    }
    if opts.partner.is_none() && x.rows.iter().any(|r| r.partner_code.is_none()) {
        return Err(layout(format!(
            "no `Trading partner code` column (a one-partner download): declare `partner` (GACC code, 109 = DPRK) for source `{}`",
            source.id
        ))
        .into());
    }
    let declared = patronage_normalize::china_customs::Declared {
        flow: opts.flow,
        period: opts.period,
        partner: opts.partner,
    };
    let n = patronage_normalize::china_customs::normalize(x.rows, &context(source, rel), declared);
    Ok(outcome(x.rows_read, x.rejects, n))
}
