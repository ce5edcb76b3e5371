//! The object-storage layer against a local S3 server (moto on 127.0.0.1):
//! listing, ranged reads, downloads, publishing committed manifest-last, pull,
//! and errors free of secrets. Every file written here is SYNTHETIC.

mod common;
mod download;
mod errors;
mod list;
mod publish;
mod read;
