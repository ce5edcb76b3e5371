//! `russia_customs`: the Russian Federal Customs Service export
//! (`NAPR,PERIOD,STRANA,…`), normalized to `trade_flows`. The files do not state
//! the unit of STOIM, so the source must (`stoim_unit`); the month comes from the
//! file name (`…_YYYY-MM.csv`) unless `period` is declared; `encoding` defaults to
//! UTF-8.

use std::path::Path;

use patronage_core::MonthRange;
use patronage_extract::encoding::TextEncoding;
use patronage_extract::{russia_customs, ExtractError};
use patronage_normalize::russia_customs::StoimUnit;
use patronage_normalize::TradeFlow;

use crate::config::options::{encoding, period, pick};
use crate::config::{Domain, FormatSpec, Invalid, OptionsInput, Parsed, Pipeline, Source};
use crate::domain::format::{options_of, Format, Reader};
use crate::domain::outcome::FileOutcome;
use crate::domain::trade::{context, file_name, outcome};
use crate::PipelineError;

/// The format.
pub(crate) static FORMAT: Format = Format {
    spec: FormatSpec {
        name: "russia_customs",
        domain: Domain::Trade,
        streams: false,
        option_keys: &["stoim_unit", "period", "encoding"],
        options,
    },
    reader: Reader::Trade(read),
};

/// A Russian customs source's options.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RussiaCustoms {
    /// Unit of STOIM.
    stoim_unit: StoimUnit,
    /// Period the files cover when their names do not say.
    period: Option<MonthRange>,
    /// Text encoding.
    encoding: TextEncoding,
}

fn options(input: &OptionsInput<'_>) -> Result<Parsed, Invalid> {
    let Some(v) = input.stoim_unit else {
        return Err((
            input.id_span.clone(),
            format!(
                "source `{}`: format `russia_customs` needs `stoim_unit` (\"usd\" or \"thousand_usd\"): the files do not state the unit of STOIM (see docs/sources.md, \"Russian customs\")",
                input.id
            ),
        ));
    };
    let stoim_unit = [StoimUnit::Usd, StoimUnit::ThousandUsd]
        [pick(input, v, "stoim_unit", &["usd", "thousand_usd"])?];
    Ok(Parsed::new(RussiaCustoms {
        stoim_unit,
        period: period(input)?,
        encoding: encoding(input)?.unwrap_or(TextEncoding::Utf8),
    }))
}

fn read(
    p: &Pipeline,
    source: &Source,
    file: &Path,
    rel: &str,
    bytes: Vec<u8>,
) -> Result<FileOutcome<TradeFlow>, PipelineError> {
    let opts = options_of::<RussiaCustoms>(p, source)?;
    let x = russia_customs::parse(file, &bytes, opts.encoding)?;
    drop(bytes);
    let name = file_name(file);
    let period = match (opts.period, russia_customs::month_from_name(&name)) {
        (Some(p), _) => p,
        (None, Some((year, m))) => MonthRange {
            year,
            first: m,
            last: m,
        },
        (None, None) => {
            return Err(ExtractError::Layout {
                path: file.to_path_buf(),
                line: 1,
                message: format!(
                    "the file name `{name}` states no month (…_YYYY-MM.csv) and source `{}` declares no `period`",
                    source.id
                ),
            }
            .into())
        }
    };
    let n = patronage_normalize::russia_customs::normalize(
        x.rows,
        &context(source, rel),
        opts.stoim_unit,
        period,
    );
    Ok(outcome(x.rows_read, x.rejects, n))
}
