//! The `[[checks]]` and `[[claims]]` entries as written in the pipeline file,
//! each value with its span so that a mistake names its line. They are read with
//! the rest of the file; `quality` checks them against the table contracts.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

/// A `[[checks]]` entry as written. Flat (every kind's keys optional) so that each
/// value keeps its line for error messages; validation refuses keys a kind does
/// not use.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCheck {
    pub name: Spanned<String>,
    pub kind: Spanned<String>,
    pub table: Spanned<String>,
    pub severity: Option<Spanned<String>>,
    #[serde(rename = "where")]
    pub filter: Option<Spanned<BTreeMap<String, toml::Value>>>,
    pub columns: Option<Spanned<Vec<String>>>,
    pub column: Option<Spanned<String>>,
    pub values: Option<Spanned<Vec<toml::Value>>>,
    pub min: Option<Spanned<f64>>,
    pub max: Option<Spanned<f64>>,
    pub year_column: Option<Spanned<String>>,
    pub group_by: Option<Spanned<Vec<String>>>,
    pub denominators: Option<Spanned<BTreeMap<String, f64>>>,
    pub source_column: Option<Spanned<String>>,
    pub tolerance_pct: Option<Spanned<f64>>,
    /// Free text for readers of the file; not used by the run.
    #[serde(rename = "description")]
    _description: Option<String>,
}

impl RawCheck {
    /// The keys a kind may read, in the order they are reported when misplaced,
    /// with the span of each one given.
    pub fn kind_keys(&self) -> [(&'static str, Option<Range<usize>>); 10] {
        [
            ("columns", self.columns.as_ref().map(Spanned::span)),
            ("column", self.column.as_ref().map(Spanned::span)),
            ("values", self.values.as_ref().map(Spanned::span)),
            ("min", self.min.as_ref().map(Spanned::span)),
            ("max", self.max.as_ref().map(Spanned::span)),
            ("year_column", self.year_column.as_ref().map(Spanned::span)),
            ("group_by", self.group_by.as_ref().map(Spanned::span)),
            (
                "denominators",
                self.denominators.as_ref().map(Spanned::span),
            ),
            (
                "source_column",
                self.source_column.as_ref().map(Spanned::span),
            ),
            (
                "tolerance_pct",
                self.tolerance_pct.as_ref().map(Spanned::span),
            ),
        ]
    }
}

/// A `[[claims]]` entry as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawClaim {
    pub id: Spanned<String>,
    pub text: Spanned<String>,
    pub source: Spanned<String>,
    pub table: Spanned<String>,
    #[serde(rename = "where")]
    pub filter: Option<Spanned<BTreeMap<String, toml::Value>>>,
    pub column: Option<Spanned<String>>,
    pub measure: Option<Spanned<String>>,
    pub expected: Spanned<f64>,
    pub unit: Spanned<String>,
    pub tolerance: Spanned<f64>,
    pub comparison: Option<Spanned<String>>,
    pub numerator: Option<Spanned<BTreeMap<String, toml::Value>>>,
    pub denominator: Option<Spanned<BTreeMap<String, toml::Value>>>,
    pub per: Option<Spanned<String>>,
    /// Free text for readers of the file (why this tolerance, which measure);
    /// not used by the run.
    #[serde(rename = "note")]
    _note: Option<String>,
}
