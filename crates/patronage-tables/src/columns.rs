//! Reading a frame's columns into plain vectors, for aggregates written as
//! ordinary Rust over rows (the tables they read are small).

use polars::prelude::*;

/// A text column, row by row.
pub fn strs(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<String>>> {
    let c = df.column(name)?.str()?;
    Ok((0..c.len()).map(|i| c.get(i).map(str::to_string)).collect())
}

/// A float64 column, row by row.
pub fn floats(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<f64>>> {
    let c = df.column(name)?.f64()?;
    Ok((0..c.len()).map(|i| c.get(i)).collect())
}

/// An int32 column, row by row.
pub fn ints(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<i32>>> {
    let c = df.column(name)?.i32()?;
    Ok((0..c.len()).map(|i| c.get(i)).collect())
}

/// An int64 column, row by row.
pub fn longs(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<i64>>> {
    let c = df.column(name)?.i64()?;
    Ok((0..c.len()).map(|i| c.get(i)).collect())
}
