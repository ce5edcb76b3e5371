//! Stage fingerprints: what a stage's output depends on, hashed. A stage whose
//! fingerprint is unchanged and whose cached output is intact is skipped (as
//! DVC's `dvc.lock` and Dagster's code versions do).
//!
//! - A source stage depends on its input files' bytes (SHA-256), its parameters
//!   (the source declaration, and the pipeline-level settings a reader can see),
//!   the tool version and the code of the crates that read and normalize.
//! - A stage that runs anyway (no cached record, `--force`, changed parameters
//!   or code, a new or removed input) reads each input once: its hashes are not
//!   taken beforehand but during the read of the rows, and recorded from there
//!   ([`SourceFingerprint::confirm`]); each input's size and modification time,
//!   taken before the read and again after it, must not have changed meanwhile.
//!   Any other stage hashes its inputs first and is skipped only when every
//!   input's SHA-256 equals the recorded one: size and modification time never
//!   decide that a file is unchanged (a file rewritten with the same size and
//!   modification time is found changed, a file only touched is not).
//! - The aggregate stage depends on the pipeline file (its hash is in every
//!   footer), the source stages' outputs (early cutoff: a source stage that ran
//!   again but produced the same bytes does not make it run), the tool version and
//!   the code of the crates that aggregate and write.

use std::collections::HashMap;
use std::path::Path;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::config::{Pipeline, Source};
use crate::{PipelineError, TOOL_VERSION};

/// Hash of the code that reads and normalizes sources (see `build.rs`).
pub const CODE_SOURCE: &str = env!("PATRONAGE_CODE_SOURCE");
/// Hash of the code that aggregates and writes tables (see `build.rs`).
pub const CODE_AGGREGATE: &str = env!("PATRONAGE_CODE_AGGREGATE");
/// Hash of the code of the `[mirror_all]` step's fold (see `build.rs`).
pub const CODE_MIRROR_ALL: &str = env!("PATRONAGE_CODE_MIRROR_ALL");

/// One input file and the SHA-256 of its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileHash {
    /// Path relative to the pipeline file.
    pub file: String,
    /// SHA-256 of the bytes; empty until the read takes it when the stage runs
    /// without hashing its inputs first.
    pub sha256: String,
    /// Size and modification time of the file on disk (the archive, for a
    /// `.zip` member) before it was read, to check that the read saw the same
    /// file; `None` when the platform gives no modification time. Not recorded:
    /// it says nothing of the bytes.
    #[serde(skip)]
    pub stat: Option<FileStat>,
}

/// Size and modification time of a file on disk: when either changes, the
/// file changed; when neither does, it may still have changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileStat {
    /// Size in bytes.
    pub bytes: u64,
    /// Modification time: seconds since the Unix epoch.
    pub modified_s: u64,
    /// Modification time: nanoseconds within the second.
    pub modified_ns: u32,
}

impl FileStat {
    /// The size and modification time of `path` (of its archive, for a `.zip`
    /// member); `Ok(None)` when the platform gives no modification time.
    pub fn of(path: &Path) -> Result<Option<Self>, PipelineError> {
        let on_disk = patronage_extract::archive::container(path);
        let meta =
            std::fs::metadata(&on_disk).map_err(|source| patronage_extract::ExtractError::Io {
                path: on_disk.clone(),
                source,
            })?;
        let since_epoch = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
        Ok(since_epoch.map(|d| FileStat {
            bytes: meta.len(),
            modified_s: d.as_secs(),
            modified_ns: d.subsec_nanos(),
        }))
    }
}

impl FileHash {
    /// Whether the SHA-256 is still to be taken by the read.
    pub fn is_pending(&self) -> bool {
        self.sha256.is_empty()
    }

    /// Whether this file (now) is known to differ from `old` (recorded): both
    /// are hashed and the hashes differ.
    fn differs_from(&self, old: &FileHash) -> bool {
        !self.is_pending() && !old.is_pending() && self.sha256 != old.sha256
    }
}

/// The one reason a stage runs when everything but its inputs' hashes
/// matches its record: hashing them first may let it be skipped.
pub(crate) const NOT_HASHED: &str = "inputs not hashed";

/// Why a stage whose inputs are `fingerprint` must run against its cached
/// `record` (as read: `Err` names why it cannot be used): `--force`, no record
/// (`first`), what changed since the record's fingerprint (`recorded`), an
/// input not hashed yet (a stage is skipped only on hashes equal to the
/// record's), or its cached files (`files`) missing or drifted; empty when it
/// may be skipped. Every source stage and the mirror-all step decide here.
pub(crate) fn stage_reasons<R>(
    fingerprint: &SourceFingerprint,
    record: Result<Option<R>, String>,
    (force, first): (bool, &str),
    recorded: impl Fn(&R) -> &SourceFingerprint,
    files: impl Fn(&R) -> Result<(), String>,
) -> (Option<R>, Vec<String>) {
    let mut reasons = Vec::new();
    if force {
        reasons.push("--force".to_string());
    }
    let record = match record {
        Ok(Some(r)) => Some(r),
        Ok(None) => {
            reasons.push(first.to_string());
            None
        }
        Err(why) => {
            reasons.push(why);
            None
        }
    };
    if let Some(r) = &record {
        reasons.extend(fingerprint.changes_since(recorded(r)));
        if reasons.is_empty() && fingerprint.files.iter().any(FileHash::is_pending) {
            reasons.push(NOT_HASHED.to_string());
        }
        if reasons.is_empty() {
            if let Err(why) = files(r) {
                reasons.push(why);
            }
        }
    }
    (record, reasons)
}

/// What a source stage's output depends on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceFingerprint {
    /// Tool version.
    pub tool_version: String,
    /// Code version of the read and normalize crates.
    pub code: String,
    /// SHA-256 of the stage's parameters.
    pub params_sha256: String,
    /// Input files in path order.
    pub files: Vec<FileHash>,
}

impl SourceFingerprint {
    /// The fingerprints of `sources`, in their order; `recorded[i]` is the
    /// fingerprint of source `i`'s cached output when the stage may be skipped
    /// (a record exists and the run is not forced), else `None`. A source's
    /// inputs are hashed now only when the stage could be skipped: its record's
    /// parameters, tool and code are those of now, over the same input files.
    /// Otherwise the stage runs, and the hashes are left for the read to take
    /// ([`Self::confirm`]). Every input's size and modification time are taken
    /// now.
    ///
    /// Every file to hash (inputs and the files a reader consults besides them,
    /// which are always hashed) is hashed in one flat parallel pass, each hash a
    /// job of its own that starts no parallel work: how deep a thread's stack
    /// goes does not depend on how many sources or files there are. A file that
    /// cannot be read is an error, the first in declaration order whatever the
    /// thread count.
    pub fn of_all(
        p: &Pipeline,
        sources: &[Source],
        recorded: &[Option<&SourceFingerprint>],
    ) -> Result<Vec<Self>, PipelineError> {
        let stats: Vec<Vec<Option<FileStat>>> = sources
            .iter()
            .map(|s| s.files.iter().map(|f| FileStat::of(f)).collect())
            .collect::<Result<_, _>>()?;
        let auxiliary: Vec<&Path> = sources.iter().flat_map(|s| s.auxiliary_files()).collect();
        let mut aux_hashes = auxiliary
            .par_iter()
            .map(|f| sha256_file(f))
            .collect::<Vec<_>>()
            .into_iter();
        let pipeline = pipeline_params(p);
        let mut out = Vec::with_capacity(sources.len());
        for (i, source) in sources.iter().enumerate() {
            // Files a reader consults besides its inputs (a code list) count by content.
            let mut params = format!("{:?}\n{pipeline}", without_files(source));
            for sha256 in aux_hashes.by_ref().take(source.auxiliary_files().count()) {
                params.push_str(&format!("\n{}", sha256?));
            }
            let files = (source.files.iter().zip(&stats[i]))
                .map(|(f, stat)| FileHash {
                    file: p.relative(f),
                    sha256: String::new(),
                    stat: *stat,
                })
                .collect();
            out.push(SourceFingerprint {
                tool_version: TOOL_VERSION.to_string(),
                code: CODE_SOURCE.to_string(),
                params_sha256: patronage_tables::sha256_hex(params.as_bytes()),
                files,
            });
        }
        // The inputs of the stages that may be skipped, hashed now.
        let to_hash: Vec<(usize, usize, &Path)> = sources
            .iter()
            .enumerate()
            .filter(|(i, _)| {
                recorded
                    .get(*i)
                    .copied()
                    .flatten()
                    .is_some_and(|old| out[*i].may_equal(old))
            })
            .flat_map(|(i, s)| {
                s.files
                    .iter()
                    .enumerate()
                    .map(move |(j, f)| (i, j, f.as_path()))
            })
            .collect();
        let hashes: Vec<Result<String, PipelineError>> =
            to_hash.par_iter().map(|(_, _, f)| sha256_file(f)).collect();
        for ((i, j, _), sha256) in to_hash.iter().zip(hashes) {
            out[*i].files[*j].sha256 = sha256?;
        }
        Ok(out)
    }

    /// Whether the stage may be skipped against `old`, before any input is
    /// hashed: the same tool, code and parameters, the same input files.
    fn may_equal(&self, old: &SourceFingerprint) -> bool {
        self.tool_version == old.tool_version
            && self.code == old.code
            && self.params_sha256 == old.params_sha256
            && self.files.len() == old.files.len()
            && self
                .files
                .iter()
                .zip(&old.files)
                .all(|(now, then)| now.file == then.file)
    }

    /// The fingerprint completed with the hashes the read took (`read`: each
    /// input's path and SHA-256, in the order of [`Self::files`]), to record
    /// with the stage's output. The bytes read must be those fingerprinted: an
    /// input hashed before the read must have the same hash, and every input
    /// must still have the size and modification time it had before the read;
    /// else the file changed while the run was reading it, and nothing is
    /// recorded.
    pub fn confirm(
        &self,
        p: &Pipeline,
        source: &Source,
        read: &[(&str, &str)],
    ) -> Result<SourceFingerprint, PipelineError> {
        let mut done = self.clone();
        for (i, f) in done.files.iter_mut().enumerate() {
            let changed = || PipelineError::InputChanged {
                file: f.file.clone(),
            };
            let Some(&(file, sha256)) = read.get(i) else {
                return Err(changed());
            };
            if file != f.file || (!f.is_pending() && f.sha256 != sha256) {
                return Err(changed());
            }
            let now = match source.files.get(i) {
                Some(path) if p.relative(path) == f.file => FileStat::of(path)?,
                _ => return Err(changed()),
            };
            if now != f.stat {
                return Err(changed());
            }
            f.sha256 = sha256.to_string();
        }
        Ok(done)
    }

    /// Whether an input differs from those `old` was built from: a new or
    /// removed input, or one whose hash differs.
    pub fn files_differ_from(&self, old: &SourceFingerprint) -> bool {
        self.files.len() != old.files.len()
            || self
                .files
                .iter()
                .zip(&old.files)
                .any(|(now, then)| now.file != then.file || now.differs_from(then))
    }

    /// The fingerprint: one hash over every part.
    pub fn sha256(&self) -> String {
        json_sha256(self)
    }

    /// Why a stage with fingerprint `self` must run when `old` produced the cached
    /// output; empty when nothing changed.
    pub fn changes_since(&self, old: &SourceFingerprint) -> Vec<String> {
        let mut why = tool_change(
            (&old.tool_version, &old.code),
            (&self.tool_version, &self.code),
        );
        if self.params_sha256 != old.params_sha256 {
            why.push("parameters changed".to_string());
        }
        // An input not hashed yet (the stage runs anyway) is not known to
        // have changed.
        let old_by_file: HashMap<&str, &FileHash> =
            old.files.iter().map(|f| (f.file.as_str(), f)).collect();
        let marks = |files: &[FileHash]| -> Vec<(String, String)> {
            files
                .iter()
                .map(|f| {
                    let same = old_by_file
                        .get(f.file.as_str())
                        .is_some_and(|o| !f.differs_from(o));
                    let mark = if same { "same" } else { f.sha256.as_str() };
                    (f.file.clone(), mark.to_string())
                })
                .collect()
        };
        let old_marks: Vec<(String, String)> = old
            .files
            .iter()
            .map(|f| (f.file.clone(), "same".to_string()))
            .collect();
        why.extend(named_changes(
            &marks(&self.files),
            &old_marks,
            |change, file| match change {
                Change::New => format!("new input {file}"),
                Change::Changed => format!("changed input {file}"),
                Change::Removed => format!("input removed {file}"),
            },
        ));
        why
    }
}

/// Hex SHA-256 of a fingerprint's JSON text.
fn json_sha256(fingerprint: &impl Serialize) -> String {
    patronage_tables::sha256_hex(
        serde_json::to_string(fingerprint)
            .unwrap_or_default()
            .as_bytes(),
    )
}

/// Why a stage must run because the tool changed between the `old` and `new`
/// (version, code) pairs: the version when it differs, else the build.
fn tool_change(old: (&str, &str), new: (&str, &str)) -> Vec<String> {
    if new.0 != old.0 {
        vec![format!("tool version changed ({} -> {})", old.0, new.0)]
    } else if new.1 != old.1 {
        vec![format!("tool code changed (build {} -> {})", old.1, new.1)]
    } else {
        Vec::new()
    }
}

/// How a named part (an input file, a source's output) differs between two
/// fingerprints.
enum Change {
    New,
    Changed,
    Removed,
}

/// The differences between two lists of (name, hash), each described by
/// `describe`: new and changed names in `new`'s order, then removed ones in
/// `old`'s order.
fn named_changes(
    new: &[(String, String)],
    old: &[(String, String)],
    describe: impl Fn(Change, &str) -> String,
) -> Vec<String> {
    // The first entry of a name counts, looked up by name (a pipeline may have
    // thousands of sources).
    fn index(list: &[(String, String)]) -> HashMap<&str, &str> {
        let mut by_name = HashMap::with_capacity(list.len());
        for (name, hash) in list {
            by_name.entry(name.as_str()).or_insert(hash.as_str());
        }
        by_name
    }
    let (new_by_name, old_by_name) = (index(new), index(old));
    let mut why = Vec::new();
    for (name, hash) in new {
        match old_by_name.get(name.as_str()) {
            None => why.push(describe(Change::New, name)),
            Some(old_hash) if old_hash != hash => why.push(describe(Change::Changed, name)),
            Some(_) => {}
        }
    }
    for (name, _) in old {
        if !new_by_name.contains_key(name.as_str()) {
            why.push(describe(Change::Removed, name));
        }
    }
    why
}

/// Hex SHA-256 of a file, read in blocks (an input may be larger than memory
/// allows twice over); for an object downloaded from object storage, the
/// SHA-256 taken while it was downloaded (the store's size and ETag were
/// checked when the pipeline was loaded).
pub fn sha256_file(path: &Path) -> Result<String, PipelineError> {
    if let Some(sha256) = crate::config::objects::recorded_sha256(path) {
        return Ok(sha256);
    }
    crate::domain::files::sha256_input(path).map(|(_, sha256)| sha256)
}

/// A source stage's parameters as text: the source declaration without its file
/// list (the files are hashed by content), and the pipeline-level settings a
/// reader is handed, without the sources, windows, checks, claims and names that only the
/// aggregate stage or the output location use. Fields added to `Source` or
/// `Pipeline` later count as parameters without further code.
pub fn source_params(p: &Pipeline, source: &Source) -> String {
    format!("{:?}\n{}", without_files(source), pipeline_params(p))
}

/// The source declaration without its file list.
fn without_files(source: &Source) -> Source {
    Source {
        pattern: String::new(),
        files: Vec::new(),
        // When and from where a file was downloaded is not what it holds: the
        // files' bytes are hashed as inputs.
        downloads: Vec::new(),
        pending: Vec::new(),
        objects: Vec::new(),
        ..source.clone()
    }
}

/// The pipeline-level settings a reader is handed, as text: the same for every
/// source of a pipeline, so a run computes it once (it copies the pipeline, whose
/// sources are dropped from the copy).
fn pipeline_params(p: &Pipeline) -> String {
    let pipeline = Pipeline {
        path: Default::default(),
        dir: Default::default(),
        sha256: String::new(),
        name: String::new(),
        description: None,
        output: None,
        output_url: None,
        // How trade_flows is laid out on disk is the writer's business.
        partition_by: Vec::new(),
        sources: Vec::new(),
        // The mirror-all step has a fingerprint of its own.
        mirror_all: None,
        windows: Vec::new(),
        // Checks and claims read the built tables, not the sources (and their
        // entries carry byte offsets that move when another part of the file does).
        checks: Vec::new(),
        claims: Vec::new(),
        // HS conversion, commodity groups and selected-goods sources are the
        // aggregate stage's.
        conversion: None,
        commodity_groups: Vec::new(),
        selected_goods_sources: Vec::new(),
        text: std::sync::Arc::from(""),
        ..p.clone()
    };
    format!("{pipeline:?}")
}

/// What the aggregate stage's output depends on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AggregateFingerprint {
    /// Tool version.
    pub tool_version: String,
    /// Code version of the aggregate and write crates.
    pub code: String,
    /// SHA-256 of the pipeline file (parameters, and provenance in every footer).
    pub pipeline_sha256: String,
    /// Each source stage's output hash, in declaration order.
    pub upstream: Vec<(String, String)>,
}

impl AggregateFingerprint {
    /// The fingerprint: one hash over every part.
    pub fn sha256(&self) -> String {
        json_sha256(self)
    }

    /// Why the stage must run, compared with the fingerprint of the outputs on
    /// disk; empty when nothing changed.
    pub fn changes_since(&self, old: &AggregateFingerprint) -> Vec<String> {
        let mut why = tool_change(
            (&old.tool_version, &old.code),
            (&self.tool_version, &self.code),
        );
        if self.pipeline_sha256 != old.pipeline_sha256 {
            why.push("pipeline file changed".to_string());
        }
        why.extend(upstream_changes(&self.upstream, &old.upstream));
        why
    }
}

/// How the source stages' outputs differ from those the outputs were built from.
pub fn upstream_changes(new: &[(String, String)], old: &[(String, String)]) -> Vec<String> {
    let mut why = named_changes(new, old, |change, id| match change {
        Change::New => format!("new source {id}"),
        Change::Changed => format!("output of source:{id} changed"),
        Change::Removed => format!("source {id} removed"),
    });
    let order = |v: &[(String, String)]| v.iter().map(|(i, _)| i.clone()).collect::<Vec<_>>();
    if why.is_empty() && order(new) != order(old) {
        why.push("source priority order changed".to_string());
    }
    why
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn dprk() -> Pipeline {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../pipelines/dprk.toml");
        crate::load(&path, Default::default()).expect("pipelines/dprk.toml loads")
    }

    #[test]
    fn source_parameters_see_the_declaration_not_the_windows() {
        let p = dprk();
        let s = p.sources.iter().find(|s| s.id == "ru_customs_ytd").unwrap();
        let base = source_params(&p, s);
        let mut fewer_windows = p.clone();
        fewer_windows.windows.clear();
        fewer_windows.description = Some("another description".to_string());
        assert_eq!(source_params(&fewer_windows, s), base);
        let mut monthly = s.clone();
        monthly.monthly = patronage_normalize::MonthlyFigures::Month;
        assert_ne!(source_params(&p, &monthly), base);
        let mut focus = p.clone();
        focus.focus = "CHN".to_string();
        assert_ne!(source_params(&focus, s), base);
    }

    #[test]
    fn changes_name_each_input_and_the_version() {
        let file = |f: &str, h: &str| FileHash {
            file: f.to_string(),
            sha256: h.to_string(),
            stat: None,
        };
        let old = SourceFingerprint {
            tool_version: "0.1.0".to_string(),
            code: "aaaa".to_string(),
            params_sha256: "p".to_string(),
            files: vec![file("a.csv", "1"), file("b.csv", "2")],
        };
        assert!(old.changes_since(&old).is_empty());
        let new = SourceFingerprint {
            tool_version: "0.2.0".to_string(),
            code: "bbbb".to_string(),
            params_sha256: "q".to_string(),
            files: vec![file("a.csv", "9"), file("c.csv", "3")],
        };
        assert_eq!(
            new.changes_since(&old),
            vec![
                "tool version changed (0.1.0 -> 0.2.0)",
                "parameters changed",
                "changed input a.csv",
                "new input c.csv",
                "input removed b.csv",
            ]
        );
        assert_ne!(new.sha256(), old.sha256());
    }

    #[test]
    fn file_hash_streams_the_same_digest() {
        let p = dprk();
        let f = &p.sources[0].files[0];
        let bytes = std::fs::read(f).unwrap();
        assert_eq!(
            sha256_file(f).unwrap(),
            patronage_tables::sha256_hex(&bytes)
        );
    }
}
