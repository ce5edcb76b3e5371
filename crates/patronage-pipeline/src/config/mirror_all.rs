//! `[mirror_all]`: the pipeline's mirror-all step, which folds the files of some
//! of its BACI and Comtrade bulk sources into `mirror_all` (the mirror of every
//! country as focus), as `patronage mirror-all` does.
//!
//! ```toml
//! [mirror_all]
//! sources = ["baci", "bulk"]    # ids of the pipeline's baci / comtrade_v1_bulk sources
//! partition_by = ["year"]       # optional; mirror_all/year=N/part-0.parquet
//! ```
//!
//! Invariant: a validated step names at least one source, each once, each
//! declared in the pipeline with format `baci` or `comtrade_v1_bulk`, and is
//! partitioned by `year` or not at all; anything else is an error naming the
//! line of the value at fault.

use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::source::Source;

/// The formats whose files the step folds.
pub const FOLDED_FORMATS: [&str; 2] = ["baci", "comtrade_v1_bulk"];

/// `[mirror_all]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMirrorAll {
    sources: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    partition_by: Vec<Spanned<String>>,
}

/// A validated `[mirror_all]` step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MirrorAllStep {
    /// Ids of the sources folded, in the order written.
    pub sources: Vec<String>,
    /// The column `mirror_all` is split by into Hive partitions (`year`), or
    /// none: one file.
    pub partition_by: Option<String>,
}

/// Validate `raw` against the pipeline's sources; an error carries the span of
/// the value at fault.
pub(crate) fn mirror_all_step(
    raw: &Spanned<RawMirrorAll>,
    sources: &[Source],
) -> Result<MirrorAllStep, (Range<usize>, String)> {
    let r = raw.get_ref();
    if r.sources.get_ref().is_empty() {
        return Err((
            r.sources.span(),
            "[mirror_all] sources is empty: name at least one baci or comtrade_v1_bulk source"
                .to_string(),
        ));
    }
    let mut ids: Vec<String> = Vec::new();
    for id in r.sources.get_ref() {
        let name = id.get_ref();
        let Some(source) = sources.iter().find(|s| &s.id == name) else {
            let known: Vec<&str> = sources.iter().map(|s| s.id.as_str()).collect();
            return Err((
                id.span(),
                format!(
                    "[mirror_all] sources: no source `{name}` is declared; declared: {}",
                    known.join(", ")
                ),
            ));
        };
        if !FOLDED_FORMATS.contains(&source.format.name) {
            return Err((
                id.span(),
                format!(
                    "[mirror_all] sources: source `{name}` has format `{}`; the step folds {} sources only",
                    source.format.name,
                    FOLDED_FORMATS.join(" and ")
                ),
            ));
        }
        if ids.contains(name) {
            return Err((
                id.span(),
                format!("[mirror_all] sources: source `{name}` is named twice"),
            ));
        }
        ids.push(name.clone());
    }
    let mut partition_by = None;
    for c in &r.partition_by {
        if c.get_ref() != "year" || partition_by.is_some() {
            return Err((
                c.span(),
                format!(
                    "[mirror_all] partition_by: `{}`: mirror_all can be partitioned by `year` only (partition_by = [\"year\"])",
                    c.get_ref()
                ),
            ));
        }
        partition_by = Some(c.get_ref().clone());
    }
    Ok(MirrorAllStep {
        sources: ids,
        partition_by,
    })
}
