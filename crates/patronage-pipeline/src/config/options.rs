//! Option values several source formats share, checked the same way for each:
//! a choice among names, a period, a text encoding, the rows kept (`scope`), a
//! file beside the pipeline.
//! A format's own file decides which keys it takes and which it needs; these
//! parse one value and say what is wrong with it, naming the source.

use std::path::PathBuf;

use patronage_core::MonthRange;
use patronage_extract::encoding::TextEncoding;
use patronage_normalize::scope::Scope;
use toml::Spanned;

use super::format::{Invalid, OptionsInput};

/// The value of `key`, one of `choices`: its index in them.
pub fn pick(
    input: &OptionsInput<'_>,
    v: &Spanned<String>,
    key: &str,
    choices: &[&str],
) -> Result<usize, Invalid> {
    choices
        .iter()
        .position(|o| o == v.get_ref())
        .ok_or_else(|| {
            (
                v.span(),
                format!(
                    "source `{}`: {key} = `{}`: expected {}",
                    input.id,
                    v.get_ref(),
                    choices
                        .iter()
                        .map(|o| format!("`{o}`"))
                        .collect::<Vec<_>>()
                        .join(" or ")
                ),
            )
        })
}

/// The `period` option, if given.
pub fn period(input: &OptionsInput<'_>) -> Result<Option<MonthRange>, Invalid> {
    input
        .period
        .map(|v| {
            parse_period(v.get_ref()).map_err(|m| (v.span(), format!("source `{}`: {m}", input.id)))
        })
        .transpose()
}

/// The `scope` option: `all` (the default) or `focus`.
pub fn scope(input: &OptionsInput<'_>) -> Result<Scope, Invalid> {
    Ok(match input.scope {
        None => Scope::default(),
        Some(v) => [Scope::All, Scope::Focus][pick(input, v, "scope", &["all", "focus"])?],
    })
}

/// The `encoding` option, if given.
pub fn encoding(input: &OptionsInput<'_>) -> Result<Option<TextEncoding>, Invalid> {
    let Some(v) = input.encoding else {
        return Ok(None);
    };
    TextEncoding::from_name(v.get_ref())
        .map(Some)
        .ok_or_else(|| {
            (
                v.span(),
                format!(
                    "source `{}`: encoding `{}`: expected {}",
                    input.id,
                    v.get_ref(),
                    TextEncoding::ALL
                        .iter()
                        .map(|(_, n)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })
}

/// A file named by option `key` (relative to the pipeline file), which must exist.
pub fn existing_file(
    input: &OptionsInput<'_>,
    v: &Spanned<String>,
    key: &str,
) -> Result<PathBuf, Invalid> {
    let p: PathBuf = input.dir.join(v.get_ref());
    if !patronage_extract::archive::exists(&p) {
        return Err((
            v.span(),
            format!(
                "source `{}`: {key} `{}` is not a file (looked in {})",
                input.id,
                v.get_ref(),
                input.dir.display()
            ),
        ));
    }
    Ok(p)
}

/// Parse a period: `2019`, `2019-03` or `2019-01..2019-02` (within one year).
pub fn parse_period(s: &str) -> Result<MonthRange, String> {
    s.parse()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods() {
        assert_eq!(parse_period("2019"), Ok(MonthRange::annual(2019)));
        assert_eq!(
            parse_period("2017-01..2017-02"),
            Ok(MonthRange {
                year: 2017,
                first: 1,
                last: 2
            })
        );
        assert_eq!(
            parse_period("2021-03"),
            Ok(MonthRange {
                year: 2021,
                first: 3,
                last: 3
            })
        );
        assert!(parse_period("2017-02..2018-01").is_err());
        assert!(parse_period("20x9").is_err());
    }
}
