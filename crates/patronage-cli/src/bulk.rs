//! `patronage synth` and `patronage mirror-all`: full-scale inputs for
//! benchmarks (SYNTHETIC) and the streaming mirror over every country.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};
use patronage_bulk::mirror_all::{run_mirror_all, BulkFormat, BulkInput};
use patronage_bulk::synth;

/// Which layout `synth` writes.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SynthLayout {
    /// CEPII BACI CSV (`t,i,j,k,v,q`).
    Baci,
    /// UN Comtrade v1 bulk final TSV, monthly, HS6, CRLF.
    ComtradeBulk,
}

/// Write a SYNTHETIC input file in a real layout, for benchmarks and tests.
#[derive(Debug, Args)]
pub struct SynthArgs {
    /// Layout to write.
    #[arg(value_enum)]
    layout: SynthLayout,
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

/// Fold full-size trade files and write mirror totals for every country as focus.
#[derive(Debug, Args)]
pub struct MirrorAllArgs {
    /// A BACI CSV (repeatable).
    #[arg(long)]
    baci: Vec<PathBuf>,
    /// A Comtrade v1 bulk final TSV (repeatable).
    #[arg(long)]
    comtrade_bulk: Vec<PathBuf>,
    /// Output folder: mirror_all.parquet, rejects.parquet, mirror_all_report.json.
    #[arg(long)]
    out: PathBuf,
    /// Print nothing on success.
    #[arg(long, short)]
    quiet: bool,
    /// Do not hash the inputs (SHA-256 as they are read, about 2 GB/s of one
    /// core): mirror_all_report.json then names them by path and size only.
    #[arg(long)]
    no_hash: bool,
}

/// Run `synth`.
pub fn synth(a: SynthArgs) -> anyhow::Result<()> {
    let file = std::fs::File::create(&a.out)
        .with_context(|| format!("{}: cannot create", a.out.display()))?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
    match a.layout {
        SynthLayout::Baci => synth::write_baci(&mut w, a.rows, a.seed, a.year),
        SynthLayout::ComtradeBulk => synth::write_comtrade_bulk(&mut w, a.rows, a.seed, a.year),
    }
    .and_then(|()| w.flush())
    .with_context(|| format!("{}: cannot write", a.out.display()))?;
    Ok(())
}

/// Run `mirror-all`.
pub fn mirror_all(a: MirrorAllArgs) -> anyhow::Result<()> {
    let inputs: Vec<BulkInput> = a
        .baci
        .into_iter()
        .map(|path| BulkInput {
            format: BulkFormat::Baci,
            path,
        })
        .chain(a.comtrade_bulk.into_iter().map(|path| BulkInput {
            format: BulkFormat::ComtradeV1Bulk,
            path,
        }))
        .collect();
    anyhow::ensure!(
        !inputs.is_empty(),
        "give at least one --baci or --comtrade-bulk file"
    );
    let report = run_mirror_all(&inputs, &a.out, !a.no_hash)?;
    if !a.quiet {
        for s in &report.inputs {
            let dropped: u64 = s.dropped.values().sum();
            println!(
                "  {} {}: {} read = {} kept + {} dropped + {} rejected -> {} totals",
                s.format, s.file, s.read, s.kept, dropped, s.rejected, s.totals
            );
            for (reason, n) in &s.dropped {
                println!("      dropped {n:>10}  {reason}");
            }
        }
        println!(
            "  mirror_all {} rows, rejects {} rows -> {}",
            report.mirror_rows,
            report.rejects,
            a.out.display()
        );
    }
    Ok(())
}
