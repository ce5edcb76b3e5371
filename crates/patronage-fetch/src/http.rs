//! HTTP GET with the retries the agencies' rate limits call for: a 429 or a 5xx
//! (or a connection that fails or ends early) is tried again, waiting what
//! `Retry-After` says or else an exponential backoff with jitter, up to a
//! maximum number of attempts; a 401 or 403 is the key refused; any other
//! status is an error with the start of the server's answer. A body is complete
//! or an error: one shorter than its `Content-Length` is never returned.
//!
//! Requests run on a current-thread tokio runtime owned here: reqwest is built
//! (through polars' object_store) without its `blocking` feature, and turning it
//! on would rebuild reqwest and everything above it, polars included.
//!
//! Every request, retry and wait is recorded in the [`Log`], and a download
//! shows a progress bar (bytes, rate, time left) when asked and stderr is a
//! terminal. The key is sent only as the `Ocp-Apim-Subscription-Key` header,
//! never in a URL, and is cleaned out of any text kept from an answer.

use std::sync::Mutex;
use std::time::Duration;

use crate::key::Key;
use crate::FetchError;

/// How long and how often a request is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// The first backoff; it doubles with each retry.
    pub base: Duration,
    /// The longest wait, whatever `Retry-After` or the backoff says.
    pub max_wait: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            attempts: 5,
            base: Duration::from_secs(1),
            max_wait: Duration::from_secs(120),
        }
    }
}

/// One line of the request log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A request was sent (`attempt` counts from 1).
    Request {
        /// URL without the key.
        url: String,
        /// Attempt number.
        attempt: u32,
    },
    /// An answer that will be retried, and the wait before the retry.
    Retry {
        /// URL without the key.
        url: String,
        /// The status (0: the connection failed or the body was cut short).
        status: u16,
        /// Milliseconds waited.
        wait_ms: u64,
        /// Whether the wait is the server's `Retry-After`.
        retry_after: bool,
    },
    /// A complete body.
    Done {
        /// URL without the key.
        url: String,
        /// Bytes received.
        bytes: u64,
    },
    /// A request answered from the cache (no HTTP).
    Cached {
        /// URL without the key.
        url: String,
    },
    /// A request whose answer reached the record cap, split in two.
    Split {
        /// URL without the key.
        url: String,
        /// The records the answer held (the cap).
        count: u64,
        /// The two smaller requests.
        into: Vec<String>,
    },
}

/// The request log of a fetch, in order.
#[derive(Debug, Default)]
pub struct Log(Mutex<Vec<Event>>);

impl Log {
    /// Record an event.
    pub fn push(&self, e: Event) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(e);
    }

    /// The events so far.
    pub fn events(&self) -> Vec<Event> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// An HTTP client with its runtime.
pub struct Http {
    runtime: tokio::runtime::Runtime,
    client: reqwest::Client,
    retry: Retry,
    progress: bool,
}

/// What one attempt gave.
enum Attempt {
    Body(Vec<u8>),
    /// Try again: status (0 for a transport failure), server's wait, message.
    Again(u16, Option<Duration>, String),
    /// Stop: the error.
    Fail(FetchError),
}

impl Http {
    /// A client that retries as `retry` says and shows progress bars when
    /// `progress` is set (and stderr is a terminal).
    pub fn new(retry: Retry, progress: bool) -> Result<Http, FetchError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| FetchError::Request(format!("cannot start the HTTP runtime: {e}")))?;
        let client = reqwest::Client::builder()
            .user_agent(concat!("patronage/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| FetchError::Request(format!("cannot build the HTTP client: {e}")))?;
        Ok(Http {
            runtime,
            client,
            retry,
            progress,
        })
    }

    /// GET `url` (sending `key` as the subscription header when given), with
    /// retries; the body when complete.
    pub fn get(&self, url: &str, key: Option<&Key>, log: &Log) -> Result<Vec<u8>, FetchError> {
        let clean = |s: &str| key.map_or_else(|| s.to_string(), |k| k.redact(s));
        let mut attempt = 0;
        loop {
            attempt += 1;
            log.push(Event::Request {
                url: url.to_string(),
                attempt,
            });
            let outcome = self.runtime.block_on(self.once(url, key, attempt));
            let (status, server_wait, message) = match outcome {
                Attempt::Body(body) => {
                    log.push(Event::Done {
                        url: url.to_string(),
                        bytes: body.len() as u64,
                    });
                    return Ok(body);
                }
                Attempt::Fail(e) => return Err(e),
                Attempt::Again(status, wait, message) => (status, wait, clean(&message)),
            };
            if attempt >= self.retry.attempts {
                return Err(if status == 0 {
                    FetchError::Transport {
                        what: url.to_string(),
                        message,
                        attempts: attempt,
                    }
                } else {
                    FetchError::Http {
                        what: url.to_string(),
                        status,
                        attempts: attempt,
                        message,
                    }
                });
            }
            let wait = server_wait
                .unwrap_or_else(|| backoff(self.retry.base, attempt, url))
                .min(self.retry.max_wait);
            log.push(Event::Retry {
                url: url.to_string(),
                status,
                wait_ms: wait.as_millis() as u64,
                retry_after: server_wait.is_some(),
            });
            std::thread::sleep(wait);
        }
    }

    async fn once(&self, url: &str, key: Option<&Key>, attempt: u32) -> Attempt {
        let mut request = self.client.get(url);
        if let Some(k) = key {
            request = request.header("Ocp-Apim-Subscription-Key", k.header_value());
        }
        let clean = |s: String| key.map_or_else(|| s.clone(), |k| k.redact(&s));
        let mut response = match request.send().await {
            Ok(r) => r,
            Err(e) => return Attempt::Again(0, None, clean(transport_message(&e))),
        };
        let status = response.status().as_u16();
        if status == 429 || (500..600).contains(&status) {
            let wait = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            let text = response.text().await.unwrap_or_default();
            return Attempt::Again(status, wait, clean(excerpt(&text)));
        }
        if status == 401 || status == 403 {
            return Attempt::Fail(match key {
                Some(k) => FetchError::KeyRefused {
                    what: url.to_string(),
                    status,
                    key_from: k.source().to_string(),
                },
                None => FetchError::Http {
                    what: url.to_string(),
                    status,
                    attempts: attempt,
                    message:
                        "the API needs a subscription key: set COMTRADE_API_KEY or give --key-file"
                            .to_string(),
                },
            });
        }
        if !(200..300).contains(&status) {
            let text = response.text().await.unwrap_or_default();
            return Attempt::Fail(FetchError::Http {
                what: url.to_string(),
                status,
                attempts: attempt,
                message: clean(excerpt(&text)),
            });
        }
        let expected = response.content_length();
        let bar = self.bar(expected, url);
        let mut body = Vec::with_capacity(expected.unwrap_or(0).min(1 << 30) as usize);
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    body.extend_from_slice(&chunk);
                    if let Some(b) = &bar {
                        b.set_position(body.len() as u64);
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    if let Some(b) = &bar {
                        b.abandon();
                    }
                    return Attempt::Again(
                        0,
                        None,
                        clean(format!(
                            "the body was cut short after {} of {} bytes: {}",
                            body.len(),
                            expected.map_or("?".to_string(), |n| n.to_string()),
                            transport_message(&e)
                        )),
                    );
                }
            }
        }
        if let Some(b) = &bar {
            b.finish_and_clear();
        }
        if let Some(n) = expected.filter(|&n| n != body.len() as u64) {
            return Attempt::Again(
                0,
                None,
                format!("the body was cut short: {} of {n} bytes", body.len()),
            );
        }
        Attempt::Body(body)
    }

    /// A progress bar for a download, on a terminal only.
    fn bar(&self, len: Option<u64>, url: &str) -> Option<indicatif::ProgressBar> {
        use std::io::IsTerminal;
        if !self.progress || !std::io::stderr().is_terminal() {
            return None;
        }
        let bar =
            indicatif::ProgressBar::with_draw_target(len, indicatif::ProgressDrawTarget::stderr());
        let style = indicatif::ProgressStyle::with_template(
            "{msg} {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_message(
            url.rsplit('/')
                .next()
                .unwrap_or(url)
                .chars()
                .take(60)
                .collect::<String>(),
        );
        Some(bar)
    }
}

/// The backoff before retry `attempt`: `base` doubled per retry, plus up to a
/// quarter more as jitter (taken from the clock and the URL, so two clients do
/// not retry in step).
fn backoff(base: Duration, attempt: u32, url: &str) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos()) as u64;
    let seed = url
        .bytes()
        .fold(nanos, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    let quarter = exp.as_millis() as u64 / 4;
    exp + Duration::from_millis(if quarter == 0 {
        0
    } else {
        seed % (quarter + 1)
    })
}

/// A transport error with its causes (reqwest's own message is terse).
fn transport_message(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cause = c.source();
    }
    s
}

/// The start of a server's answer, for an error message.
fn excerpt(text: &str) -> String {
    let t = text.trim();
    match t.char_indices().nth(300) {
        Some((i, _)) => format!("{}...", &t[..i]),
        None => t.to_string(),
    }
}
