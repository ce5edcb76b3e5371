//! The focus country's side of `trade_flows`: the rows every trade analysis
//! table starts from, whoever reported them.

use polars::prelude::*;

/// The rows of `trade_flows` between the focus country and another country
/// (reported by either), of one of `flows`, passing `filter`; with `columns`
/// kept and four added:
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
    let mut select: Vec<Expr> = columns.iter().map(|c| col(*c)).collect();
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
