//! Declarative data checks, as a pipeline file declares them (`[[checks]]`), and
//! their validation. A check names its table and columns by name: any table in the
//! data dictionary (`contracts::ALL_TABLES`) can be checked, including tables added
//! later, without code changes. Evaluation is in `check_run`.
//!
//! ```toml
//! [[checks]]
//! name = "trade_values_not_negative"   # unique; names the row of check_results
//! kind = "range"                       # see `Kind`
//! table = "trade_flows"
//! column = "value_usd"
//! min = 0                              # inclusive; max likewise
//! severity = "error"                   # or "warn"; default error
//! where = { flow = ["import", "export"] }   # optional: only rows matching every column
//! ```

use std::collections::BTreeMap;
use std::ops::Range;

use patronage_tables::contracts::{self, ColumnType, TableSpec};
use serde::Deserialize;
use toml::Spanned;

use crate::PipelineError;

/// How a failing check counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// A failure makes the run exit with code 1 (tables are still written).
    Error,
    /// A failure is reported and recorded, nothing more.
    Warn,
}

impl Severity {
    /// `error` or `warn`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warn => "warn",
        }
    }
}

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

/// What a check tests.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// No two rows share the values of `columns`.
    Unique {
        /// The columns that must identify a row.
        columns: Vec<String>,
    },
    /// None of `columns` is null.
    NotNull {
        /// Columns that must hold a value.
        columns: Vec<String>,
    },
    /// `column` holds only `values` (nulls pass: use `not_null` for them).
    AcceptedValues {
        /// The column.
        column: String,
        /// The values allowed.
        values: Vec<Literal>,
    },
    /// `min <= column <= max` (either bound may be absent; nulls pass).
    Range {
        /// A numeric column.
        column: String,
        /// Inclusive lower bound.
        min: Option<f64>,
        /// Inclusive upper bound.
        max: Option<f64>,
    },
    /// `column` holds ISO3 codes the country registry knows, valid in the row's
    /// `year_column` when one is given (SUN through 1991, RUS from 1992).
    Relationships {
        /// An ISO3 column.
        column: String,
        /// The year the code must be valid in.
        year_column: Option<String>,
    },
    /// The table (after `where`) has at least `min` rows.
    RowCountMin {
        /// Fewest rows allowed.
        min: u64,
    },
    /// The table (after `where`) has at most `max` rows; `max = 0` with a `where`
    /// says "no row like this", and the rows found are the failing rows.
    RowCountMax {
        /// Most rows allowed.
        max: u64,
    },
    /// The sum of `column` per group of `group_by`, divided by the group's declared
    /// denominator when `denominators` is given, lies within `min..=max`.
    GroupSum {
        /// Grouping columns.
        group_by: Vec<String>,
        /// The column summed.
        column: String,
        /// Declared denominators by the value of the one grouping column; groups
        /// without one are not checked.
        denominators: Option<BTreeMap<String, f64>>,
        /// Inclusive lower bound.
        min: Option<f64>,
        /// Inclusive upper bound.
        max: Option<f64>,
    },
    /// Where two or more values of `source_column` give `column` for the same
    /// `group_by` key, the largest and smallest differ by at most `tolerance_pct`
    /// percent of the largest.
    SourceAgreement {
        /// The key of a figure (reporter, partner, period, flow...).
        group_by: Vec<String>,
        /// The value compared.
        column: String,
        /// The column naming the source.
        source_column: String,
        /// Largest difference allowed, percent of the larger value.
        tolerance_pct: f64,
    },
}

impl Kind {
    /// Every kind, with the name used in pipeline files and `check_results`.
    pub const NAMES: [&'static str; 9] = [
        "unique",
        "not_null",
        "accepted_values",
        "range",
        "relationships",
        "row_count_min",
        "row_count_max",
        "group_sum",
        "source_agreement",
    ];

    /// The name used in pipeline files and `check_results`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Kind::Unique { .. } => "unique",
            Kind::NotNull { .. } => "not_null",
            Kind::AcceptedValues { .. } => "accepted_values",
            Kind::Range { .. } => "range",
            Kind::Relationships { .. } => "relationships",
            Kind::RowCountMin { .. } => "row_count_min",
            Kind::RowCountMax { .. } => "row_count_max",
            Kind::GroupSum { .. } => "group_sum",
            Kind::SourceAgreement { .. } => "source_agreement",
        }
    }
}

/// A validated check.
#[derive(Debug, Clone)]
pub struct CheckSpec {
    /// Unique name.
    pub name: String,
    /// The table checked.
    pub table: &'static TableSpec,
    /// What a failure counts as.
    pub severity: Severity,
    /// Only rows whose column values are among the listed ones (every column).
    pub filter: crate::filter::Filter,
    /// What is tested.
    pub kind: Kind,
}

/// A `[[checks]]` entry as written. Flat (every kind's keys optional) so that each
/// value keeps its line for error messages; `validate` refuses keys a kind does
/// not use.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCheck {
    name: Spanned<String>,
    kind: Spanned<String>,
    table: Spanned<String>,
    severity: Option<Spanned<String>>,
    #[serde(rename = "where")]
    filter: Option<Spanned<BTreeMap<String, toml::Value>>>,
    columns: Option<Spanned<Vec<String>>>,
    column: Option<Spanned<String>>,
    values: Option<Spanned<Vec<toml::Value>>>,
    min: Option<Spanned<f64>>,
    max: Option<Spanned<f64>>,
    year_column: Option<Spanned<String>>,
    group_by: Option<Spanned<Vec<String>>>,
    denominators: Option<Spanned<BTreeMap<String, f64>>>,
    source_column: Option<Spanned<String>>,
    tolerance_pct: Option<Spanned<f64>>,
    /// Free text for readers of the file; not used by the run.
    #[serde(rename = "description")]
    _description: Option<String>,
}

/// Builds a `PipelineError::Invalid` for a span of the pipeline file.
pub(crate) type Invalid<'a> = &'a dyn Fn(Range<usize>, String) -> PipelineError;

/// Validate the declared checks against the table contracts.
pub(crate) fn validate(
    raw: Vec<RawCheck>,
    invalid: Invalid<'_>,
) -> Result<Vec<CheckSpec>, PipelineError> {
    let mut out: Vec<CheckSpec> = Vec::with_capacity(raw.len());
    for r in raw {
        let span = r.name.span();
        let spec = validate_one(r, invalid)?;
        if out.iter().any(|o| o.name == spec.name) {
            return Err(invalid(
                span,
                format!("check `{}` is declared twice", spec.name),
            ));
        }
        out.push(spec);
    }
    Ok(out)
}

fn validate_one(r: RawCheck, invalid: Invalid<'_>) -> Result<CheckSpec, PipelineError> {
    let name = r.name.get_ref().clone();
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
    {
        return Err(invalid(
            r.name.span(),
            format!("check name `{name}` must be lower-case letters, digits, `_` or `-`"),
        ));
    }
    if name.starts_with(CONSERVATION_PREFIX) {
        return Err(invalid(
            r.name.span(),
            format!("check name `{name}`: names starting `{CONSERVATION_PREFIX}` are the built-in row accounting checks"),
        ));
    }
    let table_name = r.table.get_ref().as_str();
    let table = *contracts::ALL_TABLES
        .iter()
        .find(|t| t.name == table_name && t.name != contracts::CHECK_RESULTS.name)
        .ok_or_else(|| {
            let known: Vec<&str> = contracts::ALL_TABLES
                .iter()
                .map(|t| t.name)
                .filter(|n| *n != contracts::CHECK_RESULTS.name)
                .collect();
            invalid(
                r.table.span(),
                format!(
                    "check `{name}`: unknown table `{table_name}`; known: {}",
                    known.join(", ")
                ),
            )
        })?;
    let severity = match r.severity.as_ref().map(|s| s.get_ref().as_str()) {
        None | Some("error") => Severity::Error,
        Some("warn") => Severity::Warn,
        Some(other) => {
            return Err(invalid(
                r.severity.as_ref().map_or(0..0, Spanned::span),
                format!("check `{name}`: severity `{other}`: expected `error` or `warn`"),
            ))
        }
    };
    let owner = format!("check `{name}`");
    let column_of =
        |col: &str, span: Range<usize>| crate::filter::column_of(table, col, &owner, span, invalid);
    let numeric = |col: &str, span: Range<usize>| -> Result<String, PipelineError> {
        let c = column_of(col, span.clone())?;
        if matches!(
            c.dtype,
            ColumnType::Int32 | ColumnType::Int64 | ColumnType::Float64
        ) {
            Ok(col.to_string())
        } else {
            Err(invalid(
                span,
                format!(
                    "check `{name}`: column `{col}` is {}, not a number",
                    c.dtype.as_str()
                ),
            ))
        }
    };

    let filter = match &r.filter {
        Some(w) => crate::filter::parse(w, table, &format!("check `{name}`"), invalid)?,
        None => Vec::new(),
    };

    // Keys each kind uses; any other key given is an error.
    let given: [(&str, Option<Range<usize>>); 10] = [
        ("columns", r.columns.as_ref().map(Spanned::span)),
        ("column", r.column.as_ref().map(Spanned::span)),
        ("values", r.values.as_ref().map(Spanned::span)),
        ("min", r.min.as_ref().map(Spanned::span)),
        ("max", r.max.as_ref().map(Spanned::span)),
        ("year_column", r.year_column.as_ref().map(Spanned::span)),
        ("group_by", r.group_by.as_ref().map(Spanned::span)),
        ("denominators", r.denominators.as_ref().map(Spanned::span)),
        ("source_column", r.source_column.as_ref().map(Spanned::span)),
        ("tolerance_pct", r.tolerance_pct.as_ref().map(Spanned::span)),
    ];
    let kind_name = r.kind.get_ref().as_str();
    let uses: &[&str] = match kind_name {
        "unique" | "not_null" => &["columns"],
        "accepted_values" => &["column", "values"],
        "range" => &["column", "min", "max"],
        "relationships" => &["column", "year_column"],
        "row_count_min" => &["min"],
        "row_count_max" => &["max"],
        "group_sum" => &["group_by", "column", "denominators", "min", "max"],
        "source_agreement" => &["group_by", "column", "source_column", "tolerance_pct"],
        other => {
            return Err(invalid(
                r.kind.span(),
                format!(
                    "check `{name}`: unknown kind `{other}`; known: {}",
                    Kind::NAMES.join(", ")
                ),
            ))
        }
    };
    for (key, span) in &given {
        if let Some(span) = span {
            if !uses.contains(key) {
                return Err(invalid(
                    span.clone(),
                    format!("check `{name}`: `{key}` does not apply to kind `{kind_name}`"),
                ));
            }
        }
    }
    let need = |key: &str| {
        invalid(
            r.kind.span(),
            format!("check `{name}`: kind `{kind_name}` needs `{key}`"),
        )
    };
    let columns = |list: &Spanned<Vec<String>>| -> Result<Vec<String>, PipelineError> {
        if list.get_ref().is_empty() {
            return Err(invalid(
                list.span(),
                format!("check `{name}`: the list is empty"),
            ));
        }
        for c in list.get_ref() {
            column_of(c, list.span())?;
        }
        Ok(list.get_ref().clone())
    };
    let bound = |b: &Option<Spanned<f64>>| b.as_ref().map(|b| *b.get_ref());
    let count = |b: &Spanned<f64>| -> Result<u64, PipelineError> {
        let v = *b.get_ref();
        if v >= 0.0 && v.fract() == 0.0 && v <= u32::MAX as f64 {
            Ok(v as u64)
        } else {
            Err(invalid(
                b.span(),
                format!("check `{name}`: a row count must be a whole number >= 0, not {v}"),
            ))
        }
    };
    let both_bounds = |min: Option<f64>, max: Option<f64>| -> Result<(), PipelineError> {
        match (min, max) {
            (None, None) => Err(need("min` or `max")),
            (Some(a), Some(b)) if a > b => Err(invalid(
                r.min.as_ref().map_or(0..0, Spanned::span),
                format!("check `{name}`: min {a} is above max {b}"),
            )),
            _ => Ok(()),
        }
    };

    let kind = match kind_name {
        "unique" | "not_null" => {
            let cols = columns(r.columns.as_ref().ok_or_else(|| need("columns"))?)?;
            if kind_name == "unique" {
                Kind::Unique { columns: cols }
            } else {
                Kind::NotNull { columns: cols }
            }
        }
        "accepted_values" => {
            let c = r.column.as_ref().ok_or_else(|| need("column"))?;
            let spec = column_of(c.get_ref(), c.span())?;
            let v = r.values.as_ref().ok_or_else(|| need("values"))?;
            let values = v
                .get_ref()
                .iter()
                .map(|x| crate::filter::literal(x, spec.dtype))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|m| invalid(v.span(), format!("check `{name}`: values: {m}")))?;
            Kind::AcceptedValues {
                column: c.get_ref().clone(),
                values,
            }
        }
        "range" => {
            let c = r.column.as_ref().ok_or_else(|| need("column"))?;
            let (min, max) = (bound(&r.min), bound(&r.max));
            both_bounds(min, max)?;
            Kind::Range {
                column: numeric(c.get_ref(), c.span())?,
                min,
                max,
            }
        }
        "relationships" => {
            let c = r.column.as_ref().ok_or_else(|| need("column"))?;
            if column_of(c.get_ref(), c.span())?.dtype != ColumnType::Str {
                return Err(invalid(
                    c.span(),
                    format!(
                        "check `{name}`: `{}` is not a text column of ISO3 codes",
                        c.get_ref()
                    ),
                ));
            }
            let year_column = match &r.year_column {
                Some(y) => Some(numeric(y.get_ref(), y.span())?),
                None => None,
            };
            Kind::Relationships {
                column: c.get_ref().clone(),
                year_column,
            }
        }
        "row_count_min" => Kind::RowCountMin {
            min: count(r.min.as_ref().ok_or_else(|| need("min"))?)?,
        },
        "row_count_max" => Kind::RowCountMax {
            max: count(r.max.as_ref().ok_or_else(|| need("max"))?)?,
        },
        "group_sum" => {
            let g = r.group_by.as_ref().ok_or_else(|| need("group_by"))?;
            let group_by = columns(g)?;
            let c = r.column.as_ref().ok_or_else(|| need("column"))?;
            let (min, max) = (bound(&r.min), bound(&r.max));
            both_bounds(min, max)?;
            let denominators = match &r.denominators {
                None => None,
                Some(d) => {
                    if group_by.len() != 1 {
                        return Err(invalid(
                            d.span(),
                            format!("check `{name}`: `denominators` are keyed by one grouping column; `group_by` has {}", group_by.len()),
                        ));
                    }
                    if let Some((k, v)) = d
                        .get_ref()
                        .iter()
                        .find(|(_, v)| !v.is_finite() || **v <= 0.0)
                    {
                        return Err(invalid(
                            d.span(),
                            format!(
                                "check `{name}`: denominator for `{k}` is {v}; it must be above 0"
                            ),
                        ));
                    }
                    Some(d.get_ref().clone())
                }
            };
            Kind::GroupSum {
                group_by,
                column: numeric(c.get_ref(), c.span())?,
                denominators,
                min,
                max,
            }
        }
        "source_agreement" => {
            let g = r.group_by.as_ref().ok_or_else(|| need("group_by"))?;
            let group_by = columns(g)?;
            let c = r.column.as_ref().ok_or_else(|| need("column"))?;
            let source_column = match &r.source_column {
                Some(s) => {
                    column_of(s.get_ref(), s.span())?;
                    s.get_ref().clone()
                }
                None => {
                    column_of("source_id", r.table.span())?;
                    "source_id".to_string()
                }
            };
            let t = r
                .tolerance_pct
                .as_ref()
                .ok_or_else(|| need("tolerance_pct"))?;
            if !t.get_ref().is_finite() || *t.get_ref() < 0.0 {
                return Err(invalid(
                    t.span(),
                    format!("check `{name}`: tolerance_pct must be >= 0"),
                ));
            }
            Kind::SourceAgreement {
                group_by,
                column: numeric(c.get_ref(), c.span())?,
                source_column,
                tolerance_pct: *t.get_ref(),
            }
        }
        _ => unreachable!("kinds are matched above"),
    };
    Ok(CheckSpec {
        name,
        table,
        severity,
        filter,
        kind,
    })
}

/// Names of the built-in row accounting checks start with this, then the source id.
pub const CONSERVATION_PREFIX: &str = "conservation_";
