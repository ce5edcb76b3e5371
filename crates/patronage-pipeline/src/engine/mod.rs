//! Running a pipeline reproducibly: the run and its stages, the fingerprints that
//! decide which stages run, the cache of source outputs, the output folder's
//! lock, the atomic commit of tables and manifest, the run log, the events
//! schedulers hear, `verify`, and a run fanned out over shards and merged. The
//! top layer: it imports every other layer, and none imports it.

pub mod cache;
pub(crate) mod commit;
pub mod fingerprint;
pub(crate) mod load;
pub mod lock;
pub mod merge;
pub(crate) mod mirror_stage;
pub(crate) mod on_disk;
pub mod options;
pub(crate) mod run;
pub mod runlog;
pub mod scheduler_events;
pub mod shard;
pub mod stages;
pub mod units;
pub mod verify;
