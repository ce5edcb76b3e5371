//! The legacy UN Comtrade API's JSON response (`http://comtrade.un.org/api/get`,
//! retired in 2023), as comtradr before 1.0 and many archives saved it:
//!
//! ```text
//! {"validation": {"status": {"name": "Ok", "value": 0, ...}, "message": null,
//!                 "count": {"value": 2, ...}, ...},
//!  "dataset": [{"pfCode": "H4", "yr": 2016, "period": 2016, "rgCode": 1,
//!               "rtCode": 36, "rtTitle": "Australia", "ptCode": 0, "ptTitle": "World",
//!               "cmdCode": "01", "TradeValue": 91128858, "estCode": 0, ...}, ...]}
//! ```
//!
//! Each record holds the 35 fields of the legacy download CSV under their API
//! names, and is checked by the same rules ([`crate::comtrade_legacy`]), so a
//! field means the same in both layouts. The response is refused, naming the
//! line, when its `validation.status` is not 0 ("Ok": an error such as 5003
//! "Result too large" or a usage limit) or when `validation.count.value` is not
//! the number of records in `dataset` (a response cut at the API's `max`). World
//! rows (`ptCode` 0) are read like any other: the normalizer drops them.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::comtrade_legacy::{parse_record, LegacyLayout, LegacyRow, Record};
use crate::{ExtractError, Extracted};

/// Each role of a legacy record and its key in the API's JSON.
pub const FIELDS: [(&str, &str); 18] = [
    ("year", "yr"),
    ("period", "period"),
    ("flow", "rgCode"),
    ("reporter", "rtCode"),
    ("partner", "ptCode"),
    ("partner2", "ptCode2"),
    ("customs", "cstCode"),
    ("mot", "motCode"),
    ("classification", "pfCode"),
    ("commodity", "cmdCode"),
    ("level", "aggrLevel"),
    ("unit", "qtCode"),
    ("qty", "TradeQuantity"),
    ("weight", "NetWeight"),
    ("value", "TradeValue"),
    ("cif", "CIFValue"),
    ("fob", "FOBValue"),
    ("flag", "estCode"),
];

const WHAT: &str = "a legacy Comtrade API response";

#[derive(Deserialize)]
struct Envelope<'a> {
    validation: Option<Validation>,
    #[serde(borrow)]
    dataset: Option<Vec<&'a RawValue>>,
    /// A Comtrade v1 response has `data` where this one has `dataset`.
    #[serde(borrow)]
    data: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Validation {
    status: Option<Status>,
    message: Option<serde_json::Value>,
    count: Option<Count>,
}

#[derive(Deserialize)]
struct Status {
    name: Option<String>,
    value: Option<i64>,
    description: Option<String>,
}

#[derive(Deserialize)]
struct Count {
    value: Option<u64>,
}

/// One record's fields as text ("" for null), by API key.
struct JsonRecord(HashMap<String, String>);

impl Record for JsonRecord {
    fn get(&self, role: &str) -> &str {
        FIELDS
            .iter()
            .find(|(r, _)| *r == role)
            .and_then(|(_, key)| self.0.get(*key))
            .map_or("", String::as_str)
    }

    fn place(&self, role: &str) -> String {
        let key = FIELDS
            .iter()
            .find(|(r, _)| *r == role)
            .map_or(role, |(_, k)| k);
        format!("field `{key}`")
    }
}

/// Read a legacy Comtrade API response's bytes; `path` is used in messages.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Extracted<LegacyRow>, ExtractError> {
    let json = crate::json::document(path, bytes, WHAT)?;
    let env: Envelope = crate::json::from_str(path, json, WHAT)?;
    let layout = |needle: &str, message: String| ExtractError::Layout {
        path: path.to_path_buf(),
        line: crate::json::LineTracker::line_of_text(json, needle),
        message,
    };
    let validation = env.validation.as_ref();
    if let Some(status) = validation.and_then(|v| v.status.as_ref()) {
        if status.value.is_some_and(|v| v != 0) {
            let message = validation
                .and_then(|v| v.message.as_ref())
                .and_then(serde_json::Value::as_str)
                .or(status.description.as_deref())
                .unwrap_or("");
            return Err(layout(
                "\"status\"",
                format!(
                    "the API response carries an error: status {} `{}`{}",
                    status.value.unwrap_or_default(),
                    patronage_core::quote_input(status.name.as_deref().unwrap_or("")),
                    if message.trim().is_empty() {
                        String::new()
                    } else {
                        format!(": {}", patronage_core::quote_input(message))
                    }
                ),
            ));
        }
    }
    let Some(dataset) = env.dataset else {
        return Err(layout(
            "\"data",
            if env.data.is_some() {
                "a `data` array and no `dataset`: this is a Comtrade v1 API response; declare format = \"comtrade_v1_json\"".to_string()
            } else {
                "no `dataset` array: not a legacy Comtrade API response ({\"validation\": ..., \"dataset\": [...]})".to_string()
            },
        ));
    };
    let count = validation
        .and_then(|v| v.count.as_ref())
        .and_then(|c| c.value);
    if let Some(count) = count {
        if count != dataset.len() as u64 {
            return Err(layout(
                "\"count\"",
                format!(
                    "`validation.count.value` says {count} records but `dataset` holds {} (a response cut at the API's `max`, or edited?)",
                    dataset.len()
                ),
            ));
        }
    }
    let mut lines = crate::json::LineTracker::new(json);
    let mut rows = Vec::with_capacity(dataset.len());
    let mut rejects = Vec::new();
    for raw in &dataset {
        let (line, column) = lines.position_of(raw);
        let text = raw.get();
        let record = match crate::json::record_fields(raw, (line, column), "dataset", "bad_field") {
            Ok(f) => JsonRecord(f),
            Err(r) => {
                rejects.push(r);
                continue;
            }
        };
        match parse_record(
            LegacyLayout::ApiJson,
            (line, column),
            &record,
            patronage_core::bound_text(text),
        ) {
            Ok(r) => rows.push(r),
            Err(r) => rejects.push(r),
        }
    }
    Ok(Extracted {
        rows,
        rejects,
        rows_read: dataset.len() as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Extracted<LegacyRow>, ExtractError> {
        parse(Path::new("r.json"), text.as_bytes())
    }

    /// The record of the legacy API's documentation sample (Brazil's 2016
    /// exports of live animals to India, in the layout comtrade.un.org returned).
    const RECORD: &str = r#"{"pfCode": "H4", "yr": 2016, "period": 2016, "periodDesc": "2016", "aggrLevel": 2, "IsLeaf": 0, "rgCode": 2, "rgDesc": "Export", "rtCode": 76, "rtTitle": "Brazil", "rt3ISO": "BRA", "ptCode": 699, "ptTitle": "India", "pt3ISO": "IND", "ptCode2": null, "ptTitle2": "", "pt3ISO2": "", "cstCode": "", "cstDesc": "", "motCode": "", "motDesc": "", "cmdCode": "01", "cmdDescE": "Animals; live", "qtCode": 1, "qtDesc": "No Quantity", "qtAltCode": null, "qtAltDesc": "", "TradeQuantity": null, "AltQuantity": null, "NetWeight": null, "GrossWeight": null, "TradeValue": 684747, "CIFValue": null, "FOBValue": null, "estCode": 0}"#;

    fn envelope(status: i64, count: usize, records: &[&str]) -> String {
        format!(
            r#"{{"validation": {{"status": {{"name": "Ok", "value": {status}, "category": 0, "description": "", "helpUrl": ""}}, "message": null, "count": {{"value": {count}}}}},
"dataset": [{}]}}"#,
            records.join(",\n")
        )
    }

    #[test]
    fn a_record_reads_as_the_download_row() {
        let x = read(&envelope(0, 1, &[RECORD])).unwrap();
        assert_eq!((x.rows_read, x.rows.len(), x.rejects.len()), (1, 1, 0));
        let r = &x.rows[0];
        assert_eq!((r.line, r.column, r.layout), (2, 13, LegacyLayout::ApiJson));
        assert_eq!(
            (
                r.year,
                r.month,
                r.flow_code,
                r.reporter_code,
                r.partner_code
            ),
            (2016, None, 2, 76, 699)
        );
        assert_eq!(
            (
                r.classification.as_str(),
                r.commodity_code.as_str(),
                r.aggregate_level
            ),
            ("H4", "01", Some(2))
        );
        assert_eq!(
            (r.value_mills, r.partner2_code, r.qty_unit_code),
            (684_747_000, None, None)
        );
    }

    #[test]
    fn error_statuses_and_cut_responses_are_refused() {
        let e = read(
            r#"{"validation": {"status": {"name": "Result too large", "value": 5003, "description": "You must add more conditions"}, "message": "Result too large: you do not have permissions to access such a large resultset.", "count": {"value": 250000}},
"dataset": []}"#,
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            e,
            "r.json:1: the API response carries an error: status 5003 `Result too large`: Result too large: you do not have permissions to access such a large resultset."
        );
        let e = read(&envelope(0, 3, &[RECORD])).unwrap_err().to_string();
        assert!(e.contains("says 3 records but `dataset` holds 1"), "{e}");
        let e = read(r#"{"elapsedTime": "0.1 secs", "count": 0, "data": [], "error": ""}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("declare format = \"comtrade_v1_json\""), "{e}");
    }

    #[test]
    fn bad_fields_are_rejects_naming_the_api_field() {
        let bad = RECORD.replace("\"ptCode\": 699", "\"ptCode\": \"IND\"");
        let x = read(&envelope(0, 2, &[RECORD, &bad])).unwrap();
        assert_eq!((x.rows.len(), x.rejects.len()), (1, 1));
        let r = &x.rejects[0];
        assert_eq!((r.line, r.reason), (3, "bad_field"));
        assert_eq!(
            r.detail,
            "field `ptCode` (partner): `IND` is not an integer"
        );
        let fine = RECORD.replace("684747", "684747.0005");
        let x = read(&envelope(0, 1, &[&fine])).unwrap();
        assert_eq!(x.rejects[0].reason, "value_precision");
    }
}
