//! Integration tests of the pipeline crate, one binary: the readers fuzzed with
//! random and damaged input, and every registered format run through every kind
//! of bad input.

mod bad_input_matrix;
mod fuzz;
