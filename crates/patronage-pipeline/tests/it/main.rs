//! Integration tests of the pipeline crate, one binary: the readers fuzzed with
//! random and damaged input, every registered format run through every kind of
//! bad input, and the direction of imports between the crate's layers.

mod bad_input_matrix;
mod fuzz;
mod layers;
