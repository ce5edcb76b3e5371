//! Shared text for the codes of a file's rows (ISO3 codes, classifications,
//! commodity codes): one allocation per code.

use std::collections::HashMap;
use std::sync::Arc;

/// Interns codes.
#[derive(Debug, Default)]
pub(crate) struct Interner(HashMap<String, Arc<str>>);

impl Interner {
    /// The shared text for `s` when it is held already.
    pub(crate) fn peek(&self, s: &str) -> Option<Arc<str>> {
        self.0.get(s).cloned()
    }

    /// The shared text for `s`.
    pub(crate) fn get(&mut self, s: &str) -> Arc<str> {
        if let Some(a) = self.0.get(s) {
            return a.clone();
        }
        let a: Arc<str> = Arc::from(s);
        self.0.insert(s.to_string(), a.clone());
        a
    }
}
