//! `patronage merge OUT` for a pipeline's shards: check that the shards in
//! `OUT/shards/` add up to one job, put each unit's stage cache in `OUT`'s
//! state folder, and run the pipeline to the end with every stage that reads
//! sources taken from that cache.
//!
//! Invariant: the merge writes its tables, checks, claims and `manifest.json`
//! through the run's own path ([`super::run::run_with`]), so they are
//! byte-identical to what one `patronage run` writes; it reads no source (a
//! stage that would is an error naming it), and it writes nothing unless every
//! shard of the job is there once, each unit was run by exactly the shard the
//! job assigns it to, every shard is of the same job, pipeline file and tool
//! version, and every file a shard lists hashes to what its `shard.json` says.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use patronage_core::shard::{inside_folder, Shard};

use super::load::load;
use super::options::RunOptions;
use super::run::{run_with, RunReport};
use super::shard::{ShardFile, KIND, SHARD_FILE};
use super::units::{assignment, cache_folder, job_sha256, units};
use crate::config::{objects, LoadOptions, Pipeline};
use crate::{PipelineError, TOOL_VERSION};

/// What a merge did.
#[derive(Debug, Clone)]
pub struct MergeReport {
    /// How many shards were merged.
    pub shards: u32,
    /// The run that wrote the outputs.
    pub run: RunReport,
}

/// A shard found under `OUT/shards/`.
struct Found {
    /// Its `shard.json`.
    path: PathBuf,
    file: ShardFile,
    shard: Shard,
}

fn error(path: &Path, message: String) -> PipelineError {
    PipelineError::Shards {
        path: path.to_path_buf(),
        message,
    }
}

/// Every `OUT/shards/*/shard.json`, by folder name.
fn read_shards(out: &Path) -> Result<Vec<Found>, PipelineError> {
    let dir = out.join("shards");
    let mut folders: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    folders.sort();
    let mut found = Vec::new();
    for folder in folders {
        let path = folder.join(SHARD_FILE);
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let value: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| error(&path, format!("{}: not JSON: {e}", path.display())))?;
        let kind = value.get("kind").and_then(|k| k.as_str()).unwrap_or("");
        if kind != KIND {
            return Err(error(
                &path,
                format!(
                    "{}: a shard of kind {kind:?}, not of a pipeline's run; merge the \
                     shards of one job at a time",
                    path.display()
                ),
            ));
        }
        let file: ShardFile = serde_json::from_value(value)
            .map_err(|e| error(&path, format!("{}: not a shard.json: {e}", path.display())))?;
        let shard: Shard = file
            .shard
            .parse()
            .map_err(|e| error(&path, format!("{}: \"shard\": {e}", path.display())))?;
        found.push(Found { path, file, shard });
    }
    if found.is_empty() {
        return Err(error(
            &dir,
            format!(
                "{}: no shard.json: run the shards first (`patronage run --shard I/N --out {}`)",
                dir.display(),
                out.display()
            ),
        ));
    }
    Ok(found)
}

/// The shards of one job, each once, all there, each unit run once by the
/// shard the job assigns it to, every listed file as its `shard.json` says.
/// Returns them by index.
fn check_shards(out: &Path, found: Vec<Found>) -> Result<Vec<Found>, PipelineError> {
    let first = &found[0];
    for f in &found {
        let same = |what: &str, a: &str, b: &str| -> Result<(), PipelineError> {
            if a == b {
                return Ok(());
            }
            Err(error(
                &f.path,
                format!(
                    "{} and {} are shards of different jobs ({what}: {a} and {b}); remove \
                     the shards of the other job",
                    first.path.display(),
                    f.path.display()
                ),
            ))
        };
        same(
            "shard count",
            &first.shard.count.to_string(),
            &f.shard.count.to_string(),
        )?;
        same(
            "pipeline sha256",
            &first.file.pipeline.sha256,
            &f.file.pipeline.sha256,
        )?;
        same("job_sha256", &first.file.job_sha256, &f.file.job_sha256)?;
        same(
            "tool version",
            &first.file.tool_version,
            &f.file.tool_version,
        )?;
        if f.file.tool_version != TOOL_VERSION {
            return Err(error(
                &f.path,
                format!(
                    "{} was written by patronage {}; this is patronage {TOOL_VERSION}: run the \
                     shards and the merge with one version",
                    f.path.display(),
                    f.file.tool_version
                ),
            ));
        }
    }
    let count = first.shard.count;
    let mut by_index: BTreeMap<u32, Found> = BTreeMap::new();
    for f in found {
        if let Some(other) = by_index.get(&f.shard.index) {
            return Err(error(
                &f.path,
                format!(
                    "shard {} twice: {} and {}; remove the one that is not in its own folder",
                    f.shard,
                    other.path.display(),
                    f.path.display()
                ),
            ));
        }
        let folder = f.path.parent().and_then(|d| d.file_name());
        let want = format!("{}-of-{}", f.shard.index, f.shard.count);
        if folder.map(|n| n.to_string_lossy() != want.as_str()) != Some(false) {
            return Err(error(
                &f.path,
                format!(
                    "{} says it is shard {} but is not in shards/{want}",
                    f.path.display(),
                    f.shard
                ),
            ));
        }
        by_index.insert(f.shard.index, f);
    }
    for i in 0..count {
        if !by_index.contains_key(&i) {
            let want = out
                .join("shards")
                .join(format!("{i}-of-{count}"))
                .join(SHARD_FILE);
            return Err(error(
                &want,
                format!(
                    "shard {i}/{count} is missing: {} not found (run that shard, or run it \
                     again if it was stopped)",
                    want.display()
                ),
            ));
        }
    }
    let shards: Vec<Found> = by_index.into_values().collect();
    let job = &shards[0].file.job;
    if job_sha256(&shards[0].file.pipeline.sha256, count, job) != shards[0].file.job_sha256 {
        return Err(error(
            &shards[0].path,
            format!(
                "{}: job_sha256 is not the hash of its job's units",
                shards[0].path.display()
            ),
        ));
    }
    let assigned = assignment(job, count);
    let mut ran_by: BTreeMap<&str, &Found> = BTreeMap::new();
    for f in &shards {
        for u in &f.file.units {
            // The cache folder follows from the stage: a manifest naming
            // another is refused before anything is placed or removed.
            if u.cache != cache_folder(&u.stage) {
                return Err(error(
                    &f.path,
                    format!(
                        "{}: unit {} names the cache folder {:?}, not {:?}",
                        f.path.display(),
                        u.stage,
                        u.cache,
                        cache_folder(&u.stage)
                    ),
                ));
            }
            if let Some(other) = ran_by.get(u.stage.as_str()) {
                return Err(error(
                    &f.path,
                    format!(
                        "unit {} was run by two shards: {} ({}) and {} ({})",
                        u.stage,
                        other.shard,
                        other.path.display(),
                        f.shard,
                        f.path.display()
                    ),
                ));
            }
            let Some(k) = job.iter().position(|j| j.stage == u.stage) else {
                return Err(error(
                    &f.path,
                    format!(
                        "{}: unit {} is not a unit of the job",
                        f.path.display(),
                        u.stage
                    ),
                ));
            };
            if assigned[k] != f.shard.index {
                return Err(error(
                    &f.path,
                    format!(
                        "{}: unit {} ran in shard {} but the job assigns it to shard {}/{count}",
                        f.path.display(),
                        u.stage,
                        f.shard,
                        assigned[k]
                    ),
                ));
            }
            ran_by.insert(u.stage.as_str(), f);
        }
    }
    for (u, s) in job.iter().zip(&assigned) {
        if !ran_by.contains_key(u.stage.as_str()) {
            let f = &shards[*s as usize];
            return Err(error(
                &f.path,
                format!(
                    "unit {} was run by no shard: shard {} ({}) does not list it; run that \
                     shard again",
                    u.stage,
                    f.shard,
                    f.path.display()
                ),
            ));
        }
    }
    for f in &shards {
        let folder = f.path.parent().unwrap_or(out);
        for o in &f.file.outputs {
            if !inside_folder(&o.file) {
                return Err(error(
                    &f.path,
                    format!(
                        "{}: output {:?} is not a path inside the shard's folder",
                        f.path.display(),
                        o.file
                    ),
                ));
            }
            let path = folder.join(&o.file);
            let ok = patronage_tables::sha256_file(&path)
                .is_ok_and(|(bytes, sha)| bytes == o.bytes && sha == o.sha256);
            if !ok {
                return Err(error(
                    &path,
                    format!(
                        "shard {}: {} is missing or differs from what {} says; run that shard \
                         again",
                        f.shard,
                        path.display(),
                        f.path.display()
                    ),
                ));
            }
        }
    }
    Ok(shards)
}

/// The pipeline the merge runs must be the one the shards ran, with the same
/// units.
fn check_pipeline(p: &Pipeline, shards: &[Found]) -> Result<(), PipelineError> {
    let f = &shards[0];
    if p.sha256 != f.file.pipeline.sha256 {
        return Err(error(
            &p.path,
            format!(
                "{}: the pipeline file is not the one the shards ran (sha256 {}, the shards \
                 ran {}); run the shards again",
                p.path.display(),
                p.sha256,
                f.file.pipeline.sha256
            ),
        ));
    }
    let now: Vec<String> = units(p)?.into_iter().map(|u| u.stage).collect();
    let then: Vec<&String> = f.file.job.iter().map(|u| &u.stage).collect();
    if now.iter().collect::<Vec<_>>() != then {
        return Err(error(
            &p.path,
            format!(
                "{}: the pipeline's units ({}) are not those the shards ran ({})",
                p.path.display(),
                now.join(", "),
                then.iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    Ok(())
}

/// Put each unit's stage cache from its shard in the state folder `state`
/// (a folder replaced whole; its `record.json` last, so a merge stopped
/// midway leaves no record over files it did not finish).
fn place_caches(state: &Path, shards: &[Found]) -> Result<(), PipelineError> {
    for f in shards {
        let folder = f.path.parent().unwrap_or(state);
        for u in &f.file.units {
            let prefix = format!(".patronage/{}/", u.cache);
            let to_dir = state.join(&u.cache);
            let io = |path: &Path| {
                let path = path.to_path_buf();
                move |source| PipelineError::Write { path, source }
            };
            match std::fs::remove_dir_all(&to_dir) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(&to_dir)(e)),
                _ => {}
            }
            std::fs::create_dir_all(&to_dir).map_err(io(&to_dir))?;
            let mut files: Vec<&str> = f
                .file
                .outputs
                .iter()
                .filter_map(|o| o.file.strip_prefix(&prefix))
                .collect();
            files.sort_by_key(|name| *name == "record.json");
            for name in files {
                let (from, to) = (folder.join(&prefix).join(name), to_dir.join(name));
                if let Some(parent) = to.parent() {
                    std::fs::create_dir_all(parent).map_err(io(parent))?;
                }
                // A hard link where the file system allows (the shards' files
                // are replaced by renames, never rewritten in place), else a copy.
                if std::fs::hard_link(&from, &to).is_err() {
                    std::fs::copy(&from, &to).map_err(io(&to))?;
                }
            }
        }
    }
    Ok(())
}

/// Stand in for every object on object storage the shards read that the
/// store still lists with the ETag they read it with (a plain or `.gz`
/// object; a `.zip` one is downloaded, its members being listed from its
/// bytes): a placeholder in the project's download cache carrying the
/// SHA-256 the shards recorded, so the merge's fingerprints match without
/// downloading the sources. An object changed since is downloaded, and its
/// stage then refused as changed.
fn place_objects(path: &Path, options: &RunOptions, shards: &[Found]) -> Result<(), PipelineError> {
    let recorded: BTreeMap<&str, (&str, &str)> = (shards.iter())
        .flat_map(|f| f.file.units.iter())
        .flat_map(|u| u.inputs.iter())
        .filter_map(|i| Some((i.file.as_str(), (i.etag.as_deref()?, i.sha256.as_str()))))
        .collect();
    if recorded.is_empty() {
        return Ok(());
    }
    let listed = LoadOptions {
        download: false,
        placeholders: false,
        ..options.load
    };
    let p = load(path, listed)?;
    for o in p.sources.iter().flat_map(|s| s.objects.iter()) {
        if patronage_extract::archive::is_zip(&o.path) {
            continue;
        }
        match recorded.get(o.url.as_str()) {
            Some((etag, sha256)) if o.etag.as_deref() == Some(*etag) => {
                objects::place_holder(o, sha256).map_err(|m| error(&o.path, m))?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// Merge the shards in `out/shards/` into `out`. `pipeline` overrides the
/// pipeline file the shards recorded; `options.output` and
/// `options.cached_sources_only` are set here.
pub fn merge(
    out: &Path,
    pipeline: Option<&Path>,
    options: &RunOptions,
) -> Result<MergeReport, PipelineError> {
    let shards = check_shards(out, read_shards(out)?)?;
    let path = pipeline
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(&shards[0].file.pipeline.file));
    place_objects(&path, options, &shards)?;
    let options = RunOptions {
        output: Some(out.to_path_buf()),
        cached_sources_only: true,
        load: LoadOptions {
            placeholders: true,
            ..options.load
        },
        ..options.clone()
    };
    let run = run_with(&path, &options, |p, state| {
        check_pipeline(p, &shards)?;
        place_caches(state, &shards)
    })?;
    Ok(MergeReport {
        shards: shards.len() as u32,
        run,
    })
}
