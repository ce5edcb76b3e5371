//! The integration tests of the readers, linked as one test binary (a new test
//! file is one more module here).

mod fuzz;
