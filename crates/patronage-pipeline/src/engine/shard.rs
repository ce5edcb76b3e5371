//! One shard of a fan-out of a pipeline's run (`patronage run --shard I/N`) and
//! the plan of the whole fan-out (`patronage plan --shards N`).
//!
//! A shard runs the stages of its units ([`super::units`]) and nothing else —
//! no table, check or claim — with its stage cache in
//! `<out>/shards/I-of-N/.patronage/`, then writes `<out>/shards/I-of-N/shard.json`
//! last and atomically: what it ran (each unit's stage, cache folder, record
//! hash and inputs), every file it leaves for the merge with its bytes and
//! SHA-256, the pipeline file's hash and the job's hash. Invariant: a
//! `shard.json` exists only for a shard that finished (it is removed before
//! the shard starts), and the files it lists are those the shard wrote.

use std::path::{Path, PathBuf};

use patronage_core::shard::Shard;
use patronage_tables::parquet::{remove_if_present, write_atomic};
use serde::{Deserialize, Serialize};

use super::cache;
use super::load::{download_reading, load, load_checked};
use super::lock;
use super::options::RunOptions;
use super::run::{refuse_pending, run_units};
use super::units::{assignment, files_under, job_sha256, units, Unit, UnitDone};
use crate::config::{LoadOptions, Pipeline, Source};
use crate::{PipelineError, TOOL_VERSION};

/// The file a finished shard writes last in its folder.
pub const SHARD_FILE: &str = "shard.json";

/// The `kind` of a pipeline's shard (a `mirror-all` shard has its own).
pub const KIND: &str = "pipeline";

/// The pipeline a shard ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardPipeline {
    /// Its name.
    pub name: String,
    /// The pipeline file, as an absolute path where it could be resolved.
    pub file: String,
    /// SHA-256 of the pipeline file.
    pub sha256: String,
}

/// A file a shard leaves for the merge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardOutput {
    /// Path under the shard's folder, `/`-separated.
    pub file: String,
    /// Its size.
    pub bytes: u64,
    /// SHA-256 of its bytes.
    pub sha256: String,
}

/// `shard.json` of a pipeline's shard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardFile {
    /// Always [`KIND`].
    pub kind: String,
    /// `I/N`.
    pub shard: String,
    /// The version of the tool that ran the shard.
    pub tool_version: String,
    /// The pipeline it ran.
    pub pipeline: ShardPipeline,
    /// The job's hash ([`job_sha256`] over the pipeline's hash, N and `job`).
    pub job_sha256: String,
    /// Every unit of the job, in order, with its weight.
    pub job: Vec<Unit>,
    /// The units this shard ran, in the pipeline's order.
    pub units: Vec<UnitDone>,
    /// Every file the shard leaves for the merge (its units' stage caches).
    pub outputs: Vec<ShardOutput>,
}

/// What a shard did.
#[derive(Debug, Clone)]
pub struct ShardReport {
    /// The shard.
    pub shard: Shard,
    /// The pipeline's name.
    pub pipeline: String,
    /// The shard's folder (`<out>/shards/I-of-N`).
    pub folder: PathBuf,
    /// Its `shard.json` as written.
    pub file: ShardFile,
}

/// A unit of a fan-out's plan.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedUnit {
    /// The unit's stage.
    pub unit: String,
    /// Its shard, `I/N`.
    pub shard: String,
    /// Bytes of the files on disk it reads.
    pub weight: u64,
}

/// Which shard runs which unit.
#[derive(Debug, Clone)]
pub struct ShardPlan {
    /// The pipeline's name.
    pub pipeline: String,
    /// The shard count.
    pub count: u32,
    /// Every unit, in the pipeline's order.
    pub units: Vec<PlannedUnit>,
    /// Each shard's total weight, by index.
    pub totals: Vec<u64>,
    /// The job's hash, as the shards record it.
    pub job_sha256: String,
}

/// The plan of a fan-out of `count` shards: the assignment every shard of the
/// job computes.
pub fn plan_shards(
    pipeline_path: &Path,
    options: &RunOptions,
    count: u32,
) -> Result<ShardPlan, PipelineError> {
    let p = load(pipeline_path, options.load)?;
    let all = units(&p)?;
    let shards = assignment(&all, count);
    let mut totals = vec![0u64; count.max(1) as usize];
    for (u, s) in all.iter().zip(&shards) {
        totals[*s as usize] = totals[*s as usize].saturating_add(u.weight);
    }
    Ok(ShardPlan {
        pipeline: p.name.clone(),
        count,
        job_sha256: job_sha256(&p.sha256, count, &all),
        units: all
            .iter()
            .zip(&shards)
            .map(|(u, s)| PlannedUnit {
                unit: u.stage.clone(),
                shard: format!("{s}/{count}"),
                weight: u.weight,
            })
            .collect(),
        totals,
    })
}

/// Whether a shard running the units `mine` reads source `s`: its own stage,
/// or the `[mirror_all]` step that folds it.
fn reads(p: &Pipeline, s: &Source, mine: &[String]) -> bool {
    mine.contains(&super::stages::source_stage(&s.id))
        || (mine
            .iter()
            .any(|u| u == super::mirror_stage::MIRROR_ALL_STAGE)
            && p.mirror_all
                .as_ref()
                .is_some_and(|m| m.sources.contains(&s.id)))
}

/// Run shard `shard` of the pipeline: its units' stages, then `shard.json`.
pub fn run_shard(
    pipeline_path: &Path,
    options: &RunOptions,
    shard: Shard,
) -> Result<ShardReport, PipelineError> {
    // The job from the pipeline as listed, nothing downloaded: what `plan
    // --shards` and every other shard compute.
    let listed = LoadOptions {
        download: false,
        ..options.load
    };
    let loaded = load_checked(pipeline_path, listed)?;
    let job = units(&loaded.0)?;
    let mine: Vec<String> = job
        .iter()
        .zip(assignment(&job, shard.count))
        .filter(|(_, s)| *s == shard.index)
        .map(|(u, _)| u.stage.clone())
        .collect();
    let (p, quality) = download_reading(pipeline_path, options.load, loaded, |p, s| {
        reads(p, s, &mine)
    })?;
    refuse_pending(&p, |s| reads(&p, s, &mine))?;
    let folder = p.output_dir(options.output.as_deref()).join(shard.folder());
    let state = cache::state_dir(&folder);
    p.check_state_dir(&state)?;
    let _lock = lock::acquire(&state, options.wait, &options.events)?;
    let marker = folder.join(SHARD_FILE);
    remove_if_present(&marker).map_err(|source| PipelineError::Write {
        path: marker.clone(),
        source,
    })?;
    let done = run_units(&p, &quality, &state, options, &mine)?;
    let mut outputs = Vec::new();
    for u in &done {
        for file in files_under(&folder, &state.join(&u.cache)) {
            let path = folder.join(&file);
            let (bytes, sha256) =
                patronage_tables::sha256_file(&path).map_err(|source| PipelineError::Write {
                    path: path.clone(),
                    source,
                })?;
            outputs.push(ShardOutput {
                file,
                bytes,
                sha256,
            });
        }
    }
    let file = ShardFile {
        kind: KIND.to_string(),
        shard: shard.to_string(),
        tool_version: TOOL_VERSION.to_string(),
        pipeline: ShardPipeline {
            name: p.name.clone(),
            file: std::fs::canonicalize(&p.path)
                .unwrap_or_else(|_| p.path.clone())
                .display()
                .to_string(),
            sha256: p.sha256.clone(),
        },
        job_sha256: job_sha256(&p.sha256, shard.count, &job),
        job,
        units: done,
        outputs,
    };
    let mut json = serde_json::to_vec_pretty(&file).unwrap_or_default();
    json.push(b'\n');
    write_atomic(&marker, &json)?;
    Ok(ShardReport {
        shard,
        pipeline: p.name.clone(),
        folder,
        file,
    })
}
