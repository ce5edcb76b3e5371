//! `comtrade_legacy`: the legacy UN Comtrade CSV (the 35-column download, the 22-
//! and 11-column bulk files), read whole and normalized to `trade_flows`. Options
//! `encoding` as for `comtrade_v1_csv` (without it, UTF-8, or windows-1252 when a
//! file is not UTF-8) and `scope` (`focus`: rows whose reporter or partner is the
//! pipeline's focus, the rest counted as `outside_focus`).

use patronage_extract::comtrade_legacy;

use super::comtrade_v1_csv::{options, ComtradeCsv};
use crate::config::{Domain, FormatSpec};
use crate::domain::format::{options_of, Format, Reader};
use crate::domain::trade::legacy_outcome;

/// The format.
pub(crate) static FORMAT: Format = Format {
    spec: FormatSpec {
        name: "comtrade_legacy",
        domain: Domain::Trade,
        streams: false,
        option_keys: &["encoding", "scope"],
        options,
    },
    reader: Reader::Trade(|p, source, file, rel, bytes| {
        let opts = options_of::<ComtradeCsv>(p, source)?;
        let x = comtrade_legacy::parse_encoded(file, &bytes, opts.encoding)?;
        drop(bytes);
        Ok(legacy_outcome(p, source, rel, (x, opts.scope)))
    }),
};
