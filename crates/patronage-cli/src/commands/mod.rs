//! One file per subcommand of `patronage`. Each holds the command's arguments
//! (`Args`, parsed by clap) and `execute`, which does the work, prints what the
//! command prints and returns its [`Exit`](crate::exit::Exit) code; an error it
//! returns is printed by `main` and exits with `Exit::Error`. What several
//! commands share lives in `pipeline_args`; commands never import each other.

pub mod claims;
pub mod completions;
pub mod fetch;
pub mod man;
pub mod merge;
pub mod mirror_all;
pub mod pipeline_args;
pub mod plan;
pub mod report;
pub mod run;
pub mod schema;
pub mod synth;
pub mod verify;
