//! The focus country's side of `trade_flows`: the rows every trade analysis
//! table starts from, whoever reported them. Every such frame has the columns
//! of [`FOCUS_COLUMNS`] and the four derived ones, and [`FocusColumns`] is the
//! one typed reading of them; a caller reads only its extra columns itself.

use patronage_core::MonthRange;
use polars::prelude::*;

/// The `trade_flows` columns every focus row keeps, before a caller's own.
const FOCUS_COLUMNS: [&str; 4] = ["source_id", "year", "month_first", "month_last"];

/// The rows of `trade_flows` between the focus country and another country
/// (reported by either), of one of `flows`, passing `filter`; with
/// [`FOCUS_COLUMNS`] and the caller's extra `columns` kept, and four added:
/// * `is_mirror`: the partner reported the row;
/// * `partner`: the other country;
/// * `focus_exports`: the focus country is the seller (a partner's import from
///   it, or its own export);
/// * `mills`: `value_usd` in exact thousandths (it was built from them).
pub(crate) fn focus_rows(
    trade_flows: &DataFrame,
    focus: &str,
    flows: &[&str],
    filter: Expr,
    columns: &[&str],
) -> PolarsResult<DataFrame> {
    let is_mirror = col("partner_iso3").eq(lit(focus));
    let of_flows = flows
        .iter()
        .map(|f| col("flow").eq(lit(*f)))
        .reduce(|a, b| a.or(b))
        .unwrap_or(lit(false));
    let mut select: Vec<Expr> = FOCUS_COLUMNS
        .iter()
        .chain(columns)
        .map(|c| col(*c))
        .collect();
    select.extend([
        is_mirror.clone().alias("is_mirror"),
        when(is_mirror.clone())
            .then(col("reporter_iso3"))
            .otherwise(col("partner_iso3"))
            .alias("partner"),
        when(is_mirror.clone())
            .then(col("flow").eq(lit("import")))
            .otherwise(col("flow").eq(lit("export")))
            .alias("focus_exports"),
        (col("value_usd") * lit(1000.0) + lit(0.5))
            .cast(DataType::Int64)
            .alias("mills"),
    ]);
    trade_flows
        .clone()
        .lazy()
        .filter(
            is_mirror
                .or(col("reporter_iso3").eq(lit(focus)))
                .and(col("reporter_iso3").neq(col("partner_iso3")))
                .and(of_flows)
                .and(filter),
        )
        .select(select)
        .collect()
}

/// The typed columns every frame of [`focus_rows`] has, read once.
pub(crate) struct FocusColumns<'a> {
    pub source_id: &'a StringChunked,
    pub partner: &'a StringChunked,
    pub is_mirror: &'a BooleanChunked,
    pub focus_exports: &'a BooleanChunked,
    pub mills: &'a Int64Chunked,
    pub year: &'a Int32Chunked,
    month_first: &'a Int32Chunked,
    month_last: &'a Int32Chunked,
}

impl<'a> FocusColumns<'a> {
    /// The columns of `rows`, a frame of [`focus_rows`].
    pub fn new(rows: &'a DataFrame) -> PolarsResult<Self> {
        Ok(Self {
            source_id: rows.column("source_id")?.str()?,
            partner: rows.column("partner")?.str()?,
            is_mirror: rows.column("is_mirror")?.bool()?,
            focus_exports: rows.column("focus_exports")?.bool()?,
            mills: rows.column("mills")?.i64()?,
            year: rows.column("year")?.i32()?,
            month_first: rows.column("month_first")?.i32()?,
            month_last: rows.column("month_last")?.i32()?,
        })
    }

    /// The months row `i` covers; `None` if its year or a month is null.
    pub fn period(&self, i: usize) -> Option<MonthRange> {
        Some(MonthRange {
            year: self.year.get(i)?,
            first: self.month_first.get(i)? as u32,
            last: self.month_last.get(i)? as u32,
        })
    }
}
