//! `source_agreement`: where two or more values of `source_column` (default
//! `source_id`) give `column` for the same `group_by` key, the largest and the
//! smallest differ by at most `tolerance_pct` percent of the largest. Every row of
//! a figure reported apart fails; figures from one source only are not compared.
//!
//! ```toml
//! kind = "source_agreement"
//! group_by = ["reporter_iso3", "partner_iso3", "year", "flow"]
//! column = "value_usd"
//! tolerance_pct = 10
//! ```

use polars::prelude::*;

use super::kind::{CheckKind, Context, Entry, Outcome};
use super::render::{fmt_num, plain_value, render_key, SAMPLE_ROWS};
use crate::PipelineError;

/// Where two or more values of `source_column` give `column` for the same
/// `group_by` key, the largest and smallest differ by at most `tolerance_pct`
/// percent of the largest.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceAgreement {
    /// The key of a figure (reporter, partner, period, flow...).
    pub group_by: Vec<String>,
    /// The value compared.
    pub column: String,
    /// The column naming the source.
    pub source_column: String,
    /// Largest difference allowed, percent of the larger value.
    pub tolerance_pct: f64,
}

impl CheckKind for SourceAgreement {
    const NAME: &'static str = "source_agreement";
    const KEYS: &'static [&'static str] = &["group_by", "column", "source_column", "tolerance_pct"];

    fn parse(entry: &Entry<'_>) -> Result<Self, PipelineError> {
        let r = entry.raw;
        let g = r.group_by.as_ref().ok_or_else(|| entry.need("group_by"))?;
        let group_by = entry.columns(g)?;
        let c = entry.column_key()?;
        let source_column = match &r.source_column {
            Some(s) => {
                entry.column(s.get_ref(), s.span())?;
                s.get_ref().clone()
            }
            None => {
                entry.column("source_id", r.table.span())?;
                "source_id".to_string()
            }
        };
        let t = r
            .tolerance_pct
            .as_ref()
            .ok_or_else(|| entry.need("tolerance_pct"))?;
        if !t.get_ref().is_finite() || *t.get_ref() < 0.0 {
            return Err(entry.error(
                t.span(),
                format!(
                    "tolerance_pct must be a finite number >= 0, not {}",
                    t.get_ref()
                ),
            ));
        }
        Ok(SourceAgreement {
            group_by,
            column: entry.numeric(c.get_ref(), c.span())?,
            source_column,
            tolerance_pct: *t.get_ref(),
        })
    }

    fn evaluate(&self, rows: LazyFrame, cx: &Context<'_>) -> PolarsResult<Outcome> {
        evaluate_source_agreement(
            rows,
            &self.group_by,
            &self.column,
            &self.source_column,
            self.tolerance_pct,
            cx.filter,
        )
    }
}

fn evaluate_source_agreement(
    lf: LazyFrame,
    group_by: &[String],
    column: &str,
    source_column: &str,
    tolerance_pct: f64,
    filter: &str,
) -> PolarsResult<Outcome> {
    let mut by: Vec<String> = group_by.to_vec();
    by.push(source_column.to_string());
    let per_source = lf
        .filter(col(column).is_not_null())
        .group_by(by.iter().map(|s| col(s.as_str())).collect::<Vec<_>>())
        .agg([
            col(column).cast(DataType::Float64).sum().alias("__value"),
            len().alias("__rows"),
        ])
        .sort(by.clone(), SortMultipleOptions::default())
        .collect()?;
    let value = per_source.column("__value")?.f64()?.clone();
    let rows = per_source.column("__rows")?.cast(&DataType::UInt64)?;
    let rows = rows.u64()?;
    let sources = per_source.column(source_column)?;
    // Consecutive rows with the same key are the sources of one figure.
    // (key, [(source, value, rows)]).
    type Figure = (String, Vec<(String, f64, u64)>);
    let mut figures: Vec<Figure> = Vec::new();
    for i in 0..per_source.height() {
        let key = render_key(&per_source, group_by, i)?;
        let entry = (
            plain_value(&sources.get(i)?),
            value.get(i).unwrap_or(0.0),
            rows.get(i).unwrap_or(0),
        );
        match figures.last_mut() {
            Some((k, v)) if *k == key => v.push(entry),
            _ => figures.push((key, vec![entry])),
        }
    }
    let (mut failing, mut compared, mut apart, mut sample) = (0u64, 0usize, 0usize, Vec::new());
    for (key, v) in figures.iter().filter(|(_, v)| v.len() > 1) {
        compared += 1;
        let hi = v.iter().map(|e| e.1).fold(f64::MIN, f64::max);
        let lo = v.iter().map(|e| e.1).fold(f64::MAX, f64::min);
        let pct = if hi > 0.0 {
            100.0 * (hi - lo) / hi
        } else {
            0.0
        };
        if pct > tolerance_pct {
            apart += 1;
            failing += v.iter().map(|e| e.2).sum::<u64>();
            if sample.len() < SAMPLE_ROWS {
                let each: Vec<String> = v
                    .iter()
                    .map(|(s, x, _)| format!("{s} {}", fmt_num(*x)))
                    .collect();
                sample.push(format!("{key}: {} ({pct:.1}% apart)", each.join(" vs ")));
            }
        }
    }
    let detail = format!(
        "{column} of the same {} from different {source_column} within {tolerance_pct}% of the larger{filter}: {apart} of {compared} figure(s) reported twice differ more",
        group_by.join(", ")
    );
    Ok(Outcome::rows(failing, detail, sample.join("\n")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quality::checks::testing::{check, s};
    use crate::quality::checks::{Kind, Status};

    #[test]
    fn source_agreement_compares_sources_of_one_figure() {
        // 1995 import: only source b (null value) -> not compared. 1992 export:
        // source a twice (summed, 42) and no other source -> not compared.
        let r = check(
            Kind::SourceAgreement(SourceAgreement {
                group_by: s(&["year", "flow"]),
                column: "value_usd".into(),
                source_column: "source_id".into(),
                tolerance_pct: 5.0,
            }),
            vec![],
        );
        assert_eq!(r.status, Status::Pass);
        assert!(r
            .detail
            .ends_with("0 of 0 figure(s) reported twice differ more"));
        // Any numeric column compares: years per partner. RUS has source a
        // (1992 twice) and source b (1995); SUN has source a only.
        let r = check(
            Kind::SourceAgreement(SourceAgreement {
                group_by: s(&["partner_iso3"]),
                column: "year".into(),
                source_column: "source_id".into(),
                tolerance_pct: 0.0,
            }),
            vec![],
        );
        // RUS years: a 1992 + 1992 = 3984, b 1995: 100 * (3984 - 1995) / 3984 = 49.9%.
        assert_eq!(r.failing_rows, 3);
        assert_eq!(r.sample, "partner_iso3=RUS: a 3984 vs b 1995 (49.9% apart)");
    }
}
