//! `labor_sheet_csv`: a labor statistics sheet saved as CSV, its table placed by
//! the source's required `sheet` option (layout, header rows, host, year),
//! normalized to `labor_stock`.

use patronage_extract::delimited::Dialect;
use patronage_extract::grid;

use crate::config::{Domain, FormatSpec, SheetSource};
use crate::domain::format::{options_of, Format, Reader};
use crate::domain::labor::{read_sheet, sheet_options};

/// The format.
pub(crate) static FORMAT: Format = Format {
    spec: FormatSpec {
        name: "labor_sheet_csv",
        domain: Domain::Labor,
        streams: false,
        option_keys: &["sheet"],
        options: |input| sheet_options(input, false),
    },
    reader: Reader::Labor(|p, source, file, rel, bytes| {
        let sheet = options_of::<SheetSource>(p, source)?;
        let grid = grid::from_delimited(file, &bytes, Dialect::saved_sheet(b','))?;
        read_sheet(source, file, rel, &grid, sheet)
    }),
};
