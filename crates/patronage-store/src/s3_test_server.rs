//! For tests (of this crate and of others): a local S3 server, `moto` in server
//! mode on a free port of 127.0.0.1, with one bucket made. The Python is
//! `PATRONAGE_MOTO_PYTHON` when set, else a venv made under the caller's
//! folder from the pinned `testing/moto-requirements.txt`
//! ([`crate::python_venv`]), so a machine with only Python, pip and venv can
//! run it. The server is killed when the value is dropped, and listens on
//! 127.0.0.1 only. [`S3TestServer::start_or_skip`] answers `None` (printing
//! `skipped: <reason>`) when it cannot start, or panics under `CI=true`.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::python_venv::{skip_or_fail, venv_python, Unavailable};
use crate::{ObjectUrl, Store, StoreError, StoreOptions};

/// The pinned requirements of the venv.
const REQUIREMENTS: &str = include_str!("../testing/moto-requirements.txt");

/// The test access key id (moto accepts any).
const ACCESS_KEY_ID: &str = "patronage-test-key-id";
/// The test secret key (moto accepts any); a test checks no error shows it.
pub const SECRET_ACCESS_KEY: &str = "patronage-test-SECRET-do-not-show";
/// The region the server is opened with.
const REGION: &str = "us-east-1";

/// A running moto server with one bucket.
#[derive(Debug)]
pub struct S3TestServer {
    child: Child,
    port: u16,
    bucket: String,
}

impl S3TestServer {
    /// Start a server under `work` (a test's `CARGO_TARGET_TMPDIR`, where the
    /// venv is kept) with a bucket named `bucket`.
    pub fn start(work: &Path, bucket: &str) -> Result<Self, Unavailable> {
        let python = match std::env::var_os("PATRONAGE_MOTO_PYTHON") {
            Some(p) => p.into(),
            None => venv_python(&work.join("moto-venv"), REQUIREMENTS)?,
        };
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|l| l.local_addr())
            .map_err(|e| Unavailable(format!("no free port on 127.0.0.1: {e}")))?
            .port();
        let child = Command::new(&python)
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| Unavailable(format!("{} cannot be started: {e}", python.display())))?;
        let mut server = S3TestServer {
            child,
            port,
            bucket: bucket.to_string(),
        };
        server.wait_ready()?;
        let (status, body) = server
            .raw("PUT", &format!("/{bucket}"))
            .map_err(|e| Unavailable(format!("moto did not make the bucket: {e}")))?;
        if status != 200 {
            return Err(Unavailable(format!(
                "moto refused to make the bucket ({status}): {body}"
            )));
        }
        Ok(server)
    }

    /// [`S3TestServer::start`], or `None` after printing `skipped: <reason>`
    /// (a panic under `CI=true`).
    pub fn start_or_skip(work: &Path, bucket: &str) -> Option<Self> {
        match S3TestServer::start(work, bucket) {
            Ok(s) => Some(s),
            Err(why) => {
                skip_or_fail(&why);
                None
            }
        }
    }

    /// Wait until the server answers, at most 60 s.
    fn wait_ready(&mut self) -> Result<(), Unavailable> {
        let start = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                let mut err = String::new();
                if let Some(e) = self.child.stderr.as_mut() {
                    let _ = e.read_to_string(&mut err);
                }
                return Err(Unavailable(format!("moto exited ({status}): {err}")));
            }
            if matches!(self.raw("GET", "/"), Ok((200, _))) {
                // Nothing reads stderr from here on: keep it from filling.
                self.child.stderr.take();
                return Ok(());
            }
            if start.elapsed() > Duration::from_secs(60) {
                return Err(Unavailable("moto did not answer within 60 s".into()));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// One unsigned request; its status and body.
    fn raw(&self, method: &str, path: &str) -> std::io::Result<(u16, String)> {
        let mut s = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port))?;
        s.set_read_timeout(Some(Duration::from_secs(10)))?;
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.port
        )?;
        let mut answer = String::new();
        s.read_to_string(&mut answer)?;
        let status = answer
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        Ok((status, answer))
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `s3://BUCKET/key`.
    pub fn url(&self, key: &str) -> ObjectUrl {
        ObjectUrl {
            scheme: crate::Scheme::S3,
            bucket: self.bucket.clone(),
            key: key.to_string(),
        }
    }

    /// The options that point a store at this server.
    pub fn options(&self) -> StoreOptions {
        StoreOptions {
            endpoint: Some(self.endpoint()),
            allow_http: true,
            access_key_id: Some(ACCESS_KEY_ID.into()),
            secret_access_key: Some(SECRET_ACCESS_KEY.into()),
            region: Some(REGION.into()),
            retries: Some(1),
        }
    }

    /// The bucket opened on this server.
    pub fn store(&self) -> Result<Store, StoreError> {
        Store::open_with(&self.url(""), &self.options())
    }

    /// The environment a child process needs to reach this server.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint()),
            ("AWS_ALLOW_HTTP", "true".into()),
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID.into()),
            ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY.into()),
            ("AWS_REGION", REGION.into()),
        ]
    }
}

impl Drop for S3TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
