//! Shell integration: `patronage completions` prints a script the shell
//! accepts that offers every command, and `patronage man` a page that renders
//! and lists every command and the exit codes.

use std::process::{Command, Stdio};

use crate::common::*;

/// Every command `patronage --help` lists.
const COMMANDS: [&str; 10] = [
    "run",
    "plan",
    "verify",
    "claims",
    "report",
    "schema",
    "synth",
    "mirror-all",
    "completions",
    "man",
];

fn stdout_of(args: &[&str]) -> String {
    let o = patronage(args, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn help_lists_the_commands_the_scripts_offer() {
    let help = stdout_of(&["--help"]);
    for c in COMMANDS {
        assert!(help.contains(&format!("\n  {c} ")), "{c}: {help}");
    }
}

#[test]
fn bash_completion_script_parses_and_offers_every_command() {
    let script = stdout_of(&["completions", "bash"]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("patronage.bash");
    std::fs::write(&path, &script).unwrap();
    let o = Command::new("bash").arg("-n").arg(&path).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // Loaded into bash, completing `patronage ` offers every command, and
    // `patronage verify --` the verify options.
    let complete = |line: &str| {
        let words: Vec<&str> = line.split(' ').collect();
        let program = format!(
            "source {}; COMP_WORDS=({}); COMP_CWORD={}; COMP_LINE='{line}'; COMP_POINT=${{#COMP_LINE}}; _patronage patronage '{}' '{}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            path.display(),
            words.iter().map(|w| format!("'{w}'")).collect::<Vec<_>>().join(" "),
            words.len() - 1,
            words[words.len() - 1],
            words[words.len() - 2],
        );
        let o = Command::new("bash")
            .arg("-c")
            .arg(program)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap()
    };
    let offered = complete("patronage ");
    for c in COMMANDS {
        assert!(
            offered.lines().any(|l| l == c),
            "{c} not offered:\n{offered}"
        );
    }
    let offered = complete("patronage verify --");
    for option in ["--json", "--out", "--allow-outside-paths"] {
        assert!(offered.lines().any(|l| l == option), "{option}:\n{offered}");
    }
}

#[test]
fn other_shells_get_their_own_script() {
    assert!(stdout_of(&["completions", "zsh"]).starts_with("#compdef patronage"));
    assert!(stdout_of(&["completions", "fish"]).contains("complete -c patronage"));
    assert!(stdout_of(&["completions", "powershell"]).contains("Register-ArgumentCompleter"));
    let o = patronage(&["completions", "tcsh"], &[]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn man_page_renders_with_every_command_and_the_exit_codes() {
    let page = stdout_of(&["man"]);
    assert!(
        page.contains(".TH patronage 1"),
        "{}",
        &page[..200.min(page.len())]
    );
    let Ok(mut groff) = Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-P-cbou"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    else {
        eprintln!("skipped rendering: groff is not installed (apt-get install groff-base)");
        return;
    };
    use std::io::Write;
    groff
        .stdin
        .take()
        .unwrap()
        .write_all(page.as_bytes())
        .unwrap();
    let o = groff.wait_with_output().unwrap();
    assert!(o.status.success());
    assert_eq!(String::from_utf8_lossy(&o.stderr), "", "groff warnings");
    let text = String::from_utf8(o.stdout).unwrap();
    for section in ["NAME", "SYNOPSIS", "SUBCOMMANDS", "Exit codes:"] {
        assert!(text.contains(section), "{section}:\n{text}");
    }
    for c in COMMANDS {
        assert!(text.contains(&format!("patronage-{c}(1)")), "{c}:\n{text}");
    }
}

#[test]
fn man_out_dir_writes_a_page_per_command() {
    let dir = tempfile::tempdir().unwrap();
    let o = patronage(&["man", "--out-dir", dir.path().to_str().unwrap()], &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for c in COMMANDS {
        let page = std::fs::read_to_string(dir.path().join(format!("patronage-{c}.1"))).unwrap();
        assert!(page.contains(&format!(".TH patronage-{c} 1")), "{c}");
    }
    assert!(dir.path().join("patronage.1").exists());
}
