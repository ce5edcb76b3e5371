//! Comtrade bulk files (incremental by publication date), a BACI release zip
//! and OCHA FTS pages (the recorded pages, `meta.nextLink` followed on the
//! configured host) against the local server.

use std::io::Write;
use std::sync::{Arc, Mutex};

use patronage_fetch::{
    fetch, BaciRelease, BulkQuery, Codes, Endpoints, Event, Fetcher, FtsQuery, Key, Lock, Spec,
};

use crate::comtrade::{settings, KEY};
use crate::server::{assert_key_nowhere, have_samples, sample, Answer, Server};

/// SYNTHETIC: a gzip of one line of text.
fn gz(text: &str) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(text.as_bytes()).unwrap();
    e.finish().unwrap()
}

#[test]
fn a_second_bulk_fetch_downloads_only_the_file_published_since() {
    // The list the server gives: (file, publication date); a third file is
    // published between the two fetches.
    let listed: Arc<Mutex<Vec<(&str, &str)>>> = Arc::new(Mutex::new(vec![
        ("COMTRADE-FINAL-CA643-2021.gz", "2023-01-10T00:00:00"),
        ("COMTRADE-FINAL-CA643-2022.gz", "2023-06-01T00:00:00"),
    ]));
    let list = listed.clone();
    let base: Arc<Mutex<String>> = Arc::default();
    let b = base.clone();
    let server = Server::start(move |s, _| {
        if s.target.starts_with("/bulk/v1/get/C/A/HS?") {
            let data: Vec<String> = list
                .lock()
                .unwrap()
                .iter()
                .map(|(f, d)| {
                    format!(
                        r#"{{"fileUrl":"{}/bulk/v1/file/643/{f}","publicationDate":"{d}","reporterCode":643}}"#,
                        b.lock().unwrap()
                    )
                })
                .collect();
            Answer::ok(format!(r#"{{"data":[{}]}}"#, data.join(",")).into_bytes())
        } else {
            Answer::ok(gz(&s.target))
        }
    });
    *base.lock().unwrap() = server.base.clone();
    let spec = Spec::ComtradeBulk(BulkQuery {
        reporter: Codes::One("RUS".into()),
        period: Codes::One("2021..2023".into()),
        freq: None,
        classification: None,
        type_code: None,
    });
    let dir = tempfile::tempdir().unwrap();
    let endpoints = Endpoints::all_at(&server.base);
    let run = || {
        let mut f = Fetcher::new(settings(dir.path()), Some(Key::new(KEY, "test"))).unwrap();
        fetch(&mut f, &spec, &endpoints).unwrap()
    };
    assert_eq!(run().len(), 2);
    assert_eq!(server.seen().len(), 3, "the list and two files");
    listed
        .lock()
        .unwrap()
        .push(("COMTRADE-FINAL-CA643-2023.gz", "2024-02-01T00:00:00"));
    let files = run();
    assert_eq!(files.len(), 3);
    let seen = server.seen();
    let second: Vec<&str> = seen[3..].iter().map(|s| s.target.as_str()).collect();
    assert_eq!(
        second,
        [
            "/bulk/v1/get/C/A/HS?reporterCode=643&period=2021,2022,2023",
            "/bulk/v1/file/643/COMTRADE-FINAL-CA643-2023.gz"
        ]
    );
    assert_eq!(files.iter().filter(|f| f.downloaded).count(), 1);
    // The key went to the API's own host, with every request.
    assert!(seen.iter().all(|s| s.key.as_deref() == Some(KEY)));
    let lock = Lock::read(&dir.path().join("fetch.lock")).unwrap();
    assert_eq!(lock.files.len(), 3);
    assert_eq!(
        lock.files[2].published.as_deref(),
        Some("2024-02-01T00:00:00")
    );
    // Offline, the files the lock holds for the list are used, with no request.
    let mut offline = settings(dir.path());
    offline.offline = true;
    let mut f = Fetcher::new(offline, None).unwrap();
    assert_eq!(fetch(&mut f, &spec, &endpoints).unwrap().len(), 3);
    assert_eq!(server.seen().len(), 5);
    assert_key_nowhere(dir.path(), KEY);
}

/// SYNTHETIC: a BACI-like release zip.
fn release_zip() -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let o = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    w.start_file("BACI_HS17_Y2019_V202401.csv", o).unwrap();
    w.write_all(b"t,i,j,k,v,q\n2019,643,408,270900,1.5,2\n")
        .unwrap();
    w.start_file("country_codes_V202401.csv", o).unwrap();
    w.write_all(b"country_code,country_name,country_iso2,country_iso3\n408,North Korea,KP,PRK\n")
        .unwrap();
    w.finish().unwrap().into_inner()
}

#[test]
fn a_baci_release_is_stored_as_published_and_an_html_page_is_refused() {
    let zip = release_zip();
    let served = zip.clone();
    let server = Server::start(move |s, _| match s.target.as_str() {
        "/DATA_DOWNLOAD/baci/data/BACI_HS17_V202401.zip" => Answer::ok(served.clone()),
        _ => Answer::ok(b"<html>Page moved</html>".to_vec()),
    });
    let dir = tempfile::tempdir().unwrap();
    let mut f = Fetcher::new(settings(dir.path()), None).unwrap();
    let endpoints = Endpoints::all_at(&server.base);
    let spec = |v: &str| {
        Spec::Baci(BaciRelease {
            hs: "HS17".into(),
            version: v.into(),
        })
    };
    let got = fetch(&mut f, &spec("V202401"), &endpoints).unwrap();
    assert_eq!(std::fs::read(&got[0].path).unwrap(), zip);
    assert_eq!(got[0].entry.name, "BACI_HS17_V202401.zip");
    let e = fetch(&mut f, &spec("V202501"), &endpoints)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("BACI_HS17_V202501.zip: the answer is not a zip archive"),
        "{e}"
    );
    assert_eq!(
        Lock::read(&dir.path().join("fetch.lock"))
            .unwrap()
            .files
            .len(),
        1
    );
}

#[test]
fn fts_pages_are_followed_by_next_link_on_the_configured_host() {
    if !have_samples() {
        return;
    }
    let server = Server::start(|s, _| {
        let name = if s.target.starts_with("/v1/public/fts/flow?") {
            "custom-search-locationid-171-year-2020.json".to_string()
        } else {
            s.target.rsplit('/').next().unwrap_or("").to_string()
        };
        match std::fs::read(sample(&format!("ocha_fts/{name}"))) {
            Ok(b) => Answer::ok(b),
            Err(_) => Answer::status(404, "no such page"),
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let spec = Spec::Fts(FtsQuery {
        country: "PRK".into(),
        year: Codes::One("2020".into()),
    });
    let endpoints = Endpoints::all_at(&server.base);
    let mut f = Fetcher::new(settings(dir.path()), None).unwrap();
    let pages = fetch(&mut f, &spec, &endpoints).unwrap();
    assert_eq!(pages.len(), 3);
    let targets: Vec<String> = server.seen().into_iter().map(|s| s.target).collect();
    assert_eq!(
        targets,
        [
            "/v1/public/fts/flow?countryISO3=PRK&year=2020",
            "/OCHA-DAP/hdx-scraper-fts/raw/main/tests/fixtures/input/custom-search-locationid-171-year-2020-page-2.json",
            "/OCHA-DAP/hdx-scraper-fts/raw/main/tests/fixtures/input/custom-search-locationid-171-year-2020-page-3.json",
        ]
    );
    // The three pages hold the 424 flows `meta.count` announces.
    let flows: usize = pages
        .iter()
        .map(|p| {
            let v: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&p.path).unwrap()).unwrap();
            v["data"]["flows"].as_array().map_or(0, Vec::len)
        })
        .sum();
    assert_eq!(flows, 424);
    // Again: the pages come from the cache, their links read back from it.
    let mut f = Fetcher::new(settings(dir.path()), None).unwrap();
    assert_eq!(fetch(&mut f, &spec, &endpoints).unwrap().len(), 3);
    assert_eq!(server.seen().len(), 3);
    assert!(f
        .log
        .events()
        .iter()
        .all(|e| matches!(e, Event::Cached { .. })));
}
