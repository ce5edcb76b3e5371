//! Inputs on object storage: a bulk input whose path is an object URL
//! (`s3://b/baci/BACI_HS92_Y2019_V202401.csv`) read as a stream of ranged GETs
//! ([`patronage_store::ObjectReader`]): a `.gz` object inflated over it, a
//! member of a `.zip` object (`s3://b/BACI_HS92_V202401.zip/BACI_..._Y2019_...csv`)
//! found through the reader's seeks and inflated. Invariant: the reader yields
//! exactly the bytes the same file read locally through
//! `patronage_extract::archive` would (unpacked), so a fold and its SHA-256 do
//! not depend on where the file lies; and an input's size for the shard rule
//! is the size of the object that holds it, the number a listing shows.

use std::io::Read;
use std::path::{Path, PathBuf};

use patronage_extract::archive;
use patronage_store::{is_object_url, ObjectUrl, Store};

use crate::BulkError;

/// The object URL `path` is, if it is one.
pub fn object_url(path: &Path) -> Result<Option<ObjectUrl>, BulkError> {
    match path.to_str() {
        Some(text) if is_object_url(text) => Ok(Some(ObjectUrl::parse(text)?)),
        _ => Ok(None),
    }
}

/// The unpacked bytes of the object input `url`, read from `store` (a file,
/// a `.gz` object inflated, or a `.zip` object's member).
pub fn open_in(store: &Store, url: &ObjectUrl) -> Result<Box<dyn Read + Send>, BulkError> {
    let (holder, member) = url.split_zip_member();
    let reader = store.reader(&holder)?;
    let shown = holder.to_string();
    Ok(match member {
        Some(member) => archive::open_member_in(reader, Path::new(&shown), &member)?,
        None if archive::is_gz(Path::new(&url.key)) => archive::open_gz(reader, Path::new(&shown)),
        None => Box::new(reader),
    })
}

/// [`open_in`] with the store opened for `url` from the environment (each
/// cloud's standard variables and instance chain).
pub fn open(url: &ObjectUrl) -> Result<Box<dyn Read + Send>, BulkError> {
    open_in(&Store::open(url)?, url)
}

/// The size in bytes of the object that holds the input `path` (a `.zip`
/// object's size for its members), by a HEAD request to `store`, for the
/// shard rule's weights; `None` when `path` is not an object URL.
pub fn object_bytes_in(store: &Store, path: &Path) -> Result<Option<u64>, BulkError> {
    let Some(url) = object_url(path)? else {
        return Ok(None);
    };
    Ok(Some(store.info(&url.split_zip_member().0)?.size))
}

/// The inputs `path` names: itself, a `.zip` object's member, or what the
/// store resolves an object URL to (the objects its wildcard matches, as in
/// `s3://b/baci/BACI_*.csv`; else the object at its key; else the objects
/// under it), sorted by key: the same rule as a pipeline source's `path`. A
/// URL that names nothing is an error naming it.
pub fn expand(path: &Path) -> Result<Vec<PathBuf>, BulkError> {
    let Some(url) = object_url(path)? else {
        return Ok(vec![path.to_path_buf()]);
    };
    if url.split_zip_member().1.is_some() {
        return Ok(vec![path.to_path_buf()]);
    }
    let found = Store::open(&url)?.resolve(&url)?;
    if found.is_empty() {
        return Err(BulkError::Store(patronage_store::StoreError::Remote {
            op: "list",
            url: url.to_string(),
            message: "no object matches".to_string(),
        }));
    }
    Ok(found
        .into_iter()
        .map(|o| PathBuf::from(o.url.to_string()))
        .collect())
}

/// [`object_bytes_in`] with the store opened from the environment.
pub fn object_bytes(path: &Path) -> Result<Option<u64>, BulkError> {
    match object_url(path)? {
        Some(url) => object_bytes_in(&Store::open(&url)?, path),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zip_folder_of_the_key_holds_the_member() {
        let u = ObjectUrl::parse("s3://b/cepii/BACI_HS92_V202401.ZIP/BACI_HS92_Y2019_V202401.csv")
            .unwrap();
        let (holder, member) = u.split_zip_member();
        assert_eq!(holder.to_string(), "s3://b/cepii/BACI_HS92_V202401.ZIP");
        assert_eq!(member.as_deref(), Some("BACI_HS92_Y2019_V202401.csv"));
        let plain = ObjectUrl::parse("gs://b/bulk/x.zip").unwrap();
        assert_eq!(plain.split_zip_member(), (plain.clone(), None));
        assert_eq!(object_url(Path::new("fixtures/x.csv")).unwrap(), None);
    }
}
