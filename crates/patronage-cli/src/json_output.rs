//! What a command prints on stdout when it is given `--json`: its result as
//! JSON and, when it fails, exactly one JSON object and nothing else on stdout,
//! so a scheduler or a notebook reads one format whatever happened. The error
//! object is built here, once, for every command (`{"error": message,
//! "exit_code": n, "exit": meaning}`, the meaning being the exit code's name
//! from [`Exit`]); a command that takes `--json` says so in
//! `Command::json` in `main.rs` and gets it without code of its own.

use serde_json::{json, Value};

use crate::exit::Exit;

/// The one object a command given `--json` prints on stdout when it fails.
pub fn error_object(exit: Exit, message: &str) -> Value {
    json!({
        "error": message,
        "exit_code": exit.code(),
        "exit": exit.name(),
    })
}

/// Print `value` as one line of JSON on stdout.
pub fn print(value: &Value) {
    println!("{value}");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The error object carries the message, the number and its meaning, and
    /// prints as one line.
    #[test]
    fn error_object_names_the_exit_code_and_its_meaning() {
        let v = error_object(Exit::Error, "p.toml:3:1: unknown key \"sorces\"");
        assert_eq!(v["error"], "p.toml:3:1: unknown key \"sorces\"");
        assert_eq!(v["exit_code"], 2);
        assert_eq!(v["exit"], "error");
        assert!(!v.to_string().contains('\n'));
        assert_eq!(
            error_object(Exit::ChecksFailed, "x")["exit"],
            "data checks failed"
        );
    }
}
