//! `comtrade_v1_csv`: UN Comtrade v1 as `comtradeapicall`, the API's CSV and the
//! Comtrade Plus website's `TradeData_*.csv` exports give it, read whole and
//! normalized to `trade_flows`. Option `encoding`: the files' text encoding;
//! without it, UTF-8, or windows-1252 when a file is not UTF-8 (the website's
//! exports are), so a reporter named "Côte d'Ivoire" or "Türkiye" in a
//! description column never costs its row.

use std::path::Path;

use patronage_extract::comtrade_v1::Layout;
use patronage_extract::encoding::TextEncoding;
use patronage_normalize::TradeFlow;

use crate::config::options::encoding;
use crate::config::{Domain, FormatSpec, Invalid, OptionsInput, Parsed, Pipeline, Source};
use crate::domain::format::{options_of, Format, Reader};
use crate::domain::outcome::FileOutcome;
use crate::domain::trade::read_comtrade_v1;
use crate::PipelineError;

/// The format.
pub(crate) static FORMAT: Format = Format {
    spec: FormatSpec {
        name: "comtrade_v1_csv",
        domain: Domain::Trade,
        streams: false,
        option_keys: &["encoding"],
        options,
    },
    reader: Reader::Trade(read),
};

/// A Comtrade CSV source's options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ComtradeCsv {
    /// Text encoding declared; `None`: UTF-8, else windows-1252.
    pub(super) encoding: Option<TextEncoding>,
}

/// The options of a Comtrade CSV format (`comtrade_v1_csv`, `comtrade_legacy`).
pub(super) fn options(input: &OptionsInput<'_>) -> Result<Parsed, Invalid> {
    Ok(Parsed::new(ComtradeCsv {
        encoding: encoding(input)?,
    }))
}

fn read(
    p: &Pipeline,
    source: &Source,
    file: &Path,
    rel: &str,
    bytes: Vec<u8>,
) -> Result<FileOutcome<TradeFlow>, PipelineError> {
    let opts = options_of::<ComtradeCsv>(p, source)?;
    read_comtrade_v1(source, file, rel, bytes, (Layout::ApiCsv, opts.encoding))
}
