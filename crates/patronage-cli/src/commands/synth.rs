//! `patronage synth`: write a SYNTHETIC input file in a real layout (BACI CSV or
//! Comtrade v1 bulk TSV) of any size, for benchmarks and tests; the same seed
//! and row count give the same bytes.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::ValueEnum;
use patronage_bulk::synth::{write_baci, write_comtrade_bulk};

use crate::exit::Exit;

/// Which layout `synth` writes.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Layout {
    /// CEPII BACI CSV (`t,i,j,k,v,q`).
    Baci,
    /// UN Comtrade v1 bulk final TSV, monthly, HS6, CRLF.
    ComtradeBulk,
}

/// Write a SYNTHETIC input file in a real layout, for benchmarks and tests.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Layout to write.
    #[arg(value_enum)]
    layout: Layout,
    /// Data rows to write (besides the header).
    #[arg(long)]
    rows: u64,
    /// Generator seed: the same seed and rows give the same bytes.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// First year of the rows.
    #[arg(long, default_value_t = 2020)]
    year: i32,
    /// Output file (name it so it says synthetic).
    #[arg(long)]
    out: PathBuf,
}

/// Write the file.
pub fn execute(a: Args) -> anyhow::Result<Exit> {
    let file = std::fs::File::create(&a.out)
        .with_context(|| format!("{}: cannot create", a.out.display()))?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
    match a.layout {
        Layout::Baci => write_baci(&mut w, a.rows, a.seed, a.year),
        Layout::ComtradeBulk => write_comtrade_bulk(&mut w, a.rows, a.seed, a.year),
    }
    .and_then(|()| w.flush())
    .with_context(|| format!("{}: cannot write", a.out.display()))?;
    Ok(Exit::Ok)
}
