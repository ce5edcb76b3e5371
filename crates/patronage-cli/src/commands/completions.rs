//! `patronage completions SHELL`: print the shell's completion script for every
//! command and option on stdout, generated from the same definition as `--help`,
//! so the script cannot offer an option the program does not take.

use std::io::Write;

use anyhow::Context;
use clap_complete::Shell;

use crate::exit::Exit;

/// Arguments of `patronage completions`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell: bash, zsh, fish, powershell or elvish.
    shell: Shell,
}

/// Print the completion script of `command` for the shell.
pub fn execute(args: Args, mut command: clap::Command) -> anyhow::Result<Exit> {
    let name = command.get_name().to_string();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, name, &mut script);
    std::io::stdout()
        .write_all(&script)
        .context("writing the completion script")?;
    Ok(Exit::Ok)
}
