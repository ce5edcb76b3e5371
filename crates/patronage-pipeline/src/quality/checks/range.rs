//! `range`: `min <= column <= max` for a numeric column, either bound optional,
//! both inclusive. Nulls pass; every row outside fails.
//!
//! ```toml
//! kind = "range"
//! column = "value_usd"
//! min = 0
//! ```

use polars::prelude::*;

use super::kind::{CheckKind, Context, Entry, Outcome};
use super::render::fmt_bound;
use crate::config::Number;
use crate::PipelineError;

/// `min <= column <= max` (either bound may be absent; nulls pass).
#[derive(Debug, Clone, PartialEq)]
pub struct Range {
    /// A numeric column.
    pub column: String,
    /// Inclusive lower bound.
    pub min: Option<Number>,
    /// Inclusive upper bound.
    pub max: Option<Number>,
}

impl Range {
    /// Whether the column lies below (`below`) or above the bound `b`: an
    /// integer bound is compared as written (an integer column as integers,
    /// exactly), a float bound with the column as floats.
    fn beyond(&self, b: Number, below: bool) -> Expr {
        let c = col(self.column.as_str());
        let (x, b) = match b {
            Number::Int(i) => (c, lit(i)),
            Number::Float(f) => (c.cast(DataType::Float64), lit(f)),
        };
        if below {
            x.lt(b)
        } else {
            x.gt(b)
        }
    }
}

impl CheckKind for Range {
    const NAME: &'static str = "range";
    const KEYS: &'static [&'static str] = &["column", "min", "max"];

    fn parse(entry: &Entry<'_>) -> Result<Self, PipelineError> {
        let c = entry.column_key()?;
        let (min, max) = entry.bounds()?;
        Ok(Range {
            column: entry.numeric(c.get_ref(), c.span())?,
            min,
            max,
        })
    }

    fn evaluate(&self, rows: LazyFrame, cx: &Context<'_>) -> PolarsResult<Outcome> {
        let mut out_of = lit(false);
        if let Some(m) = self.min {
            out_of = out_of.or(self.beyond(m, true));
        }
        if let Some(m) = self.max {
            out_of = out_of.or(self.beyond(m, false));
        }
        let bad = rows.filter(out_of).collect()?;
        let detail = format!(
            "{} {}{}",
            self.column,
            fmt_bound(self.min, self.max),
            cx.filter
        );
        Outcome::bad_rows(&bad, detail, cx.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quality::checks::testing::check;
    use crate::quality::checks::Kind;
    use crate::quality::literal::Literal;

    #[test]
    fn range_finds_its_rows() {
        // Nulls pass a range; -1 fails min 0.
        let r = check(
            Kind::Range(Range {
                column: "value_usd".into(),
                min: Some(Number::Int(0)),
                max: None,
            }),
            vec![],
        );
        assert_eq!(r.failing_rows, 1);
        assert!(r.sample.contains("value_usd=-1"), "{}", r.sample);
        // SUN only through 1991: the 1995 row fails.
        let r = check(
            Kind::Range(Range {
                column: "year".into(),
                min: None,
                max: Some(Number::Int(1991)),
            }),
            vec![("partner_iso3".into(), vec![Literal::Str("SUN".into())])],
        );
        assert_eq!(r.failing_rows, 1);
        assert_eq!(r.detail, "year <= 1991 where partner_iso3 in [\"SUN\"]");
        assert!(r.sample.contains("source_line=5"), "{}", r.sample);
    }
}
