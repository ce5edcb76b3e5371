//! A source's `.zip` files opened into the members it reads: each data member
//! becomes one input, named as a path below its archive
//! (`BACI_HS17_V202401.zip/BACI_HS17_Y2019_V202401.csv`), in the archive's
//! order sorted by name, so a release read zipped and unpacked gives the same
//! list of files. A release's code lists (`country_codes_*`, `product_codes_*`)
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

/// `files` with every `.zip` replaced by its data members (filtered by `years`).
pub(crate) fn open_archives(files: &[PathBuf], years: Option<Years>) -> Result<Opened, String> {
    let mut opened = Opened::default();
    for f in files {
        if !patronage_extract::archive::is_zip(f) {
            opened.inputs.push(f.clone());
            continue;
        }
        let mut members = patronage_extract::archive::members(f).map_err(|e| e.to_string())?;
        members.sort();
        let mut kept = 0;
        for m in members {
            let base = m.rsplit('/').next().unwrap_or(&m).to_ascii_lowercase();
            if base.starts_with("country_codes") && base.ends_with(".csv") {
                if opened.country_codes.is_none() {
                    opened.country_codes = Some(f.join(&m));
                }
                continue;
            }
            if base.starts_with("product_codes") || base.starts_with("readme") {
                continue;
            }
            if let (Some((from, to)), Some(y)) = (years, year_of(&m)) {
                if y < from || y > to {
                    continue;
                }
            }
            kept += 1;
            opened.inputs.push(f.join(m));
        }
        if kept == 0 {
            return Err(format!(
                "archive `{}` has no data member{}",
                f.display(),
                years.map_or(String::new(), |(a, b)| format!(" for years {a}..{b}"))
            ));
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
