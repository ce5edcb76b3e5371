//! The estimates ledger: figures of workers abroad that officials and the press
//! state rather than tabulate, one per line of a CSV file, each with its citation
//! and its hedge as published.
//!
//! ```csv
//! ref,year,as_of,host_iso3,origin_iso3,region,sector,measure,value,note,citation
//! lankov2006-loggers,2006,,RUS,PRK,,timber,workers_present,"about 8,000",loggers,"A. Lankov, Korea Times, 13 Nov 2006, https://..."
//! ```
//!
//! `value` is the number as published ("about 8,000", "more than 20,000", "under
//! 10,000", "~1,000", "40,000"); its hedge becomes the qualifier. `as_of`
//! (YYYY-MM-DD, YYYY-MM or YYYY) dates a stock and must fall in `year`. `measure`
//! and `sector` are from the closed lists of [`patronage_core::labor`]; an
//! unknown one is a reject naming the list.

use std::path::Path;

use patronage_core::labor::{Measure, Qualifier, Sector};
use patronage_core::RowReject;

use crate::delimited::{self, Dialect};
use crate::{text, ExtractError, Extracted};

/// Columns of the ledger, in any order.
pub const COLUMNS: [&str; 11] = [
    "ref",
    "year",
    "as_of",
    "host_iso3",
    "origin_iso3",
    "region",
    "sector",
    "measure",
    "value",
    "note",
    "citation",
];

/// One ledger entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    /// Line in the file.
    pub line: u64,
    /// The entry's id, unique in the file (becomes `source_ref`).
    pub reference: String,
    /// Year the figure belongs to.
    pub year: i32,
    /// Date of a stock, as precise as published.
    pub as_of: Option<String>,
    /// Host country as written.
    pub host_iso3: String,
    /// Workers' country as written.
    pub origin_iso3: String,
    /// Region of the host, when the figure covers one.
    pub region: Option<String>,
    /// Sector.
    pub sector: Sector,
    /// Measure.
    pub measure: Measure,
    /// The number.
    pub workers: u64,
    /// Its hedge.
    pub qualifier: Qualifier,
    /// What the figure covers.
    pub note: Option<String>,
    /// Who published it, where and when.
    pub citation: String,
    /// The line as read.
    pub raw: String,
}

/// Read a ledger file.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Extracted<LedgerEntry>, ExtractError> {
    let x = delimited::read(
        path,
        bytes,
        Dialect::new(b','),
        |h| {
            h.columns(
                path,
                &COLUMNS,
                "an estimates ledger has columns ref,year,as_of,host_iso3,origin_iso3,region,sector,measure,value,note,citation",
            )
        },
        |cols, row| {
            let f = |i: usize| row.fields[cols[i]].trim();
            let raw = row.raw(b',');
            let reject = |reason: &'static str, i: usize, msg: String| {
                RowReject::new(
                    row.line,
                    reason,
                    format!("column `{}`: {msg}", COLUMNS[i]),
                    &raw,
                )
            };
            let opt = |i: usize| Some(f(i).to_string()).filter(|s| !s.is_empty());
            for i in [0, 3, 4, 10] {
                if f(i).is_empty() {
                    return Err(reject(
                        "missing_value",
                        i,
                        "empty, a value is required".into(),
                    ));
                }
            }
            let year: i32 = text::parse_int(f(1)).map_err(|e| reject("bad_number", 1, e))?;
            let as_of = match opt(2) {
                None => None,
                Some(d) => {
                    let (y, d) =
                        text::parse_partial_date(&d).map_err(|e| reject("bad_date", 2, e))?;
                    if y != year {
                        return Err(reject(
                            "bad_date",
                            2,
                            format!("`{d}` is not in year {year}"),
                        ));
                    }
                    Some(d)
                }
            };
            let sector = Sector::parse(f(6)).map_err(|e| reject("unknown_sector", 6, e))?;
            let measure = Measure::parse(f(7)).map_err(|e| reject("unknown_measure", 7, e))?;
            let (workers, qualifier) =
                text::parse_qualified_count(f(8)).map_err(|e| reject("bad_number", 8, e))?;
            Ok(LedgerEntry {
                line: row.line,
                reference: f(0).to_string(),
                year,
                as_of,
                host_iso3: f(3).to_string(),
                origin_iso3: f(4).to_string(),
                region: opt(5),
                sector,
                measure,
                workers,
                qualifier,
                note: opt(9),
                citation: f(10).to_string(),
                raw: raw.clone(),
            })
        },
    )?;
    // A ref names one entry: a second use is a reject, not a silent duplicate.
    let mut out = Extracted {
        rows: Vec::with_capacity(x.rows.len()),
        rejects: x.rejects,
        rows_read: x.rows_read,
    };
    let mut seen = std::collections::BTreeMap::new();
    for e in x.rows {
        if let Some(first) = seen.get(&e.reference) {
            out.rejects.push(RowReject::new(
                e.line,
                "duplicate_ref",
                format!(
                    "column `ref`: `{}` is already used on line {first}",
                    e.reference
                ),
                &e.raw,
            ));
            continue;
        }
        seen.insert(e.reference.clone(), e.line);
        out.rows.push(e);
    }
    out.rejects.sort_by_key(|r| r.line);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str =
        "ref,year,as_of,host_iso3,origin_iso3,region,sector,measure,value,note,citation\n";

    #[test]
    fn entries_hedges_and_rejects() {
        let text = format!(
            "{HEAD}a,2006,,RUS,PRK,,timber,workers_present,\"about 8,000\",loggers,Lankov 2006\n\
             b,2019,2019-09,RUS,PRK,,all,workers_present,\"under 10,000\",,urdupoint\n\
             c,2017,,RUS,PRK,,all,workers,\"40,000\",,press\n\
             d,2017,2018-01,RUS,PRK,,all,estimate,\"40,000\",,press\n\
             e,2017,,RUS,PRK,,all,estimate,forty thousand,,press\n\
             a,2007,,RUS,PRK,,timber,workers_present,2000,,vladnews\n"
        );
        let x = parse(Path::new("l.csv"), text.as_bytes()).unwrap();
        assert_eq!(x.rows_read, 6);
        assert_eq!(x.rows.len(), 2);
        assert_eq!(
            (x.rows[0].workers, x.rows[0].qualifier),
            (8_000, Qualifier::About)
        );
        assert_eq!(x.rows[1].as_of.as_deref(), Some("2019-09"));
        assert_eq!(x.rows[1].qualifier, Qualifier::LessThan);
        let reasons: Vec<(u64, &str)> = x.rejects.iter().map(|r| (r.line, r.reason)).collect();
        assert_eq!(
            reasons,
            [
                (4, "unknown_measure"),
                (5, "bad_date"),
                (6, "bad_number"),
                (7, "duplicate_ref")
            ]
        );
        assert!(x.rejects[0]
            .detail
            .contains("column `measure`: unknown measure `workers`; known: work_permits_issued"));
    }
}
