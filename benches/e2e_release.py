#!/usr/bin/env python3
"""Whole releases through `patronage run`, against `patronage mirror-all` on the
same files.

ALL DATA IS SYNTHETIC: BACI CSVs (one per year) and Comtrade v1 bulk final TSVs
written by `patronage synth` from a seed (crates/patronage-bulk/src/synth.rs).
Only the country codes are real; no figure means anything.

Four runs, each its own process timed whole by /usr/bin/time (wall, peak RSS),
files warm in the page cache:
  1. focus: a BACI-only pipeline over a three-year release (`--years` files of
     `--rows` rows), `scope = "focus"`, `focus = --focus` (PRK), and
     `patronage mirror-all` on the same files, interleaved, `--runs` times. The
     script checks that `mirror_trade` (annual rows) holds exactly the figures
     `mirror_all` gives for the focus (every partner and year, both directions,
     to the thousandth of a dollar) and exits 1 if not.
  2. all: the same release with `scope = "all"` and `partition_by = ["year"]`:
     every row in `trade_flows/year=N/part-0.parquet` (checked against the
     manifest's row counts); wall time and peak RSS.
  3. bulk: a Comtrade bulk file of `--rows` and one of `--rows / 10` rows, each
     through `scope = "focus"`: the ratio of their peak RSS (flat memory means a
     ratio near 1).

The last line is `run_vs_mirror_all=<run / mirror-all, median wall of run 1>
peak_rss_mb=<patronage run's median peak RSS in run 1>`.

Not part of any test suite. Usage (the figures are meant for a release build):
    cargo build --release -p patronage-cli
    python3 benches/e2e_release.py --rows 10000000 [--runs 3] [--bin PATH] [--data DIR]
A quick check of the script itself, with a debug binary and small files:
    python3 benches/e2e_release.py --rows 20000 --runs 1 --bin $CARGO_TARGET_DIR/debug/patronage
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile

DEFAULT_BIN = os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "release", "patronage")
FIRST_YEAR = 2019


def timed(cmd: list[str]) -> tuple[float, float]:
    """Run `cmd` under /usr/bin/time; (wall seconds, peak RSS MiB)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as t:
        r = subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", t.name, *cmd],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            sys.exit(f"{cmd[0]} {cmd[1]} failed ({r.returncode}):\n{r.stderr}")
        wall, kib = open(t.name).read().split()[-2:]
        return float(wall), int(kib) / 1024


def synth(bin_: str, layout: str, path: pathlib.Path, rows: int, seed: int, year: int) -> None:
    if not path.exists():
        print(f"writing {path} (synthetic)", flush=True)
        subprocess.run([bin_, "synth", layout, "--rows", str(rows), "--seed", str(seed),
                        "--year", str(year), "--out", str(path)], check=True)


def pipeline(folder: pathlib.Path, name: str, focus: str, sources: str, extra: str = "") -> pathlib.Path:
    p = folder / f"{name}.toml"
    p.write_text(f'name = "{name}"\nfocus = "{focus}"\n{extra}\n{sources}')
    return p


def same_figures(mirror_trade: pathlib.Path, mirror_all: pathlib.Path, focus: str) -> bool:
    import polars as pl
    ours = (pl.read_parquet(mirror_trade)
            .filter((pl.col("month_first") == 1) & (pl.col("month_last") == 12))
            .select("partner_iso3", "year",
                    (pl.col("focus_exports_usd") * 1000).round().cast(pl.Int64).alias("x"),
                    (pl.col("focus_imports_usd") * 1000).round().cast(pl.Int64).alias("m"))
            .sort("partner_iso3", "year"))
    theirs = (pl.read_parquet(mirror_all)
              .filter(pl.col("focus_iso3") == focus)
              .select("partner_iso3", "year",
                      pl.col("focus_exports_mills").alias("x"),
                      pl.col("focus_imports_mills").alias("m"))
              .sort("partner_iso3", "year"))
    same = ours.height > 0 and ours.equals(theirs)
    print(f"check: mirror_trade {ours.height} rows, mirror_all {theirs.height} rows for {focus}: "
          f"{'same figures' if same else 'DIFFERENT'}")
    return same


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=10_000_000, help="rows per BACI year and bulk file")
    ap.add_argument("--years", type=int, default=3)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--focus", default="PRK")
    ap.add_argument("--bin", default=DEFAULT_BIN)
    ap.add_argument("--data", default="/var/tmp/perf-data", help="where inputs are written")
    ap.add_argument("--skip-all", action="store_true",
                    help="skip run 2 (scope = \"all\", partitioned: 30M rows written to disk "
                         "twice, the stage cache and the parts; about 5 GB free disk and minutes)")
    args = ap.parse_args()

    data = pathlib.Path(args.data)
    data.mkdir(parents=True, exist_ok=True)
    years = [FIRST_YEAR + i for i in range(args.years)]
    release = data / f"release_{args.rows}"
    release.mkdir(exist_ok=True)
    baci = [release / f"BACI_HS17_Y{y}_V202401.csv" for y in years]
    for y, path in zip(years, baci):
        synth(args.bin, "baci", path, args.rows, y, y)
    small_rows = max(args.rows // 10, 1)
    bulk = {n: data / f"synthetic_comtrade_bulk_{n}_seed1.tsv" for n in (small_rows, args.rows)}
    for n, path in bulk.items():
        synth(args.bin, "comtrade-bulk", path, n, 1, 2020)
    for p in [*baci, *bulk.values()]:  # page cache warm for every run alike
        subprocess.run(["cat", str(p)], stdout=subprocess.DEVNULL, check=True)

    work = pathlib.Path(tempfile.mkdtemp(prefix="e2e_release_", dir=release))
    try:
        src = lambda scope: (f'[[sources]]\nid = "baci"\nformat = "baci"\n'
                             f'path = "../BACI_HS17_Y*_V202401.csv"\nscope = "{scope}"\n')
        focus_p = pipeline(work, "release_focus", args.focus, src("focus"))
        all_p = pipeline(work, "release_all", args.focus, src("all"), 'partition_by = ["year"]')
        engines = {
            "run": lambda i: [args.bin, "run", str(focus_p), "--out", str(work / f"run{i}"), "-q"],
            "mirror-all": lambda i: [args.bin, "mirror-all", *[a for f in baci for a in ("--baci", str(f))],
                                     "--out", str(work / f"all{i}"), "-q"],
        }
        results: dict[str, list[tuple[float, float]]] = {e: [] for e in engines}
        for i in range(args.runs):
            for name, cmd in engines.items():
                wall, rss = timed(cmd(i))
                results[name].append((wall, rss))
                print(f"focus run {i + 1} {name:<10} {wall:8.2f} s {rss:8.0f} MiB", flush=True)
        ok = same_figures(work / "run0" / "mirror_trade.parquet",
                          work / "all0" / "mirror_all.parquet", args.focus)

        if args.skip_all:
            print("all: skipped (--skip-all)")
        else:
            wall_all, rss_all = timed([args.bin, "run", str(all_p), "--out", str(work / "parted"), "-q"])
            manifest = json.loads((work / "parted" / "manifest.json").read_text())
            parts = [o for o in manifest["outputs"] if o["table"] == "trade_flows"]
            kept = sum(o["rows"] for o in parts)
            ok_all = kept == args.rows * args.years and all("/" in o["file"] for o in parts)
            print(f"all: scope = \"all\", partition_by = [\"year\"]: {kept:,} rows in {len(parts)} parts "
                  f"({'every row' if ok_all else 'ROWS MISSING'}); {wall_all:.2f} s, {rss_all:.0f} MiB")
            ok &= ok_all
            shutil.rmtree(work / "parted", ignore_errors=True)

        bulk_rss = {}
        for n, path in bulk.items():
            p = pipeline(work, f"bulk_{n}", args.focus,
                         f'[[sources]]\nid = "bulk"\nformat = "comtrade_v1_bulk"\npath = "{path}"\n'
                         f'scope = "focus"\n')
            wall, rss = timed([args.bin, "run", str(p), "--out", str(work / f"bulk{n}"), "-q",
                               "--allow-outside-paths"])
            bulk_rss[n] = rss
            print(f"bulk: {n:,} rows, scope = \"focus\": {wall:.2f} s, {rss:.0f} MiB", flush=True)
        print(f"bulk: peak RSS {args.rows:,} rows / {small_rows:,} rows = "
              f"{bulk_rss[args.rows] / bulk_rss[small_rows]:.3f}")

        med = {e: (statistics.median(w for w, _ in r), statistics.median(m for _, m in r))
               for e, r in results.items()}
        total = args.rows * args.years
        for e, (w, m) in med.items():
            print(f"focus median {e:<10} wall {w:8.2f} s  peak RSS {m:7.0f} MiB  "
                  f"{total / w / 1e6:6.2f} M rows/s")
        if not ok:
            print("checks failed", file=sys.stderr)
            return 1
        print(f"run_vs_mirror_all={med['run'][0] / med['mirror-all'][0]:.3f} "
              f"peak_rss_mb={med['run'][1]:.0f}")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
