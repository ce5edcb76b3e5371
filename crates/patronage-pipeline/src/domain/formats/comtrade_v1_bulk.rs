//! `comtrade_v1_bulk`: UN Comtrade v1 bulk final files (tab-separated), streamed
//! block by block (only the rows kept stay in memory) and normalized to
//! `trade_flows`. Option `scope` (`all`, or `focus`: rows whose reporter or
//! partner is the pipeline's focus, the rest counted as `outside_focus`, so a
//! world file streams through in flat memory).

use patronage_extract::comtrade_v1::Layout;

use crate::config::{Domain, FormatSpec};
use crate::domain::format::{options_of, Format, Reader};
use crate::domain::trade::{read_comtrade_v1, scope_only, ScopeOnly};

/// The format.
pub(crate) static FORMAT: Format = Format {
    spec: FormatSpec {
        name: "comtrade_v1_bulk",
        domain: Domain::Trade,
        streams: true,
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
            (Layout::BulkTsv, None, opts.scope),
        )
    }),
};
