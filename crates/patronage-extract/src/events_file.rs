//! The events file: a cited timeline of sanctions, agreements, transport links
//! and visits, one per line of a CSV file.
//!
//! ```csv
//! date,kind,title,detail,citation
//! 2017-12-22,sanction,UN Security Council resolution 2397,"para 8: repatriate ... within 24 months","UNSCR 2397, https://..."
//! ```
//!
//! `date` is as precise as the source (YYYY-MM-DD, YYYY-MM or YYYY); `kind` is one
//! of sanction, agreement, transport, visit; `citation` is required.

use std::path::Path;

use patronage_core::labor::EventKind;
use patronage_core::RowReject;

use crate::delimited::{self, Dialect};
use crate::{text, ExtractError, Extracted};

/// Columns of the events file, in any order.
pub const COLUMNS: [&str; 5] = ["date", "kind", "title", "detail", "citation"];

/// One event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventEntry {
    /// Line in the file.
    pub line: u64,
    /// Date as published.
    pub date: String,
    /// Its year.
    pub year: i32,
    /// Kind.
    pub kind: EventKind,
    /// What happened.
    pub title: String,
    /// Terms that matter.
    pub detail: Option<String>,
    /// Citation.
    pub citation: String,
}

/// Read an events file.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Extracted<EventEntry>, ExtractError> {
    delimited::read(
        path,
        bytes,
        Dialect::new(b','),
        |h| {
            h.columns(
                path,
                &COLUMNS,
                "an events file has columns date,kind,title,detail,citation",
            )
        },
        |cols, row| {
            let f = |i: usize| row.fields[cols[i]].trim();
            let reject = |reason: &'static str, i: usize, msg: String| {
                RowReject::new(
                    row.line,
                    reason,
                    format!("column `{}`: {msg}", COLUMNS[i]),
                    &row.raw(b','),
                )
            };
            for i in [2, 4] {
                if f(i).is_empty() {
                    return Err(reject(
                        "missing_value",
                        i,
                        "empty, a value is required".into(),
                    ));
                }
            }
            let (year, date) =
                text::parse_partial_date(f(0)).map_err(|e| reject("bad_date", 0, e))?;
            let kind = EventKind::parse(f(1)).map_err(|e| reject("unknown_event_kind", 1, e))?;
            Ok(EventEntry {
                line: row.line,
                date,
                year,
                kind,
                title: f(2).to_string(),
                detail: Some(f(3).to_string()).filter(|s| !s.is_empty()),
                citation: f(4).to_string(),
            })
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_and_rejects() {
        let text = "date,kind,title,detail,citation\n\
                    2017-12-22,sanction,UNSCR 2397,deadline 2019-12-22,UN\n\
                    2017-05,transport,Ferry,,UPI\n\
                    22.12.2017,sanction,UNSCR 2397,,UN\n\
                    2017-03,treaty,Labor agreement,,UPI\n\
                    2017-03,agreement,Labor agreement,,\n";
        let x = parse(Path::new("e.csv"), text.as_bytes()).unwrap();
        assert_eq!(x.rows.len(), 2);
        assert_eq!(
            (x.rows[0].date.as_str(), x.rows[0].kind),
            ("2017-12-22", EventKind::Sanction)
        );
        assert_eq!(x.rows[1].year, 2017);
        let reasons: Vec<&str> = x.rejects.iter().map(|r| r.reason).collect();
        assert_eq!(reasons, ["bad_date", "unknown_event_kind", "missing_value"]);
        assert_eq!(x.rejects[2].line, 6);
    }
}
