//! `patronage merge OUT` for the shards of a `mirror-all` job: the shards'
//! manifests checked, their partial tables added up, and the job's outputs
//! written into `OUT` as one process would have written them.
//!
//! Invariant: the merge writes nothing unless every shard `0..N` of one job is
//! there exactly once (same `job_sha256`, shard count and tool version), every
//! input of the job is claimed by exactly one shard, and every file a shard
//! lists hashes to what its manifest says. The final tables are then built and
//! written by the same code as an unsharded `mirror-all` ([`sums_frame`],
//! [`rejects_frame`], [`write_job`]) from the same integers — each cell's mills
//! and rows summed exactly across shards, the dollars computed from the sums,
//! the accounts in the job's input order — so `mirror_all`, `rejects` and
//! `mirror_all_report.json` are byte-identical to the unsharded run's.

use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::{Path, PathBuf};

use patronage_core::shard::Shard;
use patronage_core::CountryRegistry;
use patronage_tables::columns::{ints, longs, strs};
use patronage_tables::sha256_hex;
use polars::prelude::{DataFrame, ParquetReader, PolarsResult, SerReader};
use serde::Serialize;

use crate::mirror_all::{
    add_cell, rejects_frame, sums_frame, write_job, Account, BulkFormat, MirrorAllReport,
    MirrorCell, MirrorSums, OutputFile, RejectEntry,
};
use crate::shard::{ShardManifest, KIND, MANIFEST, TOOL_VERSION};
use crate::{BulkError, ShardsError};

/// What a merge did.
#[derive(Debug, Serialize)]
pub struct Merged {
    /// `mirror-all`.
    pub kind: &'static str,
    /// How many shards were merged.
    pub shards: u32,
    /// The job's report, as `mirror_all_report.json` holds it.
    pub report: MirrorAllReport,
}

/// Every `OUT/shards/*/shard.json`, by path; none is an error.
pub fn manifest_paths(out: &Path) -> Result<Vec<PathBuf>, ShardsError> {
    let dir = out.join("shards");
    let mut found = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for e in entries.filter_map(Result::ok) {
            let p = e.path().join(MANIFEST);
            if p.is_file() {
                found.push(p);
            }
        }
    }
    if found.is_empty() {
        return Err(ShardsError::NoShards {
            pattern: dir.join("*").join(MANIFEST),
        });
    }
    found.sort();
    Ok(found)
}

/// A shard manifest read and checked to be a `mirror-all` one.
fn read_manifest(path: &Path) -> Result<ShardManifest, ShardsError> {
    let bytes = std::fs::read(path).map_err(|source| ShardsError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let invalid = |message: String| ShardsError::Invalid {
        path: path.to_path_buf(),
        message,
    };
    let v: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
        invalid(format!(
            "not JSON: line {}, column {}: {e}",
            e.line(),
            e.column()
        ))
    })?;
    let kind = v.get("kind").and_then(|k| k.as_str()).unwrap_or_default();
    if kind != KIND {
        return Err(invalid(format!(
            "kind {kind:?}: not a shard of `mirror-all`"
        )));
    }
    let m: ShardManifest =
        serde_json::from_value(v).map_err(|e| invalid(format!("not a shard manifest: {e}")))?;
    if m.job.sha256() != m.job_sha256 {
        return Err(invalid(
            "job_sha256 is not the hash of its job (the manifest was edited)".to_string(),
        ));
    }
    Ok(m)
}

/// Check the shards of the job under `out` and write its outputs into `out`.
pub fn merge_mirror_all(out: &Path) -> Result<Merged, ShardsError> {
    let shards_dir = out.join("shards");
    let mut manifests = Vec::new();
    for path in manifest_paths(out)? {
        let m = read_manifest(&path)?;
        manifests.push((path, m));
    }
    // One job, one tool version.
    let (first_path, first) = &manifests[0];
    for (path, m) in &manifests[1..] {
        for (what, a, b) in [
            ("job_sha256", &first.job_sha256, &m.job_sha256),
            ("tool_version", &first.tool_version, &m.tool_version),
        ] {
            if a != b {
                return Err(ShardsError::DifferentJobs {
                    what,
                    first: first_path.clone(),
                    first_value: a.clone(),
                    second: path.clone(),
                    second_value: b.clone(),
                });
            }
        }
    }
    if first.tool_version != TOOL_VERSION {
        return Err(ShardsError::Invalid {
            path: first_path.clone(),
            message: format!(
                "written by patronage {}; this is patronage {TOOL_VERSION}: rerun the shards \
                 with the version that merges them",
                first.tool_version
            ),
        });
    }
    let job = first.job.clone();
    let count = job.shard_count;
    // Every shard once.
    let mut by_index: BTreeMap<u32, (&PathBuf, &ShardManifest)> = BTreeMap::new();
    for (path, m) in &manifests {
        let shard: Shard = m
            .shard
            .parse()
            .ok()
            .filter(|s: &Shard| s.count == count)
            .ok_or_else(|| ShardsError::Invalid {
                path: path.clone(),
                message: format!("shard {:?} is not a shard of {count}", m.shard),
            })?;
        if let Some((other, _)) = by_index.insert(shard.index, (path, m)) {
            return Err(ShardsError::SameShard {
                shard: m.shard.clone(),
                first: other.clone(),
                second: path.clone(),
            });
        }
    }
    for index in 0..count {
        if !by_index.contains_key(&index) {
            let shard = Shard { index, count };
            return Err(ShardsError::Missing {
                shard: shard.to_string(),
                path: out.join(shard.folder()).join(MANIFEST),
            });
        }
    }
    // Every input once.
    let name = |i: usize| format!("{} {}", job.inputs[i].format, job.inputs[i].file);
    let mut accounts: Vec<Option<(Account, &PathBuf)>> = vec![None; job.inputs.len()];
    for (path, m) in by_index.values() {
        for u in &m.units {
            let named = job
                .inputs
                .get(u.input)
                .is_some_and(|i| i.format == u.format && i.file == u.file);
            if !named {
                return Err(ShardsError::Invalid {
                    path: (*path).clone(),
                    message: format!(
                        "unit {} {} is not input {} of the job",
                        u.format, u.file, u.input
                    ),
                });
            }
            let account = u.account(path)?;
            if let Some((_, other)) = &accounts[u.input] {
                return Err(ShardsError::SameInput {
                    input: name(u.input),
                    first: (*other).clone(),
                    second: (*path).clone(),
                });
            }
            accounts[u.input] = Some((account, path));
        }
    }
    let mut job_accounts = Vec::with_capacity(accounts.len());
    for (i, a) in accounts.into_iter().enumerate() {
        match a {
            Some((a, _)) => job_accounts.push(a),
            None => {
                return Err(ShardsError::Uncovered {
                    input: name(i),
                    dir: shards_dir,
                })
            }
        }
    }
    // Every file as its manifest says; then the partial tables added up.
    let mut sums = MirrorSums::new();
    let mut rejects: Vec<RejectColumns> = Vec::new();
    for (path, m) in by_index.values() {
        let dir = path.parent().unwrap_or(Path::new("."));
        if !m.outputs.iter().any(|o| o.file == "rejects.parquet") {
            return Err(ShardsError::Invalid {
                path: (*path).clone(),
                message: "lists no rejects.parquet".to_string(),
            });
        }
        for o in &m.outputs {
            let (file, bytes) = checked_output(dir, path, o)?;
            let frame = ParquetReader::new(Cursor::new(bytes))
                .finish()
                .map_err(|e| invalid_table(&file, e))?;
            if o.file == "rejects.parquet" {
                rejects.push(RejectColumns::of(&frame).map_err(|e| invalid_table(&file, e))?);
            } else {
                add_partial(&mut sums, &frame, &o.file, job.partition_by.as_deref()).map_err(
                    |e| match e {
                        Partial::Polars(e) => invalid_table(&file, e),
                        Partial::Bulk(e) => ShardsError::Bulk(e),
                        Partial::Invalid(message) => ShardsError::Invalid {
                            path: file.clone(),
                            message,
                        },
                    },
                )?;
            }
        }
    }
    let registry = CountryRegistry::comtrade();
    let mirror = sums_frame(&sums, registry)?;
    let entries: Vec<RejectEntry<'_>> = rejects.iter().flat_map(RejectColumns::entries).collect();
    let rejects = rejects_frame(entries)?;
    let report = write_job(
        out,
        job_accounts,
        mirror,
        rejects,
        job.partition_by.as_deref(),
    )?;
    Ok(Merged {
        kind: KIND,
        shards: count,
        report,
    })
}

/// A partial table that cannot be read.
fn invalid_table(path: &Path, e: polars::error::PolarsError) -> ShardsError {
    ShardsError::Invalid {
        path: path.to_path_buf(),
        message: format!("not a partial table of a shard: {e}"),
    }
}

/// A file a shard lists, read and checked against its manifest: its path and
/// bytes.
fn checked_output(
    dir: &Path,
    manifest: &Path,
    o: &OutputFile,
) -> Result<(PathBuf, Vec<u8>), ShardsError> {
    if !patronage_core::shard::inside_folder(&o.file) {
        return Err(ShardsError::Invalid {
            path: manifest.to_path_buf(),
            message: format!(
                "output {:?} is not a path inside the shard's folder",
                o.file
            ),
        });
    }
    let file = dir.join(&o.file);
    let bytes = std::fs::read(&file).map_err(|source| ShardsError::Io {
        path: file.clone(),
        source,
    })?;
    let sha = sha256_hex(&bytes);
    if bytes.len() as u64 != o.bytes || sha != o.sha256 {
        return Err(ShardsError::Changed {
            path: file,
            manifest: manifest.to_path_buf(),
            expected: format!("{} bytes, SHA-256 {}", o.bytes, o.sha256),
            found: format!("{} bytes, SHA-256 {sha}", bytes.len()),
        });
    }
    Ok((file, bytes))
}

/// Why a partial `mirror_all` could not be added.
enum Partial {
    Polars(polars::error::PolarsError),
    Bulk(BulkError),
    Invalid(String),
}

impl From<polars::error::PolarsError> for Partial {
    fn from(e: polars::error::PolarsError) -> Self {
        Partial::Polars(e)
    }
}

/// Add a shard's partial `mirror_all` (a whole file, or the part of a
/// partition, whose `year` is in its folder name) into `sums`.
fn add_partial(
    sums: &mut MirrorSums,
    frame: &DataFrame,
    file: &str,
    partition_by: Option<&str>,
) -> Result<(), Partial> {
    let missing = |c: &str| Partial::Invalid(format!("a null in column `{c}`"));
    let n = frame.height();
    let source = strs(frame, "source")?;
    let focus = ints(frame, "focus_code")?;
    let partner = ints(frame, "partner_code")?;
    let years: Vec<Option<i32>> = match partition_by {
        Some(by) => {
            let value = file
                .split('/')
                .find_map(|seg| seg.strip_prefix(&format!("{by}=")))
                .and_then(|v| v.parse::<i32>().ok())
                .ok_or_else(|| Partial::Invalid(format!("not a part of `{by}`")))?;
            vec![Some(value); n]
        }
        None => ints(frame, "year")?,
    };
    let exports = longs(frame, "focus_exports_mills")?;
    let imports = longs(frame, "focus_imports_mills")?;
    let rows = longs(frame, "rows_folded")?;
    for i in 0..n {
        let s = source[i].as_deref().ok_or_else(|| missing("source"))?;
        let s = BulkFormat::from_name(s)
            .ok_or_else(|| Partial::Invalid(format!("unknown source {s:?}")))?
            .as_str();
        let code = |v: Option<i32>, c: &str| {
            v.and_then(|v| u32::try_from(v).ok())
                .ok_or_else(|| missing(c))
        };
        let key = (
            s,
            code(focus[i], "focus_code")?,
            code(partner[i], "partner_code")?,
            years[i].ok_or_else(|| missing("year"))?,
        );
        let cell = MirrorCell {
            exports: exports[i],
            imports: imports[i],
            rows: rows[i]
                .and_then(|r| u64::try_from(r).ok())
                .ok_or_else(|| missing("rows_folded"))?,
        };
        add_cell(sums, key, cell).map_err(Partial::Bulk)?;
    }
    Ok(())
}

/// A shard's `rejects.parquet`, column by column.
struct RejectColumns {
    source: Vec<Option<String>>,
    file: Vec<Option<String>>,
    line: Vec<Option<i64>>,
    column: Vec<Option<i64>>,
    reason: Vec<Option<String>>,
    detail: Vec<Option<String>>,
    raw: Vec<Option<String>>,
}

impl RejectColumns {
    fn of(frame: &DataFrame) -> PolarsResult<Self> {
        Ok(RejectColumns {
            source: strs(frame, "source_id")?,
            file: strs(frame, "source_file")?,
            line: longs(frame, "source_line")?,
            column: longs(frame, "source_column")?,
            reason: strs(frame, "reason")?,
            detail: strs(frame, "detail")?,
            raw: strs(frame, "raw")?,
        })
    }

    /// The rows as `rejects_frame` takes them (a null read as empty; the
    /// contract allows none, and the manifest's hash vouches for the file).
    fn entries(&self) -> impl Iterator<Item = RejectEntry<'_>> {
        fn s(v: &Option<String>) -> &str {
            v.as_deref().unwrap_or_default()
        }
        (0..self.source.len()).map(move |i| RejectEntry {
            source: s(&self.source[i]),
            file: s(&self.file[i]),
            line: self.line[i].unwrap_or_default() as u64,
            column: self.column[i].unwrap_or_default() as u64,
            reason: s(&self.reason[i]),
            detail: s(&self.detail[i]),
            raw: s(&self.raw[i]),
        })
    }
}
