//! `comtrade_legacy_json`: the legacy UN Comtrade API's JSON response
//! (`{validation, dataset}`, from `comtrade.un.org/api/get` before 2023, as
//! comtradr before 1.0 and many archives saved it), read whole and normalized to
//! `trade_flows` by the legacy Comtrade rules; its World rows (`ptCode` 0) are
//! dropped as `partner_world`. A response whose status is an error, or cut
//! short of its count, stops the run. No options besides `monthly`.

use patronage_extract::comtrade_legacy_json;

use crate::config::{no_options, Domain, FormatSpec};
use crate::domain::format::{Format, Reader};
use crate::domain::trade::legacy_outcome;

/// The format.
pub(crate) static FORMAT: Format = Format {
    spec: FormatSpec {
        name: "comtrade_legacy_json",
        domain: Domain::Trade,
        streams: false,
        option_keys: &[],
        options: no_options,
    },
    reader: Reader::Trade(|_, source, file, rel, bytes| {
        let x = comtrade_legacy_json::parse(file, &bytes)?;
        drop(bytes);
        Ok(legacy_outcome(source, rel, x))
    }),
};
