//! What people read from a run: the claims verdicts as a terminal table
//! ([`claims_text`]) and one self-contained HTML report with inline SVG charts
//! ([`html`]). Both read the Parquet tables a run wrote, so they show exactly
//! what the manifest vouches for.

mod groups;
mod page;
pub mod svg;

use std::fs::File;
use std::path::{Path, PathBuf};

use patronage_tables::columns::{floats, strs};
use polars::prelude::*;

pub use page::html;

/// A table that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The file is missing or unreadable.
    #[error("{path}: {source}")]
    Io {
        /// The table file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not the table the report expects.
    #[error("{path}: {source} (is the output folder from this version of patronage? run `patronage run` again)")]
    Table {
        /// The table file.
        path: PathBuf,
        /// The cause.
        source: PolarsError,
    },
}

/// The tables a report shows, read from a run's output folder.
pub struct Tables {
    /// Output folder.
    pub dir: PathBuf,
    /// `patron_influence`.
    pub patron_influence: DataFrame,
    /// `trade_windows`.
    pub trade_windows: DataFrame,
    /// `aid_fulfillment`.
    pub aid_fulfillment: DataFrame,
    /// `labor_summary`.
    pub labor_summary: DataFrame,
    /// `events`.
    pub events: DataFrame,
    /// `claims`.
    pub claims: DataFrame,
    /// `trade_by_group`.
    pub trade_by_group: DataFrame,
    /// `commodity_group_bans`.
    pub commodity_group_bans: DataFrame,
    /// `manifest.json`, as written.
    pub manifest: String,
}

fn read(dir: &Path, table: &str) -> Result<DataFrame, ReportError> {
    let path = dir.join(format!("{table}.parquet"));
    let file = File::open(&path).map_err(|source| ReportError::Io {
        path: path.clone(),
        source,
    })?;
    ParquetReader::new(file)
        .finish()
        .map_err(|source| ReportError::Table { path, source })
}

impl Tables {
    /// Read the tables of the output folder `dir`.
    pub fn load(dir: &Path) -> Result<Tables, ReportError> {
        let manifest_path = dir.join("manifest.json");
        let manifest =
            std::fs::read_to_string(&manifest_path).map_err(|source| ReportError::Io {
                path: manifest_path,
                source,
            })?;
        Ok(Tables {
            dir: dir.to_path_buf(),
            patron_influence: read(dir, "patron_influence")?,
            trade_windows: read(dir, "trade_windows")?,
            aid_fulfillment: read(dir, "aid_fulfillment")?,
            labor_summary: read(dir, "labor_summary")?,
            events: read(dir, "events")?,
            claims: read(dir, "claims")?,
            trade_by_group: read(dir, "trade_by_group")?,
            commodity_group_bans: read(dir, "commodity_group_bans")?,
            manifest,
        })
    }

    fn error(&self, table: &str) -> impl Fn(PolarsError) -> ReportError + '_ {
        let path = self.dir.join(format!("{table}.parquet"));
        move |source| ReportError::Table {
            path: path.clone(),
            source,
        }
    }
}

/// One row of the `claims` table.
#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    /// Claim id.
    pub id: String,
    /// The statement.
    pub text: String,
    /// Who published it.
    pub source: String,
    /// Table, filter and measure, in words.
    pub computed_from: String,
    /// Published figure.
    pub expected: f64,
    /// Computed figure.
    pub computed: Option<f64>,
    /// Unit.
    pub unit: String,
    /// about, at_most, at_least.
    pub comparison: String,
    /// Allowed deviation.
    pub tolerance: f64,
    /// computed - expected.
    pub deviation: Option<f64>,
    /// In percent of expected.
    pub deviation_pct: Option<f64>,
    /// reproduced, deviates, not_computable.
    pub status: String,
    /// What the computation found, or why it could not be made.
    pub reason: String,
}

/// The claims of a `claims` frame, in its order.
pub fn claims(df: &DataFrame) -> PolarsResult<Vec<Claim>> {
    let s = |n: &str| strs(df, n);
    let (id, text, source, table, filter, column, measure) = (
        s("claim_id")?,
        s("text")?,
        s("source")?,
        s("table_name")?,
        s("filter")?,
        s("column")?,
        s("measure")?,
    );
    let (unit, comparison, status, reason) =
        (s("unit")?, s("comparison")?, s("status")?, s("reason")?);
    let (expected, computed, tolerance) = (
        floats(df, "expected")?,
        floats(df, "computed")?,
        floats(df, "tolerance")?,
    );
    let (deviation, deviation_pct) = (floats(df, "deviation")?, floats(df, "deviation_pct")?);
    let get = |v: &Vec<Option<String>>, i: usize| v[i].clone().unwrap_or_default();
    Ok((0..df.height())
        .map(|i| {
            let col = get(&column, i);
            let m = get(&measure, i);
            let what = if col.is_empty() {
                m
            } else {
                format!("{m} of {col}")
            };
            let f = get(&filter, i);
            let from = if f.is_empty() {
                format!("{} ({what})", get(&table, i))
            } else {
                format!("{} where {f} ({what})", get(&table, i))
            };
            Claim {
                id: get(&id, i),
                text: get(&text, i),
                source: get(&source, i),
                computed_from: from,
                expected: expected[i].unwrap_or(f64::NAN),
                computed: computed[i],
                unit: get(&unit, i),
                comparison: get(&comparison, i),
                tolerance: tolerance[i].unwrap_or(0.0),
                deviation: deviation[i],
                deviation_pct: deviation_pct[i],
                status: get(&status, i),
                reason: get(&reason, i),
            }
        })
        .collect())
}

/// A figure as the verdicts show it: up to 4 significant decimals, thousands
/// separated.
pub fn figure(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".to_string();
    }
    let decimals = if v.fract() == 0.0 {
        0
    } else if v.abs() >= 100.0 {
        1
    } else if v.abs() >= 1.0 {
        2
    } else {
        4
    };
    let s = format!("{:.*}", decimals, v.abs());
    let (int, frac) = s.split_once('.').map_or((s.as_str(), ""), |(a, b)| (a, b));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if v < 0.0 { "-" } else { "" };
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{frac}")
    }
}

/// What the claim states, in words: `73 percent (about, ±2)`.
pub fn stated(c: &Claim) -> String {
    let bound = match c.comparison.as_str() {
        "at_most" => "at most",
        "at_least" => "at least",
        _ => "about",
    };
    let tol = if c.tolerance > 0.0 {
        format!(", ±{}", figure(c.tolerance))
    } else {
        String::new()
    };
    format!("{bound} {} {}{tol}", figure(c.expected), c.unit)
}

/// How far off the computed figure is, in words: `-1.30 (-1.8%)`.
pub fn deviation_text(c: &Claim) -> String {
    match (c.deviation, c.deviation_pct) {
        (Some(d), Some(p)) => format!("{}{} ({p:+.1}%)", if d > 0.0 { "+" } else { "" }, figure(d)),
        (Some(d), None) => figure(d),
        _ => "—".to_string(),
    }
}

/// The verdicts as a readable terminal table: a summary line, then one block
/// per claim (status, id, statement, figures, what was computed).
pub fn claims_text(tables: &Tables) -> Result<String, ReportError> {
    let list = claims(&tables.claims).map_err(tables.error("claims"))?;
    let count = |s: &str| list.iter().filter(|c| c.status == s).count();
    let mut out = format!(
        "claims: {} ({} reproduced, {} deviate, {} not computable) from {}\n",
        list.len(),
        count("reproduced"),
        count("deviates"),
        count("not_computable"),
        tables.dir.join("claims.parquet").display()
    );
    if list.is_empty() {
        out.push_str("no [[claims]] are declared in the pipeline file\n");
    }
    for c in &list {
        let computed = c.computed.map_or("not computable".to_string(), |v| {
            format!("{} {}", figure(v), c.unit)
        });
        out.push_str(&format!(
            "\n{:<16} {}\n    claim:     {}\n    stated:    {}\n    computed:  {}   deviation: {}\n    from:      {}\n    found:     {}\n    source:    {}\n",
            c.status.to_uppercase(),
            c.id,
            c.text,
            stated(c),
            computed,
            deviation_text(c),
            c.computed_from,
            c.reason,
            c.source
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_read_as_people_write_them() {
        assert_eq!(figure(200000.0), "200,000");
        assert_eq!(figure(71.697862), "71.70");
        assert_eq!(figure(-1.302138), "-1.30");
        assert_eq!(figure(0.015452), "0.0155");
        assert_eq!(figure(14169952382.56), "14,169,952,382.6");
        assert_eq!(figure(f64::NAN), "n/a");
    }
}
