//! Integration tests of patronage-bulk, one binary: each module a topic.

mod mirror_all;
mod packed;
mod scan;
mod shards;
