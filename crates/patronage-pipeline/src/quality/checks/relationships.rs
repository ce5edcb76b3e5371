//! `relationships`: `column` holds ISO3 codes the country registry knows and,
//! when `year_column` is given, codes valid in the row's year (SUN through 1991,
//! RUS from 1992). Nulls pass. The sample lists failing code/year pairs with their
//! row counts and why each fails.
//!
//! ```toml
//! kind = "relationships"
//! column = "partner_iso3"
//! year_column = "year"
//! ```

use patronage_core::CountryRegistry;
use patronage_tables::contracts::ColumnType;
use polars::prelude::*;

use super::kind::{CheckKind, Context, Entry, Outcome};
use super::render::SAMPLE_ROWS;
use crate::PipelineError;

/// `column` holds ISO3 codes the country registry knows, valid in the row's
/// `year_column` when one is given (SUN through 1991, RUS from 1992).
#[derive(Debug, Clone, PartialEq)]
pub struct Relationships {
    /// An ISO3 column.
    pub column: String,
    /// The year the code must be valid in.
    pub year_column: Option<String>,
}

impl CheckKind for Relationships {
    const NAME: &'static str = "relationships";
    const KEYS: &'static [&'static str] = &["column", "year_column"];

    fn parse(entry: &Entry<'_>) -> Result<Self, PipelineError> {
        let c = entry.column_key()?;
        if entry.column(c.get_ref(), c.span())?.dtype != ColumnType::Str {
            return Err(entry.error(
                c.span(),
                format!("`{}` is not a text column of ISO3 codes", c.get_ref()),
            ));
        }
        let year_column = match &entry.raw.year_column {
            Some(y) => Some(entry.numeric(y.get_ref(), y.span())?),
            None => None,
        };
        Ok(Relationships {
            column: c.get_ref().clone(),
            year_column,
        })
    }

    fn evaluate(&self, rows: LazyFrame, cx: &Context<'_>) -> PolarsResult<Outcome> {
        evaluate_relationships(rows, &self.column, self.year_column.as_deref(), cx.filter)
    }
}

fn evaluate_relationships(
    lf: LazyFrame,
    column: &str,
    year_column: Option<&str>,
    filter: &str,
) -> PolarsResult<Outcome> {
    let mut by: Vec<Expr> = vec![col(column)];
    let mut names = vec![column.to_string()];
    if let Some(y) = year_column {
        by.push(col(y).cast(DataType::Int64));
        names.push(y.to_string());
    }
    let pairs = lf
        .filter(col(column).is_not_null())
        .group_by(by)
        .agg([len().alias("__rows")])
        .sort(names.clone(), SortMultipleOptions::default())
        .collect()?;
    let registry = CountryRegistry::comtrade();
    let codes = pairs.column(column)?.str()?.clone();
    let years = match year_column {
        Some(y) => Some(pairs.column(y)?.i64()?.clone()),
        None => None,
    };
    let rows = pairs.column("__rows")?.cast(&DataType::UInt64)?;
    let rows = rows.u64()?;
    let (mut failing, mut groups, mut sample) = (0u64, 0usize, Vec::new());
    for i in 0..pairs.height() {
        let code = codes.get(i).unwrap_or_default();
        let year = years.as_ref().and_then(|y| y.get(i));
        let ok = match year {
            Some(y) => i32::try_from(y).is_ok_and(|y| registry.iso3_valid_in(code, y)),
            // No year to check it against: the code must be known.
            None => registry.knows_iso3(code),
        };
        if !ok {
            let n = rows.get(i).unwrap_or(0);
            failing += n;
            groups += 1;
            if sample.len() < SAMPLE_ROWS {
                let why = if registry.knows_iso3(code) {
                    "not valid in that year"
                } else {
                    "unknown to the country registry"
                };
                sample.push(match (year_column, year) {
                    (Some(yc), Some(y)) => format!("{column}={code}, {yc}={y}: {why} ({n} rows)"),
                    _ => format!("{column}={code}: {why} ({n} rows)"),
                });
            }
        }
    }
    let detail = match year_column {
        Some(y) => format!(
            "{column} known to the country registry and valid in {y}{filter}: {groups} code/year pair(s) fail"
        ),
        None => format!("{column} known to the country registry{filter}: {groups} code(s) fail"),
    };
    Ok(Outcome::rows(failing, detail, sample.join("\n")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quality::checks::testing::check;
    use crate::quality::checks::{Kind, Status};

    #[test]
    fn relationships_use_the_registry_years() {
        let r = check(
            Kind::Relationships(Relationships {
                column: "partner_iso3".into(),
                year_column: Some("year".into()),
            }),
            vec![],
        );
        assert_eq!(r.failing_rows, 1);
        assert_eq!(
            r.sample,
            "partner_iso3=SUN, year=1995: not valid in that year (1 rows)"
        );
        let r = check(
            Kind::Relationships(Relationships {
                column: "partner_iso3".into(),
                year_column: None,
            }),
            vec![],
        );
        assert_eq!(r.status, Status::Pass);
    }
}
