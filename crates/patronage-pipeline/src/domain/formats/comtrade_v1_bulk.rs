//! `comtrade_v1_bulk`: UN Comtrade v1 bulk final files (tab-separated), read whole and normalized to `trade_flows`. No options besides `monthly`.

use patronage_extract::comtrade_v1::Layout;

use crate::config::{no_options, Domain, FormatSpec};
use crate::domain::format::{Format, Reader};
use crate::domain::trade::read_comtrade_v1;

/// The format.
pub(crate) static FORMAT: Format = Format {
    spec: FormatSpec {
        name: "comtrade_v1_bulk",
        domain: Domain::Trade,
        streams: false,
        option_keys: &[],
        options: no_options,
    },
    reader: Reader::Trade(|_, source, file, rel, bytes| {
        read_comtrade_v1(source, file, rel, bytes, (Layout::BulkTsv, None))
    }),
};
