//! Integration tests of the pipeline crate, one binary: the readers fuzzed with
//! random and damaged input, every registered format run through every kind of
//! bad input, real files as researchers save them, a run fanned out over shards
//! and merged, and the direction of imports between the crate's layers.

mod bad_input_matrix;
mod fuzz;
mod layers;
mod real_files;
mod shards;

/// A file of the repository (`fixtures/...`), read whole.
fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(rel),
    )
    .unwrap()
}
