//! UN Comtrade bulk files, incremental by publication date: the bulk endpoint
//! lists the files of a query (`fileUrl`, `publicationDate`), and a file is
//! downloaded only when the lock does not hold it at that publication date, so
//! a second fetch downloads only what was published (or republished) since.
//! The list itself is asked every time (its answer changes), except under
//! `--offline`, where the files the lock holds for the list are used. The key
//! is sent only to the API's own host, never to another one a list names.

use std::collections::BTreeMap;

use crate::comtrade::{country_codes, encode, first_year};
use crate::fetcher::{Check, Fetched, Fetcher, Request};
use crate::query::{periods, BulkQuery};
use crate::FetchError;

/// One file of the list.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Listed {
    file_url: String,
    publication_date: Option<String>,
}

/// The list's answer.
#[derive(Debug, serde::Deserialize)]
struct List {
    data: Vec<Listed>,
}

/// Fetch the files of `q` listed at `base`; the files, in list order.
pub fn fetch(f: &mut Fetcher, q: &BulkQuery, base: &str) -> Result<Vec<Fetched>, FetchError> {
    let (all_periods, monthly) = periods(&q.period).map_err(FetchError::Request)?;
    let reporters = country_codes(&q.reporter.list(), first_year(&all_periods), "reporter")?;
    let type_code = q.type_code.as_deref().unwrap_or("C");
    let freq = q.freq.as_deref().unwrap_or(if monthly { "M" } else { "A" });
    let cl = q.classification.as_deref().unwrap_or("HS");
    let base = base.trim_end_matches('/');
    let list_url = format!(
        "{base}/bulk/v1/get/{type_code}/{freq}/{cl}?{}",
        encode(&[
            ("reporterCode", reporters.join(",")),
            ("period", all_periods.join(",")),
        ])
    );
    if f.settings().offline {
        let held: Vec<Fetched> = f
            .lock()
            .files
            .iter()
            .filter(|e| e.params.get("list") == Some(&list_url))
            .filter_map(|e| f.cached(&e.url))
            .collect();
        if held.is_empty() {
            return Err(FetchError::Offline {
                cache: f.settings().cache.clone(),
                missing: vec![list_url],
            });
        }
        return Ok(held);
    }
    if !f.has_key() {
        return Err(FetchError::Request(
            "UN Comtrade bulk files need a subscription key: set COMTRADE_API_KEY or give --key-file"
                .to_string(),
        ));
    }
    let body = f.get_uncached(&list_url, true)?;
    let list: List = serde_json::from_slice(&body).map_err(|e| FetchError::Api {
        what: list_url.clone(),
        message: format!("the file list is not the API's JSON: {e}"),
    })?;
    let mut out = Vec::new();
    for item in list.data {
        let mut params = BTreeMap::new();
        params.insert("list".to_string(), list_url.clone());
        let name = item
            .file_url
            .rsplit('/')
            .next()
            .unwrap_or("bulk.gz")
            .split('?')
            .next()
            .unwrap_or("bulk.gz")
            .to_string();
        let req = Request {
            keyed: same_origin(&item.file_url, base),
            url: item.file_url,
            source: "comtrade_bulk".to_string(),
            params,
            name,
            published: item.publication_date,
        };
        if let Some(file) = f.get(&req, |_| Ok(Check::Keep))? {
            out.push(file);
        }
    }
    Ok(out)
}

/// The scheme and host of a URL (`https://comtradeapi.un.org`).
pub(crate) fn origin(url: &str) -> &str {
    let after = url.find("://").map_or(0, |i| i + 3);
    match url[after..].find('/') {
        Some(i) => &url[..after + i],
        None => url,
    }
}

/// Whether two URLs share scheme and host.
fn same_origin(a: &str, b: &str) -> bool {
    origin(a).eq_ignore_ascii_case(origin(b))
}
