//! Where a pipeline may read and write, end to end: paths are resolved
//! physically before they are checked (a symbolic link and a `..` after it do
//! not lead out), a glob walks only inside the root and reads each physical
//! file once, the state folder follows no link, and only the operator lifts the
//! limit (`--allow-outside-paths`), never the pipeline file. Every test builds
//! its own project in a temporary folder:
//!
//! ```text
//! <tmp>/project/pipelines/p.toml
//! <tmp>/project/fixtures/itc.tsv      the ITC Russia-DPRK figures (6 rows)
//! ```

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common::*;
use polars::prelude::*;

const ITC: &str = "fixtures/comtrade/rus_prk_itc_annual.tsv";

/// The project under `tmp`, with the ITC fixture at `fixtures/<name>`; returns
/// the project folder.
fn project(tmp: &Path, name: &str) -> PathBuf {
    let project = tmp.join("project");
    std::fs::create_dir_all(project.join("pipelines")).unwrap();
    let file = project.join("fixtures").join(name);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::copy(root().join(ITC), file).unwrap();
    project
}

/// `pipelines/p.toml` with the `head` lines and one ITC source reading `path`.
fn write_pipeline(project: &Path, head: &str, path: &str) -> PathBuf {
    let p = project.join("pipelines/p.toml");
    std::fs::write(
        &p,
        format!(
            "{head}name = \"p\"\nfocus = \"PRK\"\n\n[[sources]]\nid = \"itc\"\n\
             format = \"comtrade_v1_bulk\"\npath = \"{path}\"\n"
        ),
    )
    .unwrap();
    p
}

fn code(o: &Output) -> Option<i32> {
    o.status.code()
}

/// `run` and `plan` of `p` into `out` both fail (exit 2) with `message`.
fn refused_by_run_and_plan(p: &Path, out: &Path, message: &str) {
    for command in ["run", "plan"] {
        let o = patronage(
            &[command, p.to_str().unwrap(), "--out", out.to_str().unwrap()],
            &[],
        );
        let e = stderr(&o);
        assert_eq!(code(&o), Some(2), "{command}: {e}");
        assert!(e.contains(message), "{command}: {e}");
    }
}

/// `fixtures/sym` links to `<tmp>/o/a/b`, outside the project. The text
/// `../fixtures/sym/../pwned` reads as `../fixtures/pwned`, inside; the system
/// resolves it to `<tmp>/o/a/pwned`, where the tables used to be written (exit
/// 0). It is refused, and nothing is created there.
#[cfg(unix)]
#[test]
fn output_through_symlink_and_dotdot_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let project = project(tmp.path(), "itc.tsv");
    std::fs::create_dir_all(tmp.path().join("o/a/b")).unwrap();
    std::os::unix::fs::symlink(tmp.path().join("o/a/b"), project.join("fixtures/sym")).unwrap();
    let p = write_pipeline(
        &project,
        "output = \"../fixtures/sym/../pwned\"\n",
        "../fixtures/itc.tsv",
    );
    let o = patronage(&["run", p.to_str().unwrap()], &[]);
    let e = stderr(&o);
    assert_eq!(code(&o), Some(2), "{e}");
    let real = tmp.path().canonicalize().unwrap().join("o/a/pwned");
    assert!(
        e.contains("p.toml:1: output: `")
            && e.contains(&format!(
                "../fixtures/sym/../pwned` (it leads to {}) is outside the pipeline's root",
                real.display()
            )),
        "{e}"
    );
    assert!(!tmp.path().join("o/a/pwned").exists());
}

/// A state folder `<out>/.patronage` that is a symbolic link sent the stage
/// cache, the lock and the run log wherever it pointed. `run` and `plan` refuse
/// it before writing or reading anything there.
#[cfg(unix)]
#[test]
fn a_symlinked_state_folder_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let project = project(tmp.path(), "itc.tsv");
    let p = write_pipeline(&project, "", "../fixtures/itc.tsv");
    let out = tmp.path().join("out");
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, out.join(".patronage")).unwrap();
    let message = format!(
        "`{}` is a symbolic link to `{}`",
        out.join(".patronage").display(),
        elsewhere.display()
    );
    refused_by_run_and_plan(&p, &out, &message);
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
    assert!(!out.join("manifest.json").exists());
}

/// `path = "/**/*"` walked the whole machine (5 minutes, 12.9 GB, in `run` and
/// in `plan`). The walk starts at `/`, outside the root, so it is refused before
/// a folder is read.
#[test]
fn a_glob_from_the_file_system_root_is_refused_before_walking() {
    let tmp = tempfile::tempdir().unwrap();
    let project = project(tmp.path(), "itc.tsv");
    let p = write_pipeline(&project, "", "/**/*");
    let out = tmp.path().join("out");
    refused_by_run_and_plan(
        &p,
        &out,
        "p.toml:7: source `itc`: `/**/*` walks a folder outside the root: `/` is outside the \
         pipeline's root",
    );
}

/// `root = "/"` or `allow_outside_paths = true` in the file lifted the file's
/// own limit. Both are refused at their line, naming the operator's flag; the
/// flag, on every command that loads a pipeline, lets it read outside.
#[test]
fn a_pipeline_file_cannot_lift_its_own_path_limit() {
    let tmp = tempfile::tempdir().unwrap();
    let project = project(tmp.path(), "itc.tsv");
    std::fs::copy(root().join(ITC), tmp.path().join("outside.tsv")).unwrap();
    for (head, message) in [
        (
            "root = \"/\"\n",
            "p.toml:1: root `/` is outside the project",
        ),
        (
            "allow_outside_paths = true\n",
            "p.toml:1: `allow_outside_paths = true` is refused",
        ),
    ] {
        let p = write_pipeline(&project, head, "../../outside.tsv");
        let o = run_pipeline(&p, &tmp.path().join("out"), &[]);
        let e = stderr(&o);
        assert_eq!(code(&o), Some(2), "{e}");
        assert!(e.contains(message), "{e}");
        assert!(e.contains("runs it with --allow-outside-paths"), "{e}");
    }
    // `allow_outside_paths = false` says what the default is: harmless.
    let p = write_pipeline(
        &project,
        "allow_outside_paths = false\noutput = \"../out\"\n",
        "../../outside.tsv",
    );
    let pipeline = p.to_str().unwrap();
    for command in ["run", "plan", "claims", "report", "verify"] {
        let refused = patronage(&[command, pipeline], &[]);
        let e = stderr(&refused);
        assert_eq!(code(&refused), Some(2), "{command}: {e}");
        assert!(
            e.contains("p.toml:9: source `itc`: `") && e.contains("is outside the pipeline's root"),
            "{command}: {e}"
        );
        let allowed = patronage(&[command, pipeline, "--allow-outside-paths"], &[]);
        assert_eq!(code(&allowed), Some(0), "{command}: {}", stderr(&allowed));
    }
    // The run read the file outside: 6 rows.
    assert_eq!(
        manifest(&project.join("out"))["inputs"][0]["rows"]["read"],
        6
    );
}

/// `ln -s .. fixtures/lp/up` made `../fixtures/lp/**/a.tsv` match the same file
/// 41 times (`lp/a.tsv`, `lp/up/lp/a.tsv`, ...), and the run read its 6 rows 41
/// times with every check passing. The folder is walked once, the file read
/// once, and the user is told which path was the same folder.
#[cfg(unix)]
#[test]
fn a_symlink_loop_reads_each_file_once() {
    let tmp = tempfile::tempdir().unwrap();
    let project = project(tmp.path(), "lp/a.tsv");
    std::os::unix::fs::symlink("..", project.join("fixtures/lp/up")).unwrap();
    let p = write_pipeline(&project, "", "../fixtures/lp/**/a.tsv");
    let out = tmp.path().join("out");
    let o = run_pipeline(&p, &out, &["-q"]);
    let e = stderr(&o);
    assert_eq!(code(&o), Some(0), "{e}");
    assert_eq!(
        e,
        "note: source `itc`: folder `../fixtures/lp/up/lp` is `../fixtures/lp` (walked once)\n"
    );
    let inputs = manifest(&out)["inputs"].as_array().unwrap().clone();
    assert_eq!(inputs.len(), 1);
    assert_eq!(inputs[0]["file"], "../fixtures/lp/a.tsv");
    assert_eq!(inputs[0]["rows"]["read"], 6);
    // Russia's exports and imports with the DPRK in 2014, 2015 and 2019 (ITC):
    // 71.77 + 13.00 + 77.50 + 5.72 + 44.90 + 3.00 = 215.89 million dollars, once.
    let flows = table(&out, "trade_flows");
    assert_eq!(flows.height(), 6);
    let total = flows
        .column("value_usd")
        .unwrap()
        .f64()
        .unwrap()
        .sum()
        .unwrap();
    assert_eq!((total / 1e4).round() as i64, 21_589);
}

/// A hard link gives one file two names: two sources with the same format and
/// options reading it would count its rows twice, so the second is refused.
#[cfg(unix)]
#[test]
fn the_same_file_in_two_identical_sources_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let project = project(tmp.path(), "a.tsv");
    std::fs::hard_link(
        project.join("fixtures/a.tsv"),
        project.join("fixtures/b.tsv"),
    )
    .unwrap();
    let p = write_pipeline(&project, "", "../fixtures/a.tsv");
    let mut text = std::fs::read_to_string(&p).unwrap();
    text.push_str(
        "\n[[sources]]\nid = \"itc_again\"\nformat = \"comtrade_v1_bulk\"\npath = \"../fixtures/b.tsv\"\n",
    );
    std::fs::write(&p, text).unwrap();
    let o = run_pipeline(&p, &tmp.path().join("out"), &[]);
    let e = stderr(&o);
    assert_eq!(code(&o), Some(2), "{e}");
    assert!(
        e.contains(
            "p.toml:12: source `itc_again`: `../fixtures/b.tsv` is the file source `itc` already \
             reads (as `../fixtures/a.tsv`), with the same format and options"
        ),
        "{e}"
    );
}

/// A folder or a symbolic link to nothing as a source said only "matches no
/// file"; the error says what the path is.
#[cfg(unix)]
#[test]
fn a_source_that_is_not_a_file_says_what_it_is() {
    let tmp = tempfile::tempdir().unwrap();
    let project = project(tmp.path(), "itc.tsv");
    std::os::unix::fs::symlink(
        tmp.path().join("gone.tsv"),
        project.join("fixtures/gone.tsv"),
    )
    .unwrap();
    for (path, message) in [
        ("../fixtures", "`../fixtures` matches no file (looked in "),
        ("../fixtures", "): `../fixtures` is a folder, not a file"),
        (
            "../fixtures/gone.tsv",
            "source `itc`: `../fixtures/gone.tsv` is a symbolic link to `",
        ),
        ("../fixtures/gone.tsv", "gone.tsv`, which does not exist"),
    ] {
        let p = write_pipeline(&project, "", path);
        let o = run_pipeline(&p, &tmp.path().join("out"), &[]);
        let e = stderr(&o);
        assert_eq!(code(&o), Some(2), "{e}");
        assert!(e.contains(message), "{path}: {e}");
    }
}
