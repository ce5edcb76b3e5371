//! Legacy UN Comtrade CSV (comtrade.un.org before 2023), in its three layouts,
//! told apart by the header:
//!
//! * [`LegacyLayout::Download`]: the 35-column API/download CSV with headings
//!   (`Classification,Year,Period,…,2nd Partner Code,…,CIF Trade Value (US$),…,Flag`);
//! * [`LegacyLayout::Bulk`]: the 22-column bulk CSV (no second partner, customs or
//!   transport columns, no CIF/FOB split);
//! * [`LegacyLayout::Bulk2012`]: the 11-column bulk of about 2012
//!   (`Year,Reporter Code,Trade Flow Code,Partner Code,Classification,Commodity Code,
//!   Quantity Unit Code,Supplementary Quantity,Netweight (kg),Value,Estimation Code`).
//!
//! Flow codes 1 import, 2 export, 3 re-export, 4 re-import; quantity unit 1 means
//! "no quantity"; a file may mix aggregation levels (chapters, headings and
//! subheadings in one file), so every row keeps its level; trailing empty lines are
//! blank lines.

use std::path::Path;

use patronage_core::RowReject;

use crate::encoding::TextEncoding;
use crate::{delimited, text, ExtractError, Extracted};

/// Which legacy layout a file is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegacyLayout {
    /// 35 columns with headings.
    Download,
    /// 22 columns.
    Bulk,
    /// 11 columns, c. 2012.
    Bulk2012,
    /// The legacy API's JSON response (`{validation, dataset}`), read by
    /// [`crate::comtrade_legacy_json`]: the 35 fields of the download, by their
    /// API names (`rtCode`, `ptCode`, `TradeValue`...).
    ApiJson,
}

/// One legacy Comtrade record.
#[derive(Debug, Clone, PartialEq)]
pub struct LegacyRow {
    /// Line of the record.
    pub line: u64,
    /// Column (1-based, in characters) where the record starts on its line: 1 in
    /// a CSV file; in JSON, where the record's `{` is.
    pub column: u64,
    /// Layout the file was in.
    pub layout: LegacyLayout,
    /// Year.
    pub year: i32,
    /// Month 1-12 for a monthly record (`Period` YYYYMM); `None` for annual.
    pub month: Option<u32>,
    /// Trade Flow Code (1-4 are the flows; others are kept for the normalizer to count).
    pub flow_code: u32,
    /// Reporter code.
    pub reporter_code: u32,
    /// Partner code; 0 = world.
    pub partner_code: u32,
    /// Second partner code; `None` when empty (the total).
    pub partner2_code: Option<u32>,
    /// Customs procedure code; empty = all.
    pub customs_code: String,
    /// Mode of transport code; empty = all.
    pub mot_code: String,
    /// Classification (H0..H5, S1..S4).
    pub classification: String,
    /// Commodity code as published (`TOTAL`, `01`, `0202`, `010619`).
    pub commodity_code: String,
    /// Aggregate Level when published.
    pub aggregate_level: Option<i32>,
    /// Quantity unit code; `None` for unit 1 ("no quantity") or empty.
    pub qty_unit_code: Option<i32>,
    /// Quantity.
    pub qty: Option<f64>,
    /// Net weight, kg.
    pub net_weight_kg: Option<f64>,
    /// Trade value, thousandths of a US dollar.
    pub value_mills: i64,
    /// CIF value when published, thousandths.
    pub cif_mills: Option<i64>,
    /// FOB value when published, thousandths.
    pub fob_mills: Option<i64>,
    /// Flag / Estimation Code ≠ 0 (2 quantity, 4 weight, 6 both estimated).
    pub is_estimated: bool,
    /// The record as read.
    pub raw: String,
}

const DOWNLOAD_MARK: &str = "2nd Partner Code";
const BULK2012_MARK: &str = "Estimation Code";

/// Columns each layout must have; the rest of its columns are optional.
fn required(layout: LegacyLayout) -> &'static [&'static str] {
    match layout {
        LegacyLayout::Download | LegacyLayout::Bulk | LegacyLayout::ApiJson => &[
            "Classification",
            "Year",
            "Period",
            "Aggregate Level",
            "Trade Flow Code",
            "Reporter Code",
            "Partner Code",
            "Commodity Code",
            "Qty Unit Code",
            "Qty",
            "Netweight (kg)",
            "Trade Value (US$)",
            "Flag",
        ],
        LegacyLayout::Bulk2012 => &[
            "Year",
            "Reporter Code",
            "Trade Flow Code",
            "Partner Code",
            "Classification",
            "Commodity Code",
            "Quantity Unit Code",
            "Supplementary Quantity",
            "Netweight (kg)",
            "Value",
            "Estimation Code",
        ],
    }
}

/// Column positions by role, `None` where the layout has no such column.
struct Columns {
    layout: LegacyLayout,
    at: Vec<(&'static str, Option<usize>)>,
}

impl Columns {
    fn get<'a>(&self, fields: &'a [&'a str], role: &str) -> (&'a str, usize) {
        match self
            .at
            .iter()
            .find(|(r, _)| *r == role)
            .and_then(|(_, i)| *i)
        {
            Some(i) => (fields.get(i).copied().unwrap_or(""), i + 1),
            None => ("", 0),
        }
    }
}

/// Read a legacy Comtrade file, detecting its layout from the header and its
/// text encoding from its bytes (see [`parse_encoded`]).
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Extracted<LegacyRow>, ExtractError> {
    parse_encoded(path, bytes, None)
}

/// Read a legacy Comtrade file in `encoding`, the text encoding its source
/// declares, or, when `None`, UTF-8 when the bytes are, else windows-1252 (as
/// comtrade.un.org's downloads saved by a browser or a spreadsheet are: a
/// partner's name in Latin-1 is read, never a reason to reject its row).
pub fn parse_encoded(
    path: &Path,
    bytes: &[u8],
    encoding: Option<TextEncoding>,
) -> Result<Extracted<LegacyRow>, ExtractError> {
    let bytes = crate::encoding::decode_utf8_or_windows_1252(path, bytes, encoding)?;
    delimited::read(
        path,
        &bytes,
        delimited::Dialect::new(b','),
        |header| {
            let has = |n: &str| header.names.iter().any(|h| h == n);
            let layout = if has(DOWNLOAD_MARK) {
                LegacyLayout::Download
            } else if has(BULK2012_MARK) {
                LegacyLayout::Bulk2012
            } else {
                LegacyLayout::Bulk
            };
            let hint = if has("reporterCode") || has("datasetCode") {
                "the header looks like Comtrade v1: declare a comtrade_v1 format".to_string()
            } else if ["t", "i", "j", "k", "v", "q"].iter().all(|c| has(c)) {
                "the header looks like CEPII BACI: declare format = \"baci\"".to_string()
            } else {
                format!(
                    "not a legacy Comtrade layout (35, 22 or 11 columns; found {} starting `{}`)",
                    header.names.len(),
                    patronage_core::quote_input(header.names.first().map_or("", String::as_str))
                )
            };
            header.columns(path, required(layout), &hint)?;
            let pos = |n: &str| header.names.iter().position(|h| h == n);
            let roles: [(&'static str, &str); 17] = [
                ("year", "Year"),
                ("period", "Period"),
                ("flow", "Trade Flow Code"),
                ("reporter", "Reporter Code"),
                ("partner", "Partner Code"),
                ("partner2", "2nd Partner Code"),
                ("customs", "Customs Proc. Code"),
                ("mot", "Mode of Transport Code"),
                ("classification", "Classification"),
                ("commodity", "Commodity Code"),
                ("level", "Aggregate Level"),
                (
                    "unit",
                    if layout == LegacyLayout::Bulk2012 {
                        "Quantity Unit Code"
                    } else {
                        "Qty Unit Code"
                    },
                ),
                (
                    "qty",
                    if layout == LegacyLayout::Bulk2012 {
                        "Supplementary Quantity"
                    } else {
                        "Qty"
                    },
                ),
                ("weight", "Netweight (kg)"),
                (
                    "value",
                    if layout == LegacyLayout::Bulk2012 {
                        "Value"
                    } else {
                        "Trade Value (US$)"
                    },
                ),
                ("cif", "CIF Trade Value (US$)"),
                ("fob", "FOB Trade Value (US$)"),
            ];
            let mut at: Vec<(&'static str, Option<usize>)> =
                roles.iter().map(|(r, n)| (*r, pos(n))).collect();
            at.push((
                "flag",
                pos(if layout == LegacyLayout::Bulk2012 {
                    "Estimation Code"
                } else {
                    "Flag"
                }),
            ));
            Ok(Columns { layout, at })
        },
        |cols, row| {
            parse_record(
                cols.layout,
                (row.line, 1),
                &Delimited {
                    cols,
                    fields: row.fields,
                },
                row.fields.join(","),
            )
        },
    )
}

/// A legacy record's fields by role (`year`, `reporter`, `value`...), whatever
/// the layout calls them.
pub(crate) trait Record {
    /// The field's text ("" when absent or null).
    fn get(&self, role: &str) -> &str;
    /// Where the field is, for a reject's detail: `column 12` or `field \`ptCode\``.
    fn place(&self, role: &str) -> String;
}

/// A CSV row and where its layout has each role.
struct Delimited<'a> {
    cols: &'a Columns,
    fields: &'a [&'a str],
}

impl Record for Delimited<'_> {
    fn get(&self, role: &str) -> &str {
        self.cols.get(self.fields, role).0
    }

    fn place(&self, role: &str) -> String {
        format!("column {}", self.cols.get(self.fields, role).1)
    }
}

/// Check and type one record of any legacy layout, at `(line, column)`; `raw`
/// is the record as read. The one place the legacy rules for a field live: the
/// CSV layouts and the API JSON go through here.
pub(crate) fn parse_record(
    layout: LegacyLayout,
    (line, column): (u64, u64),
    rec: &dyn Record,
    raw: String,
) -> Result<LegacyRow, RowReject> {
    let raw = patronage_core::bound_owned(raw);
    let bad = |role: &str, msg: String| {
        RowReject::new(
            line,
            "bad_field",
            format!("{} ({role}): {msg}", rec.place(role)),
            &raw,
        )
        .at_column(column)
    };
    let reject = |role: &str, reason: &'static str, m: String| {
        let mut r = bad(role, m);
        r.reason = reason;
        r
    };
    let f = |role: &str| rec.get(role).trim();
    let int = |role: &str| text::parse_int::<u32>(f(role)).map_err(|m| bad(role, m));
    let opt_int = |role: &str| text::parse_opt_int::<u32>(f(role)).map_err(|m| bad(role, m));
    let opt_f64 = |role: &str| text::parse_opt_f64(f(role)).map_err(|m| bad(role, m));
    let opt_mills = |role: &str| -> Result<Option<i64>, RowReject> {
        if f(role).is_empty() {
            Ok(None)
        } else {
            text::parse_mills(f(role))
                .map(Some)
                .map_err(|e| reject(role, e.reason_or("bad_field"), e.message))
        }
    };
    let year: i32 = text::parse_int(f("year")).map_err(|m| bad("year", m))?;
    text::check_year(i64::from(year)).map_err(|m| reject("year", "year_out_of_range", m))?;
    let month = match f("period") {
        "" => None,
        p if p.len() == 6 => {
            let m: u32 = text::parse_int(&p[4..]).map_err(|m| bad("period", m))?;
            if !(1..=12).contains(&m) || !p.starts_with(&year.to_string()) {
                return Err(bad(
                    "period",
                    format!(
                        "`{}` is not a month of {year}",
                        patronage_core::quote_input(p)
                    ),
                ));
            }
            Some(m)
        }
        p if p == year.to_string() => None,
        p => {
            return Err(bad(
                "period",
                format!(
                    "`{}` is neither {year} nor a month YYYYMM of it",
                    patronage_core::quote_input(p)
                ),
            ))
        }
    };
    let commodity = f("commodity").trim_matches('"').to_string();
    if commodity.is_empty() {
        return Err(bad(
            "commodity",
            "empty, a commodity code is required".to_string(),
        ));
    }
    let value_mills = text::parse_mills(f("value"))
        .map_err(|e| reject("value", e.reason_or("bad_field"), e.message))?;
    text::check_not_negative(value_mills).map_err(|m| reject("value", "negative_value", m))?;
    let unit = text::parse_opt_int::<i32>(f("unit")).map_err(|m| bad("unit", m))?;
    let flag = text::parse_opt_int::<i32>(f("flag")).map_err(|m| bad("flag", m))?;
    Ok(LegacyRow {
        line,
        column,
        layout,
        year,
        month,
        flow_code: int("flow")?,
        reporter_code: int("reporter")?,
        partner_code: int("partner")?,
        partner2_code: opt_int("partner2")?,
        customs_code: f("customs").to_string(),
        mot_code: f("mot").to_string(),
        classification: f("classification").trim_matches('"').to_string(),
        commodity_code: commodity,
        aggregate_level: text::parse_opt_int(f("level")).map_err(|m| bad("level", m))?,
        qty_unit_code: unit.filter(|u| *u != 1 && *u != -1),
        qty: opt_f64("qty")?,
        net_weight_kg: opt_f64("weight")?,
        value_mills,
        cif_mills: opt_mills("cif")?,
        fob_mills: opt_mills("fob")?,
        is_estimated: flag.is_some_and(|x| x != 0),
        raw,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOWNLOAD: &str = "Classification,Year,Period,Period Desc.,Aggregate Level,Is Leaf Code,Trade Flow Code,Trade Flow,Reporter Code,Reporter,Reporter ISO,Partner Code,Partner,Partner ISO,2nd Partner Code,2nd Partner,2nd Partner ISO,Customs Proc. Code,Customs,Mode of Transport Code,Mode of Transport,Commodity Code,Commodity,Qty Unit Code,Qty Unit,Qty,Alt Qty Unit Code,Alt Qty Unit,Alt Qty,Netweight (kg),Gross weight (kg),Trade Value (US$),CIF Trade Value (US$),FOB Trade Value (US$),Flag\n";

    /// The example rows of the three layouts quoted in the research notes (§1.3).
    #[test]
    fn the_three_layouts() {
        let d = format!("{DOWNLOAD}H4,2016,2016,2016,2,0,1,Import,36,Australia,AUS,0,World,WLD,,,,,,,,01,Live animals,1,No Quantity,,,,,,,91128858,,,0\n\n");
        let x = parse(Path::new("d.csv"), d.as_bytes()).unwrap();
        assert_eq!((x.rows_read, x.rejects.len()), (1, 0));
        let r = &x.rows[0];
        assert_eq!(r.layout, LegacyLayout::Download);
        assert_eq!(
            (
                r.year,
                r.month,
                r.flow_code,
                r.reporter_code,
                r.partner_code
            ),
            (2016, None, 1, 36, 0)
        );
        assert_eq!(
            (
                r.commodity_code.as_str(),
                r.aggregate_level,
                r.qty_unit_code
            ),
            ("01", Some(2), None)
        );
        assert_eq!(r.value_mills, 91_128_858_000);
        assert_eq!(r.partner2_code, None);

        let b = "Classification,Year,Period,Period Desc.,Aggregate Level,Is Leaf Code,Trade Flow Code,Trade Flow,Reporter Code,Reporter,Reporter ISO,Partner Code,Partner,Partner ISO,Commodity Code,Commodity,Qty Unit Code,Qty Unit,Qty,Netweight (kg),Trade Value (US$),Flag\nS3,2008,2008,2008,1,0,1,Import,4,Afghanistan,AFG,0,World,WLD,0,Food and live animals,1,No Quantity,,,309541080,0\n";
        let x = parse(Path::new("b.csv"), b.as_bytes()).unwrap();
        assert_eq!(x.rows[0].layout, LegacyLayout::Bulk);
        assert_eq!(
            (
                x.rows[0].classification.as_str(),
                x.rows[0].commodity_code.as_str()
            ),
            ("S3", "0")
        );
        assert_eq!(x.rows[0].value_mills, 309_541_080_000);

        let c = "Year,Reporter Code,Trade Flow Code,Partner Code,Classification,Commodity Code,Quantity Unit Code,Supplementary Quantity,Netweight (kg),Value,Estimation Code\n2010,699,2,156,\"H3\",\"0202\",8,19911,19911,68010,6\n2010,699,2,156,\"H3\",\"010619\",1,,2,109,4\n\n\n";
        let x = parse(Path::new("c.csv"), c.as_bytes()).unwrap();
        assert_eq!((x.rows_read, x.rows.len()), (2, 2));
        let r = &x.rows[0];
        assert_eq!(r.layout, LegacyLayout::Bulk2012);
        assert_eq!(
            (r.classification.as_str(), r.commodity_code.as_str()),
            ("H3", "0202")
        );
        assert_eq!(
            (r.qty_unit_code, r.qty, r.net_weight_kg),
            (Some(8), Some(19911.0), Some(19911.0))
        );
        assert_eq!((r.value_mills, r.is_estimated), (68_010_000, true));
        assert_eq!(
            (x.rows[1].qty_unit_code, x.rows[1].commodity_code.as_str()),
            (None, "010619")
        );
    }

    #[test]
    fn bad_rows_and_foreign_headers() {
        let c = "Year,Reporter Code,Trade Flow Code,Partner Code,Classification,Commodity Code,Quantity Unit Code,Supplementary Quantity,Netweight (kg),Value,Estimation Code\n2010,699,2,H3,156,0202,8,1,1,68010,6\n";
        let x = parse(Path::new("c.csv"), c.as_bytes()).unwrap();
        assert_eq!(x.rejects.len(), 1);
        assert_eq!(
            x.rejects[0].detail,
            "column 4 (partner): `H3` is not an integer"
        );
        let e = parse(Path::new("x.csv"), b"t,i,j,k,v,q\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("declare format = \"baci\""), "{e}");
    }
}
