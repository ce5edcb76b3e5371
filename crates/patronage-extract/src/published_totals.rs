//! Published totals: a cited CSV of trade figures as a publication printed them
//! (a statistical yearbook, a customs announcement, KOTRA's annual report, a
//! newspaper quoting one of them), one figure a line.
//!
//! ```csv
//! publisher,reporter,partner,period,flow,value,unit,document,location,accessed,note
//! KOTRA,CHN,PRK,2004,turnover,"1,385.206",million USD,"Daily NK, 3 May 2005",https://...,2026-11-30,citing KOTRA
//! USSR Ministry of Foreign Economic Relations,SUN,PRK,1989,export,940,million SUR,"Hankyung, 2 Jul 1990",https://...,2026-11-30,
//! ```
//!
//! `reporter` is the country whose trade the figure is (ISO3, the code valid that
//! year: `SUN` through 1991), `partner` the other; `flow` is the reporter's
//! `export`, `import`, or `turnover` (both together, as printed: a turnover is never
//! split into parts nobody published). `value` is the number as printed (thousands
//! separators allowed, at most three decimals) in `unit`: a currency code of the
//! rate table (`USD`, `SUR` the Soviet ruble of 1961, `RUB_1947`, `CNY`...) after
//! an optional scale (`thousand`, `million`, `billion`). `period` is `YYYY`,
//! `YYYY-MM` or `YYYY-MM..YYYY-MM`. `document` (who printed it, where, when) and
//! `accessed` (YYYY-MM-DD) are required; `location` (page or URL) and `note` are
//! free. The amount is kept exactly, in thousandths of the currency's unit; every
//! line that cannot be read is a reject naming its column, never a guess.

use std::collections::BTreeSet;
use std::path::Path;

use patronage_core::{MonthRange, RowReject};

use crate::delimited::{self, Dialect};
use crate::{text, ExtractError, Extracted};

/// Columns of a published-totals file, in any order.
pub const COLUMNS: [&str; 11] = [
    "publisher",
    "reporter",
    "partner",
    "period",
    "flow",
    "value",
    "unit",
    "document",
    "location",
    "accessed",
    "note",
];

/// The reporter's flow as printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PublishedFlow {
    /// The reporter's exports to the partner.
    Export,
    /// The reporter's imports from the partner.
    Import,
    /// Exports and imports together, as one printed figure.
    Turnover,
}

impl PublishedFlow {
    fn parse(s: &str) -> Result<Self, String> {
        match s {
            "export" => Ok(PublishedFlow::Export),
            "import" => Ok(PublishedFlow::Import),
            "turnover" => Ok(PublishedFlow::Turnover),
            other => Err(format!(
                "`{}` is not a flow (export, import, turnover)",
                patronage_core::quote_input(other)
            )),
        }
    }
}

/// One published figure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedTotal {
    /// Line in the file.
    pub line: u64,
    /// The line as read.
    pub raw: String,
    /// Who compiled the figure (KOTRA, China customs, a ministry).
    pub publisher: String,
    /// ISO3 of the country whose trade the figure is.
    pub reporter: String,
    /// ISO3 of the other country.
    pub partner: String,
    /// Months covered.
    pub period: MonthRange,
    /// The reporter's flow.
    pub flow: PublishedFlow,
    /// The amount, in thousandths of one unit of `currency` (scale applied).
    pub amount_mills: i64,
    /// Currency code of the rate table.
    pub currency: String,
    /// The unit as written (`million USD`).
    pub unit: String,
    /// The publication.
    pub document: String,
    /// Page or URL.
    pub location: String,
    /// When it was read, YYYY-MM-DD.
    pub accessed: String,
    /// Free text.
    pub note: String,
}

/// The scale word of a unit and its factor.
const SCALES: [(&str, i64); 3] = [
    ("thousand", 1_000),
    ("million", 1_000_000),
    ("billion", 1_000_000_000),
];

/// `million USD` → (1_000_000, `USD`); a currency code is letters, digits and `_`.
fn parse_unit(s: &str) -> Result<(i64, &str), String> {
    let bad = || {
        format!(
            "`{}` is not a unit: an optional scale (thousand, million, billion) and a currency code (`million USD`, `SUR`)",
            patronage_core::quote_input(s)
        )
    };
    let words: Vec<&str> = s.split_whitespace().collect();
    let (scale, code) = match words.as_slice() {
        [code] => (1, *code),
        [scale, code] => (
            SCALES
                .iter()
                .find(|(w, _)| w == scale)
                .map(|(_, f)| *f)
                .ok_or_else(bad)?,
            *code,
        ),
        _ => return Err(bad()),
    };
    let code_ok = code.bytes().next().is_some_and(|b| b.is_ascii_uppercase())
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    if code_ok {
        Ok((scale, code))
    } else {
        Err(bad())
    }
}

fn iso3(s: &str) -> Result<String, String> {
    if s.len() == 3 && s.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(s.to_string())
    } else {
        Err(format!(
            "`{}` is not an ISO3 code",
            patronage_core::quote_input(s)
        ))
    }
}

/// Read a published-totals file.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Extracted<PublishedTotal>, ExtractError> {
    let mut x = delimited::read(
        path,
        bytes,
        Dialect::new(b','),
        |h| {
            h.columns(
                path,
                &COLUMNS,
                "a published-totals file has columns publisher,reporter,partner,period,flow,value,unit,document,location,accessed,note",
            )
        },
        |cols, row| {
            let f = |i: usize| text::trim(row.fields[cols[i]]);
            let raw = row.raw(b',');
            let reject = |reason: &'static str, i: usize, msg: String| {
                RowReject::new(
                    row.line,
                    reason,
                    format!("column `{}`: {msg}", COLUMNS[i]),
                    &raw,
                )
            };
            for i in [0, 1, 2, 3, 4, 5, 6, 7, 9] {
                if f(i).is_empty() {
                    return Err(reject(
                        "missing_value",
                        i,
                        "empty, a value is required".into(),
                    ));
                }
            }
            let reporter = iso3(f(1)).map_err(|e| reject("bad_country_code", 1, e))?;
            let partner = iso3(f(2)).map_err(|e| reject("bad_country_code", 2, e))?;
            let period: MonthRange = f(3).parse().map_err(|e| reject("bad_period", 3, e))?;
            text::check_year(i64::from(period.year))
                .map_err(|e| reject("year_out_of_range", 3, e))?;
            let flow = PublishedFlow::parse(f(4)).map_err(|e| reject("unknown_flow", 4, e))?;
            let number = text::parse_grouped_mills(f(5))
                .map_err(|e| reject(e.reason_or("bad_number"), 5, e.message))?;
            text::check_not_negative(number).map_err(|e| reject("negative_value", 5, e))?;
            let (scale, currency) = parse_unit(f(6)).map_err(|e| reject("unknown_unit", 6, e))?;
            let amount_mills = number.checked_mul(scale).ok_or_else(|| {
                reject(
                    "bad_number",
                    5,
                    format!("`{}` {} is out of range", f(5), f(6)),
                )
            })?;
            let (_, accessed) =
                text::parse_partial_date(f(9)).map_err(|e| reject("bad_date", 9, e))?;
            Ok(PublishedTotal {
                line: row.line,
                raw: raw.clone(),
                publisher: f(0).to_string(),
                reporter,
                partner,
                period,
                flow,
                amount_mills,
                currency: currency.to_string(),
                unit: f(6).to_string(),
                document: f(7).to_string(),
                location: f(8).to_string(),
                accessed,
                note: f(10).to_string(),
            })
        },
    )?;
    // The same figure twice in one file (reporter, partner, period, flow) would
    // be counted twice by whatever sums the file: the second is a reject.
    let mut seen = BTreeSet::new();
    let mut kept = Vec::with_capacity(x.rows.len());
    for r in std::mem::take(&mut x.rows) {
        let key = (r.reporter.clone(), r.partner.clone(), r.period, r.flow);
        if seen.insert(key) {
            kept.push(r);
        } else {
            x.rejects.push(RowReject::new(
                r.line,
                "duplicate_figure",
                format!(
                    "a figure for {} {} {} {:?} is already on an earlier line",
                    r.reporter, r.partner, r.period.year, r.flow
                ),
                &r.raw,
            ));
        }
    }
    x.rows = kept;
    x.rejects.sort_by_key(|r| r.line);
    Ok(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str =
        "publisher,reporter,partner,period,flow,value,unit,document,location,accessed,note\n";

    #[test]
    fn figures_and_units_are_read_exactly() {
        let text = format!(
            "{HEADER}KOTRA,CHN,PRK,2004,turnover,\"1,385.206\",million USD,Daily NK,https://x,2026-11-30,\n\
             MFER,SUN,PRK,1989,export,940,million SUR,Hankyung,,2026-11-30,yearbook\n\
             GAC,CHN,PRK,2017-01..2017-06,import,880000,thousand USD,Reuters,,2026-11-30,\n"
        );
        let x = parse(Path::new("p.csv"), text.as_bytes()).unwrap();
        assert_eq!(x.rows_read, 3);
        assert!(x.rejects.is_empty(), "{:?}", x.rejects);
        // 1,385.206 million = 1,385,206,000 dollars = 1,385,206,000,000 mills.
        assert_eq!(x.rows[0].amount_mills, 1_385_206_000_000);
        assert_eq!(
            (x.rows[0].flow, x.rows[0].currency.as_str()),
            (PublishedFlow::Turnover, "USD")
        );
        assert_eq!(
            (x.rows[1].amount_mills, x.rows[1].currency.as_str()),
            (940_000_000_000, "SUR")
        );
        assert_eq!((x.rows[2].period.first, x.rows[2].period.last), (1, 6));
        assert_eq!(x.rows[2].amount_mills, 880_000_000_000);
    }

    #[test]
    fn each_bad_field_is_a_reject_naming_its_column() {
        let text = format!(
            "{HEADER}K,CHN,PRK,2004,turnover,12,million USD,D,,2026-11-30,\n\
             K,China,PRK,2004,turnover,12,million USD,D,,2026-11-30,\n\
             K,CHN,PRK,04,turnover,12,million USD,D,,2026-11-30,\n\
             K,CHN,PRK,2005,trade,12,million USD,D,,2026-11-30,\n\
             K,CHN,PRK,2006,export,1.2345,million USD,D,,2026-11-30,\n\
             K,CHN,PRK,2007,export,-5,million USD,D,,2026-11-30,\n\
             K,CHN,PRK,2008,export,5,millions of dollars,D,,2026-11-30,\n\
             K,CHN,PRK,2009,export,5,million USD,,,2026-11-30,\n\
             K,CHN,PRK,2010,export,5,million USD,D,,30.11.2026,\n\
             K,CHN,PRK,2004,turnover,13,million USD,D,,2026-11-30,\n"
        );
        let x = parse(Path::new("p.csv"), text.as_bytes()).unwrap();
        assert_eq!(x.rows.len(), 1);
        assert_eq!(x.rows_read, 10);
        let got: Vec<(u64, &str)> = x.rejects.iter().map(|r| (r.line, r.reason)).collect();
        assert_eq!(
            got,
            [
                (3, "bad_country_code"),
                (4, "bad_period"),
                (5, "unknown_flow"),
                (6, "value_precision"),
                (7, "negative_value"),
                (8, "unknown_unit"),
                (9, "missing_value"),
                (10, "bad_date"),
                (11, "duplicate_figure"),
            ]
        );
        assert!(x.rejects[5].detail.starts_with("column `unit`"));
    }

    #[test]
    fn a_file_without_the_columns_is_an_error_naming_them() {
        let err = parse(
            Path::new("p.csv"),
            b"publisher,reporter,partner,period,flow,value\nK,CHN,PRK,2004,turnover,1\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("`unit`") && err.contains("p.csv"), "{err}");
    }
}
