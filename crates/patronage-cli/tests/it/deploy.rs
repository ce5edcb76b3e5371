//! The deployment files in `deploy/` run as written. The Kubernetes manifests and
//! the Slurm scripts are rendered with local values (the inputs, the output and
//! the pipeline as local folders; `rendered` takes them, so a rendering with
//! object-store URLs is one more call), the exact command lines they hold are
//! taken out of them (the container's `command` and `args` from the YAML; the
//! `patronage` lines of the scripts) and run with the built binary first on PATH:
//! one process per shard with the index Kubernetes or Slurm would set, then the
//! merge line. The merged outputs must equal, byte for byte, what the same command
//! line without `--shard-count` writes in one process. The submit scripts are run
//! against stand-ins for `kubectl` and `sbatch` that record what they are given,
//! and the Dockerfile is checked by its structure (Docker is not needed). ALL
//! INPUT DATA IS SYNTHETIC (`patronage synth`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::{output_files, root, stderr, synth};

/// Where a rendered deployment reads and writes.
struct Locations {
    /// The folder (or prefix) holding the input files.
    inputs: String,
    /// The job's output folder (or prefix).
    output: String,
    /// The pipeline file `run` reads.
    pipeline: String,
}

/// Shards of every rendered job: three, so that one shard folds two of the four
/// input files and the others one each.
const SHARDS: u32 = 3;

/// The SYNTHETIC BACI files the templates name: a year each, of different sizes
/// (the sizes weigh the shard assignment).
const INPUT_FILES: [(i32, u64); 4] = [(2019, 4000), (2020, 3000), (2021, 2500), (2022, 1500)];

/// Every placeholder of the templates, with the locations filled in.
fn values(at: &Locations) -> Vec<(&'static str, String)> {
    vec![
        ("NAME", "patronage-test".into()),
        ("IMAGE", "patronage:test".into()),
        ("SHARDS", SHARDS.to_string()),
        ("LAST_SHARD", (SHARDS - 1).to_string()),
        ("PARALLELISM", SHARDS.to_string()),
        ("INPUTS", at.inputs.clone()),
        ("OUTPUT", at.output.clone()),
        ("PIPELINE", at.pipeline.clone()),
        ("PIPELINE_CONFIGMAP", "patronage-pipeline".into()),
        ("SECRET", "patronage-store".into()),
        ("CPUS", "2".into()),
        ("MEMORY_GB", "4".into()),
    ]
}

/// `template` with every `${NAME}` replaced by its value; a placeholder without a
/// value is a failure (deploy/render.sh refuses it too).
fn render(template: &str, values: &[(&str, String)]) -> String {
    let mut text = template.to_string();
    for (name, value) in values {
        text = text.replace(&format!("${{{name}}}"), value);
    }
    if let Some(at) = text.find("${") {
        let end = text[at..].find('}').map_or(text.len(), |e| at + e + 1);
        panic!("placeholder {} has no value", &text[at..end]);
    }
    text
}

/// The deployment file `deploy/<rel>` as written.
fn template(rel: &str) -> String {
    let path = root().join("deploy").join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `deploy/<rel>` rendered for `at`.
fn rendered(rel: &str, at: &Locations) -> String {
    render(&template(rel), &values(at))
}

// ---- the YAML the manifests use ----

/// The scalars of a YAML document of the subset the manifests are written in
/// (block mappings, block sequences with their dashes indented under their key,
/// plain or quoted scalars, `#` comments), each by its path
/// (`spec.template.spec.containers[0].args[3]`), in document order.
fn flatten(yaml: &str) -> Vec<(String, String)> {
    // Open mappings and sequences: the indent of the line that opened each, its path.
    let mut open: Vec<(usize, String)> = Vec::new();
    let mut items: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::new();
    let key_value = |s: &str| -> Option<(String, String)> {
        let (k, v) = match s.split_once(": ") {
            Some((k, v)) => (k, v.trim()),
            None => (s.strip_suffix(':')?, ""),
        };
        let plain = !k.is_empty()
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-./".contains(c));
        plain.then(|| (k.to_string(), v.to_string()))
    };
    for (n, raw) in yaml.lines().enumerate() {
        let line = match raw.find(" #") {
            Some(at) if !raw[..at].contains('"') => &raw[..at],
            _ => raw,
        };
        let body = line.trim_start();
        if body.is_empty() || body.starts_with('#') || body == "---" {
            continue;
        }
        let mut indent = line.len() - body.len();
        let mut body = body;
        while open.last().is_some_and(|(i, _)| *i >= indent) {
            open.pop();
        }
        let parent = open.last().map(|(_, p)| p.clone()).unwrap_or_default();
        let mut path = parent.clone();
        if let Some(rest) = body.strip_prefix("- ") {
            assert!(
                !parent.is_empty(),
                "line {}: a sequence item without its key",
                n + 1
            );
            let count = items.entry(parent.clone()).or_default();
            path = format!("{parent}[{count}]");
            *count += 1;
            match key_value(rest) {
                Some(_) => {
                    open.push((indent, path.clone()));
                    indent += 2;
                    body = rest;
                }
                None => {
                    out.push((path, unquote(rest)));
                    continue;
                }
            }
        }
        let (key, value) =
            key_value(body).unwrap_or_else(|| panic!("line {}: not `key: value`: {raw}", n + 1));
        let path = if path.is_empty() {
            key
        } else {
            format!("{path}.{key}")
        };
        if value.is_empty() {
            open.push((indent, path));
        } else {
            out.push((path, unquote(&value)));
        }
    }
    out
}

fn unquote(s: &str) -> String {
    let s = s.trim();
    for q in ['"', '\''] {
        if let Some(inner) = s.strip_prefix(q).and_then(|r| r.strip_suffix(q)) {
            return inner.to_string();
        }
    }
    s.to_string()
}

/// The scalar at `path`.
fn scalar<'a>(doc: &'a [(String, String)], path: &str) -> &'a str {
    doc.iter()
        .find(|(p, _)| p == path)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("the manifest has no {path}"))
}

/// The items of the sequence of scalars at `path`, in order.
fn sequence(doc: &[(String, String)], path: &str) -> Vec<String> {
    let prefix = format!("{path}[");
    doc.iter()
        .filter(|(p, _)| {
            p.strip_prefix(&prefix)
                .and_then(|r| r.strip_suffix(']'))
                .is_some_and(|i| i.parse::<usize>().is_ok())
        })
        .map(|(_, v)| v.clone())
        .collect()
}

/// A rendered Indexed Job or merge Job, checked for what every job of ours
/// declares; returns its command line (the container's `command` then `args`).
fn job_command(doc: &[(String, String)]) -> Vec<String> {
    let c = "spec.template.spec.containers[0]";
    assert_eq!(scalar(doc, "apiVersion"), "batch/v1");
    assert_eq!(scalar(doc, "kind"), "Job");
    assert_eq!(scalar(doc, &format!("{c}.image")), "patronage:test");
    assert_eq!(scalar(doc, "spec.template.spec.restartPolicy"), "Never");
    let security = "spec.template.spec.securityContext";
    assert_eq!(scalar(doc, &format!("{security}.runAsNonRoot")), "true");
    assert_eq!(
        scalar(doc, &format!("{security}.runAsUser")),
        dockerfile_uid().to_string(),
        "the pods run as the image's user"
    );
    // Credentials only from the Secret: every variable has a secretKeyRef, none a value.
    let env: Vec<&(String, String)> = doc
        .iter()
        .filter(|(p, _)| p.starts_with(&format!("{c}.env[")))
        .collect();
    assert!(
        !env.is_empty(),
        "the store's credentials come from the environment"
    );
    for (p, v) in &env {
        assert!(!p.ends_with(".value"), "{p}: a literal in the manifest");
        if p.ends_with(".secretKeyRef.name") {
            assert_eq!(v, "patronage-store");
        }
    }
    assert!(!scalar(doc, &format!("{c}.resources.requests.cpu")).is_empty());
    assert_eq!(
        scalar(doc, &format!("{c}.resources.requests.memory")),
        "4Gi"
    );
    let mut line = sequence(doc, &format!("{c}.command"));
    line.extend(sequence(doc, &format!("{c}.args")));
    line
}

// ---- the Slurm scripts ----

/// The `patronage` command lines of a rendered script (continued lines joined),
/// as words; and the `#SBATCH --array=A-B` range, if it has one.
fn script_commands(script: &str) -> (Vec<Vec<String>>, Option<(u32, u32)>) {
    let joined = script.replace("\\\n", " ");
    let mut array = None;
    let mut lines = Vec::new();
    for l in joined.lines().map(str::trim) {
        if let Some(range) = l.strip_prefix("#SBATCH --array=") {
            let (a, b) = range.split_once('-').expect("--array=A-B");
            array = Some((a.parse().unwrap(), b.parse().unwrap()));
        }
        let words: Vec<String> = l.split_whitespace().map(String::from).collect();
        if words.first().is_some_and(|w| w == "patronage") {
            for w in &words {
                assert!(
                    !w.contains(['$', '"', '\'', '`', '*']),
                    "{w}: a command line the test would run differently from a shell"
                );
            }
            lines.push(words);
        }
    }
    (lines, array)
}

// ---- running them ----

/// This process's PATH with `dir` first.
fn path_first(dir: &Path) -> std::ffi::OsString {
    let rest = std::env::var_os("PATH").unwrap_or_default();
    std::env::join_paths(std::iter::once(dir.to_path_buf()).chain(std::env::split_paths(&rest)))
        .unwrap()
}

/// A command line as a process: `patronage` found on a PATH whose first folder
/// holds the built binary, in `cwd`, with `env` and no shard variable inherited.
fn command(line: &[String], cwd: &Path, env: &[(&str, String)]) -> Command {
    assert_eq!(line[0], "patronage");
    let bin = Path::new(env!("CARGO_BIN_EXE_patronage"));
    let mut cmd = Command::new(&line[0]);
    cmd.args(&line[1..])
        .current_dir(cwd)
        .env("PATH", path_first(bin.parent().unwrap()));
    for k in [
        "JOB_COMPLETION_INDEX",
        "SLURM_ARRAY_TASK_ID",
        "SLURM_ARRAY_TASK_MIN",
        "SLURM_ARRAY_TASK_MAX",
    ] {
        cmd.env_remove(k);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

fn assert_ok(o: &Output, what: &str) {
    assert!(
        o.status.success(),
        "{what} failed ({}):\n{}{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        stderr(o)
    );
}

/// Run one process per shard at once (each with its own index variables), wait
/// for all, then the merge line.
fn fan_out(shard: &[String], per_shard: &[Vec<(&str, String)>], merge: &[String], cwd: &Path) {
    fan_out_with(shard, per_shard, merge, cwd, &[]);
}

/// [`fan_out`] with `base` in every process's environment (a store's).
fn fan_out_with(
    shard: &[String],
    per_shard: &[Vec<(&str, String)>],
    merge: &[String],
    cwd: &Path,
    base: &[(&str, String)],
) {
    let children: Vec<_> = per_shard
        .iter()
        .map(|env| {
            let env: Vec<(&str, String)> = base.iter().chain(env).cloned().collect();
            command(shard, cwd, &env)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("start a shard")
        })
        .collect();
    for (child, env) in children.into_iter().zip(per_shard) {
        assert_ok(
            &child.wait_with_output().unwrap(),
            &format!("shard {env:?}"),
        );
    }
    assert_ok(&command(merge, cwd, base).output().unwrap(), "merge");
}

/// The shard command line without `--shard-count N`: the one process to compare with.
fn single_process(shard: &[String], out: &str, single_out: &str) -> Vec<String> {
    let mut line = Vec::new();
    let mut words = shard.iter();
    while let Some(w) = words.next() {
        match w.as_str() {
            "--shard-count" => {
                words.next();
            }
            _ if w == out => line.push(single_out.to_string()),
            _ => line.push(w.clone()),
        }
    }
    assert_eq!(
        line.len() + 2,
        shard.len(),
        "{shard:?} has one --shard-count N"
    );
    line
}

/// Every shard of the job wrote its `shard.json`, and the work was split: every
/// shard had a unit (four units over three shards).
fn assert_split(out: &Path) {
    for i in 0..SHARDS {
        let path = out.join(format!("shards/{i}-of-{SHARDS}/shard.json"));
        let v: serde_json::Value = serde_json::from_slice(
            &std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
        )
        .unwrap();
        assert_eq!(v["shard"], format!("{i}/{SHARDS}"));
        let units = v["units"].as_array().map_or(0, Vec::len);
        assert!(units > 0, "{}: no unit", path.display());
    }
}

/// The merged output folder holds exactly the files one process wrote, byte for
/// byte, beside the shards' folders.
fn assert_same_outputs(single: &Path, merged: &Path) {
    let one = output_files(single);
    assert!(!one.is_empty(), "{} holds no output", single.display());
    let shards = Path::new(merged).join("shards");
    assert!(
        shards.is_dir(),
        "{} has no shards/ folder: the merge did not read shards",
        merged.display()
    );
    let many: Vec<(String, Vec<u8>)> = output_files(merged)
        .into_iter()
        .filter(|(p, _)| !p.starts_with("shards/"))
        .collect();
    let names = |v: &[(String, Vec<u8>)]| v.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
    assert_eq!(names(&many), names(&one), "the same files");
    for ((p, a), (_, b)) in one.iter().zip(&many) {
        assert!(a == b, "{p}: the merged bytes differ from one process's");
    }
}

/// A temporary folder with the four SYNTHETIC BACI files the templates name and
/// a pipeline file over them; its locations, output under `out`.
fn workspace(out: &str) -> (tempfile::TempDir, Locations) {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = tmp.path().join("inputs");
    std::fs::create_dir_all(&inputs).unwrap();
    for (year, rows) in INPUT_FILES {
        synth(
            "baci",
            rows,
            year,
            &inputs.join(format!("BACI_HS17_Y{year}_V202401.csv")),
        );
    }
    // A source a year: a pipeline's unit of work is a source.
    let pipeline = inputs.join("scale_out.toml");
    let mut toml = String::from(
        "name = \"scale_out\"\nfocus = \"PRK\"\n# SYNTHETIC files from `patronage synth`.\n",
    );
    for (year, _) in INPUT_FILES {
        toml += &format!(
            "\n[[sources]]\nid = \"baci_{year}\"\nformat = \"baci\"\n\
             path = \"BACI_HS17_Y{year}_V202401.csv\"\nscope = \"focus\"\n"
        );
    }
    std::fs::write(&pipeline, toml).unwrap();
    std::fs::create_dir_all(tmp.path().join("work")).unwrap();
    let s = |p: PathBuf| p.to_str().unwrap().to_string();
    let at = Locations {
        inputs: s(inputs),
        output: s(tmp.path().join(out)),
        pipeline: s(pipeline),
    };
    (tmp, at)
}

/// The Kubernetes pair of `kind` (`mirror-all` or `run`), rendered and run.
fn kubernetes(kind: &str) {
    let (tmp, at) = workspace("k8s-out");
    let shards = flatten(&rendered(&format!("kubernetes/{kind}-shards.yaml"), &at));
    assert_eq!(scalar(&shards, "spec.completionMode"), "Indexed");
    assert_eq!(scalar(&shards, "spec.completions"), SHARDS.to_string());
    assert_eq!(scalar(&shards, "spec.parallelism"), SHARDS.to_string());
    let merge = flatten(&rendered(&format!("kubernetes/{kind}-merge.yaml"), &at));
    assert_eq!(scalar(&merge, "spec.completions"), "1");
    assert!(!merge.iter().any(|(p, _)| p == "spec.completionMode"));
    let (shard_line, merge_line) = (job_command(&shards), job_command(&merge));
    assert_eq!(shard_line[1], kind);
    assert_eq!(merge_line[1..3], ["merge".to_string(), at.output.clone()]);
    assert!(
        shard_line.contains(&at.output),
        "{shard_line:?} writes OUTPUT"
    );

    let work = tmp.path().join("work");
    let single_out = tmp.path().join("single").to_str().unwrap().to_string();
    let single = single_process(&shard_line, &at.output, &single_out);
    assert_ok(
        &command(&single, &work, &[]).output().unwrap(),
        "one process",
    );

    let per_shard: Vec<Vec<(&str, String)>> = (0..SHARDS)
        .map(|i| vec![("JOB_COMPLETION_INDEX", i.to_string())])
        .collect();
    fan_out(&shard_line, &per_shard, &merge_line, &work);
    assert_split(Path::new(&at.output));
    assert_same_outputs(Path::new(&single_out), Path::new(&at.output));
}

/// The Slurm pair of `kind` (`mirror-all` or `run`), rendered and run.
fn slurm(kind: &str) {
    let (tmp, at) = workspace("slurm-out");
    let (array_lines, range) =
        script_commands(&rendered(&format!("slurm/{kind}-array.sbatch"), &at));
    let (first, last) = range.expect("#SBATCH --array=A-B");
    assert_eq!(last - first + 1, SHARDS, "one array task per shard");
    assert_eq!(array_lines.len(), 1, "{array_lines:?}");
    let (merge_lines, none) =
        script_commands(&rendered(&format!("slurm/{kind}-merge.sbatch"), &at));
    assert_eq!(none, None, "the merge is one task");
    assert_eq!(merge_lines.len(), 1, "{merge_lines:?}");
    let (shard_line, merge_line) = (&array_lines[0], &merge_lines[0]);
    assert_eq!(shard_line[1], kind);
    assert_eq!(merge_line[1..3], ["merge".to_string(), at.output.clone()]);

    let work = tmp.path().join("work");
    let single_out = tmp.path().join("single").to_str().unwrap().to_string();
    let single = single_process(shard_line, &at.output, &single_out);
    assert_ok(
        &command(&single, &work, &[]).output().unwrap(),
        "one process",
    );

    let per_shard: Vec<Vec<(&str, String)>> = (first..=last)
        .map(|task| {
            vec![
                ("SLURM_ARRAY_TASK_ID", task.to_string()),
                ("SLURM_ARRAY_TASK_MIN", first.to_string()),
                ("SLURM_ARRAY_TASK_MAX", last.to_string()),
            ]
        })
        .collect();
    fan_out(shard_line, &per_shard, merge_line, &work);
    assert_split(Path::new(&at.output));
    assert_same_outputs(Path::new(&single_out), Path::new(&at.output));
}

#[test]
fn kubernetes_mirror_all_shards_then_merge_equal_one_process() {
    kubernetes("mirror-all");
}

#[test]
fn kubernetes_run_shards_then_merge_equal_one_process() {
    kubernetes("run");
}

#[test]
fn slurm_mirror_all_array_then_merge_equal_one_process() {
    slurm("mirror-all");
}

#[test]
fn slurm_run_array_then_merge_equal_one_process() {
    slurm("run");
}

// ---- the submit scripts and render.sh ----

/// A stand-in for `kubectl` or `sbatch` in `bin/`: it records each call's
/// arguments (one a line) in `log/N.args`, what `apply -f -` reads in
/// `log/N.stdin`, the script `sbatch` is given in `log/N.script`, and prints a
/// job id `100N;cluster`. `kubectl wait` fails when FAIL_WAIT is set.
fn stand_in(bin: &Path, name: &str, log: &Path) {
    std::fs::create_dir_all(bin).unwrap();
    std::fs::create_dir_all(log).unwrap();
    let script = format!(
        r#"#!/usr/bin/env bash
set -eu
log={log}
n=$(( $(ls "$log" | grep -c '\.args$' || true) + 1 ))
printf '%s\n' "$@" > "$log/$n.args"
case "{name} $1" in
    "kubectl apply") cat > "$log/$n.stdin" ;;
    "kubectl wait") if [ -n "${{FAIL_WAIT:-}}" ]; then exit 1; fi ;;
    sbatch*) cp "${{@: -1}}" "$log/$n.script"; echo "100$n;cluster" ;;
esac
"#,
        log = log.display()
    );
    let path = bin.join(name);
    std::fs::write(&path, script).unwrap();
    let mut perm = std::fs::metadata(&path).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
    std::fs::set_permissions(&path, perm).unwrap();
}

/// Run `deploy/<script> args` with the template values in its environment and
/// `bin` first on PATH.
fn run_script(
    script: &str,
    args: &[&str],
    at: &Locations,
    bin: &Path,
    extra: &[(&str, &str)],
) -> Output {
    let mut cmd = Command::new("bash");
    cmd.arg(root().join("deploy").join(script))
        .args(args)
        .env("PATH", path_first(bin))
        .env_remove("LAST_SHARD");
    for (k, v) in values(at) {
        if k != "LAST_SHARD" {
            cmd.env(k, v);
        }
    }
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd.output().expect("run bash")
}

/// The calls a stand-in recorded: each call's arguments, and what it read.
fn calls(log: &Path) -> Vec<(Vec<String>, Option<String>)> {
    let mut out = Vec::new();
    for n in 1.. {
        let Ok(args) = std::fs::read_to_string(log.join(format!("{n}.args"))) else {
            break;
        };
        let read = ["stdin", "script"]
            .iter()
            .find_map(|ext| std::fs::read_to_string(log.join(format!("{n}.{ext}"))).ok());
        out.push((args.lines().map(String::from).collect(), read));
    }
    out
}

#[test]
fn slurm_submit_renders_both_scripts_and_starts_the_merge_after_the_array() {
    for kind in ["mirror-all", "run"] {
        let tmp = tempfile::tempdir().unwrap();
        let at = Locations {
            inputs: "/shared/inputs".into(),
            output: "/shared/out".into(),
            pipeline: "/shared/pipelines/p.toml".into(),
        };
        let (bin, log, dir) = (
            tmp.path().join("bin"),
            tmp.path().join("log"),
            tmp.path().join("rendered"),
        );
        stand_in(&bin, "sbatch", &log);
        let o = run_script(
            "slurm/submit.sh",
            &[kind],
            &at,
            &bin,
            &[("RENDERED", dir.to_str().unwrap())],
        );
        assert_ok(&o, "submit.sh");
        let c = calls(&log);
        assert_eq!(c.len(), 2, "{c:?}");
        let script = |s: &str| {
            dir.join(format!("{kind}-{s}.sbatch"))
                .to_str()
                .unwrap()
                .to_string()
        };
        assert_eq!(c[0].0, ["--parsable".to_string(), script("array")]);
        // The merge waits for every task of the array: the id --parsable printed,
        // without its cluster.
        assert_eq!(
            c[1].0,
            [
                "--parsable".to_string(),
                "--dependency=afterok:1001".into(),
                script("merge")
            ]
        );
        // What was submitted is what the test rendered and ran above.
        assert_eq!(
            c[0].1.as_deref(),
            Some(rendered(&format!("slurm/{kind}-array.sbatch"), &at).as_str())
        );
        assert_eq!(
            c[1].1.as_deref(),
            Some(rendered(&format!("slurm/{kind}-merge.sbatch"), &at).as_str())
        );
        assert!(String::from_utf8_lossy(&o.stdout).contains("array job 1001, merge job 1002"));
    }
}

#[test]
fn kubernetes_submit_applies_the_merge_only_after_every_index_completed() {
    for kind in ["mirror-all", "run"] {
        let tmp = tempfile::tempdir().unwrap();
        let at = Locations {
            inputs: "s3://bucket/inputs".into(),
            output: "s3://bucket/out".into(),
            pipeline: "/tmp/project/pipelines/p.toml".into(),
        };
        let (bin, log) = (tmp.path().join("bin"), tmp.path().join("log"));
        stand_in(&bin, "kubectl", &log);
        assert_ok(
            &run_script("kubernetes/submit.sh", &[kind], &at, &bin, &[]),
            "submit.sh",
        );
        let c = calls(&log);
        assert_eq!(c.len(), 3, "{c:?}");
        assert_eq!(c[0].0, ["apply", "-f", "-"]);
        assert_eq!(
            c[0].1.as_deref(),
            Some(rendered(&format!("kubernetes/{kind}-shards.yaml"), &at).as_str())
        );
        assert_eq!(
            c[1].0,
            [
                "wait",
                "--for=condition=complete",
                "--timeout=24h",
                "job/patronage-test-shards"
            ]
        );
        assert_eq!(c[2].0, ["apply", "-f", "-"]);
        assert_eq!(
            c[2].1.as_deref(),
            Some(rendered(&format!("kubernetes/{kind}-merge.yaml"), &at).as_str())
        );

        // An index that failed fails the wait: the merge is never applied.
        let log2 = tmp.path().join("log2");
        stand_in(&bin, "kubectl", &log2);
        let o = run_script(
            "kubernetes/submit.sh",
            &[kind],
            &at,
            &bin,
            &[("FAIL_WAIT", "1")],
        );
        assert!(!o.status.success());
        assert_eq!(calls(&log2).len(), 2, "apply, wait; no merge");
    }
}

#[test]
fn render_refuses_a_template_with_a_placeholder_unset() {
    let tmp = tempfile::tempdir().unwrap();
    let at = Locations {
        inputs: "/i".into(),
        output: "/o".into(),
        pipeline: "/p.toml".into(),
    };
    let bin = tmp.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let template = "kubernetes/mirror-all-shards.yaml";
    let full = root().join("deploy").join(template);
    let o = run_script("render.sh", &[full.to_str().unwrap()], &at, &bin, &[]);
    assert_ok(&o, "render.sh");
    assert_eq!(String::from_utf8_lossy(&o.stdout), rendered(template, &at));
    let mut cmd = Command::new("bash");
    cmd.arg(root().join("deploy/render.sh")).arg(&full);
    for (k, v) in values(&at) {
        if k != "SECRET" && k != "IMAGE" {
            cmd.env(k, v);
        }
    }
    let o = cmd
        .env_remove("SECRET")
        .env_remove("IMAGE")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty(), "nothing rendered");
    assert!(stderr(&o).contains("set IMAGE SECRET"), "{}", stderr(&o));
}

// ---- the Dockerfile ----

/// The Dockerfile's instructions (continued lines joined, comments left out), each
/// as (INSTRUCTION, rest).
fn dockerfile() -> Vec<(String, String)> {
    template("Dockerfile")
        .replace("\\\n", " ")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (i, rest) = l.split_once(' ').unwrap_or((l, ""));
            (i.to_uppercase(), rest.trim().to_string())
        })
        .collect()
}

/// The numeric uid the runtime image runs as.
fn dockerfile_uid() -> u32 {
    let users: Vec<String> = dockerfile()
        .into_iter()
        .filter(|(i, _)| i == "USER")
        .map(|(_, r)| r)
        .collect();
    let last = users.last().expect("the Dockerfile sets USER");
    last.split(':')
        .next()
        .unwrap()
        .parse()
        .expect("USER is a numeric uid")
}

#[test]
fn the_dockerfile_builds_the_workspace_binary_and_runs_it_as_a_user() {
    let steps = dockerfile();
    let stages: Vec<usize> = (0..steps.len()).filter(|&i| steps[i].0 == "FROM").collect();
    assert_eq!(stages.len(), 2, "a build stage and a runtime stage");
    let (build, runtime) = (&steps[stages[0]..stages[1]], &steps[stages[1]..]);

    // The build stage: the Rust image of the workspace's rust-version.
    let cargo = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let version = cargo
        .lines()
        .find_map(|l| l.trim().strip_prefix("rust-version = "))
        .expect("Cargo.toml's rust-version")
        .trim_matches('"');
    let from = &build[0].1;
    assert!(
        from.starts_with(&format!("rust:{version}-")) && from.ends_with(" AS build"),
        "{from}: not the Rust {version} image as `build`"
    );
    // The build command names the CLI's package and its binary, locked to Cargo.lock.
    let run = build
        .iter()
        .find(|(i, r)| i == "RUN" && r.contains("cargo build"))
        .map(|(_, r)| r.clone())
        .expect("a cargo build");
    assert!(
        run.contains("cargo build --release --locked -p patronage-cli --bin patronage"),
        "{run}"
    );
    let cli = std::fs::read_to_string(root().join("crates/patronage-cli/Cargo.toml")).unwrap();
    assert!(cli.contains("name = \"patronage-cli\"") && cli.contains("name = \"patronage\""));

    // The runtime stage: Debian slim, CA certificates only, the binary from the
    // build stage, a numeric non-root user, the binary as the entrypoint.
    assert!(
        runtime[0].1.starts_with("debian:") && runtime[0].1.contains("-slim"),
        "{}",
        runtime[0].1
    );
    let installs: Vec<&String> = runtime
        .iter()
        .filter(|(i, _)| i == "RUN")
        .map(|(_, r)| r)
        .collect();
    for r in &installs {
        if let Some(at) = r.find("apt-get install") {
            let packages: Vec<&str> = r[at..]
                .split("&&")
                .next()
                .unwrap()
                .split_whitespace()
                .skip(2)
                .filter(|w| !w.starts_with('-'))
                .collect();
            assert_eq!(packages, ["ca-certificates"], "{r}");
        }
    }
    assert!(runtime.iter().any(|(i, r)| i == "COPY"
        && r == "--from=build /usr/local/bin/patronage /usr/local/bin/patronage"));
    assert!(dockerfile_uid() > 0, "the image runs as a user, not root");
    assert_eq!(
        runtime.last().map(|(i, _)| i.as_str()),
        Some("CMD"),
        "the runtime stage ends with its entrypoint and default arguments"
    );
    assert!(runtime
        .iter()
        .any(|(i, r)| i == "ENTRYPOINT" && r == "[\"/usr/local/bin/patronage\"]"));

    // The build context keeps what cargo needs: every member and the lock file.
    let ignore = std::fs::read_to_string(root().join(".dockerignore")).unwrap();
    let ignored: Vec<&str> = ignore
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    for needed in ["crates", "benches", "Cargo.toml", "Cargo.lock"] {
        assert!(
            !ignored.contains(&needed),
            ".dockerignore leaves out {needed}"
        );
    }
    assert!(ignored.contains(&"target") && ignored.contains(&".git"));
}

/// The Kubernetes pair of `kind` rendered with its inputs and output on S3 (a
/// local S3 server on 127.0.0.1, its endpoint and keys in the environment as
/// the Secret would put them): one process, then the Indexed Job's pods at
/// once and the merge Job; every object the merge wrote equals the one
/// process's.
fn kubernetes_on_s3(kind: &str) {
    use patronage_store::s3_test_server::S3TestServer;
    use patronage_store::ObjectUrl;
    let bucket = "patronage-deploy";
    let Some(server) = S3TestServer::start_or_skip(Path::new(env!("CARGO_TARGET_TMPDIR")), bucket)
    else {
        return;
    };
    let store = server.store().unwrap();
    let (tmp, local) = workspace("unused");
    for (year, _) in INPUT_FILES {
        let name = format!("BACI_HS17_Y{year}_V202401.csv");
        let bytes = std::fs::read(Path::new(&local.inputs).join(&name)).unwrap();
        let url = ObjectUrl::parse(&format!("s3://{bucket}/inputs/{name}")).unwrap();
        store.put(&url, bytes).unwrap();
    }
    let at = Locations {
        inputs: format!("s3://{bucket}/inputs"),
        output: format!("s3://{bucket}/{kind}-out"),
        pipeline: local.pipeline.clone(),
    };
    let shards = flatten(&rendered(&format!("kubernetes/{kind}-shards.yaml"), &at));
    let merge = flatten(&rendered(&format!("kubernetes/{kind}-merge.yaml"), &at));
    let (shard_line, merge_line) = (job_command(&shards), job_command(&merge));
    let mut env: Vec<(&str, String)> = server.env();
    env.push((
        "PATRONAGE_STAGING_DIR",
        tmp.path().join("staging").display().to_string(),
    ));
    let work = tmp.path().join("work");
    let single_out = format!("s3://{bucket}/{kind}-single");
    let single = single_process(&shard_line, &at.output, &single_out);
    assert_ok(
        &command(&single, &work, &env).output().unwrap(),
        "one process",
    );
    let per_shard: Vec<Vec<(&str, String)>> = (0..SHARDS)
        .map(|i| vec![("JOB_COMPLETION_INDEX", i.to_string())])
        .collect();
    fan_out_with(&shard_line, &per_shard, &merge_line, &work, &env);
    let objects = |prefix: &str| -> Vec<(String, Vec<u8>)> {
        let url = ObjectUrl::parse(&format!("s3://{bucket}/{prefix}")).unwrap();
        let mut v: Vec<(String, Vec<u8>)> = store
            .list(&url)
            .unwrap()
            .into_iter()
            .map(|o| (o.url.key[prefix.len() + 1..].to_string(), o.url))
            .filter(|(rel, _)| !rel.starts_with("shards/"))
            .map(|(rel, u)| (rel, store.get(&u).unwrap()))
            .collect();
        v.sort();
        v
    };
    let one = objects(&format!("{kind}-single"));
    assert!(
        one.len() >= 3,
        "{:?}",
        one.iter().map(|o| &o.0).collect::<Vec<_>>()
    );
    let merged = objects(&format!("{kind}-out"));
    assert_eq!(
        merged.iter().map(|o| &o.0).collect::<Vec<_>>(),
        one.iter().map(|o| &o.0).collect::<Vec<_>>()
    );
    assert!(
        merged == one,
        "the merged objects differ from one process's"
    );
    for i in 0..SHARDS {
        let url = ObjectUrl::parse(&format!(
            "s3://{bucket}/{kind}-out/shards/{i}-of-{SHARDS}/shard.json"
        ))
        .unwrap();
        assert!(store.head(&url).unwrap().is_some(), "{url} was published");
    }
}

#[test]
fn kubernetes_mirror_all_on_s3_then_merge_equal_one_process() {
    kubernetes_on_s3("mirror-all");
}

#[test]
fn kubernetes_run_on_s3_then_merge_equal_one_process() {
    kubernetes_on_s3("run");
}
