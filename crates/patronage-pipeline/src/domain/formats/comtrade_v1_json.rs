//! `comtrade_v1_json`: UN Comtrade v1 API JSON (`{"data": [...]}`, or an error envelope, which stops the run), read whole and normalized to `trade_flows`. No options besides `monthly`.

use patronage_extract::comtrade_v1::Layout;

use crate::config::{no_options, Domain, FormatSpec};
use crate::domain::format::{Format, Reader};
use crate::domain::trade::read_comtrade_v1;

/// The format.
pub(crate) static FORMAT: Format = Format {
    spec: FormatSpec {
        name: "comtrade_v1_json",
        domain: Domain::Trade,
        streams: false,
        option_keys: &[],
        options: no_options,
    },
    reader: Reader::Trade(|_, source, file, rel, bytes| {
        read_comtrade_v1(source, file, rel, bytes, (Layout::ApiJson, None))
    }),
};
