//! `unique`: no two rows (after `where`) share the values of `columns`. Every row
//! of a duplicated value fails; the sample lists the duplicated values with their
//! row counts, in value order.
//!
//! ```toml
//! kind = "unique"
//! columns = ["source_id", "source_file", "source_line"]
//! ```

use polars::prelude::*;

use super::kind::{CheckKind, Context, Entry, Outcome};
use super::render::render_rows;
use crate::PipelineError;

/// No two rows share the values of `columns`.
#[derive(Debug, Clone, PartialEq)]
pub struct Unique {
    /// The columns that must identify a row.
    pub columns: Vec<String>,
}

impl CheckKind for Unique {
    const NAME: &'static str = "unique";
    const KEYS: &'static [&'static str] = &["columns"];

    fn parse(entry: &Entry<'_>) -> Result<Self, PipelineError> {
        let list = entry.raw.columns.as_ref();
        let columns = entry.columns(list.ok_or_else(|| entry.need("columns"))?)?;
        Ok(Unique { columns })
    }

    fn evaluate(&self, rows: LazyFrame, cx: &Context<'_>) -> PolarsResult<Outcome> {
        let columns = &self.columns;
        let dup = rows
            .group_by(columns.iter().map(|s| col(s.as_str())).collect::<Vec<_>>())
            .agg([len().alias("__rows")])
            .filter(col("__rows").gt(lit(1)))
            .sort(columns.clone(), SortMultipleOptions::default())
            .collect()?;
        let rows = sum_u64(&dup, "__rows")?;
        let sample = render_rows(&dup, columns, Some("__rows"))?;
        let detail = format!(
            "({}) unique{}: {} duplicated value(s), {rows} rows",
            columns.join(", "),
            cx.filter,
            dup.height()
        );
        Ok(Outcome::rows(rows, detail, sample))
    }
}

fn sum_u64(df: &DataFrame, column: &str) -> PolarsResult<u64> {
    let c = df.column(column)?.cast(&DataType::UInt64)?;
    Ok(c.u64()?.iter().flatten().sum())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quality::checks::testing::{check, s};
    use crate::quality::checks::{Kind, Status};

    #[test]
    fn unique_counts_the_rows_of_duplicated_keys() {
        let r = check(
            Kind::Unique(Unique {
                columns: s(&["source_id", "source_file", "source_line"]),
            }),
            vec![],
        );
        assert_eq!((r.status, r.failing_rows), (Status::Fail, 2));
        assert_eq!(
            r.sample,
            "source_id=a, source_file=f, source_line=3 (2 rows)"
        );
        assert!(r.is_blocking());
    }
}
