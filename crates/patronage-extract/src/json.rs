//! Shared pieces for JSON readers: a document checked for UTF-8 and syntax with
//! errors naming file, line and column, and the line and column where each
//! record of an array starts (for rejects and provenance).

use std::path::Path;

use serde::Deserialize;
use serde_json::value::RawValue;

use patronage_core::RowReject;

use crate::{text, ExtractError};

/// The text of a JSON file: UTF-16 refused by name, BOM removed, UTF-8 checked,
/// non-empty.
pub fn document<'a>(path: &Path, bytes: &'a [u8], what: &str) -> Result<&'a str, ExtractError> {
    text::refuse_utf16(path, bytes)?;
    let layout = |line: u64, message: String| ExtractError::Layout {
        path: path.to_path_buf(),
        line,
        message,
    };
    let bytes = text::strip_bom(bytes);
    let json = std::str::from_utf8(bytes).map_err(|e| {
        let line = 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64;
        layout(line, "the file is not UTF-8".to_string())
    })?;
    if json.trim().is_empty() {
        return Err(layout(1, format!("the file is empty: expected {what}")));
    }
    Ok(json)
}

/// Deserialize `json` as `T`, mapping a syntax or shape error to
/// [`ExtractError::Syntax`] with its line and column.
pub fn from_str<'a, T: Deserialize<'a>>(
    path: &Path,
    json: &'a str,
    what: &str,
) -> Result<T, ExtractError> {
    serde_json::from_str(json).map_err(|e| ExtractError::Syntax {
        path: path.to_path_buf(),
        line: e.line() as u64,
        column: e.column() as u64,
        message: {
            // serde_json appends " at line L column C", which the error already carries.
            let text = e.to_string();
            let text = text
                .split(" at line ")
                .next()
                .unwrap_or_default()
                .to_string();
            format!("not {what}: {}", patronage_core::quote_input(&text))
        },
    })
}

/// The fields of an element of a JSON array of records, as text by key (`""`
/// for null, numbers and booleans as JSON writes them), or the reject of an
/// element that is not an object of values, placed at `(line, column)`:
/// `array` names the array in the message, and `number_reason` is the reader's
/// reason for a number beyond what a float holds (a 400-digit value), which
/// serde_json refuses as the element's error.
pub fn record_fields(
    raw: &RawValue,
    (line, column): (u64, u64),
    array: &str,
    number_reason: &'static str,
) -> Result<std::collections::HashMap<String, String>, RowReject> {
    let text = raw.get();
    match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(text) {
        Ok(obj) => Ok(obj
            .into_iter()
            .map(|(k, v)| {
                let s = match v {
                    serde_json::Value::Null => String::new(),
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                };
                (k, s)
            })
            .collect()),
        Err(e) => {
            let why = e.to_string();
            let reason = if why.starts_with("number out of range") {
                number_reason
            } else {
                "not_a_record"
            };
            Err(RowReject::new(
                line,
                reason,
                format!(
                    "a `{array}` element is not a JSON object of values: {}",
                    patronage_core::quote_input(&why)
                ),
                text,
            )
            .at_column(column))
        }
    }
}

/// Turns borrowed [`RawValue`]s of one document into the line they start on and
/// the column on that line (1-based, in characters), counting once, front to
/// back. The column tells apart records written on one line, as an API response
/// saved as it came (minified) has them all.
pub struct LineTracker<'a> {
    json: &'a str,
    scanned: usize,
    line: u64,
    /// Characters between the start of the current line and `scanned`.
    column: u64,
}

impl<'a> LineTracker<'a> {
    /// A tracker over the document the values borrow from.
    pub fn new(json: &'a str) -> Self {
        LineTracker {
            json,
            scanned: 0,
            line: 1,
            column: 0,
        }
    }

    /// Line where `raw` starts; values must be asked for in document order.
    pub fn line_of(&mut self, raw: &RawValue) -> u64 {
        self.position_of(raw).0
    }

    /// Line and column (1-based, in characters) where `raw` starts; values must
    /// be asked for in document order.
    pub fn position_of(&mut self, raw: &RawValue) -> (u64, u64) {
        let base = self.json.as_ptr() as usize;
        let offset = (raw.get().as_ptr() as usize)
            .saturating_sub(base)
            .clamp(self.scanned, self.json.len());
        let seen = &self.json.as_bytes()[self.scanned..offset];
        // Characters are counted as the bytes that start one (not 10xxxxxx).
        let chars = |b: &[u8]| b.iter().filter(|c| (**c & 0xC0) != 0x80).count() as u64;
        match seen.iter().rposition(|b| *b == b'\n') {
            Some(last) => {
                self.line += seen.iter().filter(|b| **b == b'\n').count() as u64;
                self.column = chars(&seen[last + 1..]);
            }
            None => self.column += chars(seen),
        }
        self.scanned = offset;
        (self.line, self.column + 1)
    }

    /// Line of the first occurrence of `needle` in the document (1 when absent).
    pub fn line_of_text(json: &str, needle: &str) -> u64 {
        json.find(needle).map_or(1, |at| {
            1 + json.as_bytes()[..at]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u64
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_on_one_line_have_their_own_column() {
        // Minified: every record on line 1, each at its own column (characters,
        // so "é" counts once).
        let json = r#"{"é":[{"a":1},{"a":2}, {"a":3}]}"#;
        let v: std::collections::HashMap<&str, Vec<&RawValue>> =
            serde_json::from_str(json).unwrap();
        let mut t = LineTracker::new(json);
        let at: Vec<(u64, u64)> = v["é"].iter().map(|r| t.position_of(r)).collect();
        assert_eq!(at, [(1, 7), (1, 15), (1, 24)]);
        // Pretty-printed: one record per line, at its indentation.
        let json = "{\"d\": [\n    {\"a\": 1},\n    {\"a\": 2}\n]}";
        let v: std::collections::HashMap<&str, Vec<&RawValue>> =
            serde_json::from_str(json).unwrap();
        let mut t = LineTracker::new(json);
        let at: Vec<(u64, u64)> = v["d"].iter().map(|r| t.position_of(r)).collect();
        assert_eq!(at, [(2, 5), (3, 5)]);
    }
}
