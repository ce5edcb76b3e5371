//! `patronage fetch`: download from UN Comtrade (final data, preview, bulk
//! files), CEPII BACI or OCHA FTS into the cache, recording each file in
//! `fetch.lock`. What the lock and cache already hold is not asked again;
//! `--offline` asks nothing and names what is missing; `--refresh` asks again
//! and says what changed. Prints a line per file (or, with `--json`, one JSON
//! summary with the request log); the key is never printed.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use patronage_fetch::{
    BaciRelease, BulkQuery, Codes, ComtradeQuery, Endpoints, Event, Fetched, Fetcher, FtsQuery,
    Key, Retry, Settings, Spec,
};

use crate::exit::Exit;
use crate::json_output;

/// Download source files into the cache and record them in fetch.lock.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    what: What,
    /// The download cache (files stored by SHA-256, exactly as received).
    #[arg(long, global = true, default_value = "data/cache")]
    cache: PathBuf,
    /// The lock file recording every download.
    #[arg(long, global = true, default_value = "fetch.lock")]
    lock: PathBuf,
    /// Make no request: fail naming what the cache lacks.
    #[arg(long, global = true, conflicts_with = "refresh")]
    offline: bool,
    /// Download again what the lock holds and report what changed.
    #[arg(long, global = true)]
    refresh: bool,
    /// A file whose first line is the UN Comtrade subscription key
    /// (`COMTRADE_API_KEY` is read first).
    #[arg(long, global = true)]
    key_file: Option<PathBuf>,
    /// Attempts per request (429 and 5xx are retried).
    #[arg(long, global = true, default_value_t = 5)]
    attempts: u32,
    /// The first wait before a retry, in milliseconds (doubles each time;
    /// `Retry-After` wins when the server sends it).
    #[arg(long, global = true, default_value_t = 1000)]
    backoff_ms: u64,
    /// UN Comtrade's API (another base URL for a mirror or a test server).
    #[arg(long, global = true, default_value_t = Endpoints::default().comtrade)]
    comtrade_url: String,
    /// CEPII's BACI download folder.
    #[arg(long, global = true, default_value_t = Endpoints::default().baci)]
    baci_url: String,
    /// OCHA FTS's API.
    #[arg(long, global = true, default_value_t = Endpoints::default().fts)]
    fts_url: String,
    /// Print one JSON summary (files, requests, retries, splits) instead of lines.
    #[arg(long, global = true)]
    pub json: bool,
}

/// What to fetch.
#[derive(Debug, Clone, clap::Subcommand)]
enum What {
    /// UN Comtrade v1 final data (`--preview`: the keyless preview, 500 records).
    Comtrade {
        /// Reporters, ISO3 or Comtrade codes, comma-separated.
        #[arg(long)]
        reporter: String,
        /// Partners; all when absent.
        #[arg(long)]
        partner: Option<String>,
        /// Periods: 2010..2023, 2019, 2016-01..2016-12, or a comma-separated list.
        #[arg(long)]
        period: String,
        /// Flows (M, X, RM, RX), comma-separated; all when absent.
        #[arg(long)]
        flow: Option<String>,
        /// Commodity codes; TOTAL when absent.
        #[arg(long)]
        commodity: Option<String>,
        /// A (annual) or M (monthly); from the period when absent.
        #[arg(long)]
        freq: Option<String>,
        /// classic (default) or plus.
        #[arg(long)]
        breakdown: Option<String>,
        /// The keyless public preview.
        #[arg(long)]
        preview: bool,
        /// The subscription's record cap (250000; 100000 for a free one).
        #[arg(long)]
        max_records: Option<u64>,
    },
    /// UN Comtrade bulk files, only those published since the last fetch.
    ComtradeBulk {
        /// Reporters, ISO3 or Comtrade codes.
        #[arg(long)]
        reporter: String,
        /// Periods.
        #[arg(long)]
        period: String,
        /// A or M.
        #[arg(long)]
        freq: Option<String>,
    },
    /// A CEPII BACI release zip.
    Baci {
        /// HS revision (HS92 ... HS22).
        #[arg(long)]
        hs: String,
        /// Release (V202401).
        #[arg(long)]
        version: String,
    },
    /// OCHA FTS flows of a country, every page.
    Fts {
        /// Recipient country, ISO3.
        #[arg(long)]
        country: String,
        /// Years: 2020 or 2018..2020.
        #[arg(long)]
        year: String,
    },
}

fn codes(s: &str) -> Codes {
    Codes::One(s.to_string())
}

impl What {
    fn spec(self) -> Spec {
        match self {
            What::Comtrade {
                reporter,
                partner,
                period,
                flow,
                commodity,
                freq,
                breakdown,
                preview,
                max_records,
            } => Spec::Comtrade(ComtradeQuery {
                reporter: codes(&reporter),
                partner: partner.as_deref().map(codes),
                period: codes(&period),
                flow: flow.as_deref().map(codes),
                commodity: commodity.as_deref().map(codes),
                freq,
                classification: None,
                type_code: None,
                breakdown,
                preview,
                max_records,
            }),
            What::ComtradeBulk {
                reporter,
                period,
                freq,
            } => Spec::ComtradeBulk(BulkQuery {
                reporter: codes(&reporter),
                period: codes(&period),
                freq,
                classification: None,
                type_code: None,
            }),
            What::Baci { hs, version } => Spec::Baci(BaciRelease { hs, version }),
            What::Fts { country, year } => Spec::Fts(FtsQuery {
                country,
                year: codes(&year),
            }),
        }
    }
}

/// Fetch, and print what was fetched.
pub fn execute(a: Args) -> anyhow::Result<Exit> {
    let key = Key::find(a.key_file.as_deref())?;
    let settings = Settings {
        cache: a.cache.clone(),
        lock: a.lock.clone(),
        offline: a.offline,
        refresh: a.refresh,
        retry: Retry {
            attempts: a.attempts.max(1),
            base: Duration::from_millis(a.backoff_ms),
            ..Retry::default()
        },
        progress: !a.json,
    };
    let endpoints = Endpoints {
        comtrade: a.comtrade_url.clone(),
        baci: a.baci_url.clone(),
        fts: a.fts_url.clone(),
    };
    let mut fetcher = Fetcher::new(settings, key)?;
    let result = patronage_fetch::fetch(&mut fetcher, &a.what.clone().spec(), &endpoints);
    let log = fetcher.log.events();
    let files = match result {
        Ok(files) => files,
        // Under `--json` the failure is the one error object `main` prints.
        Err(e) => return Err(e).context("fetch failed"),
    };
    if a.json {
        json_output::print(&summary(&files, &log, &a));
    } else {
        for f in &files {
            let how = match (&f.changed_from, f.downloaded) {
                (Some(_), _) => "changed",
                (None, true) => "downloaded",
                (None, false) => "cached",
            };
            println!(
                "{how:<10} {}  {} bytes  sha256 {}",
                f.entry.name,
                f.entry.bytes,
                &f.entry.sha256[..12]
            );
        }
        let (requests, retries, splits) = counts(&log);
        println!(
            "{} file(s): {} downloaded, {} from the cache; {requests} request(s), {retries} \
             retr(ies), {splits} split(s); recorded in {}",
            files.len(),
            files.iter().filter(|f| f.downloaded).count(),
            files.iter().filter(|f| !f.downloaded).count(),
            a.lock.display()
        );
    }
    Ok(Exit::Ok)
}

/// Requests sent, retries and splits in a log.
fn counts(log: &[Event]) -> (usize, usize, usize) {
    let n = |f: fn(&Event) -> bool| log.iter().filter(|e| f(e)).count();
    (
        n(|e| matches!(e, Event::Request { .. })),
        n(|e| matches!(e, Event::Retry { .. })),
        n(|e| matches!(e, Event::Split { .. })),
    )
}

/// The `--json` summary.
fn summary(files: &[Fetched], log: &[Event], a: &Args) -> serde_json::Value {
    let (requests, retries, splits) = counts(log);
    let files: Vec<serde_json::Value> = files
        .iter()
        .map(|f| {
            serde_json::json!({
                "name": f.entry.name,
                "url": f.entry.url,
                "source": f.entry.source,
                "bytes": f.entry.bytes,
                "sha256": f.entry.sha256,
                "path": f.path.display().to_string(),
                "downloaded": f.downloaded,
                "changed_from": f.changed_from,
            })
        })
        .collect();
    serde_json::json!({
        "command": "fetch",
        "files": files,
        "requests": requests,
        "retries": retries,
        "splits": splits,
        "lock": a.lock.display().to_string(),
        "cache": a.cache.display().to_string(),
        "log": log,
    })
}
