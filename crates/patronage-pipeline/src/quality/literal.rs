//! Values and column names of a pipeline file, checked against a table contract:
//! a literal is typed by the column it is compared with, and a column name must be
//! one of the table's, or the error names the entry, the line and the columns there
//! are. Filters, checks and claims all read their values through this file; it
//! imports none of them.

use std::ops::Range;

use patronage_tables::contracts::{ColumnSpec, ColumnType, TableSpec};

use crate::PipelineError;

/// Builds a `PipelineError::Invalid` for a span of the pipeline file.
pub(crate) type Invalid<'a> = &'a dyn Fn(Range<usize>, String) -> PipelineError;

/// A literal from the pipeline file, typed by the column it is compared with.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// Text.
    Str(String),
    /// Integer (int32 and int64 columns).
    Int(i64),
    /// Number (float64 columns).
    Float(f64),
    /// Boolean.
    Bool(bool),
}

impl std::fmt::Display for Literal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Literal::Str(s) => write!(f, "{s:?}"),
            Literal::Int(i) => write!(f, "{i}"),
            Literal::Float(x) => write!(f, "{x}"),
            Literal::Bool(b) => write!(f, "{b}"),
        }
    }
}

/// A value of the pipeline file typed by the column it is compared with.
pub(crate) fn literal(v: &toml::Value, t: ColumnType) -> Result<Literal, String> {
    match (t, v) {
        (ColumnType::Str, toml::Value::String(s)) => Ok(Literal::Str(s.clone())),
        (ColumnType::Int32 | ColumnType::Int64, toml::Value::Integer(i)) => Ok(Literal::Int(*i)),
        (ColumnType::Float64, toml::Value::Integer(i)) => Ok(Literal::Float(*i as f64)),
        (ColumnType::Float64, toml::Value::Float(x)) => Ok(Literal::Float(*x)),
        (ColumnType::Bool, toml::Value::Boolean(b)) => Ok(Literal::Bool(*b)),
        (t, v) => Err(format!(
            "`{v}` is a {} but the column is {}",
            v.type_str(),
            t.as_str()
        )),
    }
}

/// The column named `column` of `table`, or an error listing the columns there are.
pub(crate) fn column_of<'t>(
    table: &'t TableSpec,
    column: &str,
    owner: &str,
    span: Range<usize>,
    invalid: Invalid<'_>,
) -> Result<&'t ColumnSpec, PipelineError> {
    table.column(column).ok_or_else(|| {
        let known: Vec<&str> = table.columns.iter().map(|c| c.name).collect();
        invalid(
            span,
            format!(
                "{owner}: table `{}` has no column `{column}`; columns: {}",
                table.name,
                known.join(", ")
            ),
        )
    })
}
