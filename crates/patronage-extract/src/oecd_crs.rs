//! OECD Creditor Reporting System (CRS) bulk microdata: the yearly `|`-delimited
//! text files (`CRS <year> data.txt`), one activity per line. Amounts are in
//! millions of US dollars: `USD_Commitment` and `USD_Disbursement` at current
//! prices, their `_Defl` twins at the constant prices of the OECD's base year.
//! Codes are DAC area codes (recipient 740 = DPRK; donor 87 = Russia).

use std::path::Path;

use patronage_core::RowReject;

use crate::{delimited, text, ExtractError, Extracted};

/// Columns the reader needs.
pub const COLUMNS: [&str; 13] = [
    "Year",
    "DonorCode",
    "DonorName",
    "RecipientCode",
    "RecipientName",
    "CrsID",
    "FlowName",
    "PurposeName",
    "ProjectTitle",
    "USD_Commitment",
    "USD_Disbursement",
    "USD_Commitment_Defl",
    "USD_Disbursement_Defl",
];

/// Decimal places kept of an amount in millions: 8 = cents.
const CENTS_OF_MILLIONS: u32 = 8;

/// One CRS activity line.
#[derive(Debug, Clone, PartialEq)]
pub struct CrsRow {
    /// Line in the file.
    pub line: u64,
    /// Reporting year.
    pub year: i32,
    /// DAC donor code.
    pub donor_code: u32,
    /// Donor name.
    pub donor_name: String,
    /// DAC recipient code.
    pub recipient_code: u32,
    /// Recipient name.
    pub recipient_name: String,
    /// CRS activity id (may be empty).
    pub crs_id: Option<String>,
    /// Flow name (ODA Grants, ODA Loans, ...).
    pub flow_name: Option<String>,
    /// Purpose name.
    pub purpose_name: Option<String>,
    /// Project title.
    pub project_title: Option<String>,
    /// Commitment, current USD cents.
    pub commitment_cents: Option<i64>,
    /// Disbursement, current USD cents.
    pub disbursement_cents: Option<i64>,
    /// Commitment, constant USD cents (OECD base year).
    pub commitment_defl_cents: Option<i64>,
    /// Disbursement, constant USD cents (OECD base year).
    pub disbursement_defl_cents: Option<i64>,
    /// The line as read.
    pub raw: String,
}

/// Parse a CRS bulk file already in memory; `path` is used in messages.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Extracted<CrsRow>, ExtractError> {
    delimited::read(
        path,
        bytes,
        delimited::Dialect::new(b'|'),
        |header| {
            header.columns(
                path,
                &COLUMNS,
                "this is not an OECD CRS bulk file (`|`-delimited, columns as in `CRS <year> data.txt`)",
            )
        },
        |idx, row| {
            let raw = row.raw(b'|');
            let get = |i: usize| row.fields.get(idx[i]).map_or("", |f| f.trim());
            let reject = |reason: &'static str, detail: String| {
                RowReject::new(row.line, reason, detail, &raw)
            };
            let int = |i: usize| -> Result<u32, RowReject> {
                text::parse_int(get(i))
                    .map_err(|m| reject("bad_number", format!("column `{}`: {m}", COLUMNS[i])))
            };
            let money = |i: usize| -> Result<Option<i64>, RowReject> {
                text::parse_opt_scaled(get(i), CENTS_OF_MILLIONS)
                    .map_err(|m| reject("bad_number", format!("column `{}`: {m}", COLUMNS[i])))
            };
            let opt = |i: usize| Some(get(i).to_string()).filter(|s| !s.is_empty());
            let year = text::parse_int(get(0))
                .map_err(|m| reject("bad_number", format!("column `Year`: {m}")))?;
            text::check_year(i64::from(year))
                .map_err(|m| reject("year_out_of_range", format!("column `Year`: {m}")))?;
            Ok(CrsRow {
                line: row.line,
                year,
                donor_code: int(1)?,
                donor_name: get(2).to_string(),
                recipient_code: int(3)?,
                recipient_name: get(4).to_string(),
                crs_id: opt(5),
                flow_name: opt(6),
                purpose_name: opt(7),
                project_title: opt(8),
                commitment_cents: money(9)?,
                disbursement_cents: money(10)?,
                commitment_defl_cents: money(11)?,
                disbursement_defl_cents: money(12)?,
                raw: patronage_core::bound_text(&raw),
            })
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millions_become_exact_cents() {
        let text = "Year|DonorCode|DonorName|RecipientCode|RecipientName|CrsID|FlowName|PurposeName|ProjectTitle|USD_Commitment|USD_Disbursement|USD_Commitment_Defl|USD_Disbursement_Defl\n2019|11|Switzerland|740|Democratic People's Republic of Korea|2019000001|ODA Grants|Food assistance|WFP|7.8||8.123456|\n2019|x|S|740|D||||||||\n";
        let x = parse(Path::new("crs.txt"), text.as_bytes()).unwrap();
        assert_eq!(x.rows.len(), 1);
        let r = &x.rows[0];
        assert_eq!(r.commitment_cents, Some(780_000_000));
        assert_eq!(r.commitment_defl_cents, Some(812_345_600));
        assert_eq!(r.disbursement_cents, None);
        assert_eq!(x.rejects[0].reason, "bad_number");
    }
}
