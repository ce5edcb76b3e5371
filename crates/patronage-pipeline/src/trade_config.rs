//! Per-source parameters of the trade formats whose files do not state
//! everything: Russian customs' STOIM unit, China customs' flow and period, the
//! text encoding, BACI's scope and country code file. Each is checked against the
//! format it belongs to, so a parameter on the wrong source is an error naming its
//! line rather than silently ignored.

use std::path::{Path, PathBuf};

use patronage_core::{Flow, MonthRange, YearMonth};
use patronage_extract::encoding::TextEncoding;
use patronage_normalize::baci::Scope;
use patronage_normalize::russia_customs::StoimUnit;
use toml::Spanned;

use crate::config::Format;

/// The trade parameters of one source, validated.
#[derive(Debug, Clone, Default)]
pub struct TradeOptions {
    /// Unit of STOIM (russia_customs; required there).
    pub stoim_unit: Option<StoimUnit>,
    /// Flow the files hold (china_customs; required there).
    pub flow: Option<Flow>,
    /// Period the files cover when they do not say (china_customs, russia_customs).
    pub period: Option<MonthRange>,
    /// Text encoding (china_customs: default gb18030; russia_customs: default utf-8).
    pub encoding: Option<TextEncoding>,
    /// Which BACI rows are kept.
    pub scope: Scope,
    /// BACI release's country code file.
    pub country_codes: Option<PathBuf>,
    /// GACC partner code of a download without a partner column (china_customs).
    pub partner: Option<u32>,
}

/// The raw parameters as written.
#[derive(Debug, Default)]
pub(crate) struct RawTradeOptions<'a> {
    pub stoim_unit: Option<&'a Spanned<String>>,
    pub flow: Option<&'a Spanned<String>>,
    pub period: Option<&'a Spanned<String>>,
    pub encoding: Option<&'a Spanned<String>>,
    pub scope: Option<&'a Spanned<String>>,
    pub country_codes: Option<&'a Spanned<String>>,
    pub partner: Option<&'a Spanned<String>>,
}

/// A validation failure: the span it points at and the message.
pub(crate) type Invalid = (std::ops::Range<usize>, String);

/// Parse a period: `2019`, `2019-03` or `2019-01..2019-02` (within one year).
pub fn parse_period(s: &str) -> Result<MonthRange, String> {
    let s = s.trim();
    if s.len() == 4 {
        let y: i32 = s
            .parse()
            .map_err(|_| format!("period `{s}`: expected YYYY, YYYY-MM or YYYY-MM..YYYY-MM"))?;
        return Ok(MonthRange::annual(y));
    }
    let (a, b) = s.split_once("..").unwrap_or((s, s));
    let (a, b): (YearMonth, YearMonth) = (a.parse()?, b.parse()?);
    if a.year != b.year || b < a {
        return Err(format!("period `{s}` must run forward within one year"));
    }
    Ok(MonthRange {
        year: a.year,
        first: a.month,
        last: b.month,
    })
}

/// Validate the trade parameters of a source of `format`.
pub(crate) fn validate(
    format: Format,
    raw: &RawTradeOptions<'_>,
    dir: &Path,
    id: &str,
    id_span: std::ops::Range<usize>,
) -> Result<TradeOptions, Invalid> {
    let name = format.as_str();
    let allowed: &[&str] = match format {
        Format::RussiaCustoms => &["stoim_unit", "period", "encoding"],
        Format::ChinaCustoms => &["flow", "period", "encoding", "partner"],
        Format::Baci => &["scope", "country_codes"],
        _ => &[],
    };
    let given = [
        ("stoim_unit", raw.stoim_unit),
        ("flow", raw.flow),
        ("period", raw.period),
        ("encoding", raw.encoding),
        ("scope", raw.scope),
        ("country_codes", raw.country_codes),
        ("partner", raw.partner),
    ];
    for (key, v) in given {
        if let Some(v) = v {
            if !allowed.contains(&key) {
                return Err((
                    v.span(),
                    format!("source `{id}`: `{key}` does not apply to format `{name}`"),
                ));
            }
        }
    }
    let pick = |v: &Spanned<String>, key: &str, options: &[&str]| -> Result<usize, Invalid> {
        options
            .iter()
            .position(|o| o == v.get_ref())
            .ok_or_else(|| {
                (
                    v.span(),
                    format!(
                        "source `{id}`: {key} = `{}`: expected {}",
                        v.get_ref(),
                        options
                            .iter()
                            .map(|o| format!("`{o}`"))
                            .collect::<Vec<_>>()
                            .join(" or ")
                    ),
                )
            })
    };
    let mut out = TradeOptions::default();
    if let Some(v) = raw.stoim_unit {
        out.stoim_unit = Some(
            [StoimUnit::Usd, StoimUnit::ThousandUsd]
                [pick(v, "stoim_unit", &["usd", "thousand_usd"])?],
        );
    } else if format == Format::RussiaCustoms {
        return Err((id_span, format!("source `{id}`: format `russia_customs` needs `stoim_unit` (\"usd\" or \"thousand_usd\"): the files do not state the unit of STOIM (see README, \"Russian customs\")")));
    }
    if let Some(v) = raw.flow {
        out.flow = Some(
            [Flow::Import, Flow::Export, Flow::Total]
                [pick(v, "flow", &["import", "export", "total"])?],
        );
    } else if format == Format::ChinaCustoms {
        return Err((id_span, format!("source `{id}`: format `china_customs` needs `flow` (\"import\", \"export\" or \"total\"): China customs files do not state it")));
    }
    if let Some(v) = raw.period {
        out.period =
            Some(parse_period(v.get_ref()).map_err(|m| (v.span(), format!("source `{id}`: {m}")))?);
    }
    if let Some(v) = raw.encoding {
        out.encoding = Some(TextEncoding::from_name(v.get_ref()).ok_or_else(|| {
            (
                v.span(),
                format!(
                    "source `{id}`: encoding `{}`: expected {}",
                    v.get_ref(),
                    TextEncoding::ALL
                        .iter()
                        .map(|(_, n)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })?);
    }
    if let Some(v) = raw.scope {
        out.scope = [Scope::All, Scope::Focus][pick(v, "scope", &["all", "focus"])?];
    }
    if let Some(v) = raw.partner {
        let code: u32 = v.get_ref().trim().parse().map_err(|_| {
            (
                v.span(),
                format!(
                    "source `{id}`: partner `{}` is not a GACC partner code (109 = DPRK)",
                    v.get_ref()
                ),
            )
        })?;
        if patronage_core::TradeCodes::get()
            .gacc_partner(code)
            .is_none()
        {
            return Err((
                v.span(),
                format!("source `{id}`: partner {code} is not in China customs' partner code list"),
            ));
        }
        out.partner = Some(code);
    }
    if let Some(v) = raw.country_codes {
        let p = dir.join(v.get_ref());
        if !p.is_file() {
            return Err((
                v.span(),
                format!(
                    "source `{id}`: country_codes `{}` is not a file (looked in {})",
                    v.get_ref(),
                    dir.display()
                ),
            ));
        }
        out.country_codes = Some(p);
    }
    Ok(out)
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
