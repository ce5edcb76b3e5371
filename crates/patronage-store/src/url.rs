//! Object URLs: `s3://bucket/key`, `gs://bucket/key`, `az://container/key`
//! and `http(s)://host/path` (read only). A parsed URL keeps the scheme, the
//! bucket (or host) and the key; it displays without user information or query
//! string, so a URL printed in a message or an error never carries a
//! credential, and the display of a parsed URL parses to the same URL.

use crate::StoreError;

/// Where an object lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// Amazon S3 (or an S3-compatible service).
    S3,
    /// Google Cloud Storage.
    Gs,
    /// Azure Blob Storage.
    Az,
    /// Plain HTTP (read only).
    Http,
    /// HTTPS (read only).
    Https,
}

impl Scheme {
    /// The scheme as written before `://`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::S3 => "s3",
            Scheme::Gs => "gs",
            Scheme::Az => "az",
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    /// Whether objects can be written there.
    pub fn writable(self) -> bool {
        !matches!(self, Scheme::Http | Scheme::Https)
    }
}

/// A parsed object URL.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectUrl {
    /// The scheme.
    pub scheme: Scheme,
    /// The bucket, container, or `host[:port]` of an HTTP URL.
    pub bucket: String,
    /// The key below it, without a leading `/` (empty for the whole bucket).
    pub key: String,
}

/// Whether `text` starts with a scheme this crate reads (`s3://`, `gs://`,
/// `az://`, `http://`, `https://`, in any case).
pub fn is_object_url(text: &str) -> bool {
    split_scheme(text).is_some()
}

fn split_scheme(text: &str) -> Option<(Scheme, &str)> {
    let (scheme, rest) = text.split_once("://")?;
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "s3" => Scheme::S3,
        "gs" => Scheme::Gs,
        "az" => Scheme::Az,
        "http" => Scheme::Http,
        "https" => Scheme::Https,
        _ => return None,
    };
    Some((scheme, rest))
}

impl ObjectUrl {
    /// Parse `text`; an error shows the text without credentials or query.
    pub fn parse(text: &str) -> Result<Self, StoreError> {
        let bad = |reason: &str| StoreError::BadUrl {
            url: shown(text),
            reason: reason.to_string(),
        };
        let (scheme, rest) = split_scheme(text)
            .ok_or_else(|| bad("the scheme must be s3, gs, az, http or https"))?;
        let rest = rest.split(['?', '#']).next().unwrap_or_default();
        let (authority, key) = rest.split_once('/').unwrap_or((rest, ""));
        // user:password@ is dropped: credentials come from the environment.
        let bucket = authority.rsplit('@').next().unwrap_or_default();
        if bucket.is_empty() {
            return Err(bad("no bucket, container or host"));
        }
        Ok(ObjectUrl {
            scheme,
            bucket: bucket.to_string(),
            key: key.trim_start_matches('/').to_string(),
        })
    }

    /// The URL of `relative` below this one as a folder (`a/b` + `c/d` is
    /// `a/b/c/d`).
    pub fn join(&self, relative: &str) -> ObjectUrl {
        let relative = relative.trim_start_matches('/');
        let key = match self.key.trim_end_matches('/') {
            "" => relative.to_string(),
            k => format!("{k}/{relative}"),
        };
        ObjectUrl {
            key,
            ..self.clone()
        }
    }

    /// Whether the key has a wildcard (`*`, `?`, `[...]`): it names the
    /// objects a listing matches, not one object or a prefix.
    pub fn is_glob(&self) -> bool {
        self.key.contains(['*', '?', '['])
    }

    /// The `.zip` object this URL names a member of, and the member (a name
    /// or a glob): the first segment of the key that ends in `.zip` is the
    /// archive (`s3://b/R.zip/BACI_*.csv` is `s3://b/R.zip` and `BACI_*.csv`);
    /// the URL itself and none when no segment before the last does.
    pub fn split_zip_member(&self) -> (ObjectUrl, Option<String>) {
        let parts: Vec<&str> = self.key.split('/').collect();
        for i in 0..parts.len().saturating_sub(1) {
            if parts[i].to_ascii_lowercase().ends_with(".zip") {
                let archive = ObjectUrl {
                    key: parts[..=i].join("/"),
                    ..self.clone()
                };
                return (archive, Some(parts[i + 1..].join("/")));
            }
        }
        (self.clone(), None)
    }

    /// The URL of the bucket (or host) itself.
    pub fn root(&self) -> ObjectUrl {
        ObjectUrl {
            key: String::new(),
            ..self.clone()
        }
    }
}

impl std::fmt::Display for ObjectUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}://{}/{}", self.scheme.as_str(), self.bucket, self.key)
    }
}

impl std::str::FromStr for ObjectUrl {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ObjectUrl::parse(s)
    }
}

/// `text` without user information, query string or fragment (for an error
/// about text that did not parse).
fn shown(text: &str) -> String {
    let text = text.split(['?', '#']).next().unwrap_or_default();
    match text.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
            let host = authority.rsplit('@').next().unwrap_or_default();
            format!("{scheme}://{host}/{path}")
        }
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_scheme_parses_and_displays_without_credentials() {
        let u = ObjectUrl::parse("s3://bucket/baci/BACI_HS92_Y2019.csv").unwrap();
        assert_eq!(
            (u.scheme, u.bucket.as_str(), u.key.as_str()),
            (Scheme::S3, "bucket", "baci/BACI_HS92_Y2019.csv")
        );
        let u = ObjectUrl::parse("https://user:hunter22@example.org:8443/a/b.csv?X-Sig=s3cr3t#x")
            .unwrap();
        assert_eq!(u.to_string(), "https://example.org:8443/a/b.csv");
        assert!(!u.writable_scheme());
        let u = ObjectUrl::parse("AZ://container").unwrap();
        assert_eq!((u.scheme, u.key.as_str()), (Scheme::Az, ""));
        assert_eq!(
            u.join("out/manifest.json").to_string(),
            "az://container/out/manifest.json"
        );
        assert_eq!(
            ObjectUrl::parse("gs://b/x/").unwrap().join("y").to_string(),
            "gs://b/x/y"
        );
        assert!(is_object_url("s3://b/k") && is_object_url("HTTPS://h/p"));
        assert!(
            !is_object_url("/data/s3://b") && !is_object_url("ftp://h/p") && !is_object_url("out")
        );
        let e = ObjectUrl::parse("s3://user:hunter22@/k?token=abc")
            .unwrap_err()
            .to_string();
        assert!(!e.contains("hunter22") && !e.contains("abc"), "{e}");
        assert!(e.contains("s3:///k"), "{e}");
    }

    impl ObjectUrl {
        fn writable_scheme(&self) -> bool {
            self.scheme.writable()
        }
    }
}
