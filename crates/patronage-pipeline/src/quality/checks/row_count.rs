//! `row_count_min` and `row_count_max`: the table (after `where`) has at least
//! `min`, or at most `max`, rows. Too few rows fail with no failing row; too many
//! make every row a failing row, so `max = 0` with a `where` says "no row like
//! this" and the sample shows the rows found.
//!
//! ```toml
//! kind = "row_count_max"
//! table = "rejects"
//! where = { reason = ["unknown_country_code"] }
//! max = 0
//! ```

use polars::prelude::*;

use super::kind::{CheckKind, Context, Entry, Outcome};
use super::render::sample_rows;
use crate::PipelineError;

/// The table (after `where`) has at least `min` rows.
#[derive(Debug, Clone, PartialEq)]
pub struct RowCountMin {
    /// Fewest rows allowed.
    pub min: u64,
}

impl CheckKind for RowCountMin {
    const NAME: &'static str = "row_count_min";
    const KEYS: &'static [&'static str] = &["min"];

    fn parse(entry: &Entry<'_>) -> Result<Self, PipelineError> {
        let min = entry.raw.min.as_ref().ok_or_else(|| entry.need("min"))?;
        Ok(RowCountMin {
            min: entry.count(min)?,
        })
    }

    fn evaluate(&self, rows: LazyFrame, cx: &Context<'_>) -> PolarsResult<Outcome> {
        Ok(self.outcome(rows.collect()?.height() as u64, cx))
    }
}

impl RowCountMin {
    /// The outcome for `n` rows (after `where`), however they were counted.
    pub(super) fn outcome(&self, n: u64, cx: &Context<'_>) -> Outcome {
        Outcome {
            failing: 0,
            detail: format!("at least {} rows{}: {n}", self.min, cx.filter),
            sample: String::new(),
            fail_anyway: n < self.min,
        }
    }
}

/// The table (after `where`) has at most `max` rows; `max = 0` with a `where`
/// says "no row like this", and the rows found are the failing rows.
#[derive(Debug, Clone, PartialEq)]
pub struct RowCountMax {
    /// Most rows allowed.
    pub max: u64,
}

impl CheckKind for RowCountMax {
    const NAME: &'static str = "row_count_max";
    const KEYS: &'static [&'static str] = &["max"];

    fn parse(entry: &Entry<'_>) -> Result<Self, PipelineError> {
        let max = entry.raw.max.as_ref().ok_or_else(|| entry.need("max"))?;
        Ok(RowCountMax {
            max: entry.count(max)?,
        })
    }

    fn evaluate(&self, rows: LazyFrame, cx: &Context<'_>) -> PolarsResult<Outcome> {
        let rows = rows.collect()?;
        Ok(self.outcome(rows.height() as u64, sample_rows(&rows, cx.key)?, cx))
    }
}

impl RowCountMax {
    /// The outcome for `n` rows (after `where`), the first of them in key
    /// order rendered in `sample`, however they were counted.
    pub(super) fn outcome(&self, n: u64, sample: String, cx: &Context<'_>) -> Outcome {
        let detail = format!("at most {} rows{}: {n}", self.max, cx.filter);
        let failing = if n > self.max { n } else { 0 };
        Outcome::rows(failing, detail, sample)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quality::checks::testing::check;
    use crate::quality::checks::{Kind, Status};
    use crate::quality::literal::Literal;

    #[test]
    fn row_counts() {
        let r = check(Kind::RowCountMin(RowCountMin { min: 6 }), vec![]);
        assert_eq!((r.status, r.failing_rows), (Status::Fail, 0));
        assert_eq!(
            check(Kind::RowCountMin(RowCountMin { min: 5 }), vec![]).status,
            Status::Pass
        );
        let r = check(
            Kind::RowCountMax(RowCountMax { max: 0 }),
            vec![("flow".into(), vec![Literal::Str("barter".into())])],
        );
        assert_eq!(r.failing_rows, 1);
    }
}
