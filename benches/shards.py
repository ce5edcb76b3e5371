#!/usr/bin/env python3
"""Shards on one machine: `patronage mirror-all` in one process against the same job
split over `--shards` processes started at once (`--shard I/N`), then `patronage
merge`.

ALL DATA IS SYNTHETIC: four BACI CSVs (one a year, 2019-2022) written by `patronage
synth` from a seed (crates/patronage-bulk/src/synth.rs), the same files
e2e_release.py writes for its first three years. Only the country codes are real;
no figure means anything.

Each process is timed whole by /usr/bin/time (wall, user and system CPU, peak RSS),
files warm in the page cache; one process and the sharded job run interleaved,
`--runs` times. The sharded job's wall time runs from the start of the first
shard to the end of the merge; its CPU time is the user + system time of every
shard and of the merge. The script checks that the merged outputs are byte for
byte the one process's (every file but the shards' folders) and exits 1 if not.

The last lines are key=value pairs (medians over the runs): the one process's
wall, CPU and peak RSS; the shards' wall (first start to last end), the merge's
wall and CPU, the whole sharded job's wall and CPU, the largest shard's peak RSS,
the sum of the shards' peaks (what they hold at once on one machine) and the
merge's peak; the ratios sharded / one process of wall and CPU; `identical=1`.

Not part of any test suite. Usage (the figures are meant for a release build):
    cargo build --release -p patronage-cli
    python3 benches/shards.py --rows 10000000 [--shards 4] [--runs 3] [--bin PATH] [--data DIR]
A quick check of the script itself, with a debug binary and small files:
    python3 benches/shards.py --rows 20000 --runs 1 --bin $CARGO_TARGET_DIR/debug/patronage
"""
from __future__ import annotations

import argparse
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

DEFAULT_BIN = os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "release", "patronage")
YEARS = [2019, 2020, 2021, 2022]


class Timed:
    """A process started under /usr/bin/time; `wait()` gives its figures."""

    def __init__(self, cmd: list[str]):
        self.cmd = cmd
        self.out = tempfile.NamedTemporaryFile("r", suffix=".time")
        self.proc = subprocess.Popen(["/usr/bin/time", "-f", "%e %U %S %M", "-o", self.out.name, *cmd],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def wait(self) -> dict[str, float]:
        _, err = self.proc.communicate()
        if self.proc.returncode != 0:
            sys.exit(f"{' '.join(self.cmd[:2])} failed ({self.proc.returncode}):\n{err}")
        wall, user, sys_, kib = self.out.read().split()[-4:]
        self.out.close()
        return {"wall": float(wall), "cpu": float(user) + float(sys_), "rss": int(kib) / 1024}


def synth(bin_: str, path: pathlib.Path, rows: int, year: int) -> None:
    if not path.exists():
        print(f"writing {path} (synthetic)", flush=True)
        subprocess.run([bin_, "synth", "baci", "--rows", str(rows), "--seed", str(year),
                        "--year", str(year), "--out", str(path)], check=True)


def files(folder: pathlib.Path) -> dict[str, bytes]:
    """Every file under `folder` but the shards' folders and the state folder."""
    out = {}
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder)
        if p.is_file() and rel.parts[0] not in ("shards", ".patronage"):
            out[str(rel)] = p.read_bytes()
    return out


def one_process(bin_: str, inputs: list[str], out: pathlib.Path) -> dict[str, float]:
    return Timed([bin_, "mirror-all", *inputs, "--out", str(out), "-q"]).wait()


def sharded(bin_: str, inputs: list[str], out: pathlib.Path, n: int) -> dict[str, float]:
    start = time.monotonic()
    shards = [Timed([bin_, "mirror-all", *inputs, "--out", str(out), "--shard", f"{i}/{n}", "-q"])
              for i in range(n)]
    figures = [s.wait() for s in shards]
    shards_wall = time.monotonic() - start
    merge = Timed([bin_, "merge", str(out)]).wait()
    return {
        "shards_wall": shards_wall,
        "merge_wall": merge["wall"],
        "wall": time.monotonic() - start,
        "cpu": sum(f["cpu"] for f in figures) + merge["cpu"],
        "merge_cpu": merge["cpu"],
        "shard_rss_max": max(f["rss"] for f in figures),
        "shard_rss_sum": sum(f["rss"] for f in figures),
        "merge_rss": merge["rss"],
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=10_000_000, help="rows per BACI year")
    ap.add_argument("--shards", type=int, default=4)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--bin", default=DEFAULT_BIN)
    ap.add_argument("--data", default="/var/tmp/perf-data", help="where inputs are written")
    args = ap.parse_args()
    if not os.path.exists(args.bin):
        sys.exit(f"{args.bin} not found: build it first (see the usage above)")

    release = pathlib.Path(args.data) / f"release_{args.rows}"
    release.mkdir(parents=True, exist_ok=True)
    baci = [release / f"BACI_HS17_Y{y}_V202401.csv" for y in YEARS]
    for y, path in zip(YEARS, baci):
        synth(args.bin, path, args.rows, y)
    for p in baci:  # page cache warm for every run alike
        subprocess.run(["cat", str(p)], stdout=subprocess.DEVNULL, check=True)
    inputs = [a for p in baci for a in ("--baci", str(p))]
    size = sum(p.stat().st_size for p in baci)

    work = pathlib.Path(tempfile.mkdtemp(prefix="shards_", dir=release))
    try:
        single: list[dict[str, float]] = []
        fanned: list[dict[str, float]] = []
        ok = True
        for run in range(args.runs):
            one_out, many_out = work / f"one{run}", work / f"many{run}"
            single.append(one_process(args.bin, inputs, one_out))
            fanned.append(sharded(args.bin, inputs, many_out, args.shards))
            s, f = single[-1], fanned[-1]
            same = files(one_out) == files(many_out)
            ok &= same and bool(files(one_out))
            print(f"run {run + 1}: one process {s['wall']:7.2f} s wall {s['cpu']:7.2f} s CPU "
                  f"{s['rss']:6.0f} MiB | {args.shards} shards {f['shards_wall']:7.2f} s + merge "
                  f"{f['merge_wall']:6.2f} s ({f['merge_cpu']:.2f} s CPU) = {f['wall']:7.2f} s wall "
                  f"{f['cpu']:7.2f} s CPU, "
                  f"largest shard {f['shard_rss_max']:6.0f} MiB, merge {f['merge_rss']:6.0f} MiB; "
                  f"{'identical bytes' if same else 'OUTPUTS DIFFER'}", flush=True)
            shutil.rmtree(one_out)
            shutil.rmtree(many_out)
        med = lambda runs, k: statistics.median(r[k] for r in runs)
        print(f"input: {len(baci)} x {args.rows:,} rows (synthetic BACI), {size / 1e6:,.0f} MB; "
              f"{args.shards} shards; {args.runs} runs, medians:")
        if not ok:
            print("the merged outputs differ from one process's", file=sys.stderr)
            return 1
        figures = {
            "single_wall_s": med(single, "wall"),
            "single_cpu_s": med(single, "cpu"),
            "single_peak_rss_mb": med(single, "rss"),
            "shards_wall_s": med(fanned, "shards_wall"),
            "merge_wall_s": med(fanned, "merge_wall"),
            "sharded_wall_s": med(fanned, "wall"),
            "sharded_cpu_s": med(fanned, "cpu"),
            "merge_cpu_s": med(fanned, "merge_cpu"),
            "shard_peak_rss_mb": med(fanned, "shard_rss_max"),
            "shards_rss_sum_mb": med(fanned, "shard_rss_sum"),
            "merge_peak_rss_mb": med(fanned, "merge_rss"),
        }
        for k, v in figures.items():
            print(f"{k}={v:.2f}" if k.endswith("_s") else f"{k}={v:.0f}")
        print(f"wall_ratio={figures['sharded_wall_s'] / figures['single_wall_s']:.3f}")
        print(f"cpu_ratio={figures['sharded_cpu_s'] / figures['single_cpu_s']:.3f}")
        print("identical=1")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
