//! What a check kind is: a type that reads its own keys from a `[[checks]]` entry
//! whose common keys (name, table, severity, `where`) are already valid, and that
//! tests the rows of its table, giving the failing rows, a detail and a sample.
//! Every message an entry's mistake gives starts `check \`name\`: ` and names the
//! line of the value at fault. Kind files import this file and `render`, never
//! each other.

use std::ops::Range;

use patronage_tables::contracts::{ColumnSpec, ColumnType, TableSpec};
use polars::prelude::{DataFrame, LazyFrame, PolarsResult};
use toml::Spanned;

use crate::config::RawCheck;
use crate::quality::literal::{column_of, Invalid};
use crate::PipelineError;

/// One kind of check. The list in `checks/mod.rs` names every kind.
pub(crate) trait CheckKind: Sized {
    /// The name used in pipeline files and `check_results`.
    const NAME: &'static str;
    /// The keys of a `[[checks]]` entry this kind reads; any other kind key given
    /// is an error.
    const KEYS: &'static [&'static str];
    /// The kind from an entry that gives no key outside `KEYS`.
    fn parse(entry: &Entry<'_>) -> Result<Self, PipelineError>;
    /// Test `rows` (the table, after the check's `where`).
    fn evaluate(&self, rows: LazyFrame, cx: &Context<'_>) -> PolarsResult<Outcome>;
}

/// An entry being validated: what a kind reads its keys from, and the helpers
/// that word its mistakes.
pub(crate) struct Entry<'a> {
    /// The entry as written.
    pub(super) raw: &'a RawCheck,
    /// The check's name.
    pub(super) name: &'a str,
    /// The table checked (already known to the data dictionary).
    pub(super) table: &'static TableSpec,
    pub(super) invalid: Invalid<'a>,
}

impl Entry<'_> {
    /// An error at `span`: `check \`name\`: message`.
    pub(super) fn error(&self, span: Range<usize>, message: String) -> PipelineError {
        (self.invalid)(span, format!("check `{}`: {message}", self.name))
    }

    /// The kind needs `key` and the entry does not give it.
    pub(super) fn need(&self, key: &str) -> PipelineError {
        self.error(
            self.raw.kind.span(),
            format!("kind `{}` needs `{key}`", self.raw.kind.get_ref()),
        )
    }

    /// The `column` key, which the kind needs.
    pub(super) fn column_key(&self) -> Result<&Spanned<String>, PipelineError> {
        self.raw.column.as_ref().ok_or_else(|| self.need("column"))
    }

    /// The column `col` of the checked table.
    pub(super) fn column(
        &self,
        col: &str,
        span: Range<usize>,
    ) -> Result<&'static ColumnSpec, PipelineError> {
        let owner = format!("check `{}`", self.name);
        column_of(self.table, col, &owner, span, self.invalid)
    }

    /// `col`, when it is a numeric column of the checked table.
    pub(super) fn numeric(&self, col: &str, span: Range<usize>) -> Result<String, PipelineError> {
        let c = self.column(col, span.clone())?;
        if matches!(
            c.dtype,
            ColumnType::Int32 | ColumnType::Int64 | ColumnType::Float64
        ) {
            Ok(col.to_string())
        } else {
            Err(self.error(
                span,
                format!("column `{col}` is {}, not a number", c.dtype.as_str()),
            ))
        }
    }

    /// A non-empty list of columns of the checked table.
    pub(super) fn columns(
        &self,
        list: &Spanned<Vec<String>>,
    ) -> Result<Vec<String>, PipelineError> {
        if list.get_ref().is_empty() {
            return Err(self.error(list.span(), "the list is empty".to_string()));
        }
        for c in list.get_ref() {
            self.column(c, list.span())?;
        }
        Ok(list.get_ref().clone())
    }

    /// `min` and `max`: at least one, and not min above max.
    pub(super) fn bounds(&self) -> Result<(Option<f64>, Option<f64>), PipelineError> {
        let bound = |b: &Option<Spanned<f64>>| b.as_ref().map(|b| *b.get_ref());
        let (min, max) = (bound(&self.raw.min), bound(&self.raw.max));
        match (min, max) {
            (None, None) => Err(self.need("min` or `max")),
            (Some(a), Some(b)) if a > b => Err(self.error(
                self.raw.min.as_ref().map_or(0..0, Spanned::span),
                format!("min {a} is above max {b}"),
            )),
            _ => Ok((min, max)),
        }
    }

    /// A row count: a whole number >= 0.
    pub(super) fn count(&self, b: &Spanned<f64>) -> Result<u64, PipelineError> {
        let v = *b.get_ref();
        if v >= 0.0 && v.fract() == 0.0 && v <= u32::MAX as f64 {
            Ok(v as u64)
        } else {
            Err(self.error(
                b.span(),
                format!("a row count must be a whole number >= 0, not {v}"),
            ))
        }
    }
}

/// What an evaluation knows besides the rows.
pub(crate) struct Context<'a> {
    /// The table's key columns: samples of rows are in this order.
    pub(super) key: &'a [&'a str],
    /// ` where ...` (the check's `where` as text), or empty: ends a detail's test.
    pub(super) filter: &'a str,
}

/// What a kind found.
pub(crate) struct Outcome {
    /// Rows that fail.
    pub(super) failing: u64,
    /// What was tested, and what was found.
    pub(super) detail: String,
    /// Failing rows as text, one per line (shown only when the check fails).
    pub(super) sample: String,
    /// Fails with no failing row (a row count below its minimum).
    pub(super) fail_anyway: bool,
}

impl Outcome {
    /// Fails when `failing` is above 0.
    pub(super) fn rows(failing: u64, detail: String, sample: String) -> Self {
        Outcome {
            failing,
            detail,
            sample,
            fail_anyway: false,
        }
    }

    /// Fails when `bad` (the rows that break the rule) has a row; a sample of
    /// them by the table's key.
    pub(super) fn bad_rows(bad: &DataFrame, detail: String, key: &[&str]) -> PolarsResult<Self> {
        Ok(Outcome::rows(
            bad.height() as u64,
            detail,
            super::render::sample_rows(bad, key)?,
        ))
    }
}
