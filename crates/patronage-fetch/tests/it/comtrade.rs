//! UN Comtrade v1 final data against the local server: a recorded answer, a
//! rate limit, server errors, a refused key, an answer at the record cap split
//! until every record comes once, a body cut short, a second fetch with no
//! request, and `--offline` with an empty cache.

use std::path::Path;
use std::time::Duration;

use patronage_fetch::{
    fetch, Codes, ComtradeQuery, Endpoints, Event, FetchError, Fetcher, Key, Lock, Retry, Settings,
    Spec,
};

use crate::server::{assert_key_nowhere, files_under, have_samples, sample, Answer, Server};

/// A key no real subscription has; every written file is searched for it.
pub const KEY: &str = "k3y-0f-a-t3st-5ubscr1pt10n";

pub fn settings(dir: &Path) -> Settings {
    Settings {
        cache: dir.join("cache"),
        lock: dir.join("fetch.lock"),
        offline: false,
        refresh: false,
        retry: Retry {
            attempts: 3,
            base: Duration::from_millis(5),
            max_wait: Duration::from_secs(2),
        },
        progress: false,
    }
}

fn query(reporter: &[&str], period: &str) -> ComtradeQuery {
    ComtradeQuery {
        reporter: Codes::Many(reporter.iter().map(|s| s.to_string()).collect()),
        partner: Some(Codes::One("PRK".into())),
        period: Codes::One(period.into()),
        flow: Some(Codes::Many(vec!["M".into(), "X".into()])),
        commodity: None,
        freq: None,
        classification: None,
        type_code: None,
        breakdown: None,
        preview: false,
        max_records: None,
    }
}

fn run(dir: &Path, server: &Server, q: &ComtradeQuery) -> (Result<usize, FetchError>, Vec<Event>) {
    run_with(settings(dir), server, q)
}

fn run_with(
    s: Settings,
    server: &Server,
    q: &ComtradeQuery,
) -> (Result<usize, FetchError>, Vec<Event>) {
    let mut f = Fetcher::new(s, Some(Key::new(KEY, "COMTRADE_API_KEY"))).unwrap();
    let got = fetch(
        &mut f,
        &Spec::Comtrade(q.clone()),
        &Endpoints::all_at(&server.base),
    );
    (got.map(|v| v.len()), f.log.events())
}

fn recorded() -> Vec<u8> {
    std::fs::read(sample(
        "comtrade/comtrade_v1_api_response_CHN_2010_TOTAL.json",
    ))
    .unwrap()
}

#[test]
fn a_recorded_answer_is_cached_locked_and_not_asked_again() {
    if !have_samples() {
        return;
    }
    let body = recorded();
    let served = body.clone();
    let server = Server::start(move |_, _| Answer::ok(served.clone()));
    let dir = tempfile::tempdir().unwrap();
    let (got, _) = run(dir.path(), &server, &query(&["CHN"], "2010"));
    assert_eq!(got.unwrap(), 1);
    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    // The key travels as the header only; CHN is 156 and the DPRK 408 in the API.
    assert_eq!(seen[0].key.as_deref(), Some(KEY));
    assert_eq!(
        seen[0].target,
        "/data/v1/get/C/A/HS?reporterCode=156&period=2010&partnerCode=408&flowCode=M,X\
         &cmdCode=TOTAL&breakdownMode=classic&includeDesc=true&maxRecords=250000"
    );
    let lock = Lock::read(&dir.path().join("fetch.lock")).unwrap();
    assert_eq!(lock.files.len(), 1);
    let e = &lock.files[0];
    assert_eq!(e.bytes, body.len() as u64);
    assert_eq!(e.sha256, patronage_tables::sha256_hex(&body));
    // Stored exactly as received, under its hash.
    let object = patronage_fetch::Cache::new(&dir.path().join("cache")).object(&e.sha256, &e.name);
    assert!(object.ends_with(format!("{}/comtrade_CAHS_156_2010.json", e.sha256)));
    assert_eq!(std::fs::read(object).unwrap(), body);
    assert_eq!(e.params.get("reporter").map(String::as_str), Some("156"));
    // A second fetch of the same request makes no request.
    let (again, log) = run(dir.path(), &server, &query(&["CHN"], "2010"));
    assert_eq!(again.unwrap(), 1);
    assert_eq!(server.seen().len(), 1);
    assert!(matches!(&log[..], [Event::Cached { .. }]), "{log:?}");
    assert_key_nowhere(dir.path(), KEY);
}

#[test]
fn a_429_with_retry_after_is_waited_for_and_retried_once() {
    if !have_samples() {
        return;
    }
    let body = recorded();
    let server = Server::start(move |_, n| {
        if n == 0 {
            let mut a = Answer::status(429, "Rate limit is exceeded. Try again in 1 seconds.");
            a.headers.push(("Retry-After".into(), "1".into()));
            a
        } else {
            Answer::ok(body.clone())
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let (got, log) = run(dir.path(), &server, &query(&["CHN"], "2010"));
    assert_eq!(got.unwrap(), 1);
    assert_eq!(server.seen().len(), 2);
    let retries: Vec<&Event> = log
        .iter()
        .filter(|e| matches!(e, Event::Retry { .. }))
        .collect();
    assert_eq!(retries.len(), 1);
    assert!(
        matches!(
            retries[0],
            Event::Retry {
                status: 429,
                wait_ms: 1000,
                retry_after: true,
                ..
            }
        ),
        "{retries:?}"
    );
    assert_key_nowhere(dir.path(), KEY);
}

#[test]
fn three_500s_fail_with_a_clear_error_and_nothing_written() {
    let server = Server::start(|_, _| Answer::status(500, "Internal Server Error"));
    let dir = tempfile::tempdir().unwrap();
    let (got, log) = run(dir.path(), &server, &query(&["CHN"], "2010"));
    let e = got.unwrap_err();
    assert!(
        matches!(
            e,
            FetchError::Http {
                status: 500,
                attempts: 3,
                ..
            }
        ),
        "{e:?}"
    );
    let text = e.to_string();
    assert!(
        text.contains("HTTP 500 after 3 attempt(s)") && text.contains("reporterCode=156"),
        "{text}"
    );
    assert_eq!(server.seen().len(), 3);
    assert_eq!(
        log.iter()
            .filter(|e| matches!(e, Event::Retry { status: 500, .. }))
            .count(),
        2
    );
    assert!(
        files_under(dir.path()).is_empty(),
        "{:?}",
        files_under(dir.path())
    );
}

#[test]
fn a_refused_key_is_an_error_that_never_shows_it() {
    // The server echoes the key in its answer, as a careless gateway might.
    let server = Server::start(|s, _| {
        Answer::status(
            401,
            &format!("Access denied due to invalid subscription key {:?}", s.key),
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let (got, log) = run(dir.path(), &server, &query(&["CHN"], "2010"));
    let e = got.unwrap_err();
    assert!(
        matches!(e, FetchError::KeyRefused { status: 401, .. }),
        "{e:?}"
    );
    let text = format!("{e} {e:?} {log:?}");
    assert!(!text.contains(KEY), "{text}");
    assert!(text.contains("refused the subscription key") && text.contains("COMTRADE_API_KEY"));
    assert_eq!(server.seen().len(), 1, "a refused key is not retried");
    assert_key_nowhere(dir.path(), KEY);
}

#[test]
fn an_answer_with_its_error_field_set_names_the_request() {
    let server = Server::start(|_, _| {
        Answer::ok(
            br#"{"elapsedTime":"0.1 secs","count":0,"data":[],"error":"Invalid partnerCode"}"#
                .to_vec(),
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let (got, _) = run(dir.path(), &server, &query(&["CHN"], "2010"));
    let text = got.unwrap_err().to_string();
    assert!(
        text.contains("Invalid partnerCode") && text.contains("/data/v1/get/C/A/HS?"),
        "{text}"
    );
    assert!(!dir.path().join("fetch.lock").exists());
}

/// SYNTHETIC: one record per reporter and year; an answer holding as many
/// records as `maxRecords` (or more) is cut to that many, as the API cuts.
fn capped(target: &str) -> Vec<u8> {
    let param = |name: &str| -> Vec<String> {
        target
            .split(['?', '&'])
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
            .unwrap_or("")
            .split(',')
            .map(str::to_string)
            .collect()
    };
    let cap: usize = param("maxRecords")[0].parse().unwrap();
    let mut records = Vec::new();
    for r in param("reporterCode") {
        for p in param("period") {
            records.push(format!(
                r#"{{"reporterCode":{r},"period":"{p}","primaryValue":{r}{p}}}"#
            ));
        }
    }
    records.truncate(cap);
    format!(
        r#"{{"count":{},"data":[{}],"error":""}}"#,
        records.len(),
        records.join(",")
    )
    .into_bytes()
}

#[test]
fn an_answer_at_the_cap_is_split_until_every_record_comes_once() {
    let server = Server::start(|s, _| Answer::ok(capped(&s.target)));
    let dir = tempfile::tempdir().unwrap();
    let mut q = query(&["RUS", "CHN"], "2010..2013");
    q.max_records = Some(2);
    let (got, log) = run(dir.path(), &server, &q);
    // 2 reporters x 4 years = 8 records; answers of 2 (the cap) are split down to
    // one reporter and one year: 8 files of one record each.
    assert_eq!(got.unwrap(), 8);
    let splits: Vec<&Event> = log
        .iter()
        .filter(|e| matches!(e, Event::Split { .. }))
        .collect();
    // 1 (4 years) + 2 (2 years each) + 4 (1 year, 2 reporters each) = 7 splits.
    assert_eq!(splits.len(), 7, "{splits:?}");
    let lock = Lock::read(&dir.path().join("fetch.lock")).unwrap();
    assert_eq!(lock.files.len(), 8);
    assert_eq!(lock.split.len(), 7);
    let mut records: Vec<String> = Vec::new();
    for e in &lock.files {
        let path =
            patronage_fetch::Cache::new(&dir.path().join("cache")).object(&e.sha256, &e.name);
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        for r in v["data"].as_array().unwrap() {
            records.push(format!("{}/{}", r["reporterCode"], r["period"]));
        }
    }
    records.sort();
    let mut expected: Vec<String> = ["156", "643"]
        .iter()
        .flat_map(|r| (2010..=2013).map(move |y| format!("{r}/\"{y}\"")))
        .collect();
    expected.sort();
    assert_eq!(records, expected, "every record exactly once");
    // A second fetch goes straight to the small requests, all cached: no request.
    let before = server.seen().len();
    assert_eq!(before, 15, "7 answers at the cap and 8 kept");
    let lock_before = std::fs::read(dir.path().join("fetch.lock")).unwrap();
    let (again, log) = run(dir.path(), &server, &q);
    assert_eq!(again.unwrap(), 8);
    assert_eq!(server.seen().len(), before);
    assert_eq!(log.len(), 8);
    assert!(
        log.iter().all(|e| matches!(e, Event::Cached { .. })),
        "{log:?}"
    );
    assert_eq!(
        std::fs::read(dir.path().join("fetch.lock")).unwrap(),
        lock_before
    );
}

#[test]
fn a_body_cut_short_is_an_error_that_caches_and_locks_nothing() {
    if !have_samples() {
        return;
    }
    let body = recorded();
    let server = Server::start(move |s, _| {
        let mut a = Answer::ok(body.clone());
        if s.target.contains("period=2011") {
            a.cut_at = Some(700);
        }
        a
    });
    let dir = tempfile::tempdir().unwrap();
    let (first, _) = run(dir.path(), &server, &query(&["CHN"], "2010"));
    assert_eq!(first.unwrap(), 1);
    let lock_before = std::fs::read(dir.path().join("fetch.lock")).unwrap();
    let objects_before = files_under(&dir.path().join("cache"));
    let (got, _) = run(dir.path(), &server, &query(&["CHN"], "2011"));
    let e = got.unwrap_err();
    assert!(
        matches!(e, FetchError::Transport { attempts: 3, .. }),
        "{e:?}"
    );
    assert!(e.to_string().contains("cut short"), "{e}");
    assert_eq!(
        std::fs::read(dir.path().join("fetch.lock")).unwrap(),
        lock_before
    );
    assert_eq!(files_under(&dir.path().join("cache")), objects_before);
}

#[test]
fn offline_with_an_empty_cache_names_what_is_missing() {
    let server = Server::start(|_, _| Answer::status(500, "not expected"));
    let dir = tempfile::tempdir().unwrap();
    let mut s = settings(dir.path());
    s.offline = true;
    let (got, _) = run_with(s, &server, &query(&["CHN"], "2010"));
    let text = got.unwrap_err().to_string();
    assert!(
        text.starts_with("--offline: 1 download(s) are not in the cache"),
        "{text}"
    );
    assert!(
        text.contains("/data/v1/get/C/A/HS?reporterCode=156&period=2010"),
        "{text}"
    );
    assert!(server.seen().is_empty());
}

#[test]
fn refresh_downloads_again_and_says_what_changed() {
    let server = Server::start(|_, n| {
        Answer::ok(
            format!(r#"{{"count":1,"data":[{{"primaryValue":{n}}}],"error":""}}"#).into_bytes(),
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let (got, _) = run(dir.path(), &server, &query(&["CHN"], "2010"));
    assert_eq!(got.unwrap(), 1);
    let mut s = settings(dir.path());
    s.refresh = true;
    let mut f = Fetcher::new(s, Some(Key::new(KEY, "test"))).unwrap();
    let files = fetch(
        &mut f,
        &Spec::Comtrade(query(&["CHN"], "2010")),
        &Endpoints::all_at(&server.base),
    )
    .unwrap();
    assert_eq!(server.seen().len(), 2);
    assert!(files[0].downloaded);
    let old = files[0].changed_from.clone().expect("the body changed");
    assert_eq!(
        old,
        patronage_tables::sha256_hex(br#"{"count":1,"data":[{"primaryValue":0}],"error":""}"#)
    );
}

#[test]
fn the_preview_needs_no_key_and_caps_at_500() {
    let server =
        Server::start(|_, _| Answer::ok(br#"{"count":2,"data":[{},{}],"error":""}"#.to_vec()));
    let dir = tempfile::tempdir().unwrap();
    let mut q = query(&["RUS"], "2017");
    q.preview = true;
    let mut f = Fetcher::new(settings(dir.path()), None).unwrap();
    let files = fetch(&mut f, &Spec::Comtrade(q), &Endpoints::all_at(&server.base)).unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].entry.source, "comtrade_preview");
    let seen = server.seen();
    assert_eq!(seen[0].key, None);
    assert!(
        seen[0]
            .target
            .starts_with("/public/v1/preview/C/A/HS?reporterCode=643&period=2017")
            && seen[0].target.ends_with("&maxRecords=500"),
        "{}",
        seen[0].target
    );
}
