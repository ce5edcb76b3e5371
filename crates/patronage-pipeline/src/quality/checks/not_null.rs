//! `not_null`: none of `columns` is null in any row (after `where`). Every row
//! with a null in one of them fails.
//!
//! ```toml
//! kind = "not_null"
//! columns = ["value_usd"]
//! ```

use polars::prelude::*;

use super::kind::{CheckKind, Context, Entry, Outcome};
use crate::PipelineError;

/// None of `columns` is null.
#[derive(Debug, Clone, PartialEq)]
pub struct NotNull {
    /// Columns that must hold a value.
    pub columns: Vec<String>,
}

impl CheckKind for NotNull {
    const NAME: &'static str = "not_null";
    const KEYS: &'static [&'static str] = &["columns"];

    fn parse(entry: &Entry<'_>) -> Result<Self, PipelineError> {
        let list = entry.raw.columns.as_ref();
        let columns = entry.columns(list.ok_or_else(|| entry.need("columns"))?)?;
        Ok(NotNull { columns })
    }

    fn evaluate(&self, rows: LazyFrame, cx: &Context<'_>) -> PolarsResult<Outcome> {
        let any_null = self
            .columns
            .iter()
            .map(|s| col(s.as_str()).is_null())
            .reduce(Expr::or)
            .unwrap_or(lit(false));
        let bad = rows.filter(any_null).collect()?;
        let detail = format!("{} not null{}", self.columns.join(", "), cx.filter);
        Outcome::bad_rows(&bad, detail, cx.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quality::checks::testing::{check, s};
    use crate::quality::checks::Kind;

    #[test]
    fn not_null_finds_its_rows() {
        let r = check(
            Kind::NotNull(NotNull {
                columns: s(&["value_usd"]),
            }),
            vec![],
        );
        assert_eq!(r.failing_rows, 1);
        assert!(r
            .sample
            .starts_with("source_id=b, source_file=g, source_line=6,"));
    }
}
