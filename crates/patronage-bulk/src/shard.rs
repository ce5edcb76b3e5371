//! One shard of a `mirror-all` job (`patronage mirror-all --shard I/N`): which
//! inputs it folds, and what it leaves for `patronage merge`.
//!
//! Invariant: the units of a job are its inputs in the order given, each
//! weighed by its byte size and assigned with [`patronage_core::shard::assign`]
//! over ALL the job's inputs, so every process of a fan-out (and `patronage
//! plan`) computes the same assignment on its own and every input is folded by
//! exactly one shard. A shard writes into `OUT/shards/I-of-N/` its partial
//! `mirror_all` (partitioned like the job), its `rejects.parquet`, and then,
//! last and atomically, `shard.json`: the job's hash, the inputs it folded with
//! their accounts, and every file it wrote with its bytes and SHA-256. Its old
//! `shard.json` is removed before anything else is written, so a shard killed
//! part way leaves no manifest and `patronage merge` reports it missing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use patronage_core::shard::{assign, Shard};
use patronage_core::CountryRegistry;
use patronage_extract::{archive, ExtractError};
use patronage_tables::parquet::{remove_if_present, write_atomic, Provenance};
use patronage_tables::sha256_hex;
use serde::{Deserialize, Serialize};

use crate::mirror_all::{
    fold_inputs, mirror_frame, reject_entries, rejects_frame, write_tables, Account, BulkFormat,
    BulkInput, OutputFile, DROP_REASONS,
};
use crate::{BulkError, ShardsError};

/// The `kind` of a `mirror-all` shard's manifest.
pub const KIND: &str = "mirror-all";
/// The name of a shard's manifest in its folder.
pub const MANIFEST: &str = "shard.json";
/// The version of the tool, written into every manifest: shards of one job
/// and their merge run the same version.
pub use patronage_tables::TOOL_VERSION;

/// An input's byte size from the file system: a file's size; for a member of a
/// `.zip` file, the member's unpacked size (what its fold reads). The default
/// weight of an input; for an object URL, the size of the object that holds
/// it, as the store lists it.
pub fn input_size(input: &BulkInput) -> Result<u64, BulkError> {
    // An object's size comes from the store (a `.zip` object's for a member).
    if let Some(bytes) = crate::object_input::object_bytes(&input.path)? {
        return Ok(bytes);
    }
    let io = |path: &Path, source: std::io::Error| ExtractError::Io {
        path: path.to_path_buf(),
        source,
    };
    match archive::locate(&input.path) {
        archive::Location::File(file) => std::fs::metadata(&file)
            .map(|m| m.len())
            .map_err(|e| io(&file, e).into()),
        archive::Location::Member(zip_path, member) => {
            let file = std::fs::File::open(&zip_path).map_err(|e| io(&zip_path, e))?;
            let mut zip =
                zip::ZipArchive::new(file).map_err(|e| io(&zip_path, std::io::Error::other(e)))?;
            let m = zip
                .by_name(&member)
                .map_err(|e| io(&input.path, std::io::Error::other(e)))?;
            Ok(m.size())
        }
    }
}

/// Where one input of a job goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Planned {
    /// The input's format name.
    pub format: &'static str,
    /// The input as given.
    pub file: String,
    /// Its weight (bytes).
    pub bytes: u64,
    /// The shard that folds it, `I/N`.
    pub shard: String,
    /// The shard's index.
    pub index: u32,
}

/// The assignment of a job's inputs to `count` shards, in the inputs' order
/// (what `patronage plan --shards N` prints): each input weighed by
/// `size_of` (bytes; [`input_size`] reads the file system).
pub fn plan(
    inputs: &[BulkInput],
    count: u32,
    size_of: impl Fn(&BulkInput) -> Result<u64, BulkError>,
) -> Result<Vec<Planned>, BulkError> {
    let names: Vec<String> = inputs
        .iter()
        .map(|i| i.path.display().to_string())
        .collect();
    let weights = inputs.iter().map(size_of).collect::<Result<Vec<_>, _>>()?;
    let units: Vec<(&str, u64)> = names
        .iter()
        .zip(&weights)
        .map(|(n, w)| (n.as_str(), *w))
        .collect();
    let count = count.max(1);
    Ok(assign(&units, count)
        .into_iter()
        .zip(inputs.iter().zip(names.iter().zip(&weights)))
        .map(|(index, (input, (name, w)))| Planned {
            format: input.format.as_str(),
            file: name.clone(),
            bytes: *w,
            shard: format!("{index}/{count}"),
            index,
        })
        .collect())
}

/// One input of a job, as its manifest names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobInput {
    /// Format name.
    pub format: String,
    /// The input as given.
    pub file: String,
}

/// What makes a job: its inputs in order, the partition setting, whether the
/// inputs are hashed, and the shard count. Its SHA-256 (`job_sha256`) is the
/// same in every shard of a job and differs between jobs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    /// Every input of the job, in the order given.
    pub inputs: Vec<JobInput>,
    /// The column `mirror_all` is partitioned by, if any.
    pub partition_by: Option<String>,
    /// Whether the inputs are hashed (not under `--no-hash`).
    pub hash: bool,
    /// How many shards the job has.
    pub shard_count: u32,
}

impl Job {
    /// The job of `inputs` cut into `shard_count` shards.
    pub fn new(
        inputs: &[BulkInput],
        partition_by: Option<&str>,
        hash: bool,
        shard_count: u32,
    ) -> Self {
        Job {
            inputs: inputs
                .iter()
                .map(|i| JobInput {
                    format: i.format.as_str().to_string(),
                    file: i.path.display().to_string(),
                })
                .collect(),
            partition_by: partition_by.map(str::to_string),
            hash,
            shard_count,
        }
    }

    /// SHA-256 of the job's JSON (its fields in declaration order).
    pub fn sha256(&self) -> String {
        sha256_hex(serde_json::to_string(self).unwrap_or_default().as_bytes())
    }
}

/// One input a shard folded, with its account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardUnit {
    /// Its position among the job's inputs (0-based).
    pub input: usize,
    /// Format name.
    pub format: String,
    /// The input as given.
    pub file: String,
    /// Bytes read.
    pub bytes: u64,
    /// SHA-256 of the bytes read; null under `--no-hash`.
    pub sha256: Option<String>,
    /// Data rows read.
    pub read: u64,
    /// Rows summed into a total.
    pub kept: u64,
    /// Rows left out on purpose, by reason.
    pub dropped: BTreeMap<String, u64>,
    /// Rows rejected.
    pub rejected: u64,
    /// Totals the kept rows folded into.
    pub totals: u64,
}

impl ShardUnit {
    fn of(input: usize, a: &Account) -> Self {
        ShardUnit {
            input,
            format: a.format.to_string(),
            file: a.file.clone(),
            bytes: a.bytes,
            sha256: a.sha256.clone(),
            read: a.read,
            kept: a.kept,
            dropped: a.dropped.iter().map(|(r, n)| (r.to_string(), *n)).collect(),
            rejected: a.rejected,
            totals: a.totals,
        }
    }

    /// The account `mirror-all` reports for this input; `manifest` names the
    /// file in an error (an unknown format or drop reason).
    pub fn account(&self, manifest: &Path) -> Result<Account, ShardsError> {
        let invalid = |message: String| ShardsError::Invalid {
            path: manifest.to_path_buf(),
            message,
        };
        let format = BulkFormat::from_name(&self.format)
            .ok_or_else(|| invalid(format!("unknown format {:?}", self.format)))?;
        let mut dropped = BTreeMap::new();
        for (reason, n) in &self.dropped {
            let r = DROP_REASONS
                .iter()
                .find(|r| **r == reason.as_str())
                .ok_or_else(|| invalid(format!("unknown drop reason {reason:?}")))?;
            dropped.insert(*r, *n);
        }
        Ok(Account {
            format: format.as_str(),
            file: self.file.clone(),
            bytes: self.bytes,
            sha256: self.sha256.clone(),
            read: self.read,
            kept: self.kept,
            dropped,
            rejected: self.rejected,
            totals: self.totals,
        })
    }
}

/// A shard's manifest, `OUT/shards/I-of-N/shard.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardManifest {
    /// `mirror-all`.
    pub kind: String,
    /// `I/N`.
    pub shard: String,
    /// The version of the tool that wrote it.
    pub tool_version: String,
    /// SHA-256 of `job`.
    pub job_sha256: String,
    /// The whole job.
    pub job: Job,
    /// The inputs this shard folded, in the job's order.
    pub units: Vec<ShardUnit>,
    /// The files it wrote, relative to its folder, `mirror_all` first.
    pub outputs: Vec<OutputFile>,
}

/// Fold shard `shard`'s inputs of the job `inputs` (weighed by `size_of`) and
/// write its partial outputs and then its manifest into
/// `out/shards/I-of-N/`. A shard with no inputs writes empty tables and its
/// manifest all the same.
pub fn run_shard(
    inputs: &[BulkInput],
    out: &Path,
    hash: bool,
    partition_by: Option<&str>,
    shard: Shard,
    size_of: impl Fn(&BulkInput) -> Result<u64, BulkError>,
) -> Result<ShardManifest, ShardsError> {
    let dir: PathBuf = out.join(shard.folder());
    let manifest_path = dir.join(MANIFEST);
    remove_if_present(&manifest_path).map_err(|source| ShardsError::Io {
        path: manifest_path.clone(),
        source,
    })?;
    let planned = plan(inputs, shard.count, size_of)?;
    let mine: Vec<usize> = (0..inputs.len())
        .filter(|&i| planned[i].index == shard.index)
        .collect();
    let subset: Vec<BulkInput> = mine.iter().map(|&i| inputs[i].clone()).collect();
    let registry = CountryRegistry::comtrade();
    let folded = fold_inputs(&subset, registry, hash)?;
    let mut mirror = mirror_frame(&folded, registry)?;
    let mut rejects = rejects_frame(reject_entries(&folded))?;
    let job = Job::new(inputs, partition_by, hash, shard.count);
    let job_sha256 = job.sha256();
    let hashes: Option<Vec<&str>> = folded.iter().map(|f| f.account.sha256.as_deref()).collect();
    let prov = Provenance {
        pipeline: format!("mirror-all shard {shard}"),
        pipeline_sha256: job_sha256.clone(),
        inputs_sha256: hashes
            .map(|h| sha256_hex(h.join("\n").as_bytes()))
            .unwrap_or_default(),
    };
    let outputs = write_tables(&dir, &mut mirror, &mut rejects, &prov, partition_by)?;
    let manifest = ShardManifest {
        kind: KIND.to_string(),
        shard: shard.to_string(),
        tool_version: TOOL_VERSION.to_string(),
        job_sha256,
        job,
        units: mine
            .iter()
            .zip(&folded)
            .map(|(&i, f)| ShardUnit::of(i, &f.account))
            .collect(),
        outputs,
    };
    let json = serde_json::to_vec_pretty(&manifest).unwrap_or_default();
    write_atomic(&manifest_path, &json).map_err(BulkError::from)?;
    Ok(manifest)
}
