//! The UN Comtrade subscription key: read from `COMTRADE_API_KEY` or a key file,
//! and never shown. `Debug` and `Display` print a placeholder, the only way to
//! the text is [`Key::header_value`] (for the request header), and
//! [`Key::redact`] removes it from any text a server sends back.

use std::path::Path;

use crate::FetchError;

/// A subscription key and where it came from.
#[derive(Clone)]
pub struct Key {
    secret: String,
    from: String,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Key(<hidden>, from {})", self.from)
    }
}

impl Key {
    /// The key in the environment variable `COMTRADE_API_KEY`, else in the file
    /// `file` (its first line), else none.
    pub fn find(file: Option<&Path>) -> Result<Option<Key>, FetchError> {
        if let Ok(v) = std::env::var("COMTRADE_API_KEY") {
            if !v.trim().is_empty() {
                return Ok(Some(Key {
                    secret: v.trim().to_string(),
                    from: "COMTRADE_API_KEY".to_string(),
                }));
            }
        }
        let Some(file) = file else { return Ok(None) };
        let text = std::fs::read_to_string(file).map_err(|source| FetchError::Io {
            path: file.to_path_buf(),
            source,
        })?;
        let secret = text.lines().next().unwrap_or("").trim().to_string();
        if secret.is_empty() {
            return Err(FetchError::Request(format!(
                "key file {} is empty",
                file.display()
            )));
        }
        Ok(Some(Key {
            secret,
            from: format!("key file {}", file.display()),
        }))
    }

    /// A key given directly (tests), labelled by where it came from.
    pub fn new(secret: &str, from: &str) -> Key {
        Key {
            secret: secret.to_string(),
            from: from.to_string(),
        }
    }

    /// Where the key came from (shown in errors instead of the key).
    pub fn source(&self) -> &str {
        &self.from
    }

    /// The value of the `Ocp-Apim-Subscription-Key` header.
    pub(crate) fn header_value(&self) -> &str {
        &self.secret
    }

    /// `text` with every occurrence of the key replaced by `<key>`.
    pub fn redact(&self, text: &str) -> String {
        if self.secret.is_empty() {
            text.to_string()
        } else {
            text.replace(&self.secret, "<key>")
        }
    }
}
