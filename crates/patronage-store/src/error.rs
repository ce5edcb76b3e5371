//! Why an object-storage operation failed. Every variant names the operation
//! and the URL as [`crate::ObjectUrl`] displays it (no credentials, no query
//! string); a message from a cloud service has every secret the store was
//! opened with replaced before it is kept, so no error ever carries a key,
//! secret or token.

use std::path::PathBuf;

/// A failure of an object-storage operation.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The text is not a URL this crate reads or writes.
    #[error("{url}: not an object URL: {reason}")]
    BadUrl {
        /// The URL, without credentials or query string.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The service or the connection failed.
    #[error("{op} {url}: {message}")]
    Remote {
        /// What was being done (`list`, `read`, `upload`, ...).
        op: &'static str,
        /// The URL.
        url: String,
        /// What went wrong, with secrets removed.
        message: String,
    },
    /// A local file could not be read or written.
    #[error("{op} {url}: {}: {source}", path.display())]
    Local {
        /// What was being done.
        op: &'static str,
        /// The URL.
        url: String,
        /// The local file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// `text` with every one of `secrets` (those of at least 4 characters: shorter
/// ones would blank ordinary words) replaced by `[redacted]`.
pub(crate) fn redact(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for s in secrets.iter().filter(|s| s.len() >= 4) {
        out = out.replace(s.as_str(), "[redacted]");
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn secrets_are_replaced_wherever_they_appear() {
        let secrets = vec!["wJalrXUtnFEMI/K7MDENG".to_string(), "ab".to_string()];
        let said = "signature for wJalrXUtnFEMI/K7MDENG failed (about wJalrXUtnFEMI/K7MDENG)";
        assert_eq!(
            super::redact(said, &secrets),
            "signature for [redacted] failed (about [redacted])"
        );
    }
}
