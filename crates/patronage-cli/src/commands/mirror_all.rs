//! `patronage mirror-all`: fold full-size BACI and Comtrade bulk files, streaming,
//! into mirror totals for every country as focus (mirror_all.parquet,
//! rejects.parquet, mirror_all_report.json), and print each input's row
//! accounting (read = kept + dropped + rejected) unless `--quiet`; with
//! `--json`, what `mirror_all_report.json` holds as one JSON object on stdout.
//! With `--shard I/N` (or `--shard-count N`, the index from the environment),
//! only that shard's inputs, into `OUT/shards/I-of-N/` with its `shard.json`
//! last, for `patronage merge OUT`.

use std::path::PathBuf;

use patronage_bulk::mirror_all::{run_mirror_all_partitioned, BulkFormat, BulkInput};
use patronage_bulk::shard::{input_size, run_shard};
use patronage_core::shard::Shard;

use crate::exit::Exit;
use crate::json_output;

/// Fold full-size trade files and write mirror totals for every country as focus.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A BACI CSV (repeatable).
    #[arg(long)]
    baci: Vec<PathBuf>,
    /// A Comtrade v1 bulk final TSV (repeatable).
    #[arg(long)]
    comtrade_bulk: Vec<PathBuf>,
    /// Output folder: mirror_all.parquet, rejects.parquet, mirror_all_report.json.
    #[arg(long)]
    out: PathBuf,
    /// Write `mirror_all` as Hive partitions by this column (`year`:
    /// mirror_all/year=2019/part-0.parquet), each part in the report.
    #[arg(long, value_parser = ["year"])]
    partition_by: Option<String>,
    /// Print nothing on success.
    #[arg(long, short)]
    quiet: bool,
    /// Do not hash the inputs (SHA-256 as they are read, about 2 GB/s of one
    /// core): mirror_all_report.json then names them by path and size only.
    #[arg(long)]
    no_hash: bool,
    /// Fold only shard I of N (0-based) of the inputs, into OUT/shards/I-of-N/
    /// with its shard.json; `patronage merge OUT` writes the job's outputs once
    /// every shard is there. Inputs go to shards by their byte size, the same
    /// way in every process.
    #[arg(long, conflicts_with = "shard_count")]
    shard: Option<Shard>,
    /// Fold one shard of N, its index from the environment:
    /// JOB_COMPLETION_INDEX (a Kubernetes Indexed Job), else SLURM_ARRAY_TASK_ID
    /// less SLURM_ARRAY_TASK_MIN (a Slurm job array).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    shard_count: Option<u32>,
    /// Print the report (as `mirror_all_report.json` holds it, with
    /// `output_dir`) as one JSON object on stdout instead of the accounting.
    #[arg(long)]
    pub json: bool,
}

/// Fold the inputs, write the outputs, print the accounting.
pub fn execute(a: Args) -> anyhow::Result<Exit> {
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
    let shard = match (a.shard, a.shard_count) {
        (Some(s), _) => Some(s),
        (None, Some(n)) => Some(Shard::from_env(n, |k| std::env::var(k).ok())?),
        (None, None) => None,
    };
    if let Some(shard) = shard {
        let m = run_shard(
            &inputs,
            &a.out,
            !a.no_hash,
            a.partition_by.as_deref(),
            shard,
            input_size,
        )?;
        let dir = a.out.join(shard.folder());
        if a.json {
            let mut v = serde_json::to_value(&m)?;
            if let Some(o) = v.as_object_mut() {
                o.insert("output_dir".into(), dir.display().to_string().into());
            }
            json_output::print(&v);
        } else if !a.quiet {
            for u in &m.units {
                let dropped: u64 = u.dropped.values().sum();
                println!(
                    "  {} {}: {} read = {} kept + {} dropped + {} rejected -> {} totals",
                    u.format, u.file, u.read, u.kept, dropped, u.rejected, u.totals
                );
            }
            println!(
                "  shard {shard}: {} of {} inputs -> {}",
                m.units.len(),
                inputs.len(),
                dir.display()
            );
        }
        return Ok(Exit::Ok);
    }
    let outcome =
        run_mirror_all_partitioned(&inputs, &a.out, !a.no_hash, a.partition_by.as_deref())?;
    if a.json {
        let mut v = serde_json::to_value(&outcome)?;
        if let Some(o) = v.as_object_mut() {
            o.insert("output_dir".into(), a.out.display().to_string().into());
        }
        json_output::print(&v);
    } else if !a.quiet {
        for s in &outcome.inputs {
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
            outcome.mirror_rows,
            outcome.rejects,
            a.out.display()
        );
    }
    Ok(Exit::Ok)
}
