//! Small whole-object operations: `head` (size, ETag, and the SHA-256 kept
//! with the object), `get` (all of an object in memory) and `put` (one request,
//! the SHA-256 of the bytes kept as the object's metadata, so a later publish
//! can tell the object is already what it would upload) and `delete`.
//! Invariant: a `put` object and a published one carry their SHA-256 under the
//! same metadata name, [`SHA256_ATTRIBUTE`].

use object_store::{
    Attribute, AttributeValue, Attributes, GetOptions, ObjectStore, ObjectStoreExt, PutOptions,
    PutPayload,
};

use crate::{ObjectInfo, ObjectUrl, Store, StoreError};

/// The metadata name under which an object's SHA-256 (lower-case hex) is kept.
pub(crate) const SHA256_ATTRIBUTE: &str = "sha256";

/// The attributes that record `sha256`.
pub(crate) fn sha_attributes(sha256: &str) -> Attributes {
    let mut a = Attributes::new();
    a.insert(
        Attribute::Metadata(SHA256_ATTRIBUTE.into()),
        AttributeValue::from(sha256.to_string()),
    );
    a
}

/// What a `head` tells about an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// Size in bytes.
    pub size: u64,
    /// ETag, as the service gives it.
    pub etag: Option<String>,
    /// The SHA-256 kept with the object when this crate wrote it.
    pub sha256: Option<String>,
}

impl Store {
    /// Size, ETag and kept SHA-256 of `url`; `None` when there is no such object.
    pub fn head(&self, url: &ObjectUrl) -> Result<Option<Head>, StoreError> {
        let path = self.path("head", url)?;
        let got = self.block_on(
            self.inner
                .get_opts(&path, GetOptions::new().with_head(true)),
        );
        match got {
            Ok(r) => Ok(Some(Head {
                size: r.meta.size,
                etag: r.meta.e_tag.clone(),
                sha256: r
                    .attributes
                    .get(&Attribute::Metadata(SHA256_ATTRIBUTE.into()))
                    .map(|v| v.as_ref().to_string()),
            })),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.error("head", url, e)),
        }
    }

    /// Size and ETag of `url` (an error when it does not exist).
    pub fn info(&self, url: &ObjectUrl) -> Result<ObjectInfo, StoreError> {
        let head = (self.head(url)?).ok_or_else(|| self.error("head", url, "no such object"))?;
        Ok(ObjectInfo {
            url: url.clone(),
            size: head.size,
            etag: head.etag,
        })
    }

    /// All the bytes of `url`.
    pub fn get(&self, url: &ObjectUrl) -> Result<Vec<u8>, StoreError> {
        let path = self.path("get", url)?;
        self.block_on(async {
            let r = self.inner.get(&path).await?;
            r.bytes().await
        })
        .map(|b| b.to_vec())
        .map_err(|e| self.error("get", url, e))
    }

    /// Write `bytes` to `url` in one request, their SHA-256 kept with them.
    pub fn put(&self, url: &ObjectUrl, bytes: Vec<u8>) -> Result<(), StoreError> {
        self.writable("put", url)?;
        let path = self.path("put", url)?;
        let sha = patronage_tables::sha256_hex(&bytes);
        let opts = PutOptions::from(sha_attributes(&sha));
        self.block_on(self.inner.put_opts(&path, PutPayload::from(bytes), opts))
            .map(|_| ())
            .map_err(|e| self.error("put", url, e))
    }

    /// Delete `url` (no error when it is already gone).
    pub fn delete(&self, url: &ObjectUrl) -> Result<(), StoreError> {
        self.writable("delete", url)?;
        let path = self.path("delete", url)?;
        match self.block_on(self.inner.delete(&path)) {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.error("delete", url, e)),
        }
    }
}
