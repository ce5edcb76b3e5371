//! `patronage mirror-all`: fold full-size BACI and Comtrade bulk files, streaming,
//! into mirror totals for every country as focus (mirror_all.parquet,
//! rejects.parquet, mirror_all_report.json), and print each input's row
//! accounting (read = kept + dropped + rejected) unless `--quiet`; with
//! `--json`, what `mirror_all_report.json` holds as one JSON object on stdout.
//! With `--shard I/N` (or `--shard-count N`, the index from the environment),
//! only that shard's inputs, into `OUT/shards/I-of-N/` with its `shard.json`
//! last, for `patronage merge OUT`.

use std::path::PathBuf;

use patronage_bulk::mirror_all::{run_mirror_all_partitioned, BulkInput};
use patronage_bulk::shard::{input_size, run_shard};

use super::output::Output;
use super::shard_args::ShardArgs;
use crate::exit::Exit;
use crate::json_output;

/// Fold full-size trade files and write mirror totals for every country as focus.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A BACI CSV (repeatable): a file, a `.gz` file, a `.zip` member
    /// (`release.zip/BACI_HS17_Y2021_V202401.csv`), or an object URL (`s3://`,
    /// `gs://`, `az://`, `https://`; a wildcard in its last part names every
    /// object the store lists for it), read as a stream.
    #[arg(long)]
    baci: Vec<PathBuf>,
    /// A Comtrade v1 bulk final TSV (repeatable), in the same forms as --baci.
    #[arg(long)]
    comtrade_bulk: Vec<PathBuf>,
    /// Output folder, or an object-storage URL (`s3://`, `gs://`, `az://`;
    /// staged locally, then published with mirror_all_report.json last):
    /// mirror_all.parquet, rejects.parquet, mirror_all_report.json.
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
    #[command(flatten)]
    shards: ShardArgs,
    /// Print the report (as `mirror_all_report.json` holds it, with
    /// `output_dir`) as one JSON object on stdout instead of the accounting.
    #[arg(long)]
    pub json: bool,
}

/// Fold the inputs, write the outputs, print the accounting.
pub fn execute(a: Args) -> anyhow::Result<Exit> {
    let inputs = BulkInput::all(&a.baci, &a.comtrade_bulk)?;
    anyhow::ensure!(
        !inputs.is_empty(),
        "give at least one --baci or --comtrade-bulk file"
    );
    let shard = a.shards.shard()?;
    let output = Output::at(&a.out)?;
    if let Some(shard) = shard {
        let m = run_shard(
            &inputs,
            &output.dir,
            !a.no_hash,
            a.partition_by.as_deref(),
            shard,
            input_size,
        )?;
        output.publish(&shard.folder(), patronage_bulk::shard::MANIFEST)?;
        let dir = output.dir.join(shard.folder());
        if a.json {
            let mut v = serde_json::to_value(&m)?;
            if let Some(o) = v.as_object_mut() {
                o.insert("output_dir".into(), dir.display().to_string().into());
            }
            json_output::print(&v);
        } else if !a.quiet {
            for u in &m.units {
                print_account(
                    &u.format,
                    &u.file,
                    [u.read, u.kept, u.rejected, u.totals],
                    &u.dropped,
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
        run_mirror_all_partitioned(&inputs, &output.dir, !a.no_hash, a.partition_by.as_deref())?;
    output.publish("", "mirror_all_report.json")?;
    if a.json {
        let mut v = serde_json::to_value(&outcome)?;
        if let Some(o) = v.as_object_mut() {
            o.insert("output_dir".into(), output.shown().into());
        }
        json_output::print(&v);
    } else if !a.quiet {
        for s in &outcome.inputs {
            print_account(
                s.format,
                &s.file,
                [s.read, s.kept, s.rejected, s.totals],
                &s.dropped,
            );
        }
        println!(
            "  mirror_all {} rows, rejects {} rows -> {}",
            outcome.mirror_rows,
            outcome.rejects,
            output.shown()
        );
    }
    Ok(Exit::Ok)
}

/// One input's accounting: read = kept + dropped + rejected, the totals it
/// folded into, then each reason it dropped rows for.
fn print_account<K: std::fmt::Display>(
    format: &str,
    file: &str,
    [read, kept, rejected, totals]: [u64; 4],
    dropped: &std::collections::BTreeMap<K, u64>,
) {
    let n: u64 = dropped.values().sum();
    println!(
        "  {format} {file}: {read} read = {kept} kept + {n} dropped + {rejected} rejected -> {totals} totals"
    );
    for (reason, n) in dropped {
        println!("      dropped {n:>10}  {reason}");
    }
}
