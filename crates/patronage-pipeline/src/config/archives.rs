//! A source's `.zip` files opened into the members it reads: each data member
//! becomes one input, named as a path below its archive
//! (`BACI_HS17_V202401.zip/BACI_HS17_Y2019_V202401.csv`), sorted by name, so a
//! release read zipped and unpacked into a folder of the archive's name gives
//! the same list of files. A path may also go into an archive with a glob of
//! members (`BACI_HS17_V202401.zip/BACI_*.csv`); the same path then reads the
//! unpacked folder too. A release's code lists (`country_codes_*`, `product_codes_*`)
//! and its notes (`Readme*`) are not data: the country codes member is the
//! release's own code list, used by a format that takes `country_codes` when
//! the source names none. `years = "2015..2022"` keeps the members whose name
//! states a year (`_Y2019`) in the range; a member without one is kept.

use std::path::PathBuf;

/// An inclusive range of years, as `years = "2015..2022"` or `"2019"` writes it.
pub(crate) type Years = (i32, i32);

/// Parse `years`: `2019` or `2015..2022`.
pub(crate) fn parse_years(s: &str) -> Result<Years, String> {
    let year = |t: &str| -> Result<i32, String> {
        t.trim()
            .parse::<i32>()
            .ok()
            .filter(|y| (1900..=2100).contains(y))
            .ok_or_else(|| format!("years `{s}`: expected a year (2019) or a range (2015..2022)"))
    };
    let (from, to) = match s.split_once("..") {
        Some((a, b)) => (year(a)?, year(b)?),
        None => (year(s)?, year(s)?),
    };
    if to < from {
        return Err(format!("years `{s}`: the range ends before it starts"));
    }
    Ok((from, to))
}

/// What a source reads once its archives are opened: the inputs, and the
/// release's code list member when one of its archives has one.
#[derive(Debug, Default)]
pub(crate) struct Opened {
    /// Files and members, in order.
    pub inputs: Vec<PathBuf>,
    /// The first archive's `country_codes_*.csv` member.
    pub country_codes: Option<PathBuf>,
}

/// Where a pattern goes into an archive: the archive's path as written (an
/// existing `.zip` file, no wildcard) and the glob of members after it.
pub(crate) fn into_archive(dir: &std::path::Path, pattern: &str) -> Option<(String, String)> {
    let parts: Vec<&str> = pattern.split('/').collect();
    for i in 0..parts.len().saturating_sub(1) {
        let archive = parts[..=i].join("/");
        if archive.contains(['*', '?', '[']) {
            return None;
        }
        let path = dir.join(&archive);
        if patronage_extract::archive::is_zip(&path) && path.is_file() {
            return Some((archive, parts[i + 1..].join("/")));
        }
    }
    None
}

/// `files` with every `.zip` replaced by its data members (those matching
/// `members` when given), then filtered by `years`.
pub(crate) fn open_archives(
    files: &[PathBuf],
    members: Option<&str>,
    years: Option<Years>,
) -> Result<Opened, String> {
    let pattern = members
        .map(|m| glob::Pattern::new(m).map_err(|e| format!("members `{m}`: {e}")))
        .transpose()?;
    let in_years = |name: &str| match (years, year_of(name)) {
        (Some((from, to)), Some(y)) => (from..=to).contains(&y),
        _ => true,
    };
    let mut opened = Opened::default();
    for f in files {
        if !patronage_extract::archive::is_zip(f) {
            let name = f.file_name().map(|n| n.to_string_lossy().into_owned());
            if in_years(&name.unwrap_or_default()) {
                opened.inputs.push(f.clone());
            }
            continue;
        }
        let mut names = patronage_extract::archive::members(f).map_err(|e| e.to_string())?;
        names.sort();
        let mut kept = 0;
        for m in names {
            let base = m.rsplit('/').next().unwrap_or(&m).to_ascii_lowercase();
            if base.starts_with("country_codes") && base.ends_with(".csv") {
                if opened.country_codes.is_none() {
                    opened.country_codes = Some(f.join(&m));
                }
                continue;
            }
            let wanted = match &pattern {
                Some(p) => p.matches(&m),
                None => !base.starts_with("product_codes") && !base.starts_with("readme"),
            };
            if wanted && in_years(&m) {
                kept += 1;
                opened.inputs.push(f.join(m));
            }
        }
        if kept == 0 {
            return Err(format!(
                "archive `{}` has no data member{}{}",
                f.display(),
                members.map_or(String::new(), |m| format!(" matching `{m}`")),
                years.map_or(String::new(), |(a, b)| format!(" for years {a}..{b}"))
            ));
        }
    }
    if opened.inputs.is_empty() && !files.is_empty() {
        if let Some((a, b)) = years {
            return Err(format!("no file is of years {a}..{b}"));
        }
    }
    Ok(opened)
}

/// The year a member's name states as `_Y<year>` (`BACI_HS17_Y2019_V202401.csv`).
fn year_of(name: &str) -> Option<i32> {
    let base = name.rsplit('/').next().unwrap_or(name);
    base.match_indices("_Y").find_map(|(i, _)| {
        let digits = base.get(i + 2..i + 6)?;
        digits
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| digits.parse().ok())
            .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_and_member_years() {
        assert_eq!(parse_years("2015..2022"), Ok((2015, 2022)));
        assert_eq!(parse_years("2019"), Ok((2019, 2019)));
        assert!(parse_years("2022..2015").is_err());
        assert!(parse_years("last year").is_err());
        assert_eq!(year_of("BACI_HS17_Y2019_V202401.csv"), Some(2019));
        assert_eq!(year_of("country_codes_V202401.csv"), None);
    }
}
