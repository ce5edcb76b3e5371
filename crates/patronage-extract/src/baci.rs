//! CEPII BACI: `t,i,j,k,v,q` — year, exporter, importer (Comtrade-style numeric
//! codes), HS 6-digit product read as text (leading zeros), value in thousands of
//! current US dollars (three decimals, so exact in whole dollars), quantity in
//! metric tons, right-aligned in a padded field with `NA` when missing.
//!
//! BACI files run to hundreds of megabytes, so [`stream`] reads them in blocks and
//! hands each block's rows on; nothing holds the whole file. The country code files
//! of both published layouts are read by [`read_country_codes`].

use std::path::Path;

use patronage_core::RowReject;

use crate::{delimited, plain, text, ExtractError, Extracted};

/// The BACI columns, in published order.
pub const COLUMNS: [&str; 6] = ["t", "i", "j", "k", "v", "q"];

/// One BACI row.
#[derive(Debug, Clone, PartialEq)]
pub struct BaciRow {
    /// Line in the file.
    pub line: u64,
    /// Year (`t`).
    pub year: i32,
    /// Exporter code (`i`).
    pub exporter: u32,
    /// Importer code (`j`).
    pub importer: u32,
    /// HS 6-digit product (`k`), as text.
    pub product: String,
    /// Value in thousandths of a US dollar (`v` × 1,000 × 1,000).
    pub value_mills: i64,
    /// Quantity in metric tons (`q`); `None` for `NA`.
    pub quantity_t: Option<f64>,
}

impl BaciRow {
    /// The row as a BACI line (for rejects made after extraction).
    pub fn raw(&self) -> String {
        format!(
            "{},{},{},{},{},{}",
            self.year,
            self.exporter,
            self.importer,
            self.product,
            self.value_mills as f64 / 1_000_000.0,
            self.quantity_t
                .map_or_else(|| "NA".to_string(), |q| q.to_string())
        )
    }
}

fn hint(names: &[String]) -> String {
    let has = |n: &str| names.iter().any(|h| h == n);
    if has("Trade Value (US$)") || has("Trade Flow Code") {
        "the header looks like a legacy Comtrade file: declare format = \"comtrade_legacy\"".into()
    } else if has("country_code") {
        "this is a BACI country code file, not a data file: give it as the source's `country_codes`"
            .into()
    } else {
        format!(
            "a BACI file starts `t,i,j,k,v,q` (found {} columns starting `{}`)",
            names.len(),
            patronage_core::quote_input(names.first().map_or("", String::as_str))
        )
    }
}

fn on_header(path: &Path, h: &delimited::Header) -> Result<Vec<usize>, ExtractError> {
    let cols = h.columns(path, &COLUMNS, &hint(&h.names))?;
    if h.names.len() != COLUMNS.len() {
        return Err(ExtractError::Layout {
            path: path.to_path_buf(),
            line: h.line,
            message: format!(
                "a BACI file has exactly the columns t,i,j,k,v,q; found {}",
                patronage_core::quote_input(&h.names.join(","))
            ),
        });
    }
    Ok(cols)
}

/// One BACI row borrowed from the file's text: what a fold reads without building
/// an owned record ([`BaciRow`] is this with the product owned).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BaciRef<'a> {
    /// Line in the file.
    pub line: u64,
    /// Year (`t`).
    pub year: i32,
    /// Exporter code (`i`).
    pub exporter: u32,
    /// Importer code (`j`).
    pub importer: u32,
    /// HS 6-digit product (`k`), as text.
    pub product: &'a str,
    /// Value in thousandths of a US dollar (`v` × 1,000 × 1,000).
    pub value_mills: i64,
    /// Quantity in metric tons (`q`); `None` for `NA`.
    pub quantity_t: Option<f64>,
}

/// Check a BACI header; the positions of [`COLUMNS`] for [`parse_ref`].
pub fn header_columns(path: &Path, h: &delimited::Header) -> Result<Vec<usize>, ExtractError> {
    on_header(path, h)
}

/// Parse and check one row (columns from [`header_columns`]); every BACI reader
/// goes through here, so a value is accepted or rejected the same way by all.
pub fn parse_ref<'a>(cols: &[usize], row: delimited::Row<'a>) -> Result<BaciRef<'a>, RowReject> {
    let get = |n: usize| text::trim(row.fields[cols[n]]);
    let bad = |n: usize, m: String| {
        RowReject::new(
            row.line,
            "bad_field",
            format!("column {} `{}`: {m}", cols[n] + 1, COLUMNS[n]),
            &row.raw(b','),
        )
    };
    let k = get(3);
    if k.is_empty() || !k.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(3, format!("`{k}` is not an HS product code")));
    }
    // `v` is in thousands of dollars to three decimals (whole dollars): six
    // decimals of a thousand are whole thousandths of a dollar, kept exactly.
    let value_mills = text::parse_exact(get(4), 6).map_err(|e| {
        let mut r = bad(4, e.message.clone());
        r.reason = e.reason_or(r.reason);
        r
    })?;
    let q = get(5);
    let year: i32 = text::parse_int(get(0)).map_err(|m| bad(0, m))?;
    let reject = |n: usize, reason: &'static str, m: String| {
        let mut r = bad(n, m);
        r.reason = reason;
        r
    };
    text::check_year(i64::from(year)).map_err(|m| reject(0, "year_out_of_range", m))?;
    text::check_not_negative(value_mills).map_err(|m| reject(4, "negative_value", m))?;
    Ok(BaciRef {
        line: row.line,
        year,
        exporter: text::parse_int(get(1)).map_err(|m| bad(1, m))?,
        importer: text::parse_int(get(2)).map_err(|m| bad(2, m))?,
        product: k,
        value_mills,
        quantity_t: if text::is_missing(q) {
            None
        } else {
            text::parse_opt_f64(q).map_err(|m| bad(5, m))?
        },
    })
}

/// What a fold keeps of a BACI row: year, exporter, importer, value in
/// thousandths of a dollar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BaciFast {
    /// Year (`t`).
    pub year: i32,
    /// Exporter code (`i`).
    pub exporter: u32,
    /// Importer code (`j`).
    pub importer: u32,
    /// Value in thousandths of a US dollar.
    pub value_mills: i64,
}

/// A row of plain ASCII text read straight from its bytes, when every field is
/// in the plain form BACI writes (codes and year as digits, `v` a plain decimal
/// of at most six decimals, `q` a plain decimal, empty, `NA` or `?`, spaces around it
/// allowed): then [`parse_ref`] accepts the row with these figures. `None` for
/// any other row, which [`parse_ref`] reads or rejects.
pub fn fast_ref(cols: &[usize], f: plain::Split<'_, '_>) -> Option<BaciFast> {
    let get = |n: usize| f.field(cols[n]);
    let k = get(3)?;
    if k.is_empty() || !k.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let value_mills = text::plain_decimal(get(4)?, 6, 9)?;
    if !text::plain_optional_number(get(5)?) {
        return None;
    }
    let year = text::digits_u32(get(0)?)?;
    if !text::YEARS.contains(&i64::from(year)) {
        return None;
    }
    Some(BaciFast {
        year: year as i32,
        exporter: text::digits_u32(get(1)?)?,
        importer: text::digits_u32(get(2)?)?,
        value_mills,
    })
}

#[allow(clippy::ptr_arg)] // the delimited reader passes its header context by reference
fn parse_row(cols: &Vec<usize>, row: delimited::Row<'_>) -> Result<BaciRow, RowReject> {
    parse_ref(cols, row).map(|r| BaciRow {
        line: r.line,
        year: r.year,
        exporter: r.exporter,
        importer: r.importer,
        product: r.product.to_string(),
        value_mills: r.value_mills,
        quantity_t: r.quantity_t,
    })
}

/// Parse a BACI file already in memory.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Extracted<BaciRow>, ExtractError> {
    delimited::read(
        path,
        bytes,
        delimited::Dialect::new(b','),
        |h| on_header(path, h),
        parse_row,
    )
}

/// Stream a BACI file from `input` block by block; `sink` receives each block's
/// rows and rejects in file order. Returns the number of data rows read.
pub fn stream(
    path: &Path,
    input: impl std::io::Read + Send,
    mut sink: impl FnMut(Extracted<BaciRow>),
) -> Result<u64, ExtractError> {
    stream_keeping(path, input, |_, _| true, |block, _| sink(block))
}

/// [`stream`], keeping only the rows whose exporter and importer codes `keep`
/// accepts: a row it refuses is counted, not parsed further (a row outside the
/// scope is never rejected for a field no table will use), and no record is
/// built for it. `sink` receives each block's kept rows and rejects, and how
/// many rows of the block were left out. Returns the number of data rows read.
pub fn stream_keeping(
    path: &Path,
    input: impl std::io::Read + Send,
    keep: impl Fn(u32, u32) -> bool + Sync,
    mut sink: impl FnMut(Extracted<BaciRow>, u64),
) -> Result<u64, ExtractError> {
    delimited::read_stream(
        path,
        input,
        delimited::Dialect::new(b','),
        |h| on_header(path, h),
        (
            // A row whose codes are plain digits, as BACI writes them, and
            // outside the scope is left out from its bytes, before any field
            // list is made: the rule below would leave it out the same way.
            |cols: &Vec<usize>, _, split: plain::Split<'_, '_>| {
                let code = |n: usize| text::digits_u32(split.field(cols[n])?);
                let (i, j) = (code(1)?, code(2)?);
                (!keep(i, j)).then_some(None)
            },
            |cols, row| {
                // Plain digits read straight; any other text as the general
                // rules read it.
                let code = |n: usize| {
                    let field = row.fields[cols[n]];
                    text::digits_u32(field.as_bytes())
                        .or_else(|| text::parse_int::<u32>(text::trim(field)).ok())
                };
                if let (Some(i), Some(j)) = (code(1), code(2)) {
                    if !keep(i, j) {
                        return Ok(None);
                    }
                }
                // Boxed: see `Extracted::kept_unboxed`.
                parse_row(cols, row).map(|r| Some(Box::new(r)))
            },
        ),
        |block: Extracted<Option<Box<BaciRow>>>| {
            let (kept, left_out) = block.kept_unboxed();
            sink(kept, left_out);
        },
    )
}

/// The HS revision a BACI file name states (`BACI_HS17_Y2020_V202301.csv` → `H5`),
/// as a Comtrade classification code; `HS` when the name does not say.
pub fn classification_from_name(name: &str) -> &'static str {
    let rev = name
        .find("HS")
        .and_then(|i| name.get(i + 2..i + 4))
        .unwrap_or("");
    match rev {
        "92" => "H0",
        "96" => "H1",
        "02" => "H2",
        "07" => "H3",
        "12" => "H4",
        "17" => "H5",
        "22" => "H6",
        _ => "HS",
    }
}

/// One entry of a BACI country code file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaciCountry {
    /// Numeric code as used in `i` and `j`.
    pub code: u32,
    /// Name (`country_name_abbreviation` or `country_name`).
    pub name: String,
    /// ISO3 as the file gives it; `None` for `N/A` or empty ("Other Asia, nes").
    pub iso3: Option<String>,
}

/// Read a BACI country code file in either layout: until V202301
/// `country_code,country_name_abbreviation,country_name_full,iso_2digit_alpha,iso_3digit_alpha`
/// (V202001 unquoted, V202201 fully quoted), from V202401
/// `country_code,country_name,country_iso2,country_iso3`. A code list must be
/// whole: a line that does not parse is an error naming it.
pub fn read_country_codes(path: &Path, bytes: &[u8]) -> Result<Vec<BaciCountry>, ExtractError> {
    // V202001 is Latin-1 ("C\xf4te d'Ivoire"); later releases are UTF-8.
    let text = crate::encoding::utf8_or(bytes, crate::encoding::TextEncoding::Windows1252);
    let x = delimited::read(
        path,
        &text,
        delimited::Dialect::new(b','),
        |h| {
            let old = [
                "country_code",
                "country_name_abbreviation",
                "iso_3digit_alpha",
            ];
            let new = ["country_code", "country_name", "country_iso3"];
            if h.names.iter().any(|n| n == "iso_3digit_alpha") {
                h.columns(path, &old, "")
            } else {
                h.columns(
                    path,
                    &new,
                    "not a BACI country code file (neither the V2020-V2023 nor the V2024 layout)",
                )
            }
        },
        |cols, row| {
            let code = row.fields[cols[0]].trim();
            let code: u32 = text::parse_int(code).map_err(|m| {
                RowReject::new(
                    row.line,
                    "bad_field",
                    format!("country_code: {m}"),
                    &row.raw(b','),
                )
            })?;
            let iso3 = row.fields[cols[2]].trim();
            Ok(BaciCountry {
                code,
                name: row.fields[cols[1]].trim().to_string(),
                iso3: (iso3.len() == 3 && iso3.bytes().all(|b| b.is_ascii_alphanumeric()))
                    .then(|| iso3.to_string()),
            })
        },
    )?;
    if let Some(r) = x.rejects.first() {
        return Err(ExtractError::Layout {
            path: path.to_path_buf(),
            line: r.line,
            message: format!(
                "a country code line does not parse ({}): `{}`",
                r.detail,
                patronage_core::quote_input(&r.raw)
            ),
        });
    }
    Ok(x.rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast reading agrees with `parse_ref` on every row it settles, and
    /// settles the plain rows BACI writes; SYNTHETIC rows, figures by hand.
    #[test]
    fn fast_rows_read_as_parse_ref_does() {
        let cols = vec![0, 1, 2, 3, 4, 5];
        let rows = [
            // (row, settled by the fast rules)
            ("2020,4,8,010000,2712.453,       8556.669", true),
            ("2020,710,408,090111,12.345,", true),
            ("2020,710,408,090111,0.9,   ", true),
            ("1900,1,2,1,0,0", true),
            ("2020,710,408,090111,12.345,           NA", true),
            ("2020,710,408,090111,12.345,N/A", false),
            ("2020,710,408,090111,-1,1", false),
            ("2020,710,408,090111,1e3,1", false),
            ("2020,710,408,090111,1.2345678,1", false),
            ("2020,710,408,09011x,1,1", false),
            ("2020,710,408,,1,1", false),
            ("2020.0,710,408,090111,1,1", false),
            ("1899,710,408,090111,1,1", false),
            ("2020, 710,408,090111,1,1", false),
            ("2020,710,408,090111,1,x", false),
            ("2020,710,408,090111,,1", false),
        ];
        let mut settled = Vec::new();
        for (row, want) in rows {
            let fields: Vec<&str> = row.split(',').collect();
            let slow = parse_ref(
                &cols,
                delimited::Row {
                    line: 7,
                    fields: &fields,
                },
            );
            let mut fast = None;
            plain::ascii_lines(row.as_bytes(), b',', |f| fast = fast_ref(&cols, f)).unwrap();
            assert_eq!(fast.is_some(), want, "{row}");
            if let Some(f) = fast {
                let r = slow.unwrap();
                assert_eq!(
                    (r.year, r.exporter, r.importer, r.value_mills),
                    (f.year, f.exporter, f.importer, f.value_mills),
                    "{row}"
                );
                settled.push(f.value_mills);
            }
        }
        // 2712.453 thousand dollars = 2,712,453,000 thousandths of a dollar.
        assert_eq!(
            settled,
            vec![2_712_453_000, 12_345_000, 900_000, 0, 12_345_000]
        );
    }

    #[test]
    fn padded_quantities_and_exact_values() {
        let t = "t,i,j,k,v,q\n2020,710,408,090111,12.345,           NA\n2020,710,408,847130,0.9,        0.021\n2020,710,408,84713,1,1\n";
        let x = parse(Path::new("b.csv"), t.as_bytes()).unwrap();
        assert_eq!(x.rows_read, 3);
        assert_eq!(x.rows[0].value_mills, 12_345_000);
        assert_eq!(x.rows[0].quantity_t, None);
        assert_eq!(x.rows[0].product, "090111");
        assert_eq!(x.rows[1].quantity_t, Some(0.021));
        assert_eq!(x.rows[1].value_mills, 900_000);
        assert_eq!(x.rows.len(), 3);
        // A shifted row: the product in the value column.
        let s = "t,i,j,k,v,q\n2020,710,408,,090111,12.3\n";
        let x = parse(Path::new("b.csv"), s.as_bytes()).unwrap();
        assert_eq!(
            x.rejects[0].detail,
            "column 4 `k`: `` is not an HS product code"
        );
        assert_eq!(
            classification_from_name("BACI_HS17_Y2020_V202301.csv"),
            "H5"
        );
        assert_eq!(classification_from_name("synthetic.csv"), "HS");
    }
}
