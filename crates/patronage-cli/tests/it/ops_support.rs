//! Helpers for the operations tests: a private copy of the default pipeline and
//! its fixtures (so a test can change or break an input), JSON events, hashes.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common::{copy_tree, patronage, root};

/// A copy of `pipelines/dprk.toml` and `fixtures/` in a temporary folder, laid
/// out as in the repository, and an output folder beside them.
pub struct Sandbox {
    pub tmp: tempfile::TempDir,
    pub pipeline: PathBuf,
    pub out: PathBuf,
}

impl Sandbox {
    pub fn new() -> Self {
        let tmp = tempfile::tempdir().expect("temp dir");
        copy_tree(&root().join("fixtures"), &tmp.path().join("fixtures"));
        std::fs::create_dir_all(tmp.path().join("pipelines")).unwrap();
        let pipeline = tmp.path().join("pipelines/dprk.toml");
        std::fs::copy(root().join("pipelines/dprk.toml"), &pipeline).unwrap();
        let out = tmp.path().join("out");
        Sandbox { tmp, pipeline, out }
    }

    /// A fixture file of the copy.
    pub fn fixture(&self, name: &str) -> PathBuf {
        self.tmp.path().join("fixtures/comtrade").join(name)
    }

    /// `patronage <cmd> <pipeline> --out <out> <extra...>`.
    pub fn cmd(&self, cmd: &str, extra: &[&str]) -> Output {
        let mut args = vec![
            cmd,
            self.pipeline.to_str().unwrap(),
            "--out",
            self.out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        patronage(&args, &[])
    }

    /// `patronage run <pipeline> --out <out> <extra...>` as a command to spawn
    /// (a run to watch, kill or start beside another).
    pub fn run_command(&self, extra: &[&str]) -> std::process::Command {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_patronage"));
        cmd.args([
            "run",
            self.pipeline.to_str().unwrap(),
            "--out",
            self.out.to_str().unwrap(),
        ])
        .args(extra);
        cmd
    }

    /// A run that must succeed; returns its JSON events.
    pub fn run_json(&self, extra: &[&str]) -> Vec<serde_json::Value> {
        let mut args = vec!["--json"];
        args.extend_from_slice(extra);
        let o = self.cmd("run", &args);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        events(&o)
    }
}

/// stdout and stderr, for assertion messages.
pub fn text(o: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The JSON events of a `--json` run, one per stdout line.
pub fn events(o: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect()
}

/// Stage names of the events of kind `kind`, sorted (source stages run in
/// parallel, so their events come in any order).
pub fn stages_with(events: &[serde_json::Value], kind: &str) -> Vec<String> {
    let mut v: Vec<String> = events
        .iter()
        .filter(|e| e["event"] == kind)
        .map(|e| e["stage"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

/// The SHA-256 of every output listed in the manifest, as the manifest says.
pub fn manifest_hashes(out: &Path) -> Vec<(String, String)> {
    let m = crate::common::manifest(out);
    m["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["file"].as_str().unwrap().to_string(),
                o["sha256"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Assert that every file the manifest lists hashes to what it says.
pub fn assert_matches_manifest(out: &Path) {
    let hashes = manifest_hashes(out);
    assert!(!hashes.is_empty());
    for (file, sha) in hashes {
        let bytes = std::fs::read(out.join(&file)).unwrap();
        assert_eq!(patronage_tables::sha256_hex(&bytes), sha, "{file}");
    }
}
