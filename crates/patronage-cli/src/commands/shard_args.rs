//! `--shard I/N` and `--shard-count N`, which `run` and `mirror-all` take with
//! the same meaning: run one shard of a fanned-out job into
//! `OUT/shards/I-of-N/`, for `patronage merge OUT`. Invariant: a process knows
//! its shard only from these flags or, with `--shard-count`, from the index a
//! Kubernetes Indexed Job or a Slurm job array hands it.

use patronage_core::shard::Shard;

/// Which shard of a job this process runs, if any.
#[derive(Debug, clap::Args)]
pub struct ShardArgs {
    /// Run only shard I of N of the job (0-based): the work `patronage plan
    /// --shards N` assigns it, into OUT/shards/I-of-N/ with shard.json last;
    /// no output is written until `patronage merge OUT`.
    #[arg(long, value_name = "I/N", conflicts_with = "shard_count")]
    pub shard: Option<Shard>,
    /// Run one shard of N, its index from JOB_COMPLETION_INDEX (Kubernetes
    /// Indexed Job) or SLURM_ARRAY_TASK_ID less SLURM_ARRAY_TASK_MIN (Slurm).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub shard_count: Option<u32>,
}

impl ShardArgs {
    /// The shard the flags (and the environment) name; none without them.
    pub fn shard(&self) -> anyhow::Result<Option<Shard>> {
        Ok(match (self.shard, self.shard_count) {
            (Some(s), _) => Some(s),
            (None, Some(n)) => Some(Shard::from_env(n, |k| std::env::var(k).ok())?),
            (None, None) => None,
        })
    }
}
