//! Shared pieces for JSON readers: a document checked for UTF-8 and syntax with
//! errors naming file, line and column, and the line where each record of an
//! array starts (for rejects and provenance).

use std::path::Path;

use serde::Deserialize;
use serde_json::value::RawValue;

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
            format!("not {what}: {text}")
        },
    })
}

/// Turns borrowed [`RawValue`]s of one document into the line they start on,
/// counting newlines once, front to back.
pub struct LineTracker<'a> {
    json: &'a str,
    scanned: usize,
    line: u64,
}

impl<'a> LineTracker<'a> {
    /// A tracker over the document the values borrow from.
    pub fn new(json: &'a str) -> Self {
        LineTracker {
            json,
            scanned: 0,
            line: 1,
        }
    }

    /// Line where `raw` starts; values must be asked for in document order.
    pub fn line_of(&mut self, raw: &RawValue) -> u64 {
        let base = self.json.as_ptr() as usize;
        let offset = (raw.get().as_ptr() as usize)
            .saturating_sub(base)
            .clamp(self.scanned, self.json.len());
        self.line += self.json.as_bytes()[self.scanned..offset]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64;
        self.scanned = offset;
        self.line
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
