//! What a fetch asks for, as a pipeline's `fetch = {...}` or the command line
//! writes it: one of UN Comtrade's final data (`comtrade`), its bulk files
//! (`comtrade_bulk`), a CEPII BACI release (`baci`) or OCHA FTS flows (`fts`),
//! every key known (an unknown key is an error), and the endpoints they go to
//! (the agencies' own by default; tests point them at a local server).

use serde::Deserialize;

/// One code or a list (`"RUS"`, `["M", "X"]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Codes {
    /// One code.
    One(String),
    /// Several codes.
    Many(Vec<String>),
}

impl Codes {
    /// The codes, each trimmed, a comma-separated one split.
    pub fn list(&self) -> Vec<String> {
        let all = match self {
            Codes::One(s) => vec![s.clone()],
            Codes::Many(v) => v.clone(),
        };
        all.iter()
            .flat_map(|s| s.split(','))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    }
}

/// UN Comtrade final data (`/data/v1/get/{type}/{freq}/{cl}`), or the keyless
/// preview (`preview = true`, 500 records).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComtradeQuery {
    /// Reporters: ISO3 (`RUS`) or Comtrade codes (`643`).
    pub reporter: Codes,
    /// Partners (ISO3 or codes); all when absent.
    pub partner: Option<Codes>,
    /// Periods: `2010..2023`, `2019`, `2016-01..2016-12`, or a list.
    pub period: Codes,
    /// Flows (`M`, `X`, `RM`, `RX`); all when absent.
    pub flow: Option<Codes>,
    /// Commodity codes; `TOTAL` when absent.
    pub commodity: Option<Codes>,
    /// `A` (annual) or `M` (monthly); from the period when absent.
    pub freq: Option<String>,
    /// Classification (`HS` when absent).
    pub classification: Option<String>,
    /// `C` goods (default) or `S` services.
    #[serde(rename = "type")]
    pub type_code: Option<String>,
    /// `classic` (default) or `plus`.
    pub breakdown: Option<String>,
    /// The keyless public preview (at most 500 records per request).
    #[serde(default)]
    pub preview: bool,
    /// The record cap of the subscription: 250000 (default), 100000 for a free
    /// one.
    pub max_records: Option<u64>,
}

/// UN Comtrade bulk files: the file list, then each `.gz` file not yet
/// fetched at its publication date.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkQuery {
    /// Reporters (ISO3 or codes).
    pub reporter: Codes,
    /// Periods, as for [`ComtradeQuery`].
    pub period: Codes,
    /// `A` or `M`; from the period when absent.
    pub freq: Option<String>,
    /// Classification (`HS` when absent).
    pub classification: Option<String>,
    /// `C` (default) or `S`.
    #[serde(rename = "type")]
    pub type_code: Option<String>,
}

/// A CEPII BACI release zip: `BACI_<hs>_V<version>.zip`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaciRelease {
    /// HS revision: `HS92`, `HS96`, `HS02`, `HS07`, `HS12`, `HS17`, `HS22`.
    pub hs: String,
    /// Release: `V202401`.
    pub version: String,
}

/// OCHA FTS flows of a country and years (`/v1/public/fts/flow`), every page.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FtsQuery {
    /// The recipient country, ISO3.
    pub country: String,
    /// Years: `2020` or `2018..2020`.
    pub year: Codes,
}

/// What to fetch.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Spec {
    /// UN Comtrade final data or preview.
    Comtrade(ComtradeQuery),
    /// UN Comtrade bulk files.
    ComtradeBulk(BulkQuery),
    /// A CEPII BACI release.
    Baci(BaciRelease),
    /// OCHA FTS flows.
    Fts(FtsQuery),
}

/// Where requests go: the agencies' endpoints by default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// UN Comtrade's API (`https://comtradeapi.un.org`).
    pub comtrade: String,
    /// CEPII's BACI downloads folder.
    pub baci: String,
    /// OCHA FTS's API (`https://api.hpc.tools`).
    pub fts: String,
}

impl Default for Endpoints {
    fn default() -> Self {
        Endpoints {
            comtrade: "https://comtradeapi.un.org".to_string(),
            baci: "https://www.cepii.fr/DATA_DOWNLOAD/baci/data".to_string(),
            fts: "https://api.hpc.tools".to_string(),
        }
    }
}

impl Endpoints {
    /// Every endpoint under one base URL (a test server), each with the path
    /// the agency uses.
    pub fn all_at(base: &str) -> Endpoints {
        let base = base.trim_end_matches('/');
        Endpoints {
            comtrade: base.to_string(),
            baci: format!("{base}/DATA_DOWNLOAD/baci/data"),
            fts: base.to_string(),
        }
    }
}

/// Expand periods: `2010..2012` → 2010, 2011, 2012; `2016-01..2016-03` →
/// 201601, 201602, 201603; a list as given (`2019-05` → 201905). The second
/// value says whether they are months.
pub fn periods(p: &Codes) -> Result<(Vec<String>, bool), String> {
    let mut out = Vec::new();
    let mut months = None;
    let ym = |s: &str| -> Result<(i32, Option<u32>), String> {
        let s = s.trim();
        let bad = || format!("period `{s}`: expected 2019, 2019-05, or a range 2010..2023");
        match s.split_once('-') {
            Some((y, m)) => {
                let y: i32 = y.parse().map_err(|_| bad())?;
                let m: u32 = m.parse().map_err(|_| bad())?;
                if !(1..=12).contains(&m) || !(1900..=2100).contains(&y) {
                    return Err(bad());
                }
                Ok((y, Some(m)))
            }
            None if s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit()) => {
                let y: i32 = s[..4].parse().map_err(|_| bad())?;
                let m: u32 = s[4..].parse().map_err(|_| bad())?;
                if !(1..=12).contains(&m) {
                    return Err(bad());
                }
                Ok((y, Some(m)))
            }
            None => {
                let y: i32 = s.parse().map_err(|_| bad())?;
                if !(1900..=2100).contains(&y) {
                    return Err(bad());
                }
                Ok((y, None))
            }
        }
    };
    for item in p.list() {
        let (a, b) = match item.split_once("..") {
            Some((a, b)) => (ym(a)?, ym(b)?),
            None => (ym(&item)?, ym(&item)?),
        };
        let is_month = a.1.is_some();
        if b.1.is_some() != is_month || months.is_some_and(|m| m != is_month) {
            return Err(format!("period `{item}`: years and months are not mixed"));
        }
        months = Some(is_month);
        let index = |(y, m): (i32, Option<u32>)| y * 12 + m.map_or(0, |m| m as i32 - 1);
        if index(b) < index(a) {
            return Err(format!("period `{item}`: the range ends before it starts"));
        }
        if index(b) - index(a) > 12 * 200 {
            return Err(format!("period `{item}`: too long a range"));
        }
        if is_month {
            out.extend((index(a)..=index(b)).map(|i| format!("{:04}{:02}", i / 12, i % 12 + 1)));
        } else {
            out.extend((a.0..=b.0).map(|y| y.to_string()));
        }
    }
    out.sort();
    out.dedup();
    if out.is_empty() {
        return Err("no period given".to_string());
    }
    Ok((out, months.unwrap_or(false)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_expand() {
        let years = periods(&Codes::One("2010..2013".into())).unwrap();
        assert_eq!(
            years,
            (
                vec!["2010".into(), "2011".into(), "2012".into(), "2013".into()],
                false
            )
        );
        let months = periods(&Codes::One("2016-11..2017-02".into())).unwrap();
        assert_eq!(
            months.0,
            ["201611", "201612", "201701", "201702"].map(String::from)
        );
        assert!(months.1);
        assert!(periods(&Codes::Many(vec!["2019".into(), "2019-01".into()])).is_err());
        assert!(periods(&Codes::One("2023..2010".into())).is_err());
    }
}
