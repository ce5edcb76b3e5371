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

use crate::config::{Number, RawCheck};
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

    /// `min` and `max`: at least one, each a finite number (a comparison with
    /// `nan` is never true, so `max = nan` would pass every row), and not min
    /// above max.
    pub(super) fn bounds(&self) -> Result<(Option<Number>, Option<Number>), PipelineError> {
        for (key, b) in [("min", &self.raw.min), ("max", &self.raw.max)] {
            if let Some(b) = b.as_ref().filter(|b| !b.get_ref().is_finite()) {
                return Err(self.error(
                    b.span(),
                    format!(
                        "{key} = {}: a bound must be a finite number (no row compares with it, \
                         so every row would pass)",
                        b.get_ref()
                    ),
                ));
            }
        }
        let bound = |b: &Option<Spanned<Number>>| b.as_ref().map(|b| *b.get_ref());
        let (min, max) = (bound(&self.raw.min), bound(&self.raw.max));
        let above = |a: Number, b: Number| match (a, b) {
            (Number::Int(a), Number::Int(b)) => a > b,
            (a, b) => a.as_f64() > b.as_f64(),
        };
        match (min, max) {
            (None, None) => Err(self.need("min` or `max")),
            (Some(a), Some(b)) if above(a, b) => Err(self.error(
                self.raw.min.as_ref().map_or(0..0, Spanned::span),
                format!("min {a} is above max {b}"),
            )),
            _ => Ok((min, max)),
        }
    }

    /// A row count: a whole number >= 0.
    pub(super) fn count(&self, b: &Spanned<Number>) -> Result<u64, PipelineError> {
        let whole = match *b.get_ref() {
            Number::Int(i) => u64::try_from(i).ok(),
            Number::Float(v) => (v >= 0.0 && v.fract() == 0.0).then_some(v as u64),
        };
        match whole.filter(|n| *n <= u64::from(u32::MAX)) {
            Some(n) => Ok(n),
            None => Err(self.error(
                b.span(),
                format!(
                    "a row count must be a whole number >= 0, not {}",
                    b.get_ref()
                ),
            )),
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

#[cfg(test)]
mod tests {
    use std::ops::Range;

    use crate::config::{Number, RawCheck};
    use crate::quality::checks::testing::check;
    use crate::quality::checks::{validate, CheckSpec, Kind, Range as RangeKind, Status};
    use crate::PipelineError;

    /// Validate one `[[checks]]` entry of `trade_flows` named `c` whose kind
    /// keys are `rest`; the error as the user sees it (`p.toml:<line>: ...`).
    fn entry(rest: &str) -> Result<CheckSpec, String> {
        #[derive(serde::Deserialize)]
        struct File {
            checks: Vec<RawCheck>,
        }
        let text = format!("[[checks]]\nname = \"c\"\ntable = \"trade_flows\"\n{rest}");
        let file: File = toml::from_str(&text).map_err(|e| e.to_string())?;
        let invalid = |span: Range<usize>, message: String| PipelineError::Invalid {
            path: "p.toml".into(),
            line: 1 + text[..span.start].matches('\n').count(),
            message,
        };
        let mut specs = validate(file.checks, &invalid).map_err(|e| e.to_string())?;
        Ok(specs.remove(0))
    }

    /// `max = nan` passed every row: a comparison with NaN is never true. Every
    /// bound a check compares with must be finite, refused at its line when the
    /// pipeline is read.
    #[test]
    fn non_finite_check_bounds_are_refused_when_the_pipeline_is_read() {
        let cases = [
            (
                "kind = \"range\"\ncolumn = \"value_usd\"\nmax = nan\n",
                "p.toml:6: check `c`: max = NaN: a bound must be a finite number",
            ),
            (
                "kind = \"range\"\ncolumn = \"value_usd\"\nmin = -inf\nmax = 1\n",
                "p.toml:6: check `c`: min = -inf: a bound must be a finite number",
            ),
            (
                "kind = \"group_sum\"\ngroup_by = [\"year\"]\ncolumn = \"value_usd\"\nmin = +inf\n",
                "p.toml:7: check `c`: min = inf: a bound must be a finite number",
            ),
            (
                "kind = \"group_sum\"\ngroup_by = [\"year\"]\ncolumn = \"value_usd\"\n\
                 denominators = { 1992 = nan }\nmax = 1\n",
                "p.toml:7: check `c`: denominator for `1992` is NaN; it must be above 0",
            ),
            (
                "kind = \"source_agreement\"\ngroup_by = [\"year\"]\ncolumn = \"value_usd\"\n\
                 tolerance_pct = nan\n",
                "p.toml:7: check `c`: tolerance_pct must be a finite number >= 0, not NaN",
            ),
            (
                "kind = \"row_count_min\"\nmin = nan\n",
                "p.toml:5: check `c`: a row count must be a whole number >= 0, not NaN",
            ),
        ];
        for (rest, message) in cases {
            let e = entry(rest).unwrap_err();
            assert!(e.contains(message), "{rest}: {e}");
        }
        // Finite bounds are read as written.
        let spec =
            entry("kind = \"range\"\ncolumn = \"value_usd\"\nmin = 0\nmax = 1.5e3\n").unwrap();
        assert_eq!(
            spec.kind,
            Kind::Range(RangeKind {
                column: "value_usd".into(),
                min: Some(Number::Int(0)),
                max: Some(Number::Float(1500.0)),
            })
        );
    }

    /// `min = 9223372036854775807` was read as the float nearest it and shown as
    /// 9223372036854776000. It is kept as the integer written: shown with every
    /// digit, and compared exactly (every year of the test table lies below it,
    /// so all 5 rows fail; as a `max` on the int32 column `year`, none does).
    #[test]
    fn an_integer_bound_is_shown_and_compared_as_written() {
        let spec =
            entry("kind = \"range\"\ncolumn = \"year\"\nmin = 9223372036854775807\n").unwrap();
        let Kind::Range(r) = spec.kind else {
            panic!("{:?}", spec.kind)
        };
        assert_eq!(r.min, Some(Number::Int(i64::MAX)));
        let result = check(Kind::Range(r), vec![]);
        assert_eq!(result.detail, "year >= 9223372036854775807");
        assert_eq!(result.failing_rows, 5);
        let result = check(
            Kind::Range(RangeKind {
                column: "year".into(),
                min: Some(Number::Int(i64::MIN)),
                max: Some(Number::Int(i64::MAX)),
            }),
            vec![],
        );
        assert_eq!(
            result.detail,
            "year between -9223372036854775808 and 9223372036854775807"
        );
        assert_eq!((result.status, result.failing_rows), (Status::Pass, 0));
        let e = entry("kind = \"range\"\ncolumn = \"year\"\nmin = 9223372036854775807\nmax = 9223372036854775806\n")
            .unwrap_err();
        assert!(
            e.contains("min 9223372036854775807 is above max 9223372036854775806"),
            "{e}"
        );
    }
}
