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
use crate::{plain, text, ExtractError};

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

/// One bulk row's fields read straight from plain ASCII bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BulkFast<'a> {
    /// Reference year.
    pub ref_year: i32,
    /// Reporter code.
    pub reporter_code: u32,
    /// Flow code (M, X, DX, ...).
    pub flow_code: &'a [u8],
    /// Partner code; 0 = world.
    pub partner_code: u32,
    /// Second partner; 0 = all.
    pub partner2_code: u32,
    /// Commodity code as published.
    pub cmd_code: &'a [u8],
    /// Customs procedure; `C00` = all (also when empty).
    pub customs_code: &'a [u8],
    /// Mode of transport; 0 = all.
    pub mot_code: i32,
    /// `primaryValue` in thousandths of a US dollar.
    pub primary_value_mills: i64,
}

/// Text with no space around it (`text::trim` leaves it as it is), non-empty.
#[inline]
fn bare(b: &[u8]) -> Option<&[u8]> {
    match b {
        [first, .., last] if first.is_ascii_graphic() && last.is_ascii_graphic() => Some(b),
        [only] if only.is_ascii_graphic() => Some(b),
        _ => None,
    }
}

/// Empty (absent: 0), or 1 to 9 digits.
#[inline]
fn optional_digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() {
        Some(0)
    } else {
        text::digits_u32(b)
    }
}

/// A row of plain ASCII text read straight from its bytes (columns from
/// [`header_columns`]), when every core field is in the plain form the bulk
/// files write (codes, year and month as digits, `freqCode` A or M or empty,
/// `primaryValue` a plain decimal of at most three decimals, text fields
/// without spaces around them): then [`parse_ref`] accepts the row with these
/// fields. `None` for any other row, which [`parse_ref`] reads or rejects.
pub fn fast_ref<'a>(cols: &[usize], f: plain::Split<'a, '_>) -> Option<BulkFast<'a>> {
    let get = |c: Core| f.field(cols[c as usize]);
    let ref_year = text::digits_u32(get(Core::RefYear)?)?;
    if !(1900..=2100).contains(&ref_year) {
        return None;
    }
    let ref_month = text::digits_u32(get(Core::RefMonth)?)?;
    let annual = crate::comtrade_v1::ANNUAL_REF_MONTH;
    let month_ok = match get(Core::FreqCode)? {
        b"" => ref_month == annual || (1..=12).contains(&ref_month),
        b"A" => ref_month == annual,
        b"M" => (1..=12).contains(&ref_month),
        _ => false,
    };
    if !month_ok {
        return None;
    }
    Some(BulkFast {
        ref_year: ref_year as i32,
        primary_value_mills: text::plain_decimal(get(Core::PrimaryValue)?, 3, 12)?,
        reporter_code: text::digits_u32(get(Core::ReporterCode)?)?,
        flow_code: bare(get(Core::FlowCode)?)?,
        partner_code: text::digits_u32(get(Core::PartnerCode)?)?,
        partner2_code: optional_digits(get(Core::Partner2Code)?)?,
        cmd_code: bare(get(Core::CmdCode)?)?,
        customs_code: match get(Core::CustomsCode)? {
            b"" => b"C00",
            c => bare(c)?,
        },
        mot_code: optional_digits(get(Core::MotCode)?)? as i32,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::comtrade_v1::{self, Layout};
    use crate::delimited;

    /// The fast reading agrees with `parse_ref` on every row it settles, and
    /// settles the plain rows the bulk files hold; SYNTHETIC rows of the 34
    /// columns, fields changed one at a time, figures by hand.
    #[test]
    fn fast_rows_read_as_parse_ref_does() {
        let header = Header {
            names: BULK_COLUMNS.iter().map(|c| c.to_string()).collect(),
            line: 1,
        };
        let cols = header_columns(Path::new("t.tsv"), &header).unwrap();
        let base = "20100202001202100\tC\tM\t20200101\t2020\t1\t202001\t4\tM\t8\t0\tHS\tH6\t1\t010000\tC00\t0\t0\t8\t41933.186\t0\t8\t41933.186\t0\t41933.186\t0\t0.0\t0\t749567.796\t\t749567.796\t0\t1\t0";
        let at = |name: &str| BULK_COLUMNS.iter().position(|c| *c == name).unwrap();
        let with = |name: &str, v: &str| {
            let mut f: Vec<&str> = base.split('\t').collect();
            f[at(name)] = v;
            f.join("\t")
        };
        let rows = [
            (base.to_string(), true),
            (with("freqCode", ""), true),
            (with("freqCode", "A"), false),  // month 1 is not annual
            (with("refMonth", "52"), false), // freqCode M needs 1-12
            (with("partner2Code", ""), true),
            (with("motCode", ""), true),
            (with("customsCode", ""), true),
            (with("customsCode", "C01"), true),
            (with("flowCode", "X"), true),
            (with("cmdCode", "TOTAL"), true),
            (with("primaryValue", "12"), true),
            (with("primaryValue", "0.5"), true),
            (with("primaryValue", ""), false),
            (with("primaryValue", "-1"), false),
            (with("primaryValue", "1.2345"), false),
            (with("primaryValue", "1e3"), false),
            (with("refYear", "1899"), false),
            (with("refYear", "2020.0"), false),
            (with("reporterCode", " 4"), false),
            (with("flowCode", ""), false),
            (with("flowCode", "M "), false),
            (with("cmdCode", ""), false),
            (with("partner2Code", "x"), false),
            (with("motCode", "-1"), false),
            (with("qty", "junk"), true), // a column totals do not read
        ];
        let mut settled = Vec::new();
        for (row, want) in &rows {
            let fields: Vec<&str> = row.split('\t').collect();
            let slow = parse_ref(
                &cols,
                Row {
                    line: 3,
                    fields: &fields,
                },
            );
            let mut fast = None;
            plain::ascii_lines(row.as_bytes(), b'\t', |f| fast = fast_ref(&cols, f)).unwrap();
            assert_eq!(fast.is_some(), *want, "{row}");
            if let Some(f) = fast {
                let r = slow.unwrap();
                assert_eq!(
                    (
                        r.ref_year,
                        r.reporter_code,
                        r.flow_code.as_bytes(),
                        r.partner_code,
                        r.partner2_code,
                        r.cmd_code.as_bytes(),
                        r.customs_code.as_bytes(),
                        r.mot_code,
                        r.primary_value_mills
                    ),
                    (
                        f.ref_year,
                        f.reporter_code,
                        f.flow_code,
                        f.partner_code,
                        f.partner2_code,
                        f.cmd_code,
                        f.customs_code,
                        f.mot_code,
                        f.primary_value_mills
                    ),
                    "{row}"
                );
                settled.push(f.primary_value_mills);
            }
        }
        // $749,567.796 = 749,567,796 thousandths; $12 = 12,000; $0.5 = 500.
        assert_eq!(settled[0], 749_567_796);
        assert_eq!(settled[8], 12_000);
        assert_eq!(settled[9], 500);
        assert_eq!(settled.len(), 11);
    }

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
