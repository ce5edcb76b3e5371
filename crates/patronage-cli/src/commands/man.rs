//! `patronage man`: the man page (roff), generated from the same definition as
//! `--help`, so it lists every command and option the program takes and the
//! exit codes. On stdout by default (`patronage man > patronage.1 && man
//! ./patronage.1`); with `--out-dir DIR`, one page per command written there
//! (`patronage.1`, `patronage-run.1`, ...), as packagers install them.

use std::path::PathBuf;

use anyhow::Context;

use crate::exit::Exit;

/// Arguments of `patronage man`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Write one page per command into this folder instead of the main page on
    /// stdout.
    #[arg(long)]
    out_dir: Option<PathBuf>,
}

/// Render the page(s) of `command`.
pub fn execute(args: Args, command: clap::Command) -> anyhow::Result<Exit> {
    match args.out_dir {
        Some(dir) => clap_mangen::generate_to(command, &dir)
            .with_context(|| format!("{}: cannot write the man pages", dir.display()))?,
        None => clap_mangen::Man::new(command)
            .render(&mut std::io::stdout())
            .context("writing the man page")?,
    }
    Ok(Exit::Ok)
}
