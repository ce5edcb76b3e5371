//! `patronage schema`: print the data dictionary (every table and column) on
//! stdout, in Markdown or JSON; reads no pipeline and writes no file.

use patronage_tables::dictionary::{self, markdown};

use crate::exit::Exit;

/// Arguments of `patronage schema`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// JSON instead of Markdown.
    #[arg(long)]
    pub json: bool,
}

/// Print the dictionary.
pub fn execute(args: Args) -> anyhow::Result<Exit> {
    if args.json {
        print!("{}", dictionary::json());
    } else {
        print!("{}", markdown());
    }
    Ok(Exit::Ok)
}
