//! Sources and outputs on object storage: `s3://`, `gs://`, `az://` and
//! read-only `http(s)://` URLs, behind a blocking facade for a synchronous
//! program. Listing (a prefix or a glob, sorted by key), streaming reads by
//! ranged GETs ([`ObjectReader`]), downloads hashed as they are written, and
//! uploads committed as local runs commit: every file's parts sent before any
//! upload is completed, the manifest completed last. No error or message names
//! a key, secret or token, only the operation and the URL. The local S3
//! server and the Python venv maker other crates' tests use are built only
//! with the `test-support` feature, which only dev-dependencies turn on.

mod download;
mod error;
mod list;
mod object;
mod publish;
#[cfg(feature = "test-support")]
pub mod python_venv;
mod reader;
#[cfg(feature = "test-support")]
pub mod s3_test_server;
mod store;
mod url;

pub use download::Downloaded;
pub use error::StoreError;
pub use list::ObjectInfo;
pub use object::Head;
pub use publish::{Prepared, Published, PART};
pub use reader::{ObjectReader, BLOCK};
pub use store::{Store, StoreOptions};
pub use url::{is_object_url, ObjectUrl, Scheme};
