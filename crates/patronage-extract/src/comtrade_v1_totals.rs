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

use crate::comtrade_v1::{layout_hint, ANNUAL_REF_MONTH, BULK_COLUMNS};
use crate::delimited::{Header, Row};
use crate::{text, ExtractError};

/// The columns read, in this order (positions from [`header_columns`]).
const READ: [&str; 11] = [
    "refYear",
    "refMonth",
    "freqCode",
    "primaryValue",
    "reporterCode",
    "flowCode",
    "partnerCode",
    "partner2Code",
    "cmdCode",
    "customsCode",
    "motCode",
];

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

/// Check a bulk final header (all 34 columns); the positions of the columns read.
pub fn header_columns(path: &Path, h: &Header) -> Result<Vec<usize>, ExtractError> {
    let all = h.columns(
        path,
        &BULK_COLUMNS,
        &layout_hint(&h.names, "comtrade_v1_bulk"),
    )?;
    Ok(READ
        .iter()
        .map(|r| all[BULK_COLUMNS.iter().position(|c| c == r).unwrap_or(0)])
        .collect())
}

/// Parse and check the fields of one row read for totals.
pub fn parse_ref<'a>(cols: &[usize], row: Row<'a>) -> Result<BulkRef<'a>, RowReject> {
    let get = |n: usize| row.fields[cols[n]];
    let fail = |n: usize, reason: &'static str, msg: String| {
        RowReject::new(
            row.line,
            reason,
            format!("column {} `{}`: {msg}", cols[n] + 1, READ[n]),
            &row.raw(b'\t'),
        )
    };
    let number_reason = |m: &str| {
        if m.starts_with("empty") {
            "missing_value"
        } else {
            "bad_number"
        }
    };
    let req_int = |n: usize| -> Result<i64, RowReject> {
        text::parse_int::<i64>(get(n)).map_err(|m| fail(n, number_reason(&m), m))
    };
    let opt_int = |n: usize| -> Result<Option<i64>, RowReject> {
        text::parse_opt_int::<i64>(get(n)).map_err(|m| fail(n, "bad_number", m))
    };
    let code = |n: usize, v: i64| -> Result<u32, RowReject> {
        u32::try_from(v).map_err(|_| fail(n, "bad_number", format!("`{v}` is not a country code")))
    };
    let req_text = |n: usize| -> Result<&'a str, RowReject> {
        let v = text::trim(row.fields[cols[n]]);
        if v.is_empty() {
            Err(fail(
                n,
                "missing_value",
                "empty, a value is required".to_string(),
            ))
        } else {
            Ok(v)
        }
    };
    let ref_year = req_int(0)?;
    if !(1900..=2100).contains(&ref_year) {
        return Err(fail(
            0,
            "year_out_of_range",
            format!("{ref_year} is outside 1900..=2100"),
        ));
    }
    let ref_month = req_int(1)?;
    let freq = match text::trim(get(2)) {
        "" if ref_month == i64::from(ANNUAL_REF_MONTH) => "A",
        "" => "M",
        other => other,
    };
    let month_ok = match freq {
        "A" => ref_month == i64::from(ANNUAL_REF_MONTH),
        "M" => (1..=12).contains(&ref_month),
        _ => false,
    };
    if !month_ok {
        return Err(fail(
            1,
            "bad_period",
            format!(
                "refMonth {ref_month} does not fit freqCode `{freq}` (A needs 52, M needs 1-12)"
            ),
        ));
    }
    let primary_value_mills =
        text::parse_mills(get(3)).map_err(|m| fail(3, number_reason(&m), m))?;
    if primary_value_mills < 0 {
        return Err(fail(
            3,
            "negative_value",
            "trade values cannot be negative".to_string(),
        ));
    }
    let reporter_code = code(4, req_int(4)?)?;
    let flow_code = req_text(5)?;
    let partner_code = code(6, req_int(6)?)?;
    let partner2_code = match opt_int(7)? {
        None => 0,
        Some(v) => code(7, v)?,
    };
    let cmd_code = req_text(8)?;
    let customs_code = match text::trim(get(9)) {
        "" => "C00",
        c => c,
    };
    let mot_code = match opt_int(10)? {
        None => 0,
        Some(v) => i32::try_from(v)
            .map_err(|_| fail(10, "bad_number", format!("`{v}` is out of range")))?,
    };
    Ok(BulkRef {
        line: row.line,
        ref_year: ref_year as i32,
        ref_month: ref_month as u32,
        reporter_code,
        flow_code,
        partner_code,
        partner2_code,
        cmd_code,
        customs_code,
        mot_code,
        primary_value_mills,
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
