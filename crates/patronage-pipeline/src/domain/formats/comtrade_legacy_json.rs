//! `comtrade_legacy_json`: the legacy UN Comtrade API's JSON response
//! (`{validation, dataset}`, from `comtrade.un.org/api/get` before 2023, as
//! comtradr before 1.0 and many archives saved it), read whole and normalized to
//! `trade_flows` by the legacy Comtrade rules; its World rows (`ptCode` 0) are
//! dropped as `partner_world`. A response whose status is an error, or cut
//! short of its count, stops the run. Option `scope` (`all`, or `focus`: rows
//! whose reporter or partner is the pipeline's focus, the rest counted as
//! `outside_focus`; a response is bounded by the API, so it is read whole).

use patronage_extract::comtrade_legacy_json;

use crate::config::{Domain, FormatSpec};
use crate::domain::format::{options_of, Format, Reader};
use crate::domain::trade::{legacy_outcome, scope_only, ScopeOnly};

/// The format.
pub(crate) static FORMAT: Format = Format {
    spec: FormatSpec {
        name: "comtrade_legacy_json",
        domain: Domain::Trade,
        streams: false,
        option_keys: &["scope"],
        options: scope_only,
    },
    reader: Reader::Trade(|p, source, file, rel, bytes| {
        let opts = options_of::<ScopeOnly>(p, source)?;
        let x = comtrade_legacy_json::parse(file, &bytes)?;
        drop(bytes);
        Ok(legacy_outcome(p, source, rel, (x, opts.scope)))
    }),
};
