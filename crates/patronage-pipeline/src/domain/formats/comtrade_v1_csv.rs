//! `comtrade_v1_csv`: UN Comtrade v1 as `comtradeapicall`, the API's CSV and the
//! Comtrade Plus website's `TradeData_*.csv` exports give it, normalized to
//! `trade_flows`. Option `encoding`: the files' text encoding; without it,
//! UTF-8, or windows-1252 when a file is not UTF-8 (the website's exports are),
//! so a reporter named "Côte d'Ivoire" or "Türkiye" in a description column never
//! costs its row. Option `scope`: `all` (the file is read whole), or `focus`
//! (rows whose reporter or partner is the pipeline's focus, the rest counted as
//! `outside_focus`): the file is then streamed block by block as UTF-8, unless
//! another encoding is declared, in which case it is read whole.

use std::path::Path;

use patronage_extract::comtrade_v1::Layout;
use patronage_extract::encoding::TextEncoding;
use patronage_normalize::scope::Scope;
use patronage_normalize::TradeFlow;

use crate::config::options::{encoding, scope};
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
        streams: true,
        option_keys: &["encoding", "scope"],
        options,
    },
    reader: Reader::Trade(read),
};

/// A Comtrade CSV source's options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ComtradeCsv {
    /// Text encoding declared; `None`: UTF-8, else windows-1252.
    pub(super) encoding: Option<TextEncoding>,
    /// Which rows are kept.
    pub(super) scope: Scope,
}

/// The options of a Comtrade CSV format (`comtrade_v1_csv`, `comtrade_legacy`).
pub(super) fn options(input: &OptionsInput<'_>) -> Result<Parsed, Invalid> {
    Ok(Parsed::new(ComtradeCsv {
        encoding: encoding(input)?,
        scope: scope(input)?,
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
    read_comtrade_v1(
        p,
        source,
        (file, rel),
        bytes,
        (Layout::ApiCsv, opts.encoding, opts.scope),
    )
}
