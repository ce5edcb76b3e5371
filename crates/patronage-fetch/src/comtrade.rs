//! UN Comtrade v1 final data: a query becomes requests of at most 12 periods
//! each (the API's limit), every reporter and partner by its Comtrade code, the
//! key sent as a header. An answer whose `count` reaches the record cap (250,000
//! with a subscription, 100,000 for a free one, 500 for the keyless preview) is
//! taken as truncated: it is not kept, and the request is split in two by
//! period, then by reporter, until every answer is under the cap, so the files
//! kept hold every record once. An answer whose `error` field is set is an
//! error naming the request.

use std::collections::BTreeMap;

use patronage_core::CountryRegistry;

use crate::fetcher::{Check, Fetched, Fetcher, Request};
use crate::query::{periods, ComtradeQuery};
use crate::FetchError;

/// The API's most periods in one request.
const PERIODS_PER_REQUEST: usize = 12;

/// One request of a query: its periods and reporters (codes).
#[derive(Debug, Clone)]
struct Part {
    periods: Vec<String>,
    reporters: Vec<String>,
}

/// The record cap of `q`.
pub fn cap(q: &ComtradeQuery) -> u64 {
    if q.preview {
        500
    } else {
        q.max_records.unwrap_or(250_000)
    }
}

/// Comtrade codes of `codes` (ISO3 or numeric), valid in `year`.
pub(crate) fn country_codes(
    codes: &[String],
    year: i32,
    what: &str,
) -> Result<Vec<String>, FetchError> {
    let registry = CountryRegistry::comtrade();
    codes
        .iter()
        .map(|c| {
            if c.bytes().all(|b| b.is_ascii_digit()) {
                return Ok(c.clone());
            }
            let iso3 = c.to_ascii_uppercase();
            registry
                .code_of_iso3(&iso3, year)
                .map(|n| n.to_string())
                .ok_or_else(|| {
                    FetchError::Request(format!(
                        "{what} `{c}`: no UN Comtrade code for it in {year}"
                    ))
                })
        })
        .collect()
}

/// The year a period starts.
pub(crate) fn first_year(periods: &[String]) -> i32 {
    periods
        .first()
        .and_then(|p| p.get(..4))
        .and_then(|y| y.parse().ok())
        .unwrap_or(2000)
}

/// Fetch every record of `q` from the API at `base`, splitting requests that
/// reach the cap; the files kept, in request order.
pub fn fetch(f: &mut Fetcher, q: &ComtradeQuery, base: &str) -> Result<Vec<Fetched>, FetchError> {
    let (all_periods, monthly) = periods(&q.period).map_err(FetchError::Request)?;
    let year = first_year(&all_periods);
    let reporters = country_codes(&q.reporter.list(), year, "reporter")?;
    if reporters.is_empty() {
        return Err(FetchError::Request("no reporter given".to_string()));
    }
    let cap = cap(q);
    if !q.preview && !f.has_key() && !f.settings().offline {
        return Err(FetchError::Request(
            "UN Comtrade final data needs a subscription key: set COMTRADE_API_KEY or give \
             --key-file (or ask for the keyless preview, 500 records per request)"
                .to_string(),
        ));
    }
    let mut todo: Vec<Part> = all_periods
        .chunks(PERIODS_PER_REQUEST)
        .map(|p| Part {
            periods: p.to_vec(),
            reporters: reporters.clone(),
        })
        .collect();
    todo.reverse();
    let mut kept = Vec::new();
    while let Some(part) = todo.pop() {
        let req = request(q, base, &part, monthly, cap)?;
        // A request the lock knows reaches the cap goes straight to its halves.
        let known = f.known_at_cap(&req.url);
        if !known {
            let got = f.get(&req, |body| check(body, cap))?;
            if let Some(file) = got {
                kept.push(file);
                continue;
            }
        }
        let Some((a, b)) = split(&part) else {
            return Err(FetchError::Api {
                what: req.url.clone(),
                message: format!(
                    "the answer holds {cap} records, the cap, for one period and one reporter; \
                     narrow the request (partner, flow or commodity)"
                ),
            });
        };
        if !known {
            let into = [&a, &b]
                .iter()
                .map(|p| request(q, base, p, monthly, cap).map(|r| r.url))
                .collect::<Result<Vec<_>, _>>()?;
            f.split(&req.url, cap, into)?;
        }
        todo.push(b);
        todo.push(a);
    }
    Ok(kept)
}

/// A part in two: by period when it has several, else by reporter.
fn split(part: &Part) -> Option<(Part, Part)> {
    if part.periods.len() > 1 {
        let (a, b) = part.periods.split_at(part.periods.len() / 2);
        return Some((
            Part {
                periods: a.to_vec(),
                reporters: part.reporters.clone(),
            },
            Part {
                periods: b.to_vec(),
                reporters: part.reporters.clone(),
            },
        ));
    }
    if part.reporters.len() > 1 {
        let (a, b) = part.reporters.split_at(part.reporters.len() / 2);
        return Some((
            Part {
                periods: part.periods.clone(),
                reporters: a.to_vec(),
            },
            Part {
                periods: part.periods.clone(),
                reporters: b.to_vec(),
            },
        ));
    }
    None
}

/// Keep an answer, or say it reached the cap; its `error` field set is an error.
fn check(body: &[u8], cap: u64) -> Result<Check, String> {
    #[derive(serde::Deserialize)]
    struct Envelope {
        count: Option<u64>,
        data: Option<Vec<serde::de::IgnoredAny>>,
        error: Option<serde_json::Value>,
    }
    let env: Envelope = serde_json::from_slice(body)
        .map_err(|e| format!("the answer is not the API's JSON envelope: {e}"))?;
    match &env.error {
        None | Some(serde_json::Value::Null) => {}
        Some(serde_json::Value::String(s)) if s.is_empty() => {}
        Some(e) => return Err(format!("the API answered with an error: {e}")),
    }
    let n = env
        .count
        .or(env.data.as_ref().map(|d| d.len() as u64))
        .ok_or("the answer has neither `count` nor `data`")?;
    Ok(if n >= cap {
        Check::AtCap(n)
    } else {
        Check::Keep
    })
}

/// The request of one part.
fn request(
    q: &ComtradeQuery,
    base: &str,
    part: &Part,
    monthly: bool,
    cap: u64,
) -> Result<Request, FetchError> {
    let type_code = q.type_code.as_deref().unwrap_or("C");
    let freq = q.freq.as_deref().unwrap_or(if monthly { "M" } else { "A" });
    let cl = q.classification.as_deref().unwrap_or("HS");
    let year = first_year(&part.periods);
    let mut query: Vec<(&str, String)> = vec![
        ("reporterCode", part.reporters.join(",")),
        ("period", part.periods.join(",")),
    ];
    if let Some(p) = &q.partner {
        query.push((
            "partnerCode",
            country_codes(&p.list(), year, "partner")?.join(","),
        ));
    }
    if let Some(fl) = &q.flow {
        query.push(("flowCode", fl.list().join(",")));
    }
    let cmd = q
        .commodity
        .as_ref()
        .map_or("TOTAL".to_string(), |c| c.list().join(","));
    query.push(("cmdCode", cmd));
    query.push((
        "breakdownMode",
        q.breakdown.clone().unwrap_or_else(|| "classic".into()),
    ));
    query.push(("includeDesc", "true".into()));
    query.push(("maxRecords", cap.to_string()));
    let path = if q.preview {
        format!("public/v1/preview/{type_code}/{freq}/{cl}")
    } else {
        format!("data/v1/get/{type_code}/{freq}/{cl}")
    };
    let url = format!("{}/{path}?{}", base.trim_end_matches('/'), encode(&query));
    let mut params = BTreeMap::new();
    params.insert("reporter".to_string(), part.reporters.join(","));
    params.insert("period".to_string(), part.periods.join(","));
    for (k, v) in &query[2..] {
        params.insert((*k).to_string(), v.clone());
    }
    let name = format!(
        "comtrade_{type_code}{freq}{cl}_{}_{}.json",
        part.reporters.join("-"),
        match (part.periods.first(), part.periods.last()) {
            (Some(a), Some(b)) if a != b => format!("{a}-{b}"),
            (Some(a), _) => a.clone(),
            _ => String::new(),
        }
    );
    Ok(Request {
        url,
        source: if q.preview {
            "comtrade_preview"
        } else {
            "comtrade"
        }
        .to_string(),
        params,
        name,
        published: None,
        keyed: !q.preview,
    })
}

/// A query string: each value percent-encoded except letters, digits and `,-._`.
pub(crate) fn encode(pairs: &[(&str, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            let v: String = v
                .bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b",-._".contains(&b) {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect();
            format!("{k}={v}")
        })
        .collect::<Vec<_>>()
        .join("&")
}
