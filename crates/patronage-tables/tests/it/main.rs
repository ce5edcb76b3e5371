//! Integration tests of patronage-tables, one binary: the generated data
//! dictionary and the documents that link to it.

mod docs;
mod partitions;
mod streamed;
