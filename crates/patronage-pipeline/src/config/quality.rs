//! The `[[checks]]` and `[[claims]]` entries as written in the pipeline file,
//! each value with its span so that a mistake names its line. They are read with
//! the rest of the file; `quality` checks them against the table contracts. A
//! check's bound keeps the number as written: an integer every digit of it.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

use serde::{Deserialize, Deserializer};
use toml::Spanned;

/// A number as written in the pipeline file: an integer keeps every digit
/// (`min = 9223372036854775807` is that integer, not the float nearest it), a
/// float is the float written (which may be `nan` or `inf`; the check using it
/// decides whether that is allowed).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
}

impl Number {
    /// The value as a float (an integer beyond 2^53 rounded to the nearest).
    pub fn as_f64(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Float(x) => x,
        }
    }

    /// Whether the value is a finite number (not `nan`, `inf` or `-inf`).
    pub fn is_finite(self) -> bool {
        match self {
            Number::Int(_) => true,
            Number::Float(x) => x.is_finite(),
        }
    }
}

impl fmt::Display for Number {
    /// Exactly: an integer with all its digits, a float as the shortest text
    /// that reads back as the same float.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::Int(i) => write!(f, "{i}"),
            Number::Float(x) => write!(f, "{x}"),
        }
    }
}

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Number;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Number, E> {
                Ok(Number::Int(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Number, E> {
                i64::try_from(v).map(Number::Int).map_err(|_| {
                    E::custom(format!("{v} is beyond the largest integer, {}", i64::MAX))
                })
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Number, E> {
                Ok(Number::Float(v))
            }
        }
        d.deserialize_any(Visitor)
    }
}

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
    pub min: Option<Spanned<Number>>,
    pub max: Option<Spanned<Number>>,
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
    /// A text column whose values among the rows used the verdict lists (the
    /// sources behind the figure).
    pub cite: Option<Spanned<String>>,
    /// Free text for readers of the file (why this tolerance, which measure);
    /// not used by the run.
    #[serde(rename = "note")]
    _note: Option<String>,
}
