//! `comtrade_legacy`: the legacy UN Comtrade CSV (the 35-column download, the 22-
//! and 11-column bulk files), read whole and normalized to `trade_flows`. No
//! options besides `monthly`.

use patronage_core::CountryRegistry;
use patronage_extract::comtrade_legacy;

use crate::config::{no_options, Domain, FormatSpec};
use crate::domain::format::{Format, Reader};
use crate::domain::trade::{context, outcome};

/// The format.
pub(crate) static FORMAT: Format = Format {
    spec: FormatSpec {
        name: "comtrade_legacy",
        domain: Domain::Trade,
        streams: false,
        option_keys: &[],
        options: no_options,
    },
    reader: Reader::Trade(|_, source, file, rel, bytes| {
        let x = comtrade_legacy::parse(file, &bytes)?;
        drop(bytes);
        let n = patronage_normalize::comtrade_legacy::normalize(
            x.rows,
            &context(source, rel),
            CountryRegistry::comtrade(),
        );
        Ok(outcome(x.rows_read, x.rejects, n))
    }),
};
