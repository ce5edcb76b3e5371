//! The units of work a pipeline's run is split into for a fan-out (`patronage
//! run --shard I/N`, `patronage plan --shards N`, `patronage merge`): one per
//! source stage (`source:<id>`, in declaration order), then the `[mirror_all]`
//! step (`mirror_all`) when the pipeline has one. A unit's weight is the bytes
//! of the files on disk it reads (a `.zip` counted once however many of its
//! members the unit reads).
//!
//! Invariant: the units, their weights and the shard count alone decide which
//! shard runs which unit (`patronage_core::shard::assign`), and the job's hash
//! covers the pipeline file's hash, the shard count and every unit with its
//! weight in order, so the shards of one job agree on the assignment and the
//! shards of different jobs are told apart.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::mirror_stage::MIRROR_ALL_STAGE;
use super::stages::source_stage;
use crate::config::{Pipeline, Source};
use crate::PipelineError;

/// One unit of work of a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    /// The stage it runs (`source:<id>` or `mirror_all`).
    pub stage: String,
    /// Bytes of the files on disk it reads.
    pub weight: u64,
}

/// A file a unit's stage read, as its stage cache records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitInput {
    /// Path relative to the pipeline file.
    pub file: String,
    /// Bytes read.
    pub bytes: u64,
    /// SHA-256 of the bytes read.
    pub sha256: String,
    /// For an object read from object storage, the ETag it was downloaded
    /// with: a merge that finds the store still listing it stands in for it
    /// without downloading it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
}

/// What a unit's stage left in the stage cache.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitDone {
    /// The stage.
    pub stage: String,
    /// Its cache folder under the state folder (`sources/<id>`, `mirror_all`).
    pub cache: String,
    /// The `record_sha256` of its cached record.
    pub record_sha256: String,
    /// The files it read.
    pub inputs: Vec<UnitInput>,
}

/// The units of a pipeline, in order, with their weights.
pub fn units(p: &Pipeline) -> Result<Vec<Unit>, PipelineError> {
    let mut out = Vec::with_capacity(p.sources.len() + 1);
    // Objects not yet downloaded weigh their listed size, as they will once
    // downloaded.
    let listed = |s: &Source| s.objects.iter().map(|o| o.bytes).sum::<u64>();
    for s in &p.sources {
        out.push(Unit {
            stage: source_stage(&s.id),
            weight: bytes_on_disk(&s.files)?.saturating_add(listed(s)),
        });
    }
    if let Some(step) = &p.mirror_all {
        let files: Vec<PathBuf> = p
            .sources
            .iter()
            .filter(|s| step.sources.contains(&s.id))
            .flat_map(|s| s.files.iter().cloned())
            .collect();
        let pending: u64 = (p.sources.iter())
            .filter(|s| step.sources.contains(&s.id))
            .map(listed)
            .sum();
        out.push(Unit {
            stage: MIRROR_ALL_STAGE.to_string(),
            weight: bytes_on_disk(&files)?.saturating_add(pending),
        });
    }
    Ok(out)
}

/// The bytes of the distinct files on disk holding `files` (a `.zip` member
/// counts its archive, once).
fn bytes_on_disk(files: &[PathBuf]) -> Result<u64, PipelineError> {
    let on_disk: BTreeSet<PathBuf> = files
        .iter()
        .map(|f| patronage_extract::archive::container(f))
        .collect();
    let mut total = 0u64;
    for f in on_disk {
        let meta = std::fs::metadata(&f).map_err(|source| patronage_extract::ExtractError::Io {
            path: f.clone(),
            source,
        })?;
        total = total.saturating_add(meta.len());
    }
    Ok(total)
}

/// Each unit's shard of `count` (`patronage_core::shard::assign`).
pub fn assignment(units: &[Unit], count: u32) -> Vec<u32> {
    let named: Vec<(&str, u64)> = units.iter().map(|u| (u.stage.as_str(), u.weight)).collect();
    patronage_core::shard::assign(&named, count)
}

/// The hash of a job: the pipeline file's SHA-256, the shard count and every
/// unit with its weight, in order.
pub fn job_sha256(pipeline_sha256: &str, count: u32, units: &[Unit]) -> String {
    let mut text = format!("pipeline {pipeline_sha256}\nshards {count}\n");
    for u in units {
        text.push_str(&format!("unit {} {}\n", u.stage, u.weight));
    }
    patronage_tables::sha256_hex(text.as_bytes())
}

/// A stage's cache folder under the state folder: `sources/<id>` for a source
/// stage, `mirror_all` for the step.
pub fn cache_folder(stage: &str) -> String {
    match stage.strip_prefix("source:") {
        Some(id) => format!("sources/{id}"),
        None => stage.to_string(),
    }
}

/// Every file under `dir`, as `/`-separated paths relative to `base`, sorted.
pub(crate) fn files_under(base: &Path, dir: &Path) -> Vec<String> {
    let prefix: Vec<String> = (dir.strip_prefix(base).unwrap_or(dir).components())
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let prefix = match prefix.is_empty() {
        true => String::new(),
        false => format!("{}/", prefix.join("/")),
    };
    let mut out = Vec::new();
    super::verify::walk(dir, &prefix, true, &mut out);
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stage_has_its_cache_folder() {
        assert_eq!(cache_folder("source:ru_itc"), "sources/ru_itc");
        assert_eq!(cache_folder("mirror_all"), "mirror_all");
    }

    #[test]
    fn the_job_hash_covers_units_weights_and_count() {
        let units = vec![
            Unit {
                stage: "source:a".into(),
                weight: 10,
            },
            Unit {
                stage: "source:b".into(),
                weight: 7,
            },
        ];
        let h = job_sha256("p", 2, &units);
        assert_ne!(h, job_sha256("p", 3, &units));
        assert_ne!(h, job_sha256("q", 2, &units));
        let mut heavier = units.clone();
        heavier[1].weight = 8;
        assert_ne!(h, job_sha256("p", 2, &heavier));
        assert_eq!(h, job_sha256("p", 2, &units));
    }
}
