//! UN Comtrade v1 ("Comtrade Plus") in its three published layouts:
//!
//! * [`Layout::ApiCsv`]: the 47-column CSV written by `comtradeapicall`
//!   (description columns may be empty);
//! * [`Layout::ApiJson`]: the API's JSON envelope `{elapsedTime, count, data, error}`
//!   with the same 47 keys per record;
//! * [`Layout::BulkTsv`]: the bulk "final" file — TAB separated, CRLF, 34 columns
//!   starting with `datasetCode`, booleans 0/1, `CIFValue`/`FOBValue` spelled so.
//!
//! All three are parsed by the same row parser, so a quirk is handled once.

use std::collections::HashMap;
use std::path::Path;

use patronage_core::RowReject;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::encoding::TextEncoding;
use crate::{delimited, plain, text, ExtractError, Extracted};

/// The 47 columns of the API CSV and the API JSON records, in published order.
pub const API_COLUMNS: [&str; 47] = [
    "typeCode",
    "freqCode",
    "refPeriodId",
    "refYear",
    "refMonth",
    "period",
    "reporterCode",
    "reporterISO",
    "reporterDesc",
    "flowCode",
    "flowDesc",
    "partnerCode",
    "partnerISO",
    "partnerDesc",
    "partner2Code",
    "partner2ISO",
    "partner2Desc",
    "classificationCode",
    "classificationSearchCode",
    "isOriginalClassification",
    "cmdCode",
    "cmdDesc",
    "aggrLevel",
    "isLeaf",
    "customsCode",
    "customsDesc",
    "mosCode",
    "motCode",
    "motDesc",
    "qtyUnitCode",
    "qtyUnitAbbr",
    "qty",
    "isQtyEstimated",
    "altQtyUnitCode",
    "altQtyUnitAbbr",
    "altQty",
    "isAltQtyEstimated",
    "netWgt",
    "isNetWgtEstimated",
    "grossWgt",
    "isGrossWgtEstimated",
    "cifvalue",
    "fobvalue",
    "primaryValue",
    "legacyEstimationFlag",
    "isReported",
    "isAggregate",
];

/// The 34 columns of the bulk final file, in published order.
pub const BULK_COLUMNS: [&str; 34] = [
    "datasetCode",
    "typeCode",
    "freqCode",
    "refPeriodId",
    "refYear",
    "refMonth",
    "period",
    "reporterCode",
    "flowCode",
    "partnerCode",
    "partner2Code",
    "classificationSearchCode",
    "classificationCode",
    "isOriginalClassification",
    "cmdCode",
    "customsCode",
    "mosCode",
    "motCode",
    "qtyUnitCode",
    "qty",
    "isQtyEstimated",
    "altQtyUnitCode",
    "altQty",
    "isAltQtyEstimated",
    "netWgt",
    "isNetWgtEstimated",
    "grossWgt",
    "isGrossWgtEstimated",
    "CIFValue",
    "FOBValue",
    "primaryValue",
    "legacyEstimationFlag",
    "isReported",
    "isAggregate",
];

/// Which of the three layouts a file is in; declared per source in the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `comtradeapicall` CSV, 47 columns.
    ApiCsv,
    /// API JSON envelope.
    ApiJson,
    /// Bulk final file, TAB separated, 34 columns.
    BulkTsv,
}

/// Annual figures carry `refMonth` 52.
pub const ANNUAL_REF_MONTH: u32 = 52;

/// One Comtrade v1 record, typed. Only the fields the tables use are kept; the
/// rest are checked by the layout and stay in the raw text.
#[derive(Debug, Clone, PartialEq)]
pub struct ComtradeRow {
    /// Line where the record starts.
    pub line: u64,
    /// Column (1-based, in characters) where the record starts on its line: 1
    /// in a delimited file; in JSON, where the record's `{` is, so that records
    /// of a minified response (all on line 1) are told apart.
    pub column: u64,
    /// `A` annual or `M` monthly.
    pub freq_code: String,
    /// Reference year.
    pub ref_year: i32,
    /// Reference month, 1..=12, or 52 for annual.
    pub ref_month: u32,
    /// Reporter code (Comtrade / M49 style).
    pub reporter_code: u32,
    /// Flow code (M, X, RM, RX, DX, FM, MIP, ...).
    pub flow_code: String,
    /// Partner code; 0 = world.
    pub partner_code: u32,
    /// Second partner; 0 = all (non-zero rows are breakdowns).
    pub partner2_code: u32,
    /// Classification (H0..H6, S1..S4, ...).
    pub classification: String,
    /// Commodity code as published; TOTAL = all.
    pub cmd_code: String,
    /// Aggregation level when published (absent in bulk files).
    pub aggr_level: Option<i32>,
    /// Customs procedure; C00 = all (others are breakdowns).
    pub customs_code: String,
    /// Mode of transport; 0 = all (others are breakdowns).
    pub mot_code: i32,
    /// Quantity unit; -1 = none.
    pub qty_unit_code: Option<i32>,
    /// Quantity in that unit.
    pub qty: Option<f64>,
    /// Net weight, kg.
    pub net_wgt_kg: Option<f64>,
    /// `primaryValue` in thousandths of a US dollar.
    pub primary_value_mills: i64,
    /// `cifvalue` in thousandths of a US dollar, when published.
    pub cif_value_mills: Option<i64>,
    /// `fobvalue` in thousandths of a US dollar, when published.
    pub fob_value_mills: Option<i64>,
    /// Quantity or net weight flagged as estimated.
    pub is_estimated: bool,
    /// The record as read, bounded.
    pub raw: String,
}

/// Read one file in the given layout.
pub fn read(path: &Path, layout: Layout) -> Result<Extracted<ComtradeRow>, ExtractError> {
    parse(path, &crate::archive::read(path)?, layout)
}

/// Parse a file's bytes, already read (the runner hashes the same bytes);
/// `path` is used in messages. The text encoding is detected (see
/// [`parse_encoded`]).
pub fn parse(
    path: &Path,
    bytes: &[u8],
    layout: Layout,
) -> Result<Extracted<ComtradeRow>, ExtractError> {
    parse_encoded(path, bytes, layout, None)
}

/// Parse a file's bytes in `encoding`, the text encoding its source declares,
/// or, when `None`, the one detected: the API CSV as UTF-8, or as windows-1252
/// when it is not UTF-8 (the Comtrade Plus website saves its `TradeData_*.csv`
/// exports so, with "Côte d'Ivoire" and "Türkiye" in its description columns);
/// the bulk file as UTF-8 (it has no description column: a byte that is not
/// UTF-8 is in a code and its row a reject). JSON is UTF-8 by definition.
pub fn parse_encoded(
    path: &Path,
    bytes: &[u8],
    layout: Layout,
    encoding: Option<TextEncoding>,
) -> Result<Extracted<ComtradeRow>, ExtractError> {
    match layout {
        Layout::ApiJson => read_json(path, bytes),
        Layout::ApiCsv => {
            let text = crate::encoding::decode_utf8_or_windows_1252(path, bytes, encoding)?;
            read_delimited(path, &text, b',', &API_COLUMNS, "comtrade_v1_csv")
        }
        Layout::BulkTsv => {
            let text = match encoding {
                Some(e) => crate::encoding::decode(path, bytes, e, &[], |_| false)?,
                None => std::borrow::Cow::Borrowed(bytes),
            };
            read_delimited(path, &text, b'\t', &BULK_COLUMNS, "comtrade_v1_bulk")
        }
    }
}

/// A record's fields by their API name, whatever the layout spelled them.
trait Fields {
    /// The field's text ("" when absent or null) and its 1-based column, if any.
    fn get(&self, name: &str) -> (&str, Option<usize>);
}

/// Where each of the fields the parser reads sits in a delimited file, by name.
/// A short list scanned in order: cheaper per row than hashing the name.
struct DelimitedFields<'a> {
    index: &'a [(&'static str, usize)],
    fields: &'a [&'a str],
}

impl Fields for DelimitedFields<'_> {
    fn get(&self, name: &str) -> (&str, Option<usize>) {
        match self
            .index
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|&(_, i)| Some((*self.fields.get(i)?, i)))
        {
            Some((v, i)) => (v, Some(i + 1)),
            None => ("", None),
        }
    }
}

/// The fields [`parse_record`] reads, in the order it reads them.
const PARSED: [&str; 20] = [
    "refYear",
    "refMonth",
    "freqCode",
    "primaryValue",
    "netWgt",
    "qty",
    "reporterCode",
    "flowCode",
    "partnerCode",
    "partner2Code",
    "classificationCode",
    "cmdCode",
    "aggrLevel",
    "customsCode",
    "motCode",
    "qtyUnitCode",
    "cifvalue",
    "fobvalue",
    "isQtyEstimated",
    "isNetWgtEstimated",
];

struct JsonFields(HashMap<String, String>);

impl Fields for JsonFields {
    fn get(&self, name: &str) -> (&str, Option<usize>) {
        (self.0.get(name).map_or("", String::as_str), None)
    }
}

/// The API spelling of a bulk column name.
fn api_name(name: &'static str) -> &'static str {
    match name {
        "CIFValue" => "cifvalue",
        "FOBValue" => "fobvalue",
        other => other,
    }
}

/// What a header looks like, to say so when it is not the one declared.
pub(crate) fn layout_hint(header: &[String], expected: &str) -> String {
    let has = |n: &str| header.iter().any(|h| h == n);
    let guess = if header.len() == 1
        && (header[0].contains('\t') || header[0].contains(',') || header[0].contains(';'))
    {
        "the header is one field: wrong delimiter?".to_string()
    } else if has("datasetCode") {
        "the header looks like the bulk final file: declare format = \"comtrade_v1_bulk\""
            .to_string()
    } else if has("reporterISO") && has("cifvalue") {
        "the header looks like the comtradeapicall CSV: declare format = \"comtrade_v1_csv\""
            .to_string()
    } else if has("Trade Value (US$)") || has("Trade Flow Code") {
        "the header looks like a legacy Comtrade download, not Comtrade v1".to_string()
    } else if ["t", "i", "j", "k", "v", "q"].iter().all(|c| has(c)) {
        "the header looks like CEPII BACI, not Comtrade".to_string()
    } else {
        format!("this is not the {expected} layout")
    };
    format!(
        "{guess} (found {} columns starting `{}`)",
        header.len(),
        patronage_core::quote_input(header.first().map_or("", String::as_str))
    )
}

/// The parser's field index from a delimited header: where each field it reads
/// sits, in the order it reads them.
fn delimited_index(
    path: &Path,
    header: &delimited::Header,
    columns: &[&'static str],
    format: &str,
) -> Result<Vec<(&'static str, usize)>, ExtractError> {
    let positions = header.columns(path, columns, &layout_hint(&header.names, format))?;
    let mut index: Vec<(&'static str, usize)> = columns
        .iter()
        .zip(positions)
        .map(|(c, i)| (api_name(c), i))
        .filter(|(c, _)| PARSED.contains(c))
        .collect();
    index.sort_by_key(|(c, _)| PARSED.iter().position(|p| p == c));
    Ok(index)
}

/// One delimited row to a record or a reject.
fn delimited_row(
    index: &[(&'static str, usize)],
    row: delimited::Row<'_>,
    delimiter: u8,
) -> Result<ComtradeRow, RowReject> {
    let fields = DelimitedFields {
        index,
        fields: row.fields,
    };
    parse_record(&fields, (row.line, 1), row.raw(delimiter))
}

/// The delimiter, columns and format name of a delimited layout; `None` for JSON.
fn delimited_layout(layout: Layout) -> Option<(u8, &'static [&'static str], &'static str)> {
    match layout {
        Layout::ApiCsv => Some((b',', &API_COLUMNS, "comtrade_v1_csv")),
        Layout::BulkTsv => Some((b'\t', &BULK_COLUMNS, "comtrade_v1_bulk")),
        Layout::ApiJson => None,
    }
}

fn read_delimited(
    path: &Path,
    bytes: &[u8],
    delimiter: u8,
    columns: &[&'static str],
    format: &str,
) -> Result<Extracted<ComtradeRow>, ExtractError> {
    delimited::read(
        path,
        bytes,
        delimited::Dialect::new(delimiter),
        |header| delimited_index(path, header, columns, format),
        |index, row| delimited_row(index, row, delimiter),
    )
}

/// Stream a file of a delimited layout (the bulk TSV, or the API CSV in UTF-8)
/// from `input` block by block, never holding it whole; `sink` receives each
/// block's records and rejects in file order. Returns the number of data rows
/// read. A record must lie on one line (no quoted line break), and bytes that are
/// not UTF-8 are a reject of their row: a file in windows-1252 is read whole with
/// [`parse_encoded`] instead. JSON cannot be streamed: an error.
pub fn stream(
    path: &Path,
    input: impl std::io::Read + Send,
    layout: Layout,
    mut sink: impl FnMut(Extracted<ComtradeRow>),
) -> Result<u64, ExtractError> {
    stream_keeping(path, input, layout, |_, _| true, |block, _| sink(block))
}

/// [`stream`], keeping only the records whose reporter and partner codes `keep`
/// accepts: a record it refuses is counted, not parsed further (a row outside
/// the scope is never rejected for a field no table will use), and no record or
/// raw text is built for it. `sink` receives each block's kept records and
/// rejects, and how many records of the block were left out.
pub fn stream_keeping(
    path: &Path,
    input: impl std::io::Read + Send,
    layout: Layout,
    keep: impl Fn(u32, u32) -> bool + Sync,
    mut sink: impl FnMut(Extracted<ComtradeRow>, u64),
) -> Result<u64, ExtractError> {
    let Some((delimiter, columns, format)) = delimited_layout(layout) else {
        return Err(ExtractError::Layout {
            path: path.to_path_buf(),
            line: 1,
            message: "an API JSON response is read whole, not streamed".to_string(),
        });
    };
    delimited::read_stream(
        path,
        input,
        delimited::Dialect::new(delimiter),
        |header| delimited_index(path, header, columns, format),
        (
            // A row whose codes are plain digits and outside the scope is
            // left out from its bytes, before any field list is made: the
            // rule below would leave it out the same way.
            |index: &Vec<(&'static str, usize)>, _, split: plain::Split<'_, '_>| {
                let at = |name: &str| index.iter().find(|(n, _)| *n == name).map(|&(_, i)| i);
                let code = |name: &str| text::digits_u32(split.field(at(name)?)?);
                let (r, p) = (code("reporterCode")?, code("partnerCode")?);
                (!keep(r, p)).then_some(None)
            },
            |index, row| {
                let fields = DelimitedFields {
                    index,
                    fields: row.fields,
                };
                let code = |name: &str| {
                    let field = fields.get(name).0;
                    text::digits_u32(field.as_bytes())
                        .or_else(|| text::parse_int::<u32>(text::trim(field)).ok())
                };
                if let (Some(r), Some(p)) = (code("reporterCode"), code("partnerCode")) {
                    if !keep(r, p) {
                        return Ok(None);
                    }
                }
                // Boxed: see `Extracted::kept_unboxed`.
                delimited_row(index, row, delimiter).map(|r| Some(Box::new(r)))
            },
        ),
        |block: Extracted<Option<Box<ComtradeRow>>>| {
            let (kept, left_out) = block.kept_unboxed();
            sink(kept, left_out);
        },
    )
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    data: Option<Vec<&'a RawValue>>,
    count: Option<serde_json::Value>,
    error: Option<serde_json::Value>,
}

fn read_json(path: &Path, bytes: &[u8]) -> Result<Extracted<ComtradeRow>, ExtractError> {
    let layout = |line: u64, message: String| ExtractError::Layout {
        path: path.to_path_buf(),
        line,
        message,
    };
    const WHAT: &str = "a Comtrade v1 API response";
    let json = crate::json::document(path, bytes, WHAT)?;
    let env: Envelope = crate::json::from_str(path, json, WHAT)?;
    if let Some(serde_json::Value::String(msg)) = &env.error {
        if !msg.trim().is_empty() {
            return Err(layout(
                1,
                format!(
                    "the API response carries an error: {}",
                    patronage_core::quote_input(msg)
                ),
            ));
        }
    }
    let data = env.data.ok_or_else(|| {
        layout(
            1,
            "no `data` array: not a Comtrade v1 API response envelope".to_string(),
        )
    })?;
    if let Some(count) = env.count.as_ref().and_then(serde_json::Value::as_u64) {
        if count != data.len() as u64 {
            return Err(layout(
                1,
                format!("`count` says {count} records but `data` holds {} (a truncated or edited response?)", data.len()),
            ));
        }
    }
    let mut lines = crate::json::LineTracker::new(json);
    let mut rows = Vec::with_capacity(data.len());
    let mut rejects = Vec::new();
    for raw in &data {
        let (line, column) = lines.position_of(raw);
        let text = raw.get();
        let fields = match crate::json::record_fields(raw, (line, column), "data", "bad_number") {
            Ok(f) => JsonFields(f),
            Err(r) => {
                rejects.push(r);
                continue;
            }
        };
        match parse_record(&fields, (line, column), patronage_core::bound_text(text)) {
            Ok(r) => rows.push(r),
            Err(rej) => rejects.push(rej),
        }
    }
    Ok(Extracted {
        rows,
        rejects,
        rows_read: data.len() as u64,
    })
}

/// The columns every Comtrade v1 reader checks, whatever else it reads: the
/// period, the value, the parties, the flow and the breakdown codes. Their order
/// is the order they are checked in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Core {
    RefYear,
    RefMonth,
    FreqCode,
    PrimaryValue,
    ReporterCode,
    FlowCode,
    PartnerCode,
    Partner2Code,
    CmdCode,
    CustomsCode,
    MotCode,
}

impl Core {
    /// Every core column, in checking order.
    pub(crate) const ALL: [Core; 11] = [
        Core::RefYear,
        Core::RefMonth,
        Core::FreqCode,
        Core::PrimaryValue,
        Core::ReporterCode,
        Core::FlowCode,
        Core::PartnerCode,
        Core::Partner2Code,
        Core::CmdCode,
        Core::CustomsCode,
        Core::MotCode,
    ];

    /// The column's name in the API and bulk layouts.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Core::RefYear => "refYear",
            Core::RefMonth => "refMonth",
            Core::FreqCode => "freqCode",
            Core::PrimaryValue => "primaryValue",
            Core::ReporterCode => "reporterCode",
            Core::FlowCode => "flowCode",
            Core::PartnerCode => "partnerCode",
            Core::Partner2Code => "partner2Code",
            Core::CmdCode => "cmdCode",
            Core::CustomsCode => "customsCode",
            Core::MotCode => "motCode",
        }
    }
}

/// The core fields of one row, checked, borrowed from its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CoreFields<'a> {
    pub(crate) ref_year: i32,
    pub(crate) ref_month: u32,
    pub(crate) freq_code: &'a str,
    pub(crate) primary_value_mills: i64,
    pub(crate) reporter_code: u32,
    pub(crate) flow_code: &'a str,
    pub(crate) partner_code: u32,
    pub(crate) partner2_code: u32,
    pub(crate) cmd_code: &'a str,
    /// `C00` (all procedures) when empty.
    pub(crate) customs_code: &'a str,
    /// 0 (all modes) when empty.
    pub(crate) mot_code: i32,
}

/// Check the core fields, read through `get`; a failure is `fail(column,
/// reason, message)` (the caller says where the column is). The one place the
/// Comtrade v1 rules for these fields live: the row reader and the streaming
/// totals reader both call it.
pub(crate) fn core_fields<'a>(
    get: impl Fn(Core) -> &'a str,
    fail: impl Fn(Core, &'static str, String) -> RowReject,
) -> Result<CoreFields<'a>, RowReject> {
    let number_reason = |m: &str| {
        if m.starts_with("empty") {
            "missing_value"
        } else {
            "bad_number"
        }
    };
    let req_int = |c: Core| -> Result<i64, RowReject> {
        text::parse_int::<i64>(get(c)).map_err(|m| fail(c, number_reason(&m), m))
    };
    let opt_int = |c: Core| -> Result<Option<i64>, RowReject> {
        text::parse_opt_int::<i64>(get(c)).map_err(|m| fail(c, "bad_number", m))
    };
    let code = |c: Core, v: i64| -> Result<u32, RowReject> {
        u32::try_from(v).map_err(|_| fail(c, "bad_number", format!("`{v}` is not a country code")))
    };
    let req_text = |c: Core| -> Result<&'a str, RowReject> {
        let v = text::trim(get(c));
        if v.is_empty() {
            Err(fail(
                c,
                "missing_value",
                "empty, a value is required".to_string(),
            ))
        } else {
            Ok(v)
        }
    };
    let ref_year = req_int(Core::RefYear)?;
    if !(1900..=2100).contains(&ref_year) {
        return Err(fail(
            Core::RefYear,
            "year_out_of_range",
            format!("{ref_year} is outside 1900..=2100"),
        ));
    }
    let ref_month = req_int(Core::RefMonth)?;
    let freq_code = match text::trim(get(Core::FreqCode)) {
        "" if ref_month == i64::from(ANNUAL_REF_MONTH) => "A",
        "" => "M",
        other => other,
    };
    let month_ok = match freq_code {
        "A" => ref_month == i64::from(ANNUAL_REF_MONTH),
        "M" => (1..=12).contains(&ref_month),
        _ => false,
    };
    if !month_ok {
        return Err(fail(
            Core::RefMonth,
            "bad_period",
            format!("refMonth {ref_month} does not fit freqCode `{freq_code}` (A needs 52, M needs 1-12)"),
        ));
    }
    let primary_value_mills = text::parse_mills(get(Core::PrimaryValue)).map_err(|e| {
        fail(
            Core::PrimaryValue,
            e.reason_or(number_reason(&e.message)),
            e.message,
        )
    })?;
    if primary_value_mills < 0 {
        return Err(fail(
            Core::PrimaryValue,
            "negative_value",
            "trade values cannot be negative".to_string(),
        ));
    }
    let reporter_code = code(Core::ReporterCode, req_int(Core::ReporterCode)?)?;
    let flow_code = req_text(Core::FlowCode)?;
    let partner_code = code(Core::PartnerCode, req_int(Core::PartnerCode)?)?;
    let partner2_code = match opt_int(Core::Partner2Code)? {
        None => 0,
        Some(v) => code(Core::Partner2Code, v)?,
    };
    let cmd_code = req_text(Core::CmdCode)?;
    let customs_code = match text::trim(get(Core::CustomsCode)) {
        "" => "C00",
        c => c,
    };
    let mot_code = match opt_int(Core::MotCode)? {
        None => 0,
        Some(v) => i32::try_from(v).map_err(|_| {
            fail(
                Core::MotCode,
                "bad_number",
                format!("`{v}` is out of range"),
            )
        })?,
    };
    Ok(CoreFields {
        ref_year: ref_year as i32,
        ref_month: ref_month as u32,
        freq_code,
        primary_value_mills,
        reporter_code,
        flow_code,
        partner_code,
        partner2_code,
        cmd_code,
        customs_code,
        mot_code,
    })
}

/// Parse one record from any layout.
fn parse_record(
    f: &dyn Fields,
    (line, column): (u64, u64),
    raw: String,
) -> Result<ComtradeRow, RowReject> {
    let raw = patronage_core::bound_owned(raw);
    let fail = |name: &str, reason: &'static str, msg: String| {
        let (_, pos) = f.get(name);
        let at = pos.map_or_else(
            || format!("field `{name}`"),
            |p| format!("column {p} `{name}`"),
        );
        RowReject::new(line, reason, format!("{at}: {msg}"), &raw).at_column(column)
    };
    let core = core_fields(
        |c| f.get(c.name()).0,
        |c, reason, msg| fail(c.name(), reason, msg),
    )?;
    let opt_int = |name: &str| -> Result<Option<i64>, RowReject> {
        text::parse_opt_int::<i64>(f.get(name).0).map_err(|m| fail(name, "bad_number", m))
    };
    let opt_f64 = |name: &str| -> Result<Option<f64>, RowReject> {
        text::parse_opt_f64(f.get(name).0).map_err(|m| fail(name, "bad_number", m))
    };
    let opt_bool = |name: &str| -> Result<bool, RowReject> {
        text::parse_opt_bool(f.get(name).0)
            .map(|b| b.unwrap_or(false))
            .map_err(|m| fail(name, "bad_boolean", m))
    };
    let opt_mills = |name: &str| -> Result<Option<i64>, RowReject> {
        let v = f.get(name).0;
        if v.trim().is_empty() {
            return Ok(None);
        }
        text::parse_mills(v)
            .map(Some)
            .map_err(|e| fail(name, e.reason_or("bad_number"), e.message))
    };
    let small = |name: &str, v: Option<i64>| -> Result<Option<i32>, RowReject> {
        v.map(|v| {
            i32::try_from(v).map_err(|_| fail(name, "bad_number", format!("`{v}` is out of range")))
        })
        .transpose()
    };
    let net_wgt_kg = opt_f64("netWgt")?;
    let qty = opt_f64("qty")?;
    for (name, v) in [("netWgt", net_wgt_kg), ("qty", qty)] {
        if v.is_some_and(|v| v < 0.0) {
            return Err(fail(
                name,
                "negative_value",
                "quantities cannot be negative".to_string(),
            ));
        }
    }
    Ok(ComtradeRow {
        line,
        column,
        freq_code: core.freq_code.to_string(),
        ref_year: core.ref_year,
        ref_month: core.ref_month,
        reporter_code: core.reporter_code,
        flow_code: core.flow_code.to_string(),
        partner_code: core.partner_code,
        partner2_code: core.partner2_code,
        classification: f.get("classificationCode").0.trim().to_string(),
        cmd_code: core.cmd_code.to_string(),
        aggr_level: small("aggrLevel", opt_int("aggrLevel")?)?,
        customs_code: core.customs_code.to_string(),
        mot_code: core.mot_code,
        qty_unit_code: small("qtyUnitCode", opt_int("qtyUnitCode")?)?,
        qty,
        net_wgt_kg,
        primary_value_mills: core.primary_value_mills,
        cif_value_mills: opt_mills("cifvalue")?,
        fob_value_mills: opt_mills("fobvalue")?,
        is_estimated: opt_bool("isQtyEstimated")? || opt_bool("isNetWgtEstimated")?,
        raw,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Readers index their column lists by `Core as usize`.
    #[test]
    fn core_columns_are_numbered_in_checking_order() {
        for (i, c) in Core::ALL.iter().enumerate() {
            assert_eq!(*c as usize, i, "{}", c.name());
        }
    }

    /// SYNTHETIC bulk TSV rows (the bulk layout's 34 columns; the figures
    /// mean nothing): `reporter`, `flow`, `partner`, `cmd`, `value`.
    fn bulk_line(reporter: &str, flow: &str, partner: &str, cmd: &str, value: &str) -> String {
        let mut f = vec![""; 34];
        let set = |f: &mut Vec<&str>, name: &str, v: &'static str| {
            let i = BULK_COLUMNS.iter().position(|c| *c == name).unwrap();
            f[i] = v;
        };
        for (name, v) in [
            ("datasetCode", "1"),
            ("typeCode", "C"),
            ("freqCode", "A"),
            ("refPeriodId", "20200101"),
            ("refYear", "2020"),
            ("refMonth", "52"),
            ("period", "2020"),
            ("partner2Code", "0"),
            ("classificationCode", "H6"),
            ("customsCode", "C00"),
            ("motCode", "0"),
            ("qtyUnitCode", "-1"),
            ("isQtyEstimated", "0"),
            ("isNetWgtEstimated", "0"),
        ] {
            set(&mut f, name, v);
        }
        let at = |name: &str| BULK_COLUMNS.iter().position(|c| *c == name).unwrap();
        let mut line: Vec<String> = f.iter().map(|s| s.to_string()).collect();
        line[at("reporterCode")] = reporter.to_string();
        line[at("flowCode")] = flow.to_string();
        line[at("partnerCode")] = partner.to_string();
        line[at("cmdCode")] = cmd.to_string();
        line[at("primaryValue")] = value.to_string();
        line.join("\t")
    }

    /// The streamed bulk reader (the one-pass scanner on plain text, the csv
    /// crate on any other) gives the rows, lines, raw text, rejects (line,
    /// column, raw text) and count the in-memory reader gives, on SYNTHETIC
    /// files with a BOM, CRLF and LF lines, blank lines, a trailing delimiter, a
    /// short row, a bad value, bytes that are not UTF-8, no final line feed, and
    /// (second file) a quoted field; and `stream_keeping` leaves out exactly the
    /// rows its test refuses, before they are checked.
    #[test]
    fn streamed_bulk_equals_in_memory() {
        let header = BULK_COLUMNS.join("\t");
        let rows = [
            bulk_line("643", "X", "408", "TOTAL", "1000.5"),
            bulk_line("156", "M", "408", "270112", "2.25") + "\t",
            String::new(),
            bulk_line("156", "M", "408", "2701", "x1"),
            "156\tM\t408".to_string(),
            bulk_line("4", "M", "8", "0101", "7"),
            bulk_line("4", "X", "8", "0101", "not a number"),
            bulk_line("408", "X", "156", "TOTAL", "12"),
        ];
        let last = bulk_line("408", "M", "156", "TOTAL", "3");
        let mut plain = format!("\u{feff}{header}\r\n");
        for (i, r) in rows.iter().enumerate() {
            plain.push_str(r);
            plain.push_str(if i % 2 == 0 { "\r\n" } else { "\n" });
        }
        let before_last = plain.len();
        plain.push_str(&last);
        let plain = plain.into_bytes();
        assert!(crate::plain::plain_text(&plain).is_some());
        // The same with a quoted field on line 5.
        let quoted = String::from_utf8(plain.clone())
            .unwrap()
            .replace("\t2701\t", "\t\"2701\"\t")
            .into_bytes();
        assert_ne!(quoted, plain);
        // The same with a row before the last whose commodity holds a byte
        // that is not UTF-8 (line 10).
        let mut not_utf8 = plain.clone();
        let mut bad = bulk_line("408", "M", "156", "27_1", "4").into_bytes();
        let i = bad.iter().position(|b| *b == b'_').unwrap();
        bad[i] = 0xFF;
        bad.extend_from_slice(b"\r\n");
        not_utf8.splice(before_last..before_last, bad);
        let path = Path::new("bulk.tsv");
        /// A file and its rows read, reject lines and kept lines, all rows and
        /// the DPRK's (counted by hand).
        struct Case<'a> {
            name: &'a str,
            bytes: &'a [u8],
            n: u64,
            reject_lines: &'a [u64],
            kept_lines: &'a [u64],
            focus_kept: &'a [u64],
            focus_rejects: &'a [u64],
        }
        let same = |name, bytes| Case {
            name,
            bytes,
            n: 8,
            reject_lines: &[5, 6, 8],
            kept_lines: &[2, 3, 7, 9, 10],
            focus_kept: &[2, 3, 9, 10],
            focus_rejects: &[5, 6],
        };
        let cases = [
            same("plain", &plain),
            same("quoted", &quoted),
            Case {
                name: "not UTF-8",
                bytes: &not_utf8,
                n: 9,
                reject_lines: &[5, 6, 8, 10],
                kept_lines: &[2, 3, 7, 9, 11],
                focus_kept: &[2, 3, 9, 11],
                focus_rejects: &[5, 6, 10],
            },
        ];
        for case in cases {
            let Case {
                name,
                bytes,
                n,
                reject_lines,
                kept_lines,
                focus_kept,
                focus_rejects,
            } = case;
            let whole = parse(path, bytes, Layout::BulkTsv).unwrap();
            let mut streamed = Extracted {
                rows: Vec::new(),
                rejects: Vec::new(),
                rows_read: 0,
            };
            let read = stream(path, bytes, Layout::BulkTsv, |x| {
                streamed.rows.extend(x.rows);
                streamed.rejects.extend(x.rejects);
            })
            .unwrap();
            assert_eq!(read, whole.rows_read, "{name}");
            assert_eq!(streamed.rows, whole.rows, "{name}");
            assert_eq!(streamed.rejects, whole.rejects, "{name}");
            // Counted by hand: the blank line 4 is no row; line 5's value `x1`,
            // line 6's 3 fields and line 8's value are rejects.
            assert_eq!(whole.rows_read, n, "{name}");
            let lines: Vec<u64> = whole.rejects.iter().map(|r| r.line).collect();
            assert_eq!(lines, reject_lines, "{name}: {:?}", whole.rejects);
            let kept: Vec<u64> = whole.rows.iter().map(|r| r.line).collect();
            assert_eq!(kept, kept_lines, "{name}");
            // The raw text is the row's fields, without the trailing delimiter.
            let line_3 = &rows[1][..rows[1].len() - 1];
            assert_eq!(whole.rows[1].raw, line_3, "{name}");
            assert_eq!(whole.rejects[1].raw, "156\tM\t408", "{name}");

            // Keeping the rows with the DPRK (408): the rows of 4 and 8 are left
            // out before their value is checked, so line 8 is no reject.
            let mut kept = Vec::new();
            let mut rejects = Vec::new();
            let mut left = 0;
            let read = stream_keeping(
                path,
                bytes,
                Layout::BulkTsv,
                |r, p| r == 408 || p == 408,
                |x, out| {
                    kept.extend(x.rows.into_iter().map(|r| r.line));
                    rejects.extend(x.rejects.into_iter().map(|r| r.line));
                    left += out;
                },
            )
            .unwrap();
            assert_eq!(read, n, "{name}");
            assert_eq!(left, 2, "{name}");
            assert_eq!(kept, focus_kept, "{name}");
            assert_eq!(rejects, focus_rejects, "{name}");
        }
    }

    fn json(text: &str) -> Result<Extracted<ComtradeRow>, ExtractError> {
        parse(Path::new("r.json"), text.as_bytes(), Layout::ApiJson)
    }

    const RECORD: &str = r#"{"freqCode": "A", "refYear": 2017, "refMonth": 52, "reporterCode": 643,
        "flowCode": "X", "partnerCode": 408, "partner2Code": 0, "cmdCode": "TOTAL",
        "customsCode": "C00", "motCode": 0, "primaryValue": 74200000.0, "fobvalue": 74200000.0}"#;

    #[test]
    fn json_envelope_checks() {
        let ok = json(&format!(
            "\u{feff}{{\"count\": 1, \"data\": [\n{RECORD}], \"error\": \"\"}}"
        ))
        .unwrap();
        assert_eq!(ok.rows.len(), 1);
        assert_eq!(ok.rows[0].line, 2);
        assert_eq!(ok.rows[0].fob_value_mills, Some(74_200_000_000));
        let e = json(r#"{"count": 0, "data": [], "error": "Too many requests"}"#).unwrap_err();
        assert_eq!(
            e.to_string(),
            "r.json:1: the API response carries an error: Too many requests"
        );
        let e = json(&format!(r#"{{"count": 2, "data": [{RECORD}]}}"#)).unwrap_err();
        assert!(
            e.to_string()
                .contains("`count` says 2 records but `data` holds 1"),
            "{e}"
        );
        let e = json(r#"{"elapsedTime": "0.1 secs"}"#).unwrap_err();
        assert!(e.to_string().contains("no `data` array"), "{e}");
        let e = json("").unwrap_err();
        assert!(
            e.to_string().starts_with("r.json:1: the file is empty"),
            "{e}"
        );
        let x = json(&format!("{{\"data\": [{RECORD},\n 7]}}")).unwrap();
        assert_eq!((x.rows.len(), x.rejects.len(), x.rows_read), (1, 1, 2));
        // RECORD spans three lines, so the 7 is on line 4.
        assert_eq!(
            (x.rejects[0].line, x.rejects[0].reason),
            (4, "not_a_record")
        );
    }

    #[test]
    fn record_problems_are_rejects_naming_the_field() {
        let bad = |from: &str, to: &str| {
            let x = json(&format!("{{\"data\": [{}]}}", RECORD.replace(from, to))).unwrap();
            assert!(x.rows.is_empty());
            let r = &x.rejects[0];
            (r.reason, r.detail.clone())
        };
        assert_eq!(
            bad("\"refMonth\": 52", "\"refMonth\": 13"),
            ("bad_period", "field `refMonth`: refMonth 13 does not fit freqCode `A` (A needs 52, M needs 1-12)".to_string())
        );
        assert_eq!(bad("2017", "1850").0, "year_out_of_range");
        assert_eq!(bad("74200000.0, \"fob", "-5.0, \"fob").0, "negative_value");
        assert_eq!(bad("\"X\"", "\"\"").0, "missing_value");
        assert_eq!(
            bad("\"partnerCode\": 408", "\"partnerCode\": -408").0,
            "bad_number"
        );
        assert_eq!(
            bad("\"motCode\": 0", "\"motCode\": \"air\"").1,
            "field `motCode`: `air` is not an integer"
        );
    }

    #[test]
    fn parsed_fields_are_api_columns() {
        for name in PARSED {
            assert!(API_COLUMNS.contains(&name), "{name}");
        }
        for name in BULK_COLUMNS {
            assert!(
                API_COLUMNS.contains(&api_name(name)) || name == "datasetCode",
                "{name}"
            );
        }
    }
}
