//! The end-to-end tests of the `patronage` binary, linked as one test binary:
//! each module runs the binary on its own temporary folders (never a shared
//! output folder, working directory or environment change), so its tests run
//! side by side with every other module's. `common` and `ops_support` hold the
//! helpers, once.

mod aid;
mod bad_input;
mod checks;
mod claims;
mod common;
mod deploy;
mod dprk;
mod fetch_sources;
mod focus;
mod interop;
mod interop_env;
mod json_cli;
mod labor;
mod mirror_all_cli;
mod mirror_all_shards;
mod mirror_all_step;
mod object_storage;
mod operations;
mod ops_support;
mod paths;
mod releases;
mod report;
mod reproducible;
mod run_shards;
mod runner_defects;
mod sanctioned_goods;
mod series;
mod shell;
mod trade_sources;
