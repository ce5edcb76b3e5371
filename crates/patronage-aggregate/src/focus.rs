//! The focus country's side of `trade_flows`: the rows every trade analysis
//! table starts from, whoever reported them. Every such frame has the columns
//! of [`FOCUS_COLUMNS`], the four derived ones and `keep`, and [`FocusColumns`]
//! is the one typed reading of them, whose [`FocusColumns::rows`] are the rows
//! a table reads; a caller reads only its extra columns itself. The frame
//! shares `trade_flows`'s columns rather than copying the rows kept: a
//! focus-scoped table is most of a run's memory, and nearly every row of it
//! would be copied. The tables read `trade_flows` as [`FlowBatches`], so the
//! rows may come a batch at a time; what a table sums across batches does
//! not depend on where the batches are cut.

use patronage_core::MonthRange;
use polars::prelude::*;

/// `trade_flows` rows given batch by batch, in key order: a frame held whole
/// is one batch; rows kept elsewhere (on disk, or compressed) come a batch at
/// a time, so an analysis table holds one batch and its own sums, never every
/// row. Every trade analysis table reads its rows through this.
pub trait FlowBatches {
    /// Call `each` on every batch, in key order.
    fn each_batch(&self, each: &mut dyn FnMut(&DataFrame) -> PolarsResult<()>) -> PolarsResult<()>;
}

impl FlowBatches for DataFrame {
    fn each_batch(&self, each: &mut dyn FnMut(&DataFrame) -> PolarsResult<()>) -> PolarsResult<()> {
        each(self)
    }
}

/// The `trade_flows` columns every focus row keeps, before a caller's own.
const FOCUS_COLUMNS: [&str; 4] = ["source_id", "year", "month_first", "month_last"];

/// Every `trade_flows` column a trade analysis table reads (through
/// [`focus_rows`] and the filters of its callers): a caller that holds the
/// table's rows for these tables alone needs no other.
pub const TRADE_FLOWS_READ: [&str; 14] = [
    "source_id",
    "source_file",
    "source_line",
    "year",
    "month_first",
    "month_last",
    "reporter_iso3",
    "partner_iso3",
    "flow",
    "classification",
    "commodity_code",
    "commodity_level",
    "value_usd",
    "valuation",
];

/// `trade_flows` with `keep` true on the rows between the focus country and
/// another country (reported by either), of one of `flows`, passing `filter`
/// (the rows [`FocusColumns::rows`] gives); with [`FOCUS_COLUMNS`] and the
/// caller's extra `columns` kept, and four added:
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
    let keep = is_mirror
        .or(col("reporter_iso3").eq(lit(focus)))
        .and(col("reporter_iso3").neq(col("partner_iso3")))
        .and(of_flows)
        .and(filter);
    select.push(keep.alias("keep"));
    let mut rows = trade_flows.clone().lazy().select(select).collect()?;
    // One chunk, so reading a row by its index is direct (a no-op for a
    // table of one chunk, as a built `trade_flows` is).
    rows.rechunk_mut();
    Ok(rows)
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
    keep: &'a BooleanChunked,
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
            keep: rows.column("keep")?.bool()?,
        })
    }

    /// The rows a table reads, in order: those `keep` is true on.
    pub fn rows(&self) -> impl Iterator<Item = usize> + 'a {
        self.keep
            .iter()
            .enumerate()
            .filter_map(|(i, keep)| (keep == Some(true)).then_some(i))
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
