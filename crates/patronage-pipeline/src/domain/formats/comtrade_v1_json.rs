//! `comtrade_v1_json`: UN Comtrade v1 API JSON (`{"data": [...]}`, or an error
//! envelope, which stops the run), read whole (a response is bounded by the API)
//! and normalized to `trade_flows`. Option `scope` (`focus`: rows whose reporter
//! or partner is the pipeline's focus, the rest counted as `outside_focus`).

use patronage_extract::comtrade_v1::Layout;

use crate::config::{Domain, FormatSpec};
use crate::domain::format::{options_of, Format, Reader};
use crate::domain::trade::{read_comtrade_v1, scope_only, ScopeOnly};

/// The format.
pub(crate) static FORMAT: Format = Format {
    spec: FormatSpec {
        name: "comtrade_v1_json",
        domain: Domain::Trade,
        streams: false,
        option_keys: &["scope"],
        options: scope_only,
    },
    reader: Reader::Trade(|p, source, file, rel, bytes| {
        let opts = options_of::<ScopeOnly>(p, source)?;
        read_comtrade_v1(
            p,
            source,
            (file, rel),
            bytes,
            (Layout::ApiJson, None, opts.scope),
        )
    }),
};
