//! OCHA FTS flows (`/v1/public/fts/flow?countryISO3=PRK&year=2020`), one file
//! per page, following `meta.nextLink` until a page has none. A next link is
//! followed on the configured host only (its path and query kept), so a page
//! cannot send the fetch elsewhere; pages held in the cache are read back from
//! it to find their links, so a second fetch makes no request. A page whose
//! `status` is not `ok` is an error naming it.

use std::collections::BTreeMap;

use crate::bulk::origin;
use crate::comtrade::encode;
use crate::fetcher::{Check, Fetched, Fetcher, Request};
use crate::query::{periods, FtsQuery};
use crate::FetchError;

/// The most pages followed for one year (FTS pages hold 1,000 flows or more).
const MAX_PAGES: usize = 10_000;

/// Fetch every page of flows of `q` from the API at `base`.
pub fn fetch(f: &mut Fetcher, q: &FtsQuery, base: &str) -> Result<Vec<Fetched>, FetchError> {
    let (years, monthly) = periods(&q.year).map_err(FetchError::Request)?;
    if monthly {
        return Err(FetchError::Request("FTS `year`: years, not months".into()));
    }
    let country = q.country.to_ascii_uppercase();
    if country.len() != 3 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(FetchError::Request(format!(
            "FTS country `{}`: expected an ISO3 code",
            q.country
        )));
    }
    let base = base.trim_end_matches('/');
    let mut out = Vec::new();
    for year in years {
        let mut url = format!(
            "{base}/v1/public/fts/flow?{}",
            encode(&[("countryISO3", country.clone()), ("year", year.clone())])
        );
        for page in 1..=MAX_PAGES {
            let mut params = BTreeMap::new();
            params.insert("country".to_string(), country.clone());
            params.insert("year".to_string(), year.clone());
            params.insert("page".to_string(), page.to_string());
            let req = Request {
                url: url.clone(),
                source: "fts".to_string(),
                params,
                name: format!("fts_flows_{country}_{year}_page{page}.json"),
                published: None,
                keyed: false,
            };
            let Some(got) = f.get(&req, |body| next_link(body).map(|_| Check::Keep))? else {
                break;
            };
            let body = std::fs::read(&got.path).map_err(|source| FetchError::Io {
                path: got.path.clone(),
                source,
            })?;
            let next = next_link(&body).map_err(|message| FetchError::Api {
                what: url.clone(),
                message,
            })?;
            out.push(got);
            match next {
                Some(link) => url = format!("{}{}", origin(base), path_and_query(&link)),
                None => break,
            }
        }
    }
    Ok(out)
}

/// A page's `meta.nextLink`, or an error when the page is not an FTS answer.
fn next_link(body: &[u8]) -> Result<Option<String>, String> {
    let v: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| format!("the page is not JSON: {e}"))?;
    match v.get("status").and_then(|s| s.as_str()) {
        Some("ok") => {}
        other => {
            return Err(format!(
                "the page's status is {} (not ok): {}",
                other.unwrap_or("missing"),
                v.get("message").map(|m| m.to_string()).unwrap_or_default()
            ))
        }
    }
    Ok(v.pointer("/meta/nextLink")
        .and_then(|l| l.as_str())
        .filter(|l| !l.is_empty())
        .map(str::to_string))
}

/// The path and query of a URL (`/v1/public/fts/flow?page=2`).
fn path_and_query(url: &str) -> &str {
    &url[origin(url).len()..]
}
