//! The claims ledger as a pipeline file declares it (`[[claims]]`): published
//! statements, each with the figure it states and how to compute that figure
//! from this build's tables. Evaluation is in `claim_eval`; the verdicts are the
//! `claims` table.
//!
//! ```toml
//! [[claims]]
//! id = "ru_prk_trade_jan_feb_2017"
//! text = "Trade between Russia and North Korea increased by 73-percent ..."
//! source = "H. Kim, Wilson Center blog, 2017"
//! table = "trade_windows"
//! where = { window_id = "seed_2017_jan_feb" }
//! column = "total_change_pct"
//! measure = "value"          # value, sum, min, max, count, ratio, max_ratio
//! expected = 73
//! unit = "percent"
//! tolerance = 2              # in `unit`
//! comparison = "about"       # or at_most, at_least; default about
//! ```
//!
//! `ratio` divides the sum of `column` over the `numerator` rows by its sum over
//! the `denominator` rows (both filters within `where`); `max_ratio` does so per
//! value of `per` and takes the largest, for claims such as "below a tenth of
//! China's in every year", and lists every group it compared. `cite` names a
//! text column (`trade_source_ids`) whose values among the rows used the verdict
//! lists, so a claim shows the years and the sources behind it.

use std::collections::BTreeMap;
use std::ops::Range;

use patronage_tables::contracts::{self, ColumnType, TableSpec};
use toml::Spanned;

use super::filter::{self, Filter};
use super::literal::{column_of, Invalid};
use crate::config::RawClaim;
use crate::PipelineError;

/// How the claimed figure is computed from the matching rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// The one matching row's value.
    Value,
    /// Sum of the values.
    Sum,
    /// Smallest value.
    Min,
    /// Largest value.
    Max,
    /// Number of matching rows.
    Count,
    /// Sum over the numerator rows / sum over the denominator rows.
    Ratio,
    /// The largest ratio over the groups of `per` that have both parts.
    MaxRatio,
}

impl Measure {
    /// Every measure, with the name used in pipeline files and the `claims` table.
    pub const ALL: [(Measure, &'static str); 7] = [
        (Measure::Value, "value"),
        (Measure::Sum, "sum"),
        (Measure::Min, "min"),
        (Measure::Max, "max"),
        (Measure::Count, "count"),
        (Measure::Ratio, "ratio"),
        (Measure::MaxRatio, "max_ratio"),
    ];

    /// The name used in pipeline files and the `claims` table.
    pub fn as_str(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(m, _)| *m == self)
            .map_or("", |(_, n)| n)
    }

    fn is_ratio(self) -> bool {
        matches!(self, Measure::Ratio | Measure::MaxRatio)
    }
}

/// How the computed figure must relate to the expected one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// Within `tolerance` either way.
    About,
    /// No more than `expected + tolerance`.
    AtMost,
    /// No less than `expected - tolerance`.
    AtLeast,
}

impl Comparison {
    /// Every comparison, with its name.
    pub const ALL: [(Comparison, &'static str); 3] = [
        (Comparison::About, "about"),
        (Comparison::AtMost, "at_most"),
        (Comparison::AtLeast, "at_least"),
    ];

    /// The name used in pipeline files and the `claims` table.
    pub fn as_str(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(c, _)| *c == self)
            .map_or("", |(_, n)| n)
    }

    /// Whether `computed` bears out `expected` within `tolerance`.
    pub fn holds(self, computed: f64, expected: f64, tolerance: f64) -> bool {
        // Sums of floats may miss a bound by rounding alone.
        let eps = 1e-9 * expected.abs().max(1.0);
        match self {
            Comparison::About => (computed - expected).abs() <= tolerance + eps,
            Comparison::AtMost => computed <= expected + tolerance + eps,
            Comparison::AtLeast => computed >= expected - tolerance - eps,
        }
    }
}

/// A validated claim.
#[derive(Debug, Clone)]
pub struct ClaimSpec {
    /// Unique id.
    pub id: String,
    /// The statement as published.
    pub text: String,
    /// Who published it, where and when.
    pub source: String,
    /// The table the figure is computed from.
    pub table: &'static TableSpec,
    /// Rows used.
    pub filter: Filter,
    /// The numeric column computed on (`None` for `count`).
    pub column: Option<String>,
    /// How the figure is computed.
    pub measure: Measure,
    /// The figure the statement gives.
    pub expected: f64,
    /// Unit of expected, computed and tolerance.
    pub unit: String,
    /// Allowed deviation, in `unit`.
    pub tolerance: f64,
    /// How computed must relate to expected.
    pub comparison: Comparison,
    /// Numerator rows of a ratio (within `filter`).
    pub numerator: Filter,
    /// Denominator rows of a ratio (within `filter`).
    pub denominator: Filter,
    /// Grouping column of `max_ratio`.
    pub per: Option<String>,
    /// Text column whose values among the rows used the verdict lists.
    pub cite: Option<String>,
}

/// Validate the declared claims against the table contracts.
pub(crate) fn validate(
    raw: Vec<RawClaim>,
    invalid: Invalid<'_>,
) -> Result<Vec<ClaimSpec>, PipelineError> {
    let mut out: Vec<ClaimSpec> = Vec::with_capacity(raw.len());
    for r in raw {
        let span = r.id.span();
        let spec = validate_one(r, invalid)?;
        if out.iter().any(|o| o.id == spec.id) {
            return Err(invalid(
                span,
                format!("claim `{}` is declared twice", spec.id),
            ));
        }
        out.push(spec);
    }
    Ok(out)
}

/// The name of `value` among `names`, or an error listing them.
fn pick<T: Copy>(
    value: &Spanned<String>,
    key: &str,
    owner: &str,
    names: &[(T, &'static str)],
    invalid: Invalid<'_>,
) -> Result<T, PipelineError> {
    names
        .iter()
        .find(|(_, n)| *n == value.get_ref())
        .map(|(t, _)| *t)
        .ok_or_else(|| {
            let known: Vec<&str> = names.iter().map(|(_, n)| *n).collect();
            invalid(
                value.span(),
                format!(
                    "{owner}: {key} `{}`; known: {}",
                    value.get_ref(),
                    known.join(", ")
                ),
            )
        })
}

fn validate_one(r: RawClaim, invalid: Invalid<'_>) -> Result<ClaimSpec, PipelineError> {
    let id = r.id.get_ref().clone();
    if id.is_empty()
        || !id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
    {
        return Err(invalid(
            r.id.span(),
            format!("claim id `{id}` must be lower-case letters, digits, `_` or `-`"),
        ));
    }
    let owner = format!("claim `{id}`");
    for (key, v) in [("text", &r.text), ("source", &r.source), ("unit", &r.unit)] {
        if v.get_ref().trim().is_empty() {
            return Err(invalid(v.span(), format!("{owner}: `{key}` is empty")));
        }
    }
    let table_name = r.table.get_ref().as_str();
    let own = [contracts::CLAIMS.name, contracts::CHECK_RESULTS.name];
    let table = *contracts::ALL_TABLES
        .iter()
        .chain(contracts::MIRROR_ALL_TABLES)
        .find(|t| t.name == table_name && !own.contains(&t.name))
        .ok_or_else(|| {
            let known: Vec<&str> = contracts::ALL_TABLES
                .iter()
                .chain(contracts::MIRROR_ALL_TABLES)
                .map(|t| t.name)
                .filter(|n| !own.contains(n))
                .collect();
            invalid(
                r.table.span(),
                format!(
                    "{owner}: unknown table `{table_name}`; known: {}",
                    known.join(", ")
                ),
            )
        })?;
    let measure = match &r.measure {
        Some(m) => pick(m, "measure", &owner, &Measure::ALL, invalid)?,
        None => Measure::Value,
    };
    let comparison = match &r.comparison {
        Some(c) => pick(c, "comparison", &owner, &Comparison::ALL, invalid)?,
        None => Comparison::About,
    };
    let where_of = |w: &Option<Spanned<BTreeMap<String, toml::Value>>>| match w {
        Some(w) => filter::parse(w, table, &owner, invalid),
        None => Ok(Vec::new()),
    };
    let not_for = |key: &str, span: Range<usize>| {
        invalid(
            span,
            format!(
                "{owner}: `{key}` does not apply to measure `{}`",
                measure.as_str()
            ),
        )
    };
    let needs = |key: &str| {
        invalid(
            r.id.span(),
            format!("{owner}: measure `{}` needs `{key}`", measure.as_str()),
        )
    };
    let column = match (&r.column, measure) {
        (Some(c), Measure::Count) => return Err(not_for("column", c.span())),
        (None, Measure::Count) => None,
        (None, _) => return Err(needs("column")),
        (Some(c), _) => {
            let spec = column_of(table, c.get_ref(), &owner, c.span(), invalid)?;
            if !matches!(
                spec.dtype,
                ColumnType::Int32 | ColumnType::Int64 | ColumnType::Float64
            ) {
                return Err(invalid(
                    c.span(),
                    format!(
                        "{owner}: column `{}` is {}, not a number",
                        c.get_ref(),
                        spec.dtype.as_str()
                    ),
                ));
            }
            Some(c.get_ref().clone())
        }
    };
    for (key, given) in [("numerator", &r.numerator), ("denominator", &r.denominator)] {
        match (given, measure.is_ratio()) {
            (Some(g), false) => return Err(not_for(key, g.span())),
            (None, true) => return Err(needs(key)),
            _ => {}
        }
    }
    let per = match (&r.per, measure) {
        (Some(p), Measure::MaxRatio) => {
            column_of(table, p.get_ref(), &owner, p.span(), invalid)?;
            Some(p.get_ref().clone())
        }
        (Some(p), _) => return Err(not_for("per", p.span())),
        (None, Measure::MaxRatio) => return Err(needs("per")),
        (None, _) => None,
    };
    let cite = match &r.cite {
        None => None,
        Some(c) => {
            let spec = column_of(table, c.get_ref(), &owner, c.span(), invalid)?;
            if spec.dtype != ColumnType::Str {
                return Err(invalid(
                    c.span(),
                    format!(
                        "{owner}: cite column `{}` is {}, not text",
                        c.get_ref(),
                        spec.dtype.as_str()
                    ),
                ));
            }
            Some(c.get_ref().clone())
        }
    };
    if !r.expected.get_ref().is_finite() {
        return Err(invalid(
            r.expected.span(),
            format!("{owner}: expected must be a finite number"),
        ));
    }
    let tolerance = *r.tolerance.get_ref();
    if !tolerance.is_finite() || tolerance < 0.0 {
        return Err(invalid(
            r.tolerance.span(),
            format!("{owner}: tolerance must be a number >= 0, not {tolerance}"),
        ));
    }
    Ok(ClaimSpec {
        filter: where_of(&r.filter)?,
        numerator: where_of(&r.numerator)?,
        denominator: where_of(&r.denominator)?,
        id,
        text: r.text.get_ref().clone(),
        source: r.source.get_ref().clone(),
        table,
        column,
        measure,
        expected: *r.expected.get_ref(),
        unit: r.unit.get_ref().clone(),
        tolerance,
        comparison,
        per,
        cite,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Validate `[[claims]]` entries written in TOML; the error's message.
    fn check(toml_text: &str) -> Result<Vec<ClaimSpec>, String> {
        #[derive(serde::Deserialize)]
        struct File {
            claims: Vec<RawClaim>,
        }
        let file: File = toml::from_str(toml_text).map_err(|e| e.to_string())?;
        let invalid = |span: Range<usize>, message: String| PipelineError::Invalid {
            path: "p.toml".into(),
            line: toml_text[..span.start].lines().count(),
            message,
        };
        validate(file.claims, &invalid).map_err(|e| e.to_string())
    }

    const HEAD: &str = "[[claims]]\nid = \"c\"\ntext = \"t\"\nsource = \"s\"\nunit = \"u\"\nexpected = 1\ntolerance = 0\n";

    #[test]
    fn a_ratio_claim_is_read_whole() {
        let c = check(&format!(
            "{HEAD}table = \"patron_influence\"\ncolumn = \"trade_usd\"\nmeasure = \"max_ratio\"\nper = \"year\"\nnumerator = {{ patron_series = \"SUN-RUS\" }}\ndenominator = {{ patron_iso3 = [\"CHN\"] }}\ncomparison = \"at_most\"\n"
        ))
        .unwrap();
        assert_eq!(c[0].measure, Measure::MaxRatio);
        assert_eq!(c[0].comparison, Comparison::AtMost);
        assert_eq!(c[0].per.as_deref(), Some("year"));
        assert_eq!(c[0].numerator.len(), 1);
        assert_eq!(c[0].cite, None);
    }

    #[test]
    fn mistakes_are_named() {
        let cases = [
            ("table = \"nope\"\ncolumn = \"x\"\n", "unknown table `nope`"),
            (
                "table = \"claims\"\ncolumn = \"expected\"\n",
                "unknown table `claims`",
            ),
            (
                "table = \"events\"\ncolumn = \"title\"\n",
                "column `title` is string, not a number",
            ),
            ("table = \"events\"\n", "measure `value` needs `column`"),
            (
                "table = \"events\"\nmeasure = \"count\"\ncolumn = \"year\"\n",
                "`column` does not apply to measure `count`",
            ),
            (
                "table = \"events\"\nmeasure = \"ratio\"\ncolumn = \"year\"\n",
                "measure `ratio` needs `numerator`",
            ),
            (
                "table = \"events\"\ncolumn = \"year\"\nper = \"kind\"\n",
                "`per` does not apply to measure `value`",
            ),
            (
                "table = \"events\"\ncolumn = \"year\"\nwhere = { year = \"1967\" }\n",
                "where `year`: `\"1967\"` is a string but the column is int32",
            ),
            (
                "table = \"events\"\ncolumn = \"year\"\ncomparison = \"near\"\n",
                "comparison `near`; known: about, at_most, at_least",
            ),
            (
                "table = \"patron_influence\"\ncolumn = \"trade_usd\"\ncite = \"trade_share\"\n",
                "cite column `trade_share` is float64, not text",
            ),
            (
                "table = \"patron_influence\"\ncolumn = \"trade_usd\"\ncite = \"sources\"\n",
                "sources",
            ),
        ];
        for (rest, message) in cases {
            let e = check(&format!("{HEAD}{rest}")).unwrap_err();
            assert!(e.contains(message), "{rest}: {e}");
        }
        let e = check(&format!(
            "{}table = \"events\"\ncolumn = \"year\"\n",
            HEAD.replace("tolerance = 0", "tolerance = -1")
        ))
        .unwrap_err();
        assert!(e.contains("tolerance must be a number >= 0"), "{e}");
        let twice = format!("{HEAD}table = \"events\"\nmeasure = \"count\"\n");
        let e = check(&format!("{twice}{twice}")).unwrap_err();
        assert!(e.contains("claim `c` is declared twice"), "{e}");
    }

    /// A claim's `expected` or `tolerance` of `nan` or `inf` would make every
    /// verdict the same whatever the tables say: refused at its line when the
    /// pipeline is read.
    #[test]
    fn non_finite_claim_figures_are_refused_when_the_pipeline_is_read() {
        let rest = "table = \"events\"\ncolumn = \"year\"\n";
        for (from, to, message) in [
            (
                "expected = 1",
                "expected = nan",
                "p.toml:6: claim `c`: expected must be a finite number",
            ),
            (
                "expected = 1",
                "expected = -inf",
                "p.toml:6: claim `c`: expected must be a finite number",
            ),
            (
                "tolerance = 0",
                "tolerance = nan",
                "p.toml:7: claim `c`: tolerance must be a number >= 0, not NaN",
            ),
            (
                "tolerance = 0",
                "tolerance = inf",
                "p.toml:7: claim `c`: tolerance must be a number >= 0, not inf",
            ),
        ] {
            let e = check(&format!("{}{rest}", HEAD.replace(from, to))).unwrap_err();
            assert!(e.contains(message), "{to}: {e}");
        }
    }

    #[test]
    fn comparisons() {
        // 71.70 against 73 within 2 points; 24,000 against 40,000 +- 4,000 not.
        assert!(Comparison::About.holds(71.697862, 73.0, 2.0));
        assert!(!Comparison::About.holds(24_000.0, 40_000.0, 4_000.0));
        assert!(Comparison::AtMost.holds(0.015452, 0.1, 0.0));
        assert!(!Comparison::AtMost.holds(0.2, 0.1, 0.05));
        assert!(Comparison::AtLeast.holds(1.0, 1.0, 0.0));
        assert!(!Comparison::AtLeast.holds(0.202, 1.0, 0.0));
    }
}
