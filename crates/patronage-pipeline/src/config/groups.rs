//! The pipeline file's HS settings: `classification_target` and
//! `classification_split` (the revision 6-digit codes are moved to, and how
//! one-to-many codes are split), `[[commodity_groups]]` (named groups of HS
//! codes with the resolutions that banned or capped their trade), and
//! `selected_goods_sources` (trade sources whose rows cover some goods only, such
//! as published figures for sanctioned goods: they feed `trade_by_group` alone,
//! never a total, a share or a breakdown of all goods).
//!
//! ```toml
//! classification_target = "H4"     # optional; H0 (HS 1992) .. H6 (HS 2022)
//! classification_split = "same_code" # optional; or "equal"
//! selected_goods_sources = ["cn_sanctioned_goods"]
//!
//! [[commodity_groups]]
//! id = "coal"
//! description = "Coal, briquettes and similar solid fuels"
//! hs_codes = ["2701"]
//! bans = [{ resolution = "UNSCR 2371", date = "2017-08-05", measure = "ban", detail = "...", citation = "..." }]
//! ```
//!
//! The invariant: every value is checked when the file is read, and an error names
//! the line of the value at fault: a revision other than H0..H6, a rule other than
//! the two, a code that is not 2, 4 or 6 digits, a date that is not YYYY-MM-DD, a
//! measure other than ban or cap, a group id declared twice, a ban without a
//! citation, a selected-goods source that is not a declared source.

use std::ops::Range;

use patronage_aggregate::{ConversionSpec, GroupBan, GroupSpec, SplitRule};
use patronage_core::HsRevision;
use serde::Deserialize;
use toml::Spanned;

/// A `[[commodity_groups]]` entry as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGroup {
    id: Spanned<String>,
    description: String,
    hs_codes: Vec<Spanned<String>>,
    #[serde(default)]
    bans: Vec<Spanned<RawBan>>,
}

/// One ban or cap of a group as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBan {
    resolution: String,
    date: Spanned<String>,
    measure: Spanned<String>,
    detail: String,
    citation: String,
}

/// What is wrong, and the span of the value at fault.
pub type Fault = (Range<usize>, String);

/// The conversion the pipeline declares, if it names a target.
pub fn conversion_spec(
    target: Option<&Spanned<String>>,
    split: Option<&Spanned<String>>,
) -> Result<Option<ConversionSpec>, Fault> {
    let split_rule = match split {
        None => SplitRule::SameCode,
        Some(s) => SplitRule::parse(s.get_ref()).ok_or_else(|| {
            (
                s.span(),
                format!(
                    "classification_split = \"{}\": expected \"same_code\" or \"equal\"",
                    s.get_ref()
                ),
            )
        })?,
    };
    let Some(t) = target else {
        return match split {
            Some(s) => Err((
                s.span(),
                "classification_split is set but classification_target is not".to_string(),
            )),
            None => Ok(None),
        };
    };
    let revision = HsRevision::parse(t.get_ref()).ok_or_else(|| {
        (
            t.span(),
            format!(
                "classification_target = \"{}\": expected an HS revision, H0 (HS 1992) to H6 (HS 2022)",
                t.get_ref()
            ),
        )
    })?;
    Ok(Some(ConversionSpec {
        target: revision,
        split: split_rule,
    }))
}

/// The groups, checked; `slug` checks an id as the rest of the file's ids are,
/// and `invalid` makes the error of a fault.
pub fn commodity_groups<E>(
    raw: Vec<RawGroup>,
    slug: impl Fn(&Spanned<String>) -> Result<String, E>,
    invalid: impl Fn(Fault) -> E,
) -> Result<Vec<GroupSpec>, E> {
    let mut groups: Vec<GroupSpec> = Vec::new();
    for g in raw {
        let id = slug(&g.id)?;
        groups.push(group(g, id, &groups).map_err(&invalid)?);
    }
    Ok(groups)
}

/// One group, checked against those before it.
fn group(g: RawGroup, id: String, groups: &[GroupSpec]) -> Result<GroupSpec, Fault> {
    {
        if groups.iter().any(|o| o.id == id) {
            return Err((
                g.id.span(),
                format!("commodity group `{id}` is declared twice"),
            ));
        }
        if g.hs_codes.is_empty() {
            return Err((
                g.id.span(),
                format!("commodity group `{id}` has no hs_codes"),
            ));
        }
        let mut codes = Vec::new();
        for c in &g.hs_codes {
            let v = c.get_ref();
            if !matches!(v.len(), 2 | 4 | 6) || !v.bytes().all(|b| b.is_ascii_digit()) {
                return Err((
                    c.span(),
                    format!("hs_codes: `{v}` is not an HS code of 2, 4 or 6 digits"),
                ));
            }
            codes.push(v.clone());
        }
        let mut bans = Vec::new();
        for b in g.bans {
            let span = b.span();
            let b = b.into_inner();
            let d = b.date.get_ref();
            let ok = d.len() == 10
                && d.bytes().enumerate().all(|(i, c)| {
                    matches!(i, 4 | 7) == (c == b'-') && (c == b'-' || c.is_ascii_digit())
                });
            if !ok {
                return Err((b.date.span(), format!("ban date `{d}` is not YYYY-MM-DD")));
            }
            if !matches!(b.measure.get_ref().as_str(), "ban" | "cap") {
                return Err((
                    b.measure.span(),
                    format!("ban measure `{}`: expected ban or cap", b.measure.get_ref()),
                ));
            }
            if b.citation.trim().is_empty() {
                return Err((span, "a ban needs its citation".to_string()));
            }
            bans.push(GroupBan {
                resolution: b.resolution,
                date: d.clone(),
                measure: b.measure.into_inner(),
                detail: b.detail,
                citation: b.citation,
            });
        }
        Ok(GroupSpec {
            id,
            description: g.description,
            codes,
            bans,
        })
    }
}

/// The ids of `selected_goods_sources`, each one of `declared` (the pipeline's
/// source ids) and named once.
pub fn selected_goods_sources(
    raw: &[Spanned<String>],
    declared: impl Fn(&str) -> bool,
) -> Result<Vec<String>, Fault> {
    let mut ids: Vec<String> = Vec::new();
    for s in raw {
        let id = s.get_ref();
        if !declared(id) {
            return Err((
                s.span(),
                format!("selected_goods_sources: `{id}` is not a declared source"),
            ));
        }
        if ids.contains(id) {
            return Err((
                s.span(),
                format!("selected_goods_sources: `{id}` is named twice"),
            ));
        }
        ids.push(id.clone());
    }
    Ok(ids)
}
