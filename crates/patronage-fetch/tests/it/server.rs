//! A local HTTP/1.1 server for the tests: every request is answered by a
//! handler (status, headers, body, or a body cut short) and recorded (path with
//! query, and the subscription header), so tests count requests and check what
//! was sent. One connection per request (`Connection: close`).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    /// Path and query.
    pub target: String,
    /// The `Ocp-Apim-Subscription-Key` header, when sent.
    pub key: Option<String>,
}

/// An answer.
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Send only this many bytes of the body (its full length announced).
    pub cut_at: Option<usize>,
}

impl Answer {
    pub fn ok(body: Vec<u8>) -> Answer {
        Answer {
            status: 200,
            headers: Vec::new(),
            body,
            cut_at: None,
        }
    }
    pub fn status(status: u16, body: &str) -> Answer {
        Answer {
            status,
            headers: Vec::new(),
            body: body.as_bytes().to_vec(),
            cut_at: None,
        }
    }
}

type Handler = dyn Fn(&Seen, usize) -> Answer + Send + Sync;

/// A running server.
pub struct Server {
    pub base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    /// Serve `handler` (given the request and how many came before it).
    pub fn start(handler: impl Fn(&Seen, usize) -> Answer + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let log = seen.clone();
        let handler: Arc<Handler> = Arc::new(handler);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() || line.is_empty() {
                    continue;
                }
                let target = line.split_whitespace().nth(1).unwrap_or("").to_string();
                let mut key = None;
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
                        break;
                    }
                    if let Some((name, value)) = h.split_once(':') {
                        if name.eq_ignore_ascii_case("ocp-apim-subscription-key") {
                            key = Some(value.trim().to_string());
                        }
                    }
                }
                let request = Seen { target, key };
                let n = {
                    let mut s = log.lock().unwrap();
                    s.push(request.clone());
                    s.len() - 1
                };
                let a = handler(&request, n);
                let mut head = format!(
                    "HTTP/1.1 {} X\r\nContent-Length: {}\r\nConnection: close\r\n",
                    a.status,
                    a.body.len()
                );
                for (k, v) in &a.headers {
                    head.push_str(&format!("{k}: {v}\r\n"));
                }
                head.push_str("\r\n");
                let _ = stream.write_all(head.as_bytes());
                let body = &a.body[..a.cut_at.unwrap_or(a.body.len()).min(a.body.len())];
                let _ = stream.write_all(body);
                let _ = stream.flush();
                let _ = stream.shutdown(std::net::Shutdown::Both);
                drop(reader.read(&mut [0u8; 0]));
            }
        });
        Server { base, seen }
    }

    /// Requests so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

/// A real recorded sample under `../shared/formats` (read in place).
pub fn sample(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/formats")
        .join(rel)
}

/// Whether the shared samples are there (they are required under CI).
pub fn have_samples() -> bool {
    let there = sample("README.md").is_file();
    assert!(
        there || std::env::var("CI").is_err(),
        "../shared/formats is required under CI"
    );
    there
}

/// Every file under `dir`.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// Assert no file under `dir` (nor its path) holds `key`.
pub fn assert_key_nowhere(dir: &Path, key: &str) {
    for f in files_under(dir) {
        let bytes = std::fs::read(&f).unwrap();
        assert!(
            !bytes.windows(key.len()).any(|w| w == key.as_bytes()),
            "{} holds the key",
            f.display()
        );
        assert!(
            !f.display().to_string().contains(key),
            "a path holds the key"
        );
    }
}
