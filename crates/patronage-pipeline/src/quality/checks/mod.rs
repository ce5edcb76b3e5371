//! Declarative data checks: as a pipeline file declares them (`[[checks]]`),
//! validated against the table contracts, and evaluated on the built tables into
//! `check_results`, one row per check plus a row accounting check per source. A
//! check names its table and columns by name: any table in the data dictionary
//! (`contracts::ALL_TABLES`, and `mirror_all` when the pipeline declares its
//! step) can be checked, including tables added later, without code changes. Each kind is one file holding its keys, their validation and its
//! evaluation; `check_kinds!` below names every kind, so a new kind is one file
//! and one line there. Results are in check name order and samples in table key
//! order, so they do not depend on thread count.
//!
//! ```toml
//! [[checks]]
//! name = "trade_values_not_negative"   # unique; names the row of check_results
//! kind = "range"                       # see `Kind`
//! table = "trade_flows"
//! column = "value_usd"
//! min = 0                              # inclusive; max likewise
//! severity = "error"                   # or "warn"; default error
//! where = { flow = ["import", "export"] }   # optional: only rows matching every column
//! ```

mod accepted_values;
mod conservation;
mod group_sum;
mod kind;
mod not_null;
mod range;
mod relationships;
mod render;
mod results;
mod row_count;
mod source_agreement;
mod unique;

use patronage_tables::contracts::{self, TableSpec};
use polars::prelude::*;

pub use conservation::{SourceRows, CONSERVATION_PREFIX};
use kind::{CheckKind, Context, Entry, Outcome};
pub use results::{check_summary, CheckResult, Status};
pub(crate) use results::{results_frame, results_from_disk};

use crate::config::RawCheck;
use crate::domain::outcome::table_error;
use crate::domain::spill::DiskTable;
use crate::quality::filter::{self, Filter};
use crate::quality::literal::Invalid;
use crate::PipelineError;

/// Declares every check kind as `Type: module`, the type being the kind's in its
/// file: the `Kind` enum (one variant per kind, named as its type), `Kind::NAMES`
/// in this order (unknown-kind messages list them so), and the dispatch of
/// validation and evaluation to each kind's `CheckKind` implementation.
macro_rules! check_kinds {
    ($($kind:ident: $module:ident,)*) => {
        $(pub use $module::$kind;)*

        /// What a check tests: one variant per kind, holding the kind's own type.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Kind {
            $(
                #[doc = concat!("`", stringify!($module), "`: see [`", stringify!($kind), "`].")]
                $kind($kind),
            )*
        }

        impl Kind {
            /// Every kind, with the name used in pipeline files and `check_results`.
            pub const NAMES: &'static [&'static str] = &[$(<$kind as CheckKind>::NAME),*];

            /// The name used in pipeline files and `check_results`.
            pub fn as_str(&self) -> &'static str {
                match self {
                    $(Kind::$kind(_) => <$kind as CheckKind>::NAME,)*
                }
            }

            /// Whether a check of this kind on `trade_flows` kept on disk is
            /// evaluated batch by batch (see `evaluate_on_disk`).
            pub(crate) fn runs_on_disk(&self) -> bool {
                matches!(
                    self,
                    Kind::NotNull(_)
                        | Kind::Range(_)
                        | Kind::AcceptedValues(_)
                        | Kind::RowCountMin(_)
                        | Kind::RowCountMax(_)
                        | Kind::Unique(_)
                )
            }

            /// The keys the kind named `name` reads; `None` when there is no such kind.
            fn keys(name: &str) -> Option<&'static [&'static str]> {
                $(
                    if name == <$kind as CheckKind>::NAME {
                        return Some(<$kind as CheckKind>::KEYS);
                    }
                )*
                None
            }

            /// The kind named `name` (one `keys` knows) from its entry.
            fn parse(name: &str, entry: &Entry<'_>) -> Result<Kind, PipelineError> {
                $(
                    if name == <$kind as CheckKind>::NAME {
                        return <$kind as CheckKind>::parse(entry).map(Kind::$kind);
                    }
                )*
                unreachable!("kind `{name}` is not listed")
            }

            /// Test `rows`, the table after the check's `where`.
            fn evaluate(&self, rows: LazyFrame, cx: &Context<'_>) -> PolarsResult<Outcome> {
                match self {
                    $(Kind::$kind(k) => k.evaluate(rows, cx),)*
                }
            }
        }
    };
}

check_kinds! {
    Unique: unique,
    NotNull: not_null,
    AcceptedValues: accepted_values,
    Range: range,
    Relationships: relationships,
    RowCountMin: row_count,
    RowCountMax: row_count,
    GroupSum: group_sum,
    SourceAgreement: source_agreement,
}

/// The kind name `name` as `check_results` records it: a listed kind or the row
/// accounting check; `None` for any other.
fn kind_name(name: &str) -> Option<&'static str> {
    Kind::NAMES
        .iter()
        .chain(&[conservation::NAME])
        .find(|k| **k == name)
        .copied()
}

/// How a failing check counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// A failure makes the run exit with code 1 (tables are still written).
    Error,
    /// A failure is reported and recorded, nothing more.
    Warn,
}

impl Severity {
    /// `error` or `warn`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warn => "warn",
        }
    }
}

/// A validated check.
#[derive(Debug, Clone)]
pub struct CheckSpec {
    /// Unique name.
    pub name: String,
    /// The table checked.
    pub table: &'static TableSpec,
    /// What a failure counts as.
    pub severity: Severity,
    /// Only rows whose column values are among the listed ones (every column).
    pub filter: Filter,
    /// What is tested.
    pub kind: Kind,
}

/// Validate the declared checks against the table contracts.
pub(crate) fn validate(
    raw: Vec<RawCheck>,
    invalid: Invalid<'_>,
) -> Result<Vec<CheckSpec>, PipelineError> {
    let mut out: Vec<CheckSpec> = Vec::with_capacity(raw.len());
    for r in raw {
        let span = r.name.span();
        let spec = validate_one(r, invalid)?;
        if out.iter().any(|o| o.name == spec.name) {
            return Err(invalid(
                span,
                format!("check `{}` is declared twice", spec.name),
            ));
        }
        out.push(spec);
    }
    Ok(out)
}

fn validate_one(r: RawCheck, invalid: Invalid<'_>) -> Result<CheckSpec, PipelineError> {
    let name = r.name.get_ref().clone();
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
    {
        return Err(invalid(
            r.name.span(),
            format!("check name `{name}` must be lower-case letters, digits, `_` or `-`"),
        ));
    }
    if name.starts_with(CONSERVATION_PREFIX) {
        return Err(invalid(
            r.name.span(),
            format!("check name `{name}`: names starting `{CONSERVATION_PREFIX}` are the built-in row accounting checks"),
        ));
    }
    let table_name = r.table.get_ref().as_str();
    let table = *contracts::ALL_TABLES
        .iter()
        .chain(contracts::MIRROR_ALL_TABLES)
        .find(|t| t.name == table_name && t.name != contracts::CHECK_RESULTS.name)
        .ok_or_else(|| {
            let known: Vec<&str> = contracts::ALL_TABLES
                .iter()
                .chain(contracts::MIRROR_ALL_TABLES)
                .map(|t| t.name)
                .filter(|n| *n != contracts::CHECK_RESULTS.name)
                .collect();
            invalid(
                r.table.span(),
                format!(
                    "check `{name}`: unknown table `{table_name}`; known: {}",
                    known.join(", ")
                ),
            )
        })?;
    let severity = match r.severity.as_ref().map(|s| s.get_ref().as_str()) {
        None | Some("error") => Severity::Error,
        Some("warn") => Severity::Warn,
        Some(other) => {
            return Err(invalid(
                r.severity.as_ref().map_or(0..0, toml::Spanned::span),
                format!("check `{name}`: severity `{other}`: expected `error` or `warn`"),
            ))
        }
    };
    let filter = match &r.filter {
        Some(w) => filter::parse(w, table, &format!("check `{name}`"), invalid)?,
        None => Vec::new(),
    };

    // Keys each kind uses; any other key given is an error.
    let kind_name = r.kind.get_ref().as_str();
    let uses = Kind::keys(kind_name).ok_or_else(|| {
        invalid(
            r.kind.span(),
            format!(
                "check `{name}`: unknown kind `{kind_name}`; known: {}",
                Kind::NAMES.join(", ")
            ),
        )
    })?;
    for (key, span) in r.kind_keys() {
        if let Some(span) = span {
            if !uses.contains(&key) {
                return Err(invalid(
                    span,
                    format!("check `{name}`: `{key}` does not apply to kind `{kind_name}`"),
                ));
            }
        }
    }
    let entry = Entry {
        raw: &r,
        name: &name,
        table,
        invalid,
    };
    let kind = Kind::parse(kind_name, &entry)?;
    Ok(CheckSpec {
        name,
        table,
        severity,
        filter,
        kind,
    })
}

/// Evaluate `checks` on the built tables `frames` (and `trade_flows` on disk,
/// when the run keeps it there), and the row accounting check of each of
/// `sources`; sorted by check name. A check of a table this run did not build
/// is skipped.
pub(crate) fn evaluate(
    checks: &[CheckSpec],
    sources: &[SourceRows<'_>],
    frames: &[(&'static TableSpec, DataFrame)],
    on_disk: Option<&DiskTable>,
) -> Result<Vec<CheckResult>, PipelineError> {
    let err = table_error(&contracts::CHECK_RESULTS);
    let frame = |name: &str| {
        frames
            .iter()
            .find(|(t, _)| t.name == name)
            .map(|(_, df)| df)
    };
    let mut out = Vec::new();
    for c in checks {
        if let Some(t) = on_disk.filter(|_| c.table.name == contracts::TRADE_FLOWS.name) {
            out.push(evaluate_on_disk(c, t)?);
            continue;
        }
        let result = match frame(c.table.name) {
            Some(df) => evaluate_one(c, df).map_err(err)?,
            None => CheckResult {
                check: c.name.clone(),
                kind: c.kind.as_str(),
                table: c.table.name,
                severity: c.severity,
                status: Status::Skipped,
                failing_rows: 0,
                detail: "the table is not built by this run".to_string(),
                sample: String::new(),
            },
        };
        out.push(result);
    }
    out.extend(conservation::check_all(sources, frame, on_disk).map_err(err)?);
    out.sort_by(|a, b| a.check.cmp(&b.check));
    Ok(out)
}

fn evaluate_one(c: &CheckSpec, df: &DataFrame) -> PolarsResult<CheckResult> {
    let rows = filter::apply(df.clone().lazy(), &c.filter);
    let described = described(c);
    let cx = Context {
        key: c.table.key,
        filter: &described,
    };
    let outcome = c.kind.evaluate(rows, &cx)?;
    Ok(result_of(c, outcome))
}

/// ` where <filter>`, or nothing.
fn described(c: &CheckSpec) -> String {
    if c.filter.is_empty() {
        String::new()
    } else {
        format!(" where {}", filter::describe(&c.filter))
    }
}

/// A check of `trade_flows` kept on disk, read a batch at a time; the
/// same result as [`evaluate_one`] on the table held whole. The kinds whose
/// failing rows are each found alone (`not_null`, `range`, `accepted_values`)
/// run on each batch and add up (the sample is the first failing rows in key
/// order, as the batches are in key order); the row counts add up; `unique` on
/// the table's key holds by construction (every file's rows were checked to be
/// in strictly increasing key order as they were written), on other columns it
/// reads only those. Any other kind is an error naming the check: it is never
/// skipped silently.
fn evaluate_on_disk(c: &CheckSpec, t: &DiskTable) -> Result<CheckResult, PipelineError> {
    let err = table_error(&contracts::CHECK_RESULTS);
    let described = described(c);
    let cx = Context {
        key: c.table.key,
        filter: &described,
    };
    let per_batch = |f: &mut dyn FnMut(LazyFrame) -> PolarsResult<()>| {
        t.for_each_batch(None, |batch| {
            f(filter::apply(batch.lazy(), &c.filter)).map_err(err)
        })
    };
    let outcome = match &c.kind {
        Kind::NotNull(_) | Kind::Range(_) | Kind::AcceptedValues(_) => {
            let mut merged: Option<Outcome> = None;
            per_batch(&mut |rows| {
                let o = c.kind.evaluate(rows, &cx)?;
                merged = Some(match merged.take() {
                    None => o,
                    Some(m) => Outcome {
                        failing: m.failing + o.failing,
                        sample: first_lines(&m.sample, &o.sample),
                        fail_anyway: m.fail_anyway || o.fail_anyway,
                        detail: m.detail,
                    },
                });
                Ok(())
            })?;
            match merged {
                Some(m) => m,
                None => c.kind.evaluate(empty_trade_flows(), &cx).map_err(err)?,
            }
        }
        Kind::RowCountMin(k) => {
            let mut n = 0u64;
            per_batch(&mut |rows| {
                n += rows.collect()?.height() as u64;
                Ok(())
            })?;
            k.outcome(n, &cx)
        }
        Kind::RowCountMax(k) => {
            let (mut n, mut sample) = (0u64, String::new());
            per_batch(&mut |rows| {
                let rows = rows.collect()?;
                n += rows.height() as u64;
                sample = first_lines(&sample, &render::sample_rows(&rows, cx.key)?);
                Ok(())
            })?;
            k.outcome(n, sample, &cx)
        }
        Kind::Unique(u) => {
            let mut columns: Vec<&str> = u.columns.iter().map(String::as_str).collect();
            columns.sort_unstable();
            let mut key = c.table.key.to_vec();
            key.sort_unstable();
            if columns == key {
                c.kind.evaluate(empty_trade_flows(), &cx).map_err(err)?
            } else {
                let mut read: Vec<&str> = u.columns.iter().map(String::as_str).collect();
                read.extend(c.filter.iter().map(|(col, _)| col.as_str()));
                read.sort_unstable();
                read.dedup();
                let rows = t.filtered(lit(true), Some(&read))?;
                c.kind
                    .evaluate(filter::apply(rows.lazy(), &c.filter), &cx)
                    .map_err(err)?
            }
        }
        other => {
            return Err(PipelineError::Refused {
                path: std::path::PathBuf::from(contracts::TRADE_FLOWS.name),
                message: format!(
                    "check `{}`: kind `{}` needs the whole of trade_flows at once, which this run \
                     keeps on disk (partition_by): run it without partition_by, or check a table \
                     built from trade_flows instead",
                    c.name,
                    other.as_str()
                ),
            })
        }
    };
    Ok(result_of(c, outcome))
}

/// An empty `trade_flows`, for the detail a check gives when no row is read.
fn empty_trade_flows() -> LazyFrame {
    DataFrame::empty_with_schema(&patronage_tables::stream::table_schema(
        &contracts::TRADE_FLOWS,
        None,
    ))
    .lazy()
}

/// The first [`render::SAMPLE_ROWS`] lines of `a` then `b`: two batches'
/// samples as the sample of both.
fn first_lines(a: &str, b: &str) -> String {
    a.lines()
        .chain(b.lines())
        .filter(|l| !l.is_empty())
        .take(render::SAMPLE_ROWS)
        .collect::<Vec<_>>()
        .join("\n")
}

/// A check's result from its outcome.
fn result_of(c: &CheckSpec, outcome: Outcome) -> CheckResult {
    let status = if outcome.failing > 0 || outcome.fail_anyway {
        Status::Fail
    } else {
        Status::Pass
    };
    CheckResult {
        check: c.name.clone(),
        kind: c.kind.as_str(),
        table: c.table.name,
        severity: c.severity,
        status,
        failing_rows: outcome.failing,
        detail: outcome.detail,
        sample: if status == Status::Fail {
            outcome.sample
        } else {
            String::new()
        },
    }
}

/// The table the check kinds' tests run on, and a helper that evaluates one
/// check on it.
#[cfg(test)]
mod testing {
    use patronage_tables::contracts;
    use polars::prelude::*;

    use super::{evaluate_one, CheckResult, CheckSpec, Kind, Severity};
    use crate::quality::filter::Filter;

    /// Five trade_flows-like rows (columns a check needs only): line 4 repeats
    /// line 3's key, line 5 is a USSR row dated 1995 with a negative value and an
    /// unknown flow, line 6 has no value.
    fn frame() -> DataFrame {
        DataFrame::new_infer_height(vec![
            Series::new("source_id".into(), ["a", "a", "a", "a", "b"]).into_column(),
            Series::new("source_file".into(), ["f", "f", "f", "f", "g"]).into_column(),
            Series::new("source_line".into(), [2i64, 3, 3, 5, 6]).into_column(),
            Series::new("year".into(), [1991i32, 1992, 1992, 1995, 1995]).into_column(),
            Series::new("partner_iso3".into(), ["SUN", "RUS", "RUS", "SUN", "RUS"]).into_column(),
            Series::new(
                "flow".into(),
                ["import", "export", "export", "barter", "import"],
            )
            .into_column(),
            Series::new(
                "value_usd".into(),
                [Some(10.0), Some(20.0), Some(22.0), Some(-1.0), None],
            )
            .into_column(),
        ])
        .unwrap()
    }

    /// Evaluate an error-severity check of `kind` on [`frame`], as a `trade_flows`
    /// check with `filter`.
    pub(super) fn check(kind: Kind, filter: Filter) -> CheckResult {
        let spec = CheckSpec {
            name: "c".to_string(),
            table: &contracts::TRADE_FLOWS,
            severity: Severity::Error,
            filter,
            kind,
        };
        evaluate_one(&spec, &frame()).unwrap()
    }

    /// Owned strings.
    pub(super) fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(ToString::to_string).collect()
    }
}
