//! UN OCHA Financial Tracking Service (FTS) flow API responses, saved page by page.
//!
//! A page is `{status, data: {incoming, outgoing, internal, flows: [...]}, meta:
//! {count, nextLink}}`; the last page has no `nextLink`. [`parse_page`] reads one
//! page's flows (a flow that cannot be read is a reject); [`chain`] orders a
//! source's pages by following `nextLink` across the local files. A link resolves
//! to the file named by the link's last path segment (`.../page-2.json`), or to
//! the file whose name ends in the page number the link carries (`page=N` in an
//! API link), written as FTS clients save pages: `…page-N`, `…page_N`,
//! `…&page=N`, `…_pageN`. A link that resolves to no file, two pages linking to
//! one, a loop, or a chain holding fewer flows than `meta.count` says are errors:
//! a pull with a missing page must not pass for a complete one.

use std::path::{Path, PathBuf};

use patronage_core::RowReject;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::json::{self, LineTracker};
use crate::{ExtractError, Extracted};

/// Organizations, locations, usage years and plans on one side of a flow.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FtsObjects {
    /// Organization names.
    pub organizations: Vec<String>,
    /// Locations as (FTS id, name).
    pub locations: Vec<(String, String)>,
    /// Usage years, in the order published.
    pub usage_years: Vec<i32>,
    /// Plan names.
    pub plans: Vec<String>,
}

/// One FTS flow, typed.
#[derive(Debug, Clone, PartialEq)]
pub struct FtsFlow {
    /// Line where the flow starts in its page.
    pub line: u64,
    /// Column (1-based, in characters) where it starts on that line: flows on
    /// one line (a page saved minified) stay apart.
    pub column: u64,
    /// Flow id.
    pub id: String,
    /// `amountUSD` in cents.
    pub amount_usd_cents: i64,
    /// paid, commitment or pledge.
    pub status: String,
    /// incoming, internal or outgoing (relative to the query's boundary).
    pub boundary: String,
    /// single or shared.
    pub on_boundary: Option<String>,
    /// Standard, Parked, Carryover, Pass through.
    pub flow_type: Option<String>,
    /// financial or in kind.
    pub contribution_type: Option<String>,
    /// Parent flow, for a child of a multi-year parent.
    pub parent_flow_id: Option<String>,
    /// Children, for a parent.
    pub child_flow_ids: Vec<String>,
    /// Flow date as published (ISO timestamp).
    pub date: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Amount in the original currency.
    pub original_amount: Option<f64>,
    /// Original currency.
    pub original_currency: Option<String>,
    /// Units of the original currency per US dollar.
    pub exchange_rate: Option<f64>,
    /// Source side.
    pub source: FtsObjects,
    /// Destination side.
    pub destination: FtsObjects,
    /// The flow as read, bounded.
    pub raw: String,
}

/// One page of a flow query.
#[derive(Debug, Clone)]
pub struct FtsPage {
    /// The file.
    pub path: PathBuf,
    /// `meta.nextLink`, when present.
    pub next_link: Option<String>,
    /// Line of `nextLink` in the file (for messages).
    pub next_link_line: u64,
    /// `meta.count`: flows in the whole query.
    pub count: Option<u64>,
    /// The page's flows and rejects.
    pub flows: Extracted<FtsFlow>,
}

#[derive(Deserialize)]
struct Envelope<'a> {
    status: Option<String>,
    #[serde(borrow)]
    data: Option<Data<'a>>,
    meta: Option<Meta>,
}

#[derive(Deserialize)]
struct Data<'a> {
    #[serde(borrow)]
    flows: Option<Vec<&'a RawValue>>,
}

#[derive(Deserialize)]
struct Meta {
    count: Option<u64>,
    #[serde(rename = "nextLink")]
    next_link: Option<String>,
}

/// Statuses a flow may carry.
pub const STATUSES: [&str; 3] = ["paid", "commitment", "pledge"];
/// Boundaries a flow may carry.
pub const BOUNDARIES: [&str; 3] = ["incoming", "internal", "outgoing"];

/// Parse one saved page; `path` is used in messages.
pub fn parse_page(path: &Path, bytes: &[u8]) -> Result<FtsPage, ExtractError> {
    let what = "an OCHA FTS flow API response";
    let doc = json::document(path, bytes, what)?;
    let env: Envelope = json::from_str(path, doc, what)?;
    let layout = |message: String| ExtractError::Layout {
        path: path.to_path_buf(),
        line: 1,
        message,
    };
    if let Some(s) = env.status.as_deref().filter(|s| *s != "ok") {
        return Err(layout(format!("the response has status `{s}`, not `ok`")));
    }
    let flows = env
        .data
        .and_then(|d| d.flows)
        .ok_or_else(|| layout("no `data.flows` array: not an FTS flow API response".to_string()))?;
    let meta = env.meta;
    let mut lines = LineTracker::new(doc);
    let mut out = Extracted {
        rows: Vec::with_capacity(flows.len()),
        rejects: Vec::new(),
        rows_read: 0,
    };
    for raw in flows {
        out.rows_read += 1;
        let (line, column) = lines.position_of(raw);
        match parse_flow(raw.get(), line, column) {
            Ok(f) => out.rows.push(f),
            Err((reason, detail)) => out
                .rejects
                .push(RowReject::new(line, reason, detail, raw.get()).at_column(column)),
        }
    }
    Ok(FtsPage {
        path: path.to_path_buf(),
        next_link_line: LineTracker::line_of_text(doc, "\"nextLink\""),
        next_link: meta.as_ref().and_then(|m| m.next_link.clone()),
        count: meta.and_then(|m| m.count),
        flows: out,
    })
}

/// An id written as a string or an integer.
fn id_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) if n.is_u64() => Some(n.to_string()),
        _ => None,
    }
}

fn opt_str(o: &serde_json::Map<String, Value>, k: &str) -> Option<String> {
    o.get(k)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn objects(v: Option<&Value>) -> Result<FtsObjects, String> {
    let mut out = FtsObjects::default();
    let Some(list) = v.and_then(Value::as_array) else {
        return Ok(out);
    };
    for o in list {
        let (Some(kind), Some(name)) = (o.get("type").and_then(Value::as_str), o.get("name"))
        else {
            continue;
        };
        let name = match name {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        match kind {
            "Organization" => out.organizations.push(name),
            "Location" => out
                .locations
                .push((o.get("id").and_then(id_text).unwrap_or_default(), name)),
            "UsageYear" => out.usage_years.push({
                let year: i32 = name
                    .trim()
                    .parse()
                    .map_err(|_| format!("UsageYear `{name}` is not a year"))?;
                crate::text::check_year(i64::from(year)).map_err(|m| format!("UsageYear {m}"))?;
                year
            }),
            "Plan" => out.plans.push(name),
            _ => {}
        }
    }
    Ok(out)
}

fn parse_flow(text: &str, line: u64, column: u64) -> Result<FtsFlow, (&'static str, String)> {
    let o: serde_json::Map<String, Value> = serde_json::from_str(text)
        .map_err(|_| ("not_a_record", "a flow is not a JSON object".to_string()))?;
    let id = o
        .get("id")
        .and_then(id_text)
        .ok_or(("missing_field", "`id` is missing".to_string()))?;
    let amount = o.get("amountUSD").ok_or((
        "missing_field",
        format!("flow {id}: `amountUSD` is missing"),
    ))?;
    let amount_usd_cents = match amount {
        Value::Number(n) => crate::text::parse_scaled(&n.to_string(), 2).ok(),
        _ => None,
    }
    .ok_or((
        "bad_number",
        format!("flow {id}: `amountUSD` {amount} is not a number"),
    ))?;
    if amount_usd_cents < 0 {
        return Err((
            "negative_amount",
            format!("flow {id}: `amountUSD` {amount} is negative"),
        ));
    }
    let status = opt_str(&o, "status").unwrap_or_default();
    if !STATUSES.contains(&status.as_str()) {
        return Err((
            "unknown_status",
            format!(
                "flow {id}: `status` `{status}` is not one of {}",
                STATUSES.join(", ")
            ),
        ));
    }
    let boundary = opt_str(&o, "boundary").unwrap_or_default();
    if !BOUNDARIES.contains(&boundary.as_str()) {
        return Err((
            "unknown_boundary",
            format!(
                "flow {id}: `boundary` `{boundary}` is not one of {}",
                BOUNDARIES.join(", ")
            ),
        ));
    }
    let num = |k: &str| o.get(k).and_then(Value::as_f64);
    let source =
        objects(o.get("sourceObjects")).map_err(|m| ("bad_object", format!("flow {id}: {m}")))?;
    let destination = objects(o.get("destinationObjects"))
        .map_err(|m| ("bad_object", format!("flow {id}: {m}")))?;
    Ok(FtsFlow {
        line,
        column,
        amount_usd_cents,
        status,
        boundary,
        on_boundary: opt_str(&o, "onBoundary"),
        flow_type: opt_str(&o, "flowType"),
        contribution_type: opt_str(&o, "contributionType"),
        parent_flow_id: o.get("parentFlowId").and_then(id_text),
        child_flow_ids: o
            .get("childFlowIds")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(id_text).collect())
            .unwrap_or_default(),
        date: opt_str(&o, "date"),
        description: opt_str(&o, "description"),
        original_amount: num("originalAmount"),
        original_currency: opt_str(&o, "originalCurrency"),
        exchange_rate: num("exchangeRate"),
        source,
        destination,
        raw: patronage_core::bound_text(text),
        id,
    })
}

/// The page number a file stem or link segment ends with, and what comes before
/// it: `q-page-2`, `q_page_2`, `q&page=2` (a query saved as a file name),
/// `q_page2` or `page2` give (`q`, 2). `page` must start the name or follow a
/// character that is not a letter or digit; the separators before it are not
/// part of the base.
fn page_marker(stem: &str) -> Option<(&str, u64)> {
    let digits = stem.len() - stem.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 0 {
        return None;
    }
    let (rest, number) = stem.split_at(stem.len() - digits);
    let rest = rest.strip_suffix(['-', '_', '=']).unwrap_or(rest);
    let at = rest.len().checked_sub(4)?;
    if !rest.get(at..)?.eq_ignore_ascii_case("page") {
        return None;
    }
    let base = &rest[..at];
    if base.chars().next_back().is_some_and(char::is_alphanumeric) {
        return None;
    }
    let base = base.trim_end_matches(['-', '_', '&', '?', '.', ' ']);
    Some((base, number.parse().ok()?))
}

/// The stem of a file's name.
fn stem_of(p: &Path) -> String {
    p.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The file a `nextLink` of page `from` points to, among `files`: the file named
/// by the link's last path segment, else the file whose name ends in the page
/// number the link carries (its `page=N` parameter, or its last segment's
/// `page-N`) written in any of the ways [`page_marker`] reads. When several
/// files carry that page number, the one whose name starts like page `from`'s
/// is taken; `Err` says why no single file was found.
fn resolve_link(link: &str, files: &[PathBuf], from: usize) -> Result<usize, String> {
    let (path_part, query) = link.split_once('?').unwrap_or((link, ""));
    let last = path_part.rsplit('/').next().unwrap_or_default();
    let name = |p: &PathBuf| p.file_name().map(|n| n.to_string_lossy().into_owned());
    if !last.is_empty() {
        if let Some(i) = files.iter().position(|f| name(f).as_deref() == Some(last)) {
            return Ok(i);
        }
    }
    let from_query = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("page="))
        .and_then(|p| p.parse::<u64>().ok());
    let last_stem = stem_of(Path::new(last));
    let page = from_query
        .or_else(|| page_marker(&last_stem).map(|(_, n)| n))
        .ok_or_else(|| "names no file of this source and carries no page number".to_string())?;
    let markers: Vec<Option<(String, u64)>> = files
        .iter()
        .map(|f| page_marker(&stem_of(f)).map(|(b, n)| (b.to_string(), n)))
        .collect();
    let candidates: Vec<usize> = (0..files.len())
        .filter(|&i| markers[i].as_ref().is_some_and(|(_, n)| *n == page))
        .collect();
    let from_stem = stem_of(&files[from]);
    let from_base = markers[from]
        .as_ref()
        .map_or(from_stem.as_str(), |(b, _)| b.as_str());
    match candidates.as_slice() {
        [] => Err(format!(
            "names page {page}, and no file of this source has a name ending in page {page}"
        )),
        [one] => Ok(*one),
        several => {
            let same: Vec<usize> = several
                .iter()
                .copied()
                .filter(|&i| markers[i].as_ref().is_some_and(|(b, _)| b == from_base))
                .collect();
            match same.as_slice() {
                [one] => Ok(*one),
                _ => Err(format!(
                    "names page {page}, which {} files of this source carry ({}), none of them alone named like this page",
                    several.len(),
                    several
                        .iter()
                        .map(|&i| files[i].display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            }
        }
    }
}

/// Order a source's pages into chains by following `nextLink`; returns each
/// chain as page indices, chains ordered by their first page's file.
pub fn chain(pages: &[FtsPage]) -> Result<Vec<Vec<usize>>, ExtractError> {
    let files: Vec<PathBuf> = pages.iter().map(|p| p.path.clone()).collect();
    let err = |p: &FtsPage, message: String| ExtractError::Layout {
        path: p.path.clone(),
        line: p.next_link_line,
        message,
    };
    let mut next: Vec<Option<usize>> = vec![None; pages.len()];
    let mut linked_from: Vec<Option<usize>> = vec![None; pages.len()];
    for (i, p) in pages.iter().enumerate() {
        let Some(link) = p.next_link.as_deref().filter(|l| !l.trim().is_empty()) else {
            continue;
        };
        let j = resolve_link(link, &files, i).map_err(|why| {
            err(
                p,
                format!(
                    "broken page chain: `meta.nextLink` {link} {why} (save the next page under the link's last path segment, or with a name ending in page-N, page_N, page=N or pageN)"
                ),
            )
        })?;
        if j == i {
            return Err(err(
                p,
                format!("broken page chain: `meta.nextLink` {link} points back to this page"),
            ));
        }
        if let Some(k) = linked_from[j] {
            return Err(err(
                p,
                format!(
                    "broken page chain: {} is the next page of both {} and this page",
                    files[j].display(),
                    files[k].display()
                ),
            ));
        }
        linked_from[j] = Some(i);
        next[i] = Some(j);
    }
    let mut chains = Vec::new();
    let mut seen = vec![false; pages.len()];
    for start in (0..pages.len()).filter(|i| linked_from[*i].is_none()) {
        let mut c = vec![start];
        seen[start] = true;
        let mut at = start;
        while let Some(j) = next[at] {
            seen[j] = true;
            c.push(j);
            at = j;
        }
        let held: u64 = c.iter().map(|i| pages[*i].flows.rows_read).sum();
        if let Some(count) = pages[start].count {
            if count != held {
                return Err(err(
                    &pages[at],
                    format!(
                        "incomplete page chain: `meta.count` says {count} flows but the {} page(s) from {} hold {held} (a missing page?)",
                        c.len(),
                        files[start].display()
                    ),
                ));
            }
        }
        chains.push(c);
    }
    if let Some(i) = seen.iter().position(|s| !s) {
        return Err(err(
            &pages[i],
            "broken page chain: the pages link in a loop".to_string(),
        ));
    }
    Ok(chains)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(name: &str, next: Option<&str>, flows: &str, count: u64) -> FtsPage {
        let meta = match next {
            Some(n) => format!("{{\"count\":{count},\"nextLink\":\"{n}\"}}"),
            None => format!("{{\"count\":{count}}}"),
        };
        let text =
            format!("{{\"status\":\"ok\",\"data\":{{\"flows\":[{flows}]}},\n\"meta\":{meta}}}");
        parse_page(Path::new(name), text.as_bytes()).unwrap()
    }

    const FLOW: &str = r#"{"id":"1","amountUSD":10500,"status":"paid","boundary":"incoming","sourceObjects":[{"type":"UsageYear","id":"1","name":"2000"}],"destinationObjects":[]}"#;

    #[test]
    fn pages_chain_by_next_link_and_breaks_are_errors() {
        let a = page(
            "q.json",
            Some("https://x/v1/fts/flow?year=2000&page=2"),
            FLOW,
            2,
        );
        let b = page("q-page-2.json", None, FLOW, 2);
        assert_eq!(a.flows.rows[0].amount_usd_cents, 1_050_000);
        assert_eq!(a.flows.rows[0].source.usage_years, [2000]);
        assert_eq!(chain(&[b.clone(), a.clone()]).unwrap(), [vec![1, 0]]);
        let e = chain(std::slice::from_ref(&a)).unwrap_err().to_string();
        assert!(e.starts_with("q.json:2: broken page chain"), "{e}");
        let e = chain(&[b]).unwrap_err().to_string();
        assert!(e.contains("incomplete page chain"), "{e}");
    }

    /// FTS clients save the pages of one query under the query's own name with the
    /// page appended (`…&page=2.json`, `…_page2.json`); a link naming page N
    /// finds that file whatever the spelling, and, where two pulls sit in one
    /// source, the one named like the linking page.
    #[test]
    fn fts_pages_saved_under_client_names_chain() {
        assert_eq!(
            page_marker("flow?year=2000&page=2"),
            Some(("flow?year=2000", 2))
        );
        assert_eq!(page_marker("q_page2"), Some(("q", 2)));
        assert_eq!(page_marker("q-page-12"), Some(("q", 12)));
        assert_eq!(page_marker("q_Page_3"), Some(("q", 3)));
        assert_eq!(page_marker("page2"), Some(("", 2)));
        assert_eq!(page_marker("homepage2"), None);
        assert_eq!(page_marker("flow-prk-2000"), None);
        let api = "https://api.hpc.tools/v1/public/fts/flow?countryISO3=PRK&year=2000&page=";
        let a = page("prk&page=1.json", Some(&format!("{api}2")), FLOW, 3);
        let b = page("prk&page=2.json", Some(&format!("{api}3")), FLOW, 3);
        let c = page("prk_page3.json", None, FLOW, 3);
        assert_eq!(
            chain(&[c.clone(), b.clone(), a.clone()]).unwrap(),
            [vec![2, 1, 0]]
        );
        // A link to a published file name (`…-page-2.json`) finds the page saved
        // as `…_page2.json`.
        let d = page("x.json", Some("https://example.org/x-page-2.json"), FLOW, 2);
        let e = page("x_page2.json", None, FLOW, 2);
        assert_eq!(chain(&[d.clone(), e.clone()]).unwrap(), [vec![0, 1]]);
        // Two pulls in one source: each first page finds its own page 2.
        let f = page("y.json", Some(&format!("{api}2")), FLOW, 2);
        let g = page("y&page=2.json", None, FLOW, 2);
        assert_eq!(
            chain(&[d, e, f.clone(), g]).unwrap(),
            [vec![0, 1], vec![2, 3]]
        );
        // A page 2 that no file name carries is named in the error.
        let err = chain(&[f]).unwrap_err().to_string();
        assert!(
            err.contains("names page 2, and no file of this source has a name ending in page 2"),
            "{err}"
        );
    }

    #[test]
    fn bad_flows_are_rejects() {
        let p = page(
            "q.json",
            None,
            r#"{"id":"2","amountUSD":5,"status":"promised","boundary":"incoming"}, {"amountUSD":1}"#,
            2,
        );
        let reasons: Vec<_> = p.flows.rejects.iter().map(|r| r.reason).collect();
        assert_eq!(reasons, ["unknown_status", "missing_field"]);
        assert_eq!(p.flows.rows_read, 2);
        // Both flows sit on line 1 (a page saved minified): their columns keep
        // them apart. The first `{` follows the 32 characters of
        // `{"status":"ok","data":{"flows":[`; the second follows the first
        // flow's 66 characters and `, `.
        let at: Vec<_> = p.flows.rejects.iter().map(|r| (r.line, r.column)).collect();
        assert_eq!(at, [(1, 33), (1, 101)]);
    }
}
