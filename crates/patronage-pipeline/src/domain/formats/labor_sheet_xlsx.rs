//! `labor_sheet_xlsx`: a labor statistics sheet in an `.xlsx` workbook, its
//! table placed by the source's required `sheet` option (sheet name, layout,
//! header rows, host, year), normalized to `labor_stock`.

use patronage_extract::grid;

use crate::config::{Domain, FormatSpec, SheetSource};
use crate::domain::format::{options_of, Format, Reader};
use crate::domain::labor::{read_sheet, sheet_options};

/// The format.
pub(crate) static FORMAT: Format = Format {
    spec: FormatSpec {
        name: "labor_sheet_xlsx",
        domain: Domain::Labor,
        streams: false,
        option_keys: &["sheet"],
        options: |input| sheet_options(input, true),
    },
    reader: Reader::Labor(|p, source, file, rel, bytes| {
        let sheet = options_of::<SheetSource>(p, source)?;
        let name = sheet.spec.sheet.as_deref().unwrap_or_default();
        let grid = grid::from_xlsx(file, bytes, name)?;
        read_sheet(source, file, rel, &grid, sheet)
    }),
};
