//! The stage cache under `<out>/.patronage/`: what each source stage produced,
//! kept so that an unchanged source is not read again.
//!
//! ```text
//! .patronage/sources/<id>/canonical.parquet   the source's canonical frame
//! .patronage/sources/<id>/canonical-<n>.parquet  its rows kept on disk as they
//!                                             were read, a file per source file
//! .patronage/sources/<id>/rejects.json        its rejects
//! .patronage/sources/<id>/record.json         fingerprint, inputs, accounting, hashes
//! .patronage/aggregate.json                   what the outputs were built from
//! ```
//!
//! The cache stores a source's output whatever its domain (any canonical table,
//! its rejects, its input entries and accounting), so a new domain is cached
//! without code of its own. Every file is written atomically and `record.json`
//! last; a record whose files do not hash to what it says is a cache miss. The
//! records themselves (`record.json`, `aggregate.json`) carry the SHA-256 of
//! their content, as the tables' hashes are kept: a record edited since it was
//! written is a miss too, with the reason given, and its counts are never used.

use std::collections::{BTreeSet, HashSet};
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use patronage_core::RowReject;
use polars::prelude::*;
use serde::{Deserialize, Serialize};

use super::fingerprint::{AggregateFingerprint, SourceFingerprint};
use crate::config::{Pipeline, Source};
use crate::domain::manifest::{InputEntry, RowAccount};
use crate::domain::outcome::{table_error, RejectRow, SourceAccount, SourceOutput, Spilled};
use crate::PipelineError;
use patronage_tables::parquet::write_atomic;

/// The state folder of an output folder.
pub fn state_dir(output_dir: &Path) -> PathBuf {
    output_dir.join(".patronage")
}

fn source_dir(state: &Path, id: &str) -> PathBuf {
    state.join("sources").join(id)
}

/// One input file's manifest entry, as cached.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CachedInput {
    pub file: String,
    pub bytes: u64,
    pub sha256: String,
    pub rows: RowAccount,
}

/// One reject, as a stage's cache holds it. `source_id` is written only by a
/// stage that reads several sources (the mirror-all step); a source stage's
/// rejects are all its own, and its `rejects.json` does not repeat the id.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct CachedReject {
    stage: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    source_id: Option<String>,
    source_file: String,
    line: u64,
    column: u64,
    reason: String,
    detail: String,
    raw: String,
}

/// `rejects` as a stage's `rejects.json`; each names its source when
/// `with_source`.
pub(crate) fn rejects_json(rejects: &[RejectRow], with_source: bool) -> Vec<u8> {
    let cached: Vec<CachedReject> = rejects
        .iter()
        .map(|r| CachedReject {
            stage: r.stage.to_string(),
            source_id: with_source.then(|| r.source_id.clone()),
            source_file: r.source_file.clone(),
            line: r.reject.line,
            column: r.reject.column,
            reason: r.reject.reason.to_string(),
            detail: r.reject.detail.clone(),
            raw: r.reject.raw.clone(),
        })
        .collect();
    serde_json::to_vec(&cached).unwrap_or_default()
}

/// The rejects of a stage's `rejects.json`, each of `source_id` unless it
/// names its own; `None` when the text is not such a file.
pub(crate) fn rejects_of_json(bytes: &[u8], source_id: &str) -> Option<Vec<RejectRow>> {
    let cached: Vec<CachedReject> = serde_json::from_slice(bytes).ok()?;
    Some(
        cached
            .into_iter()
            .map(|r| RejectRow {
                stage: intern(&r.stage),
                source_id: r.source_id.unwrap_or_else(|| source_id.to_string()),
                source_file: r.source_file,
                reject: RowReject {
                    line: r.line,
                    column: r.column,
                    reason: intern(&r.reason),
                    detail: r.detail,
                    raw: r.raw,
                },
            })
            .collect(),
    )
}

/// A file of the source's rows kept on disk, as cached.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CachedSpill {
    /// File name in the source's cache folder.
    pub file: String,
    /// The source file the rows came from.
    pub source_file: String,
    pub rows: u64,
    pub bytes: u64,
    pub sha256: String,
}

/// What a source stage produced, and from what.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SourceRecord {
    /// Source id.
    pub source_id: String,
    /// What the output was built from.
    pub fingerprint: SourceFingerprint,
    /// SHA-256 of `canonical.parquet`.
    pub canonical_sha256: String,
    /// Rows of the canonical frame and of the files on disk.
    pub canonical_rows: u64,
    /// The rows kept on disk as they were read, a file per source file in
    /// `source_file` order (none when the frame holds them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub spilled: Vec<CachedSpill>,
    /// SHA-256 of `rejects.json`.
    pub rejects_sha256: String,
    /// Files read, with their accounting.
    pub inputs: Vec<CachedInput>,
    /// Files read.
    pub files: usize,
    /// Accounting summed over the files.
    pub rows: RowAccount,
    /// Hash of the whole output (frame, rejects, inputs, accounting): what the
    /// aggregate stage's fingerprint records.
    pub output_sha256: String,
}

impl SourceRecord {
    /// The manifest entries of the source's inputs.
    pub fn input_entries(&self, source: &Source) -> Vec<InputEntry> {
        self.inputs
            .iter()
            .map(|i| InputEntry {
                source_id: source.id.clone(),
                format: source.format.name,
                file: i.file.clone(),
                bytes: i.bytes,
                sha256: i.sha256.clone(),
                rows: i.rows.clone(),
            })
            .collect()
    }

    /// The source's accounting.
    pub fn account(&self) -> SourceAccount {
        SourceAccount {
            source_id: self.source_id.clone(),
            files: self.files,
            rows: self.rows.clone(),
        }
    }
}

/// Remove the cached outputs of sources the pipeline no longer declares.
pub(crate) fn prune_sources(state: &Path, p: &Pipeline) {
    let Ok(rd) = std::fs::read_dir(state.join("sources")) else {
        return;
    };
    let declared: HashSet<&str> = p.sources.iter().map(|s| s.id.as_str()).collect();
    for e in rd.filter_map(Result::ok) {
        let name = e.file_name().to_string_lossy().into_owned();
        if e.path().is_dir() && !declared.contains(name.as_str()) {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// The cached record of a source: `Ok(None)` when there is none, `Err(why)`
/// when it cannot be used (unreadable, or changed since it was written).
pub(crate) fn load_record(state: &Path, id: &str) -> Result<Option<SourceRecord>, String> {
    load_sealed(&source_dir(state, id).join("record.json"))
}

/// A cache record as written: the record's fields and `record_sha256`, the
/// SHA-256 of their JSON text.
#[derive(Serialize, Deserialize)]
struct Sealed<T> {
    #[serde(flatten)]
    record: T,
    record_sha256: String,
}

/// The SHA-256 of a record's content.
pub(crate) fn record_hash<T: Serialize>(record: &T) -> String {
    patronage_tables::sha256_hex(serde_json::to_string(record).unwrap_or_default().as_bytes())
}

/// A record's file text, sealed with its hash.
pub(crate) fn sealed_json<T: Serialize>(record: &T) -> Vec<u8> {
    let sealed = Sealed {
        record,
        record_sha256: record_hash(record),
    };
    let mut json = serde_json::to_vec_pretty(&sealed).unwrap_or_default();
    json.push(b'\n');
    json
}

/// The record in `path`: `Ok(None)` when there is no file, `Err(why)` when it
/// does not parse or its content no longer hashes to its `record_sha256`.
pub(crate) fn load_sealed<T: Serialize + serde::de::DeserializeOwned>(
    path: &Path,
) -> Result<Option<T>, String> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cached record unreadable ({name}: {e})")),
    };
    let sealed: Sealed<T> =
        serde_json::from_slice(&bytes).map_err(|_| format!("cached record unreadable ({name})"))?;
    if record_hash(&sealed.record) != sealed.record_sha256 {
        return Err(format!(
            "cached record altered since it was written ({name} does not match its record_sha256)"
        ));
    }
    Ok(Some(sealed.record))
}

/// Whether the record's files are on disk with the bytes it says; the reason
/// when not.
pub(crate) fn check_files(state: &Path, record: &SourceRecord) -> Result<(), String> {
    let dir = source_dir(state, &record.source_id);
    check_named(
        &dir,
        &[
            ("canonical.parquet", &record.canonical_sha256),
            ("rejects.json", &record.rejects_sha256),
        ],
    )?;
    for part in &record.spilled {
        match patronage_tables::sha256_file(&dir.join(&part.file)) {
            Err(_) => return Err(format!("cached output missing ({})", part.file)),
            Ok((bytes, sha)) if bytes != part.bytes || sha != part.sha256 => {
                return Err(format!("cached output drifted ({})", part.file))
            }
            Ok(_) => {}
        }
    }
    Ok(())
}

/// Whether each file `name` of a stage's cache folder `dir` is there with
/// the SHA-256 `want`; the reason when not. Every stage's cached output is
/// checked through here.
pub(crate) fn check_named(dir: &Path, files: &[(&str, &String)]) -> Result<(), String> {
    for (name, want) in files {
        // Hashed as a stream: a cached table may be larger than memory.
        match patronage_tables::sha256_file(&dir.join(name)) {
            Err(_) => return Err(format!("cached output missing ({name})")),
            Ok((_, sha)) if sha != **want => return Err(format!("cached output drifted ({name})")),
            Ok(_) => {}
        }
    }
    Ok(())
}

/// Put a source's rows kept on disk in place in its cache folder, as
/// `canonical-<n>.parquet` in `source_file` order (`output` then names them
/// there), and remove such files of an earlier run that are not among them.
fn place_spilled(dir: &Path, output: &mut SourceOutput) -> Result<Vec<CachedSpill>, PipelineError> {
    output
        .spilled
        .sort_by(|a, b| a.source_file.cmp(&b.source_file));
    let mut cached = Vec::with_capacity(output.spilled.len());
    for (n, part) in output.spilled.iter_mut().enumerate() {
        let file = format!("canonical-{n}.parquet");
        let to = dir.join(&file);
        if part.path != to {
            std::fs::rename(&part.path, &to).map_err(|source| PipelineError::Write {
                path: to.clone(),
                source,
            })?;
            part.path = to;
        }
        cached.push(CachedSpill {
            file,
            source_file: part.source_file.clone(),
            rows: part.rows,
            bytes: part.bytes,
            sha256: part.sha256.clone(),
        });
    }
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.filter_map(Result::ok) {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with("canonical-")
                && name.ends_with(".parquet")
                && !cached.iter().any(|c| c.file == name)
            {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    Ok(cached)
}

/// Store a source stage's output; returns its record.
pub(crate) fn store(
    state: &Path,
    source: &Source,
    fingerprint: &SourceFingerprint,
    output: &mut SourceOutput,
) -> Result<SourceRecord, PipelineError> {
    let dir = source_dir(state, &source.id);
    let spilled = place_spilled(&dir, output)?;
    let spec = output.domain.canonical_table();
    let canonical = frame_bytes(&output.canonical).map_err(table_error(spec))?;
    let rejects = rejects_json(&output.rejects, false);
    let inputs: Vec<CachedInput> = output
        .inputs
        .iter()
        .map(|i| CachedInput {
            file: i.file.clone(),
            bytes: i.bytes,
            sha256: i.sha256.clone(),
            rows: i.rows.clone(),
        })
        .collect();
    let (canonical_sha256, rejects_sha256) = (
        patronage_tables::sha256_hex(&canonical),
        patronage_tables::sha256_hex(&rejects),
    );
    let mut hashed = format!(
        "{canonical_sha256}\n{rejects_sha256}\n{}\n{}\n{}",
        serde_json::to_string(&inputs).unwrap_or_default(),
        output.account.files,
        serde_json::to_string(&output.account.rows).unwrap_or_default(),
    );
    for part in &spilled {
        hashed.push_str(&format!("\n{} {}", part.source_file, part.sha256));
    }
    let output_sha256 = patronage_tables::sha256_hex(hashed.as_bytes());
    let record = SourceRecord {
        source_id: source.id.clone(),
        fingerprint: fingerprint.clone(),
        canonical_sha256,
        canonical_rows: output.rows(),
        spilled,
        rejects_sha256,
        inputs,
        files: output.account.files,
        rows: output.account.rows.clone(),
        output_sha256,
    };
    write_atomic(&dir.join("canonical.parquet"), &canonical)?;
    write_atomic(&dir.join("rejects.json"), &rejects)?;
    write_atomic(&dir.join("record.json"), &sealed_json(&record))?;
    Ok(record)
}

/// A source's output read back from the cache; `None` when the files are gone
/// or differ from the record.
pub(crate) fn load_output(
    state: &Path,
    source: &Source,
    record: &SourceRecord,
) -> Option<SourceOutput> {
    let dir = source_dir(state, &source.id);
    let canonical = std::fs::read(dir.join("canonical.parquet")).ok()?;
    let rejects = std::fs::read(dir.join("rejects.json")).ok()?;
    if patronage_tables::sha256_hex(&canonical) != record.canonical_sha256
        || patronage_tables::sha256_hex(&rejects) != record.rejects_sha256
    {
        return None;
    }
    let canonical = ParquetReader::new(Cursor::new(canonical)).finish().ok()?;
    let rejects = rejects_of_json(&rejects, &source.id)?;
    let spilled = record
        .spilled
        .iter()
        .map(|part| Spilled {
            source_file: part.source_file.clone(),
            path: dir.join(&part.file),
            rows: part.rows,
            bytes: part.bytes,
            sha256: part.sha256.clone(),
        })
        .collect();
    Some(SourceOutput {
        domain: source.format.domain,
        canonical,
        spilled,
        rejects,
        inputs: record.input_entries(source),
        account: record.account(),
    })
}

/// What the outputs in the folder were built from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct AggregateRecord {
    /// The aggregate stage's fingerprint.
    pub fingerprint: AggregateFingerprint,
    /// SHA-256 of the `manifest.json` written.
    pub manifest_sha256: String,
}

/// The aggregate stage's record: `Ok(None)` when there is none, `Err(why)` when
/// it cannot be used (unreadable, or changed since it was written).
pub(crate) fn load_aggregate(state: &Path) -> Result<Option<AggregateRecord>, String> {
    load_sealed(&state.join("aggregate.json"))
}

/// Store the aggregate stage's record.
pub(crate) fn store_aggregate(state: &Path, record: &AggregateRecord) -> Result<(), PipelineError> {
    Ok(write_atomic(
        &state.join("aggregate.json"),
        &sealed_json(record),
    )?)
}

/// A frame as Parquet bytes with fixed options, so that the same frame always
/// gives the same bytes (the output hash depends on it). Uncompressed: the cache
/// is written on every cold run and read on partial reruns, and codecs cost more
/// time than the disk space they save here.
pub(crate) fn frame_bytes(df: &DataFrame) -> PolarsResult<Vec<u8>> {
    let mut df = df.clone();
    df.rechunk_mut();
    let mut buf = Vec::new();
    ParquetWriter::new(&mut buf)
        .with_compression(ParquetCompression::Uncompressed)
        .with_statistics(StatisticsOptions::empty())
        .with_row_group_size(Some(65_536))
        .finish(&mut df)?;
    Ok(buf)
}

/// A `'static` copy of a short code read back from the cache (stage names and
/// reason codes: a handful of distinct values, each leaked once).
pub(crate) fn intern(s: &str) -> &'static str {
    static SEEN: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
    let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(v) = seen.get(s) {
        return v;
    }
    let v: &'static str = Box::leak(s.to_string().into_boxed_str());
    seen.insert(v);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `aggregate.json` is sealed as `record.json` is: read back as written, a
    /// miss with its reason once a value in it is changed, absent when there is
    /// no file.
    #[test]
    fn an_edited_aggregate_record_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load_aggregate(dir.path()).map(|r| r.is_none()), Ok(true));
        let record = AggregateRecord {
            fingerprint: AggregateFingerprint {
                tool_version: "0.1.0".to_string(),
                code: "c".to_string(),
                pipeline_sha256: "p".to_string(),
                upstream: vec![("a".to_string(), "1".to_string())],
            },
            manifest_sha256: "m".to_string(),
        };
        store_aggregate(dir.path(), &record).unwrap();
        let back = load_aggregate(dir.path()).unwrap().unwrap();
        assert_eq!(back.fingerprint, record.fingerprint);
        let path = dir.path().join("aggregate.json");
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replace("\"m\"", "\"n\"")).unwrap();
        assert_eq!(
            load_aggregate(dir.path()).map(|r| r.is_some()),
            Err("cached record altered since it was written (aggregate.json does not match its record_sha256)".to_string())
        );
    }
}
