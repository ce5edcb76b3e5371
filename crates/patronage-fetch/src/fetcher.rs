//! One fetch: requests answered from the cache when `fetch.lock` already has
//! them (no HTTP at all), downloaded otherwise, every body stored in the cache
//! before its lock entry is written. So a failed or cut-short download leaves
//! the cache and the lock as they were, a second fetch of the same requests
//! makes no request, `--offline` fails naming what is missing, and `--refresh`
//! downloads again and says which files changed.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::cache::Cache;
use crate::http::{Event, Http, Log, Retry};
use crate::key::Key;
use crate::lock::{Lock, LockEntry};
use crate::FetchError;

/// How a fetch runs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The cache folder.
    pub cache: PathBuf,
    /// The lock file.
    pub lock: PathBuf,
    /// Make no request: what the lock and cache lack is an error.
    pub offline: bool,
    /// Download again what the lock has, and report what changed.
    pub refresh: bool,
    /// Retries of a request.
    pub retry: Retry,
    /// Progress bars on a terminal.
    pub progress: bool,
}

/// A request as the lock records it.
#[derive(Debug, Clone)]
pub struct Request {
    /// The URL (no key in it).
    pub url: String,
    /// The source (`comtrade`, `baci`, ...).
    pub source: String,
    /// The parameters as the user gave them.
    pub params: BTreeMap<String, String>,
    /// A file name that says what the file is.
    pub name: String,
    /// A bulk file's publication date.
    pub published: Option<String>,
    /// Whether to send the subscription key.
    pub keyed: bool,
}

/// What a request gave: its lock entry and where the body is.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The lock entry.
    pub entry: LockEntry,
    /// The body in the cache.
    pub path: PathBuf,
    /// Downloaded now (not answered from the cache).
    pub downloaded: bool,
    /// With `--refresh`: the hash the lock had before, when it differs.
    pub changed_from: Option<String>,
}

/// Whether a body is kept, or is an answer at the record cap (not kept: the
/// request is split).
pub enum Check {
    /// Keep it.
    Keep,
    /// It holds `n` records, the cap.
    AtCap(u64),
}

/// A fetch in progress.
pub struct Fetcher {
    settings: Settings,
    cache: Cache,
    lock: Lock,
    http: Option<Http>,
    key: Option<Key>,
    /// The request log.
    pub log: Log,
    /// Requests the cache lacks, under `--offline`.
    missing: Vec<String>,
}

impl Fetcher {
    /// A fetch with `settings`, sending `key` where a request asks for it.
    pub fn new(settings: Settings, key: Option<Key>) -> Result<Fetcher, FetchError> {
        let lock = Lock::read(&settings.lock)?;
        Ok(Fetcher {
            cache: Cache::new(&settings.cache),
            lock,
            http: None,
            key,
            log: Log::default(),
            missing: Vec::new(),
            settings,
        })
    }

    /// The lock as it stands.
    pub fn lock(&self) -> &Lock {
        &self.lock
    }

    /// The cache.
    pub fn cache(&self) -> &Cache {
        &self.cache
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Whether a key is at hand.
    pub fn has_key(&self) -> bool {
        self.key.is_some()
    }

    /// What the lock and cache already hold for `url`.
    pub fn cached(&self, url: &str) -> Option<Fetched> {
        let e = self.lock.get(url)?;
        self.cache
            .has(&e.sha256, &e.name, e.bytes)
            .then(|| Fetched {
                path: self.cache.object(&e.sha256, &e.name),
                entry: e.clone(),
                downloaded: false,
                changed_from: None,
            })
    }

    /// Whether `url` is known to answer with the record cap.
    pub fn known_at_cap(&self, url: &str) -> bool {
        !self.settings.refresh && self.lock.is_split(url)
    }

    /// Record that `url` answered with `count` records, the cap, and is fetched
    /// as the requests `into`.
    pub fn split(&mut self, url: &str, count: u64, into: Vec<String>) -> Result<(), FetchError> {
        self.log.push(Event::Split {
            url: url.to_string(),
            count,
            into,
        });
        self.lock.put_split(url);
        self.lock.write(&self.settings.lock)
    }

    /// The body of `req`: from the cache when the lock has it (unless
    /// refreshing), else downloaded, checked by `check`, stored and locked.
    /// `Ok(None)`: the answer is at the record cap (nothing stored).
    pub fn get(
        &mut self,
        req: &Request,
        check: impl Fn(&[u8]) -> Result<Check, String>,
    ) -> Result<Option<Fetched>, FetchError> {
        let before = self.lock.get(&req.url).cloned();
        if !self.settings.refresh {
            if let Some(hit) = self
                .cached(&req.url)
                .filter(|h| h.entry.published == req.published)
            {
                self.log.push(Event::Cached {
                    url: req.url.clone(),
                });
                return Ok(Some(hit));
            }
        }
        if self.settings.offline {
            self.missing.push(req.url.clone());
            return Err(FetchError::Offline {
                cache: self.settings.cache.clone(),
                missing: self.missing.clone(),
            });
        }
        let body = self.get_uncached(&req.url, req.keyed)?;
        let key = if req.keyed { self.key.as_ref() } else { None };
        let clean = |s: String| key.map_or_else(|| s.clone(), |k| k.redact(&s));
        match check(&body).map_err(|m| FetchError::Api {
            what: req.url.clone(),
            message: clean(m),
        })? {
            Check::AtCap(_) => return Ok(None),
            Check::Keep => {}
        }
        let sha256 = self.cache.put(&body, &req.name)?;
        let entry = LockEntry {
            url: req.url.clone(),
            source: req.source.clone(),
            params: req.params.clone(),
            name: req.name.clone(),
            fetched_at: patronage_core::clock::utc_now(),
            bytes: body.len() as u64,
            sha256: sha256.clone(),
            published: req.published.clone(),
        };
        self.lock.put(entry.clone());
        self.lock.write(&self.settings.lock)?;
        let changed_from = before.map(|b| b.sha256).filter(|old| *old != sha256);
        Ok(Some(Fetched {
            path: self.cache.object(&sha256, &req.name),
            entry,
            downloaded: true,
            changed_from,
        }))
    }

    /// GET `url` whatever the cache holds (a list whose answer changes), with
    /// the key when `keyed`.
    pub fn get_uncached(&mut self, url: &str, keyed: bool) -> Result<Vec<u8>, FetchError> {
        if self.settings.offline {
            return Err(FetchError::Offline {
                cache: self.settings.cache.clone(),
                missing: vec![url.to_string()],
            });
        }
        if self.http.is_none() {
            self.http = Some(Http::new(self.settings.retry, self.settings.progress)?);
        }
        let http = self
            .http
            .as_ref()
            .ok_or_else(|| FetchError::Request("the HTTP client is missing".into()))?;
        let key = if keyed { self.key.as_ref() } else { None };
        http.get(url, key, &self.log)
    }
}
