//! Row filters as pipeline files write them (`where = { column = value or [values] }`),
//! shared by data checks and claims: parsed once against the table contract, so a
//! value of the wrong type is an error naming its line, and applied as polars
//! expressions. Literals and column names are typed in `literal`, the one file
//! of the quality layer this one imports.

use std::collections::BTreeMap;

use patronage_tables::contracts::TableSpec;
use polars::prelude::*;
use toml::Spanned;

use super::literal::{column_of, literal, Invalid, Literal};
use crate::PipelineError;

/// Rows whose value in each listed column is among the listed ones (all columns).
pub type Filter = Vec<(String, Vec<Literal>)>;

/// Parse a `where` table against `table`'s columns; `owner` names the entry in
/// messages (`check \`x\``).
pub(crate) fn parse(
    w: &Spanned<BTreeMap<String, toml::Value>>,
    table: &TableSpec,
    owner: &str,
    invalid: Invalid<'_>,
) -> Result<Filter, PipelineError> {
    let mut filter = Vec::new();
    for (column, v) in w.get_ref() {
        let c = column_of(table, column, owner, w.span(), invalid)?;
        let items = match v {
            toml::Value::Array(a) => a.clone(),
            one => vec![one.clone()],
        };
        let lits = items
            .iter()
            .map(|v| literal(v, c.dtype))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|m| invalid(w.span(), format!("{owner}: where `{column}`: {m}")))?;
        filter.push((column.clone(), lits));
    }
    Ok(filter)
}

fn lit_expr(l: &Literal) -> Expr {
    match l {
        Literal::Str(s) => lit(s.clone()),
        Literal::Int(i) => lit(*i),
        Literal::Float(x) => lit(*x),
        Literal::Bool(b) => lit(*b),
    }
}

/// `column` equals one of `values`.
pub(crate) fn one_of(column: &str, values: &[Literal]) -> Expr {
    values
        .iter()
        .map(|v| col(column).eq(lit_expr(v)))
        .reduce(Expr::or)
        .unwrap_or(lit(false))
}

/// Keep the rows the filter matches.
pub(crate) fn apply(mut lf: LazyFrame, filter: &Filter) -> LazyFrame {
    for (column, values) in filter {
        lf = lf.filter(one_of(column, values));
    }
    lf
}

/// `a in [x, y] and b in [z]`; empty for no filter.
pub(crate) fn describe(filter: &Filter) -> String {
    filter
        .iter()
        .map(|(col, vals)| {
            let v: Vec<String> = vals.iter().map(ToString::to_string).collect();
            format!("{col} in [{}]", v.join(", "))
        })
        .collect::<Vec<_>>()
        .join(" and ")
}
