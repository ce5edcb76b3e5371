//! `accepted_values`: `column` holds only `values`, typed by the column. Nulls
//! pass (`not_null` is the check for them); every other row fails.
//!
//! ```toml
//! kind = "accepted_values"
//! column = "flow"
//! values = ["import", "export"]
//! ```

use polars::prelude::*;

use super::kind::{CheckKind, Context, Entry, Outcome};
use crate::quality::filter::one_of;
use crate::quality::literal::{literal, Literal};
use crate::PipelineError;

/// `column` holds only `values` (nulls pass: use `not_null` for them).
#[derive(Debug, Clone, PartialEq)]
pub struct AcceptedValues {
    /// The column.
    pub column: String,
    /// The values allowed.
    pub values: Vec<Literal>,
}

impl CheckKind for AcceptedValues {
    const NAME: &'static str = "accepted_values";
    const KEYS: &'static [&'static str] = &["column", "values"];

    fn parse(entry: &Entry<'_>) -> Result<Self, PipelineError> {
        let c = entry.column_key()?;
        let spec = entry.column(c.get_ref(), c.span())?;
        let v = entry
            .raw
            .values
            .as_ref()
            .ok_or_else(|| entry.need("values"))?;
        let values = v
            .get_ref()
            .iter()
            .map(|x| literal(x, spec.dtype))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|m| entry.error(v.span(), format!("values: {m}")))?;
        Ok(AcceptedValues {
            column: c.get_ref().clone(),
            values,
        })
    }

    fn evaluate(&self, rows: LazyFrame, cx: &Context<'_>) -> PolarsResult<Outcome> {
        let column = &self.column;
        let bad = rows
            .filter(
                col(column.as_str())
                    .is_not_null()
                    .and(one_of(column, &self.values).not()),
            )
            .collect()?;
        let v: Vec<String> = self.values.iter().map(ToString::to_string).collect();
        let detail = format!("{column} in [{}]{}", v.join(", "), cx.filter);
        Outcome::bad_rows(&bad, detail, cx.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quality::checks::testing::check;
    use crate::quality::checks::Kind;

    #[test]
    fn accepted_values_find_their_rows() {
        let r = check(
            Kind::AcceptedValues(AcceptedValues {
                column: "flow".into(),
                values: vec![Literal::Str("import".into()), Literal::Str("export".into())],
            }),
            vec![],
        );
        assert_eq!(r.failing_rows, 1);
        assert!(r.sample.contains("flow=barter"), "{}", r.sample);
    }
}
