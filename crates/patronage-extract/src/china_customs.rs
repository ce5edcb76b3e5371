//! China customs (GACC, stats.customs.gov.cn) statistics downloads.
//!
//! Quirks: GB18030 text; English or Chinese headers; the columns present depend
//! on the query (a single-month download has no date column, a query not broken
//! down by commodity no commodity columns); a trailing comma on every line; `?`
//! for missing; dollars with thousands separators (`17,715,334`). The file never
//! states the trade flow, and a single-month file not its month: the pipeline
//! declares them per source. Partner codes are GACC's own (109 = DPRK, 344 =
//! Russia), listed in a code list whose names hold unquoted commas
//! ([`read_partner_codes`]).

use std::path::Path;

use patronage_core::RowReject;

use crate::encoding::{self, TextEncoding};
use crate::{delimited, text, ExtractError, Extracted};

/// One GACC row.
#[derive(Debug, Clone, PartialEq)]
pub struct GaccRow {
    /// Line in the file.
    pub line: u64,
    /// `Date of data` as (year, month), when the file has the column.
    pub date: Option<(i32, u32)>,
    /// Commodity code (8-digit national code, or fewer digits), `TOTAL` when the
    /// file has no commodity column.
    pub commodity_code: String,
    /// GACC partner code; `None` when the download has no partner column (a
    /// query for one partner), in which case the pipeline declares it.
    pub partner_code: Option<u32>,
    /// Customs regime code, when the file breaks rows down by regime.
    pub regime_code: Option<u32>,
    /// Location of importers and exporters code, when present.
    pub location_code: Option<u32>,
    /// First quantity (`?` → `None`).
    pub quantity: Option<f64>,
    /// First unit.
    pub unit: Option<String>,
    /// Value in thousandths of a US dollar.
    pub value_mills: i64,
    /// The row as read (decoded to UTF-8).
    pub raw: String,
}

/// (role, English header names, Chinese header names)
const ROLES: [(&str, &[&str], &[&str]); 8] = [
    ("date", &["Date of data"], &["数据年月"]),
    ("commodity", &["Commodity code"], &["商品编码"]),
    ("partner", &["Trading partner code"], &["贸易伙伴编码"]),
    ("regime", &["Customs Regime code"], &["贸易方式编码"]),
    (
        "location",
        &["Locations of importers and exporters code"],
        &["收发货人注册地编码"],
    ),
    ("quantity", &["Quantity"], &["第一数量"]),
    ("unit", &["Unit"], &["第一计量单位"]),
    ("usd", &["US dollar"], &["美元"]),
];

/// Parse a GACC download.
pub fn parse(
    path: &Path,
    bytes: &[u8],
    enc: TextEncoding,
) -> Result<Extracted<GaccRow>, ExtractError> {
    let text = encoding::decode(path, bytes, enc, &[TextEncoding::Gb18030], |_| true)?;
    delimited::read(
        path,
        &text,
        delimited::Dialect::new(b','),
        |h| {
            let pos: Vec<Option<usize>> = ROLES
                .iter()
                .map(|(_, en, zh)| {
                    h.names
                        .iter()
                        .position(|n| en.contains(&n.as_str()) || zh.contains(&n.as_str()))
                })
                .collect();
            if pos[7].is_none() {
                let yuan = h
                    .names
                    .iter()
                    .any(|n| n == "Renminbi Yuan" || n == "人民币");
                return Err(ExtractError::Layout {
                    path: path.to_path_buf(),
                    line: h.line,
                    message: if yuan {
                        "values are in Renminbi Yuan: download the same query in US dollars"
                            .to_string()
                    } else {
                        format!(
                            "no `US dollar` (美元) column: not a China customs download (found `{}`)",
                            patronage_core::quote_input(&h.names.join(","))
                        )
                    },
                });
            }
            Ok(pos)
        },
        |pos, row| {
            let raw = row.raw(b',');
            let get = |k: usize| pos[k].map(|i| (row.fields[i].trim(), i + 1));
            let bad = |k: usize, m: String| {
                let (_, col) = get(k).unwrap_or(("", 0));
                RowReject::new(
                    row.line,
                    "bad_field",
                    format!("column {col} ({}): {m}", ROLES[k].0),
                    &raw,
                )
            };
            let code = |k: usize| -> Result<Option<u32>, RowReject> {
                match get(k) {
                    None => Ok(None),
                    Some((v, _)) => text::parse_int(v).map(Some).map_err(|m| bad(k, m)),
                }
            };
            let date = match get(0) {
                None => None,
                Some((v, _)) => {
                    let ok = v.len() == 6 && v.bytes().all(|b| b.is_ascii_digit());
                    let (y, m) = if ok {
                        (v[..4].parse().unwrap_or(0), v[4..].parse().unwrap_or(0))
                    } else {
                        (0, 0)
                    };
                    if !ok || !(1..=12).contains(&m) {
                        return Err(bad(0, format!("`{v}` is not a month YYYYMM")));
                    }
                    Some((y, m))
                }
            };
            let commodity_code = match get(1) {
                None => "TOTAL".to_string(),
                Some((v, _)) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => {
                    v.to_string()
                }
                Some((v, _)) => return Err(bad(1, format!("`{v}` is not a commodity code"))),
            };
            let quantity = match get(5) {
                // A quantity is not money: one finer than a thousandth is kept
                // as the float it is (the value's exactness rule is for money).
                Some((v, _)) if !text::is_missing(v) => Some(
                    match text::parse_grouped_mills(v) {
                        Ok(m) => Ok(m as f64 / 1000.0),
                        Err(e) if e.loses_digits => v
                            .trim()
                            .replace(',', "")
                            .parse::<f64>()
                            .map_err(|_| e.message),
                        Err(e) => Err(e.message),
                    }
                    .map_err(|m| bad(5, m))?,
                ),
                _ => None,
            };
            let (usd, _) = get(7).unwrap_or(("", 0));
            if text::is_missing(usd) {
                return Err(RowReject::new(
                    row.line,
                    "missing_value",
                    "US dollar: `?` or empty, a value is required",
                    &raw,
                ));
            }
            Ok(GaccRow {
                line: row.line,
                date,
                commodity_code,
                partner_code: code(2)?,
                regime_code: code(3)?,
                location_code: code(4)?,
                quantity,
                unit: get(6)
                    .map(|(v, _)| v)
                    .filter(|v| !text::is_missing(v))
                    .map(str::to_string),
                value_mills: text::parse_grouped_mills(usd)
                    .map_err(|e| {
                        let mut r = bad(7, e.message.clone());
                        r.reason = e.reason_or(r.reason);
                        r
                    })
                    .and_then(|v| {
                        text::check_not_negative(v).map(|()| v).map_err(|m| {
                            let mut r = bad(7, m);
                            r.reason = "negative_value";
                            r
                        })
                    })?,
                raw: raw.clone(),
            })
        },
    )
}

/// Read a GACC partner code list (`"CODES","DESCRIPTION",` then `109,Korea,DPR,`):
/// names hold unquoted commas, so each line is the code, then everything up to
/// the trailing comma. A line that does not start with a numeric code is an error
/// naming it: a code list must be whole.
pub fn read_partner_codes(
    path: &Path,
    bytes: &[u8],
    enc: TextEncoding,
) -> Result<Vec<(u32, String)>, ExtractError> {
    let text = encoding::decode(path, bytes, enc, &[TextEncoding::Gb18030], |_| true)?;
    let text = String::from_utf8_lossy(text::strip_bom(&text)).into_owned();
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let (code, name) = line.split_once(',').unwrap_or((line, ""));
        let code: u32 =
            text::parse_int(code.trim_matches('"')).map_err(|m| ExtractError::Layout {
                path: path.to_path_buf(),
                line: i as u64 + 1,
                message: format!(
                    "a partner code line must start with a numeric code ({m}): `{}`",
                    patronage_core::quote_input(line)
                ),
            })?;
        // The published list has a NUL for a name it lacks (349).
        let name = name.strip_suffix(',').unwrap_or(name).replace('\0', "");
        out.push((code, name.trim().trim_matches('"').to_string()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_layout_and_bad_rows() {
        let t = "\"Trading partner code\",\"Trading partner\",\"US dollar\",\n\"109\",\"Korea,DPR\",\"2,788,000,000\",\n\"109\",\"Korea,DPR\",\"?\",\n\"109\",\"Korea,DPR\",\"27,88\",\n";
        let x = parse(Path::new("g.csv"), t.as_bytes(), TextEncoding::Utf8).unwrap();
        assert_eq!(x.rows_read, 3);
        assert_eq!(x.rows[0].value_mills, 2_788_000_000_000);
        assert_eq!(
            (
                x.rows[0].partner_code,
                x.rows[0].commodity_code.as_str(),
                x.rows[0].date
            ),
            (Some(109), "TOTAL", None)
        );
        assert_eq!(x.rejects[0].reason, "missing_value");
        assert_eq!(
            x.rejects[1].detail,
            "column 3 (usd): `27,88` is not a number with thousands separators"
        );
        let e = parse(
            Path::new("g.csv"),
            b"\"Trading partner code\",\"Renminbi Yuan\",\n",
            TextEncoding::Utf8,
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("download the same query in US dollars"),
            "{e}"
        );
        let e = read_partner_codes(
            Path::new("p.csv"),
            b"\"CODES\",\"DESCRIPTION\",\n109,Korea,DPR,\nKorea,Rep.,\n",
            TextEncoding::Gb18030,
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "p.csv:3: a partner code line must start with a numeric code (`Korea` is not an integer): `Korea,Rep.,`");
    }
}
