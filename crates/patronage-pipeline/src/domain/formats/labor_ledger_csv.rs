//! `labor_ledger_csv`: the estimates ledger, officials' and press figures of
//! workers abroad with their citations (CSV), normalized to `labor_stock`. No
//! options.

use patronage_core::CountryRegistry;
use patronage_extract::estimates_ledger;

use crate::config::{no_options, Domain, FormatSpec};
use crate::domain::format::{Format, Reader};
use crate::domain::labor::outcome;

/// The format.
pub(crate) static FORMAT: Format = Format {
    spec: FormatSpec {
        name: "labor_ledger_csv",
        domain: Domain::Labor,
        streams: false,
        option_keys: &[],
        options: no_options,
    },
    reader: Reader::Labor(|_, source, file, rel, bytes| {
        let x = estimates_ledger::parse(file, &bytes)?;
        let n = patronage_normalize::estimates_ledger::normalize(
            x.rows,
            &std::sync::Arc::from(source.id.as_str()),
            &std::sync::Arc::from(rel),
            CountryRegistry::comtrade(),
        );
        Ok(outcome(x.rows_read, x.rejects, n))
    }),
};
