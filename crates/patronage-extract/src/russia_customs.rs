//! Russian Federal Customs Service (ФТС) foreign-trade statistics exports:
//! `NAPR,PERIOD,STRANA,TNVED,EDIZM,STOIM,NETTO,KOL`, comma separated, UTF-8.
//!
//! * NAPR: `ИМ` import, `ЭК` export (as the reporter, Russia, records them);
//! * PERIOD: the year only; the month of a monthly file is in its name;
//! * STRANA: the partner as ISO 3166 alpha-2 (DPRK = `KP`);
//! * TNVED: 10-digit ТН ВЭД code (its first six digits are HS), or `XXXXXXXXXX`
//!   for goods whose detail is confidential (kept: they are part of the totals);
//!   an export not broken down by commodity has no TNVED column and its rows
//!   are totals (`TOTAL`);
//! * EDIZM: OKEI unit code of KOL (796 pieces, 166 kg, 113 m³); empty = none;
//! * STOIM: statistical value, in the unit the source declares (see docs/sources.md);
//! * NETTO: net weight, kg; KOL: quantity in EDIZM units.

use std::path::Path;

use patronage_core::RowReject;

use crate::encoding::{self, TextEncoding};
use crate::{delimited, text, ExtractError, Extracted};

/// The TNVED value FTS publishes for confidential goods.
pub const CONFIDENTIAL: &str = "XXXXXXXXXX";

/// Columns every export has.
pub const REQUIRED: [&str; 4] = ["NAPR", "PERIOD", "STRANA", "STOIM"];
/// Columns read when present.
pub const OPTIONAL: [&str; 4] = ["TNVED", "EDIZM", "NETTO", "KOL"];

/// Direction as NAPR states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Napr {
    /// `ИМ`, imports into Russia.
    Import,
    /// `ЭК`, exports from Russia.
    Export,
}

/// One FTS row.
#[derive(Debug, Clone, PartialEq)]
pub struct FtsRow {
    /// Line in the file.
    pub line: u64,
    /// NAPR.
    pub napr: Napr,
    /// PERIOD (year).
    pub year: i32,
    /// STRANA, ISO2.
    pub partner_iso2: String,
    /// TNVED: 10 digits, [`CONFIDENTIAL`], or `TOTAL` when the file has no TNVED.
    pub tnved: String,
    /// EDIZM.
    pub unit_code: Option<u32>,
    /// STOIM in thousandths of the file's value unit.
    pub stoim_mills: i64,
    /// NETTO, kg.
    pub netto_kg: Option<f64>,
    /// KOL.
    pub kol: Option<f64>,
    /// The row as read.
    pub raw: String,
}

impl FtsRow {
    /// Whether the goods are confidential (`XXXXXXXXXX`).
    pub fn is_confidential(&self) -> bool {
        self.tnved == CONFIDENTIAL
    }
}

/// Parse an FTS export in `encoding` (FTS writes UTF-8; older saves are windows-1251).
pub fn parse(
    path: &Path,
    bytes: &[u8],
    enc: TextEncoding,
) -> Result<Extracted<FtsRow>, ExtractError> {
    let text = encoding::decode(path, bytes, enc, &[TextEncoding::Windows1251], |t| {
        t.contains("ИМ") || t.contains("ЭК")
    })?;
    delimited::read(
        path,
        &text,
        delimited::Dialect::new(b','),
        |h| {
            let hint = if h.names.iter().any(|n| n.eq_ignore_ascii_case("napr")) {
                "FTS column names are upper case (NAPR,PERIOD,STRANA,TNVED,EDIZM,STOIM,NETTO,KOL)"
                    .to_string()
            } else {
                format!(
                    "not a Russian customs (FTS) export, which starts NAPR,PERIOD,STRANA,TNVED,EDIZM,STOIM,NETTO,KOL (found `{}`)",
                    patronage_core::quote_input(&h.names.join(","))
                )
            };
            let req = h.columns(path, &REQUIRED, &hint)?;
            let opt: Vec<Option<usize>> = OPTIONAL
                .iter()
                .map(|n| h.names.iter().position(|x| x == n))
                .collect();
            Ok((req, opt))
        },
        |(req, opt), row| {
            let raw = row.raw(b',');
            let bad = |col: usize, name: &str, reason: &'static str, m: String| {
                RowReject::new(
                    row.line,
                    reason,
                    format!("column {} {name}: {m}", col + 1),
                    &raw,
                )
            };
            let field = |i: usize| row.fields[i].trim();
            let napr = match field(req[0]) {
                "ИМ" => Napr::Import,
                "ЭК" => Napr::Export,
                other => {
                    return Err(bad(
                        req[0],
                        "NAPR",
                        "bad_flow",
                        format!("`{other}` is neither ИМ (import) nor ЭК (export)"),
                    ))
                }
            };
            let year = text::parse_int::<i32>(field(req[1]))
                .ok()
                .filter(|y| (1900..=2100).contains(y))
                .ok_or_else(|| {
                    bad(
                        req[1],
                        "PERIOD",
                        "bad_field",
                        format!("`{}` is not a year", field(req[1])),
                    )
                })?;
            let strana = field(req[2]);
            if strana.len() != 2 || !strana.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(bad(
                    req[2],
                    "STRANA",
                    "bad_field",
                    format!("`{strana}` is not an ISO 3166 alpha-2 code"),
                ));
            }
            let tnved = match opt[0] {
                None => "TOTAL".to_string(),
                Some(i) => {
                    let t = field(i);
                    if t != CONFIDENTIAL
                        && !(t.len() == 10 && t.bytes().all(|b| b.is_ascii_digit()))
                    {
                        return Err(bad(i, "TNVED", "bad_commodity_code", format!("`{t}` is neither a 10-digit ТН ВЭД code nor {CONFIDENTIAL} (confidential)")));
                    }
                    t.to_string()
                }
            };
            let opt_f64 = |k: usize, name: &str| -> Result<Option<f64>, RowReject> {
                match opt[k] {
                    None => Ok(None),
                    Some(i) => {
                        text::parse_opt_f64(field(i)).map_err(|m| bad(i, name, "bad_number", m))
                    }
                }
            };
            let unit_code = match opt[1] {
                None => None,
                Some(i) => {
                    text::parse_opt_int(field(i)).map_err(|m| bad(i, "EDIZM", "bad_field", m))?
                }
            };
            Ok(FtsRow {
                line: row.line,
                napr,
                year,
                partner_iso2: strana.to_string(),
                tnved,
                unit_code,
                stoim_mills: text::parse_mills(field(req[3]))
                    .map_err(|e| bad(req[3], "STOIM", e.reason_or("bad_number"), e.message))
                    .and_then(|v| {
                        text::check_not_negative(v)
                            .map(|()| v)
                            .map_err(|m| bad(req[3], "STOIM", "negative_value", m))
                    })?,
                netto_kg: opt_f64(2, "NETTO")?,
                kol: opt_f64(3, "KOL")?,
                raw: raw.clone(),
            })
        },
    )
}

/// The month a monthly FTS file's name states (`…_2021-01.csv`, `…2021_01…`,
/// `…202101…`), checked against `year` when given.
pub fn month_from_name(name: &str) -> Option<(i32, u32)> {
    let b = name.as_bytes();
    (0..b.len().saturating_sub(5)).rev().find_map(|i| {
        let y = name.get(i..i + 4)?;
        if !y.bytes().all(|c| c.is_ascii_digit()) || !(y.starts_with("19") || y.starts_with("20")) {
            return None;
        }
        let rest = name.get(i + 4..)?;
        let rest = rest.strip_prefix(['-', '_', '.']).unwrap_or(rest);
        let m = rest.get(..2)?;
        if !m.bytes().all(|c| c.is_ascii_digit())
            || rest.as_bytes().get(2).is_some_and(u8::is_ascii_digit)
        {
            return None;
        }
        let m: u32 = m.parse().ok()?;
        (1..=12)
            .contains(&m)
            .then(|| (y.parse().ok(), m))
            .and_then(|(y, m)| Some((y?, m)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_and_bad_rows() {
        assert_eq!(
            month_from_name("fts_sample_rows_from_docs_2021-01.csv"),
            Some((2021, 1))
        );
        assert_eq!(month_from_name("DATTSVT_202103.csv"), Some((2021, 3)));
        assert_eq!(month_from_name("rus_prk_2017.csv"), None);
        let t = "NAPR,PERIOD,STRANA,TNVED,EDIZM,STOIM,NETTO,KOL\nЭК,2021,KP,XXXXXXXXXX,,10.5,1,0\nXX,2021,KP,2701120000,,1,1,1\nЭК,KP,2021,2701120000,,1,1,1\nИМ,2021,KP,27011200,,1,1,1\n";
        let x = parse(Path::new("f.csv"), t.as_bytes(), TextEncoding::Utf8).unwrap();
        assert_eq!(x.rows_read, 4);
        assert!(x.rows[0].is_confidential());
        assert_eq!(x.rows[0].stoim_mills, 10_500);
        let reasons: Vec<_> = x.rejects.iter().map(|r| r.reason).collect();
        assert_eq!(reasons, ["bad_flow", "bad_field", "bad_commodity_code"]);
        assert_eq!(x.rejects[1].detail, "column 2 PERIOD: `KP` is not a year");
    }
}
