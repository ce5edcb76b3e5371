//! Opening a store for a URL's bucket, and the blocking facade over it. A store
//! is opened from the standard environment and instance chain of its cloud
//! (`AmazonS3Builder::from_env()` and its kin), then the explicit overrides of
//! [`StoreOptions`] (an endpoint, plain HTTP, keys), so a test can point it at
//! 127.0.0.1 without touching the process environment. Every call blocks on a
//! tokio current-thread runtime the store owns. Every secret the store was
//! opened with is kept only to be removed from the messages of its errors.

use std::future::Future;
use std::sync::Arc;

use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
use object_store::gcp::{GoogleCloudStorageBuilder, GoogleConfigKey};
use object_store::http::HttpBuilder;
use object_store::{ClientConfigKey, ClientOptions, ObjectStore, RetryConfig};

use crate::error::redact;
use crate::{ObjectUrl, Scheme, StoreError};

/// Request timeouts where the environment sets none: a connection within
/// 10 s, a request (a ranged GET of a block, a part) within 5 minutes.
const TIMEOUTS: [(ClientConfigKey, &str); 2] = [
    (ClientConfigKey::ConnectTimeout, "10s"),
    (ClientConfigKey::Timeout, "300s"),
];

/// Overrides of what the environment says (all unset: the environment alone).
/// Its `Debug` shows whether keys are set, never the keys.
#[derive(Clone, Default)]
pub struct StoreOptions {
    /// The service's endpoint (`http://127.0.0.1:PORT` for a local server).
    pub endpoint: Option<String>,
    /// Allow plain HTTP endpoints.
    pub allow_http: bool,
    /// Access key id (S3).
    pub access_key_id: Option<String>,
    /// Secret access key (S3) or account key (Azure).
    pub secret_access_key: Option<String>,
    /// Region (S3).
    pub region: Option<String>,
    /// Retries of a failed request (the crate's default, 10 over 3 minutes, when unset).
    pub retries: Option<usize>,
}

impl std::fmt::Debug for StoreOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = |o: &Option<String>| if o.is_some() { "(set)" } else { "(unset)" };
        f.debug_struct("StoreOptions")
            .field("endpoint", &self.endpoint)
            .field("allow_http", &self.allow_http)
            .field("access_key_id", &set(&self.access_key_id))
            .field("secret_access_key", &set(&self.secret_access_key))
            .field("region", &self.region)
            .field("retries", &self.retries)
            .finish()
    }
}

/// One bucket (or HTTP host) opened for blocking calls.
#[derive(Clone)]
pub struct Store {
    pub(crate) inner: Arc<dyn ObjectStore>,
    pub(crate) runtime: Arc<tokio::runtime::Runtime>,
    pub(crate) root: ObjectUrl,
    secrets: Arc<Vec<String>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Store({})", self.root)
    }
}

impl Store {
    /// Open the bucket of `url` from the environment alone.
    pub fn open(url: &ObjectUrl) -> Result<Store, StoreError> {
        Store::open_with(url, &StoreOptions::default())
    }

    /// Open the bucket of `url` from the environment, then `options`.
    pub fn open_with(url: &ObjectUrl, options: &StoreOptions) -> Result<Store, StoreError> {
        let root = url.root();
        let mut retry = RetryConfig::default();
        if let Some(n) = options.retries {
            retry.max_retries = n;
        }
        let mut secrets: Vec<String> = Vec::new();
        let mut keep = |s: Option<String>| secrets.extend(s.filter(|s| !s.is_empty()));
        let built: Result<Arc<dyn ObjectStore>, object_store::Error> = match url.scheme {
            Scheme::S3 => {
                let mut b = AmazonS3Builder::from_env().with_bucket_name(&url.bucket);
                if let Some(e) = &options.endpoint {
                    b = b.with_endpoint(e);
                }
                if let Some(k) = &options.access_key_id {
                    b = b.with_access_key_id(k);
                }
                if let Some(k) = &options.secret_access_key {
                    b = b.with_secret_access_key(k);
                }
                if let Some(r) = &options.region {
                    b = b.with_region(r);
                }
                if options.allow_http {
                    b = b.with_allow_http(true);
                }
                for (k, v) in TIMEOUTS {
                    let k = AmazonS3ConfigKey::Client(k);
                    if b.get_config_value(&k).is_none() {
                        b = b.with_config(k, v);
                    }
                }
                for k in [
                    AmazonS3ConfigKey::AccessKeyId,
                    AmazonS3ConfigKey::SecretAccessKey,
                    AmazonS3ConfigKey::Token,
                ] {
                    keep(b.get_config_value(&k));
                }
                b.with_retry(retry.clone())
                    .build()
                    .map(|s| Arc::new(s) as _)
            }
            Scheme::Gs => {
                let mut b = GoogleCloudStorageBuilder::from_env().with_bucket_name(&url.bucket);
                for (k, v) in TIMEOUTS {
                    let k = GoogleConfigKey::Client(k);
                    if b.get_config_value(&k).is_none() {
                        b = b.with_config(k, v);
                    }
                }
                for k in [
                    GoogleConfigKey::ServiceAccountKey,
                    GoogleConfigKey::ApplicationCredentials,
                ] {
                    keep(b.get_config_value(&k));
                }
                b.with_retry(retry.clone())
                    .build()
                    .map(|s| Arc::new(s) as _)
            }
            Scheme::Az => {
                let mut b = MicrosoftAzureBuilder::from_env().with_container_name(&url.bucket);
                if let Some(e) = &options.endpoint {
                    b = b.with_endpoint(e.clone());
                }
                if let Some(k) = &options.secret_access_key {
                    b = b.with_access_key(k);
                }
                if options.allow_http {
                    b = b.with_allow_http(true);
                }
                for (k, v) in TIMEOUTS {
                    let k = AzureConfigKey::Client(k);
                    if b.get_config_value(&k).is_none() {
                        b = b.with_config(k, v);
                    }
                }
                for k in [
                    AzureConfigKey::AccessKey,
                    AzureConfigKey::ClientSecret,
                    AzureConfigKey::SasKey,
                    AzureConfigKey::Token,
                ] {
                    keep(b.get_config_value(&k));
                }
                b.with_retry(retry.clone())
                    .build()
                    .map(|s| Arc::new(s) as _)
            }
            Scheme::Http | Scheme::Https => {
                let base = match &options.endpoint {
                    Some(e) => e.clone(),
                    None => format!("{}://{}", url.scheme.as_str(), url.bucket),
                };
                let mut client = ClientOptions::new();
                for (k, v) in TIMEOUTS {
                    client = client.with_config(k, v);
                }
                if url.scheme == Scheme::Http || options.allow_http {
                    client = client.with_allow_http(true);
                }
                HttpBuilder::new()
                    .with_url(base)
                    .with_client_options(client)
                    .with_retry(retry)
                    .build()
                    .map(|s| Arc::new(s) as _)
            }
        };
        keep(options.secret_access_key.clone());
        keep(options.access_key_id.clone());
        let secrets = Arc::new(secrets);
        let inner = built.map_err(|e| StoreError::Remote {
            op: "open",
            url: root.to_string(),
            message: redact(&e.to_string(), &secrets),
        })?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| StoreError::Local {
                op: "open",
                url: root.to_string(),
                path: std::path::PathBuf::from("(tokio runtime)"),
                source: e,
            })?;
        Ok(Store {
            inner,
            runtime: Arc::new(runtime),
            root,
            secrets,
        })
    }

    /// Run `future` to its end on the store's runtime.
    pub(crate) fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// The error of `op` on `url`, its message without secrets.
    pub(crate) fn error(
        &self,
        op: &'static str,
        url: &ObjectUrl,
        cause: impl std::fmt::Display,
    ) -> StoreError {
        StoreError::Remote {
            op,
            url: url.to_string(),
            message: redact(&cause.to_string(), &self.secrets),
        }
    }

    /// The object path of `url`, which must be in this store's bucket.
    pub(crate) fn path(
        &self,
        op: &'static str,
        url: &ObjectUrl,
    ) -> Result<object_store::path::Path, StoreError> {
        if url.scheme != self.root.scheme || url.bucket != self.root.bucket {
            return Err(self.error(
                op,
                url,
                format!("not in the store opened for {}", self.root),
            ));
        }
        object_store::path::Path::parse(&url.key).map_err(|e| self.error(op, url, e))
    }

    /// Refuse to write to a read-only (HTTP) store.
    pub(crate) fn writable(&self, op: &'static str, url: &ObjectUrl) -> Result<(), StoreError> {
        if self.root.scheme.writable() {
            Ok(())
        } else {
            Err(self.error(op, url, "http(s) URLs are read only"))
        }
    }
}
