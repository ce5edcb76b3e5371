//! The fields of a Comtrade v1 bulk final row that totals are built from,
//! borrowed from the file's text.
//!
//! [`crate::comtrade_v1`] builds an owned [`crate::comtrade_v1::ComtradeRow`] per
//! row (with the raw text kept for a possible reject); a fold over a bulk file of
//! tens of millions of rows that only sums `primaryValue` by reporter, partner,
//! period and flow reads [`BulkRef`] instead. The fields it reads are checked
//! exactly as [`crate::comtrade_v1`] checks them (same reasons, same messages);
//! the quantity and weight columns, which totals do not use, are not parsed.

use std::path::Path;

use patronage_core::RowReject;

use crate::comtrade_v1::{core_fields, layout_hint, Core, BULK_COLUMNS};
use crate::delimited::{Header, Row};
use crate::ExtractError;

/// One bulk row's fields, borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BulkRef<'a> {
    /// Line in the file.
    pub line: u64,
    /// Reference year.
    pub ref_year: i32,
    /// 1..=12, or 52 for an annual row.
    pub ref_month: u32,
    /// Reporter code.
    pub reporter_code: u32,
    /// Flow code (M, X, DX, ...).
    pub flow_code: &'a str,
    /// Partner code; 0 = world.
    pub partner_code: u32,
    /// Second partner; 0 = all.
    pub partner2_code: u32,
    /// Commodity code as published.
    pub cmd_code: &'a str,
    /// Customs procedure; `C00` = all (also when empty).
    pub customs_code: &'a str,
    /// Mode of transport; 0 = all.
    pub mot_code: i32,
    /// `primaryValue` in thousandths of a US dollar.
    pub primary_value_mills: i64,
}

/// Check a bulk final header (all 34 columns); the positions of the columns
/// read, in [`Core::ALL`] order.
pub fn header_columns(path: &Path, h: &Header) -> Result<Vec<usize>, ExtractError> {
    let all = h.columns(
        path,
        &BULK_COLUMNS,
        &layout_hint(&h.names, "comtrade_v1_bulk"),
    )?;
    Ok(Core::ALL
        .iter()
        .map(|c| {
            all[BULK_COLUMNS
                .iter()
                .position(|b| *b == c.name())
                .unwrap_or(0)]
        })
        .collect())
}

/// Parse and check the fields of one row read for totals, by the same rules
/// (`comtrade_v1::core_fields`) as the row reader.
pub fn parse_ref<'a>(cols: &[usize], row: Row<'a>) -> Result<BulkRef<'a>, RowReject> {
    let core = core_fields(
        |c| row.fields[cols[c as usize]],
        |c, reason, msg| {
            RowReject::new(
                row.line,
                reason,
                format!("column {} `{}`: {msg}", cols[c as usize] + 1, c.name()),
                &row.raw(b'\t'),
            )
        },
    )?;
    Ok(BulkRef {
        line: row.line,
        ref_year: core.ref_year,
        ref_month: core.ref_month,
        reporter_code: core.reporter_code,
        flow_code: core.flow_code,
        partner_code: core.partner_code,
        partner2_code: core.partner2_code,
        cmd_code: core.cmd_code,
        customs_code: core.customs_code,
        mot_code: core.mot_code,
        primary_value_mills: core.primary_value_mills,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::comtrade_v1::{self, Layout};
    use crate::delimited;

    /// The bulk fixture's rows read both ways give the same fields.
    #[test]
    fn same_fields_as_the_full_reader() {
        let sample = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/comtrade/rus_prk_itc_annual.tsv"
        );
        let bytes = std::fs::read(sample).unwrap();
        let path = Path::new(sample);
        let full = comtrade_v1::parse(path, &bytes, Layout::BulkTsv).unwrap();
        let lean = delimited::read(
            path,
            &bytes,
            delimited::Dialect::new(b'\t'),
            |h| header_columns(path, h),
            |c, row| {
                parse_ref(c, row).map(|r| {
                    (
                        r.line,
                        r.reporter_code,
                        r.partner_code,
                        r.flow_code.to_string(),
                        r.cmd_code.to_string(),
                        r.customs_code.to_string(),
                        r.mot_code,
                        r.primary_value_mills,
                    )
                })
            },
        )
        .unwrap();
        assert_eq!(lean.rows.len(), full.rows.len());
        assert!(!full.rows.is_empty());
        for (l, f) in lean.rows.iter().zip(&full.rows) {
            assert_eq!(
                l,
                &(
                    f.line,
                    f.reporter_code,
                    f.partner_code,
                    f.flow_code.clone(),
                    f.cmd_code.clone(),
                    f.customs_code.clone(),
                    f.mot_code,
                    f.primary_value_mills
                )
            );
        }
    }
}
