//! Listing: every object under a prefix, or those a glob matches
//! (`s3://b/baci/BACI_*.csv`: `*`, `?` and `[...]` within one path segment,
//! never across a `/`), sorted by key so a listing is the same whatever order
//! the service returns pages in. Each object comes with its size and ETag.

use futures::TryStreamExt;
use object_store::ObjectStore;

use crate::{ObjectUrl, Store, StoreError};

/// One listed object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    /// Its URL.
    pub url: ObjectUrl,
    /// Size in bytes.
    pub size: u64,
    /// ETag, as the service gives it.
    pub etag: Option<String>,
}

impl Store {
    /// What `url` names, as a source or an input gives it: the objects its
    /// wildcard matches; else the one object at its key; else every object
    /// under it as a prefix. Sorted by key.
    pub fn resolve(&self, url: &ObjectUrl) -> Result<Vec<ObjectInfo>, StoreError> {
        if !url.is_glob() {
            if let Some(head) = self.head(url)? {
                return Ok(vec![ObjectInfo {
                    url: url.clone(),
                    size: head.size,
                    etag: head.etag,
                }]);
            }
        }
        self.list(url)
    }

    /// The objects under `url` as a prefix (a folder: `a/b` lists `a/b/...`,
    /// not `a/bc`), or those matching it when its key is a glob; sorted by key.
    pub fn list(&self, url: &ObjectUrl) -> Result<Vec<ObjectInfo>, StoreError> {
        if !url.is_glob() {
            return self.list_under(url);
        }
        let literal = &url.key[..url.key.find(['*', '?', '[']).unwrap_or(0)];
        let folder = literal.rfind('/').map_or("", |i| &literal[..i]);
        let pattern = glob::Pattern::new(&url.key).map_err(|e| self.error("list", url, e))?;
        self.listing(url, folder, Some(pattern))
    }

    /// The objects under `url` as a prefix, whatever characters its key holds.
    pub(crate) fn list_under(&self, url: &ObjectUrl) -> Result<Vec<ObjectInfo>, StoreError> {
        self.listing(url, url.key.trim_end_matches('/'), None)
    }

    /// The objects under the key `prefix` of `url`'s bucket, those `pattern`
    /// matches when given; sorted by key.
    fn listing(
        &self,
        url: &ObjectUrl,
        prefix: &str,
        pattern: Option<glob::Pattern>,
    ) -> Result<Vec<ObjectInfo>, StoreError> {
        let prefix_path = if prefix.is_empty() {
            None
        } else {
            Some(self.path("list", &url.root().join(prefix))?)
        };
        let metas: Vec<object_store::ObjectMeta> = self
            .block_on(self.inner.list(prefix_path.as_ref()).try_collect())
            .map_err(|e| self.error("list", url, e))?;
        let options = glob::MatchOptions {
            case_sensitive: true,
            require_literal_separator: true,
            require_literal_leading_dot: false,
        };
        let mut out: Vec<ObjectInfo> = metas
            .into_iter()
            .filter(|m| {
                pattern
                    .as_ref()
                    .is_none_or(|p| p.matches_with(m.location.as_ref(), options))
            })
            .map(|m| ObjectInfo {
                url: url.root().join(m.location.as_ref()),
                size: m.size,
                etag: m.e_tag,
            })
            .collect();
        out.sort_by(|a, b| a.url.key.cmp(&b.url.key));
        Ok(out)
    }
}
