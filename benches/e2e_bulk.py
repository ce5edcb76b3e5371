#!/usr/bin/env python3
"""End-to-end comparison at full scale: `patronage mirror-all` against DuckDB and
Python polars on the same job, in the same run, interleaved.

ALL DATA IS SYNTHETIC: a BACI CSV and a Comtrade v1 bulk final TSV (monthly, HS6,
CRLF) written by `patronage synth` from a seed (see
crates/patronage-pipeline/src/synth.rs). Only the country codes are real.

The job, done by each engine:
  * read the BACI year (t,i,j,k,v,q) and the Comtrade bulk file;
  * Comtrade: drop breakdown rows (partner2Code != 0, customsCode != C00,
    motCode != 0), flows other than M and X, commodity codes that are not six
    digits and rows with the world (0) as partner;
  * total BACI v by (t, i, j) and Comtrade primaryValue by (year, reporter,
    partner, flow), exactly, in thousandths of a dollar;
  * mirror totals by focus x partner x year for every country as focus: BACI
    focus exports = (i=focus, j=partner), imports = (i=partner, j=focus);
    Comtrade focus exports = the partner's reported M from the focus, imports =
    its reported X to the focus; plus the number of source rows folded;
  * write one zstd Parquet file sorted by source, focus, partner, year.
patronage also validates every field it reads, rejects rows whose codes are
unknown in their year (with the raw text), writes a rejects table, looks up ISO3
codes and writes a JSON row accounting; the peers do none of that.

The parse floor is timed in the same run: `parse-floor` (benches/src/bin)
maps both files and finds every line end and delimiter on every core with the
fastest pass there is (the 64-byte bit-mask classifier patronage scans with,
about three times faster than a memchr2 pass), nothing parsed; `parse-floor
--hash` does the same with each file's SHA-256 on a thread beside the scan
(patronage hashes its inputs by default).

Each engine runs as its own process, timed whole by /usr/bin/time (wall, peak
RSS), runs interleaved (patronage, DuckDB, polars, floor, floor+hash,
patronage, ...). The script checks that the three outputs hold the same figures
and exits 1 if not. Its last line is `ratio_vs_duckdb=<patronage/duckdb>
ratio_vs_polars=<patronage/polars> ratio_vs_floor=<patronage/floor>
ratio_vs_floor_hash=<patronage/floor+hash> peak_rss_mb=<patronage>` (median
wall times, median peak RSS).

Not part of any test suite. Usage (release figures):
    cargo build --release -p patronage-cli -p patronage-benches --bin patronage --bin parse-floor
    python3 benches/e2e_bulk.py --rows 10000000 [--runs 3] [--data DIR]
A quick check of the script itself with the debug build (figures meaningless):
    cargo build -p patronage-cli -p patronage-benches --bin patronage --bin parse-floor
    python3 benches/e2e_bulk.py --profile debug --rows 20000 --runs 1
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

TARGET = os.environ.get("CARGO_TARGET_DIR", "/var/tmp/patronage-target")

DUCKDB_JOB = r"""
import sys, duckdb
baci, ct, out = sys.argv[1], sys.argv[2], sys.argv[3]
duckdb.sql(f'''
COPY (
  WITH b AS (
    SELECT t AS year, i AS a, j AS b, sum(CAST(v * 1000000 AS BIGINT)) AS s, count(*) AS n
    FROM read_csv('{baci}', header = true, delim = ',',
                  columns = {{'t': 'INTEGER', 'i': 'INTEGER', 'j': 'INTEGER', 'k': 'VARCHAR',
                              'v': 'DECIMAL(18,3)', 'q': 'VARCHAR'}})
    GROUP BY ALL),
  c AS (
    SELECT refYear AS year, reporterCode AS a, partnerCode AS b, flowCode AS flow,
           sum(CAST(primaryValue * 1000 AS BIGINT)) AS s, count(*) AS n
    FROM read_csv('{ct}', header = true, delim = '\t',
                  types = {{'refYear': 'INTEGER', 'reporterCode': 'INTEGER',
                            'partnerCode': 'INTEGER', 'partner2Code': 'INTEGER',
                            'flowCode': 'VARCHAR', 'cmdCode': 'VARCHAR',
                            'customsCode': 'VARCHAR', 'motCode': 'INTEGER',
                            'primaryValue': 'DECIMAL(18,3)'}})
    WHERE partner2Code = 0 AND customsCode = 'C00' AND motCode = 0
      AND flowCode IN ('M', 'X') AND regexp_full_match(cmdCode, '[0-9]{{6}}')
      AND partnerCode <> 0
    GROUP BY ALL),
  m AS (
    SELECT 'baci' AS source, a AS focus, b AS partner, year, s AS ex, NULL::BIGINT AS im, n FROM b
    UNION ALL SELECT 'baci', b, a, year, NULL, s, n FROM b
    UNION ALL SELECT 'comtrade_v1_bulk', b, a, year,
                     CASE WHEN flow = 'M' THEN s END, CASE WHEN flow = 'X' THEN s END, n FROM c)
  SELECT source, focus AS focus_code, partner AS partner_code, year,
         sum(ex) AS focus_exports_mills, sum(im) AS focus_imports_mills, sum(n) AS rows_folded
  FROM m GROUP BY ALL ORDER BY ALL
) TO '{out}' (FORMAT parquet, COMPRESSION zstd)
''')
"""

POLARS_JOB = r"""
import sys, polars as pl
baci, ct, out = sys.argv[1], sys.argv[2], sys.argv[3]
b = (pl.scan_csv(baci, schema_overrides={'t': pl.Int32, 'i': pl.Int32, 'j': pl.Int32,
                                         'k': pl.String, 'v': pl.Float64, 'q': pl.String})
     .group_by('t', 'i', 'j')
     .agg(s=(pl.col('v') * 1_000_000).round().cast(pl.Int64).sum(), n=pl.len()))
c = (pl.scan_csv(ct, separator='\t',
                 schema_overrides={'refYear': pl.Int32, 'reporterCode': pl.Int32,
                                   'partnerCode': pl.Int32, 'partner2Code': pl.Int32,
                                   'flowCode': pl.String, 'cmdCode': pl.String,
                                   'customsCode': pl.String, 'motCode': pl.Int32,
                                   'primaryValue': pl.Float64})
     .filter((pl.col('partner2Code') == 0) & (pl.col('customsCode') == 'C00')
             & (pl.col('motCode') == 0) & pl.col('flowCode').is_in(['M', 'X'])
             & pl.col('cmdCode').str.contains(r'^[0-9]{6}$') & (pl.col('partnerCode') != 0))
     .group_by('refYear', 'reporterCode', 'partnerCode', 'flowCode')
     .agg(s=(pl.col('primaryValue') * 1000).round().cast(pl.Int64).sum(), n=pl.len()))
none = pl.lit(None, dtype=pl.Int64)
m = pl.concat([
    b.select(source=pl.lit('baci'), focus=pl.col('i'), partner=pl.col('j'), year=pl.col('t'),
             ex=pl.col('s'), im=none, n=pl.col('n')),
    b.select(source=pl.lit('baci'), focus=pl.col('j'), partner=pl.col('i'), year=pl.col('t'),
             ex=none, im=pl.col('s'), n=pl.col('n')),
    c.select(source=pl.lit('comtrade_v1_bulk'), focus=pl.col('partnerCode'),
             partner=pl.col('reporterCode'), year=pl.col('refYear'),
             ex=pl.when(pl.col('flowCode') == 'M').then(pl.col('s')).otherwise(none),
             im=pl.when(pl.col('flowCode') == 'X').then(pl.col('s')).otherwise(none),
             n=pl.col('n')),
])
(m.group_by('source', 'focus', 'partner', 'year')
  .agg(focus_exports_mills=pl.when(pl.col('ex').count() > 0).then(pl.col('ex').sum()),
       focus_imports_mills=pl.when(pl.col('im').count() > 0).then(pl.col('im').sum()),
       rows_folded=pl.col('n').sum())
  .rename({'focus': 'focus_code', 'partner': 'partner_code'})
  .sort('source', 'focus_code', 'partner_code', 'year')
  .sink_parquet(out, compression='zstd'))
"""

COLUMNS = ["source", "focus_code", "partner_code", "year", "focus_exports_mills", "focus_imports_mills",
           "rows_folded"]


def timed(cmd: list[str]) -> tuple[float, float]:
    """Run `cmd` under /usr/bin/time; (wall seconds, peak RSS MiB)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as t:
        r = subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", t.name, *cmd],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            sys.exit(f"{cmd[0]} failed ({r.returncode}):\n{r.stderr}")
        wall, kib = open(t.name).read().split()[-2:]
        return float(wall), int(kib) / 1024


def ensure_inputs(bin_: str, data: pathlib.Path, rows: int, seed: int) -> tuple[str, str]:
    data.mkdir(parents=True, exist_ok=True)
    baci = data / f"synthetic_baci_{rows}_seed{seed}.csv"
    ct = data / f"synthetic_comtrade_bulk_{rows}_seed{seed}.tsv"
    for path, layout in [(baci, "baci"), (ct, "comtrade-bulk")]:
        if not path.exists():
            print(f"writing {path} (synthetic)", flush=True)
            subprocess.run([bin_, "synth", layout, "--rows", str(rows), "--seed", str(seed),
                            "--out", str(path)], check=True)
    return str(baci), str(ct)


def same_figures(paths: dict[str, str]) -> bool:
    import polars as pl
    frames = {}
    for name, p in paths.items():
        d = pl.read_parquet(p).select(COLUMNS)
        frames[name] = d.with_columns(
            [pl.col(c).cast(pl.Int64) for c in COLUMNS[1:]]).sort(COLUMNS[:4])
    ref = frames["patronage"]
    ok = True
    for name, d in frames.items():
        same = d.shape == ref.shape and d.equals(ref)
        print(f"check: {name} {d.height} rows, {'same figures' if same else 'DIFFERENT'}")
        ok &= same
    return ok


def floor_agrees(floor_bin: str, baci: str, ct: str, rows: int, out: pathlib.Path) -> bool:
    """The floor saw every line (header + rows, each ending in a line feed) and
    hashed the bytes patronage hashed."""
    import json
    r = subprocess.run([floor_bin, "--hash", baci, ct], capture_output=True, text=True,
                       check=True)
    seen = {}
    for line in r.stdout.splitlines():
        path, *kv = line.split(" ")
        seen[path] = dict(x.split("=", 1) for x in kv)
    report = json.loads((out / "mirror_all_report.json").read_text())
    hashed = {a["file"]: a["sha256"] for a in report["inputs"]}
    ok = True
    for p in (baci, ct):
        lines_ok = int(seen[p]["line_ends"]) == rows + 1
        sha_ok = seen[p]["sha256"] == hashed.get(p)
        print(f"check: floor {os.path.basename(p)} {seen[p]['line_ends']} line ends, "
              f"{seen[p]['delimiters']} delimiters, "
              f"{'same SHA-256 as patronage' if sha_ok else 'SHA-256 DIFFERENT'}")
        ok &= lines_ok and sha_ok
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=10_000_000, help="rows per input file")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--profile", default="release", choices=["release", "debug"],
                    help="which build of $CARGO_TARGET_DIR to run (release for figures)")
    ap.add_argument("--bin", help="patronage binary (default: TARGET/PROFILE/patronage)")
    ap.add_argument("--floor-bin",
                    help="parse-floor binary (default: TARGET/PROFILE/parse-floor)")
    ap.add_argument("--data", default="/var/tmp/perf-data", help="where inputs are written")
    args = ap.parse_args()
    args.bin = args.bin or os.path.join(TARGET, args.profile, "patronage")
    args.floor_bin = args.floor_bin or os.path.join(TARGET, args.profile, "parse-floor")
    for b in (args.bin, args.floor_bin):
        if not os.path.exists(b):
            sys.exit(f"{b} not found: build it first (see the usage above)")

    baci, ct = ensure_inputs(args.bin, pathlib.Path(args.data), args.rows, args.seed)
    size = sum(os.path.getsize(p) for p in (baci, ct))
    out = pathlib.Path(tempfile.mkdtemp(prefix="e2e_bulk_"))
    try:
        for p in (baci, ct):  # page cache warm for every engine alike
            subprocess.run(["cat", p], stdout=subprocess.DEVNULL, check=True)
        py = sys.executable
        engines = {
            "patronage": lambda: [args.bin, "mirror-all", "--baci", baci, "--comtrade-bulk", ct,
                                  "--out", str(out / "patronage"), "-q"],
            "duckdb": lambda: [py, "-c", DUCKDB_JOB, baci, ct, str(out / "duckdb.parquet")],
            "polars": lambda: [py, "-c", POLARS_JOB, baci, ct, str(out / "polars.parquet")],
            "floor": lambda: [args.floor_bin, baci, ct],
            "floor_hash": lambda: [args.floor_bin, "--hash", baci, ct],
        }
        results: dict[str, list[tuple[float, float]]] = {e: [] for e in engines}
        for run in range(args.runs):
            for name, cmd in engines.items():
                wall, rss = timed(cmd())
                results[name].append((wall, rss))
                print(f"run {run + 1} {name:<10} {wall:7.2f} s {rss:8.0f} MiB", flush=True)
        ok = floor_agrees(args.floor_bin, baci, ct, args.rows, out / "patronage")
        ok &= same_figures({
            "patronage": str(out / "patronage" / "mirror_all.parquet"),
            "duckdb": str(out / "duckdb.parquet"),
            "polars": str(out / "polars.parquet"),
        })
        med = {e: (statistics.median(w for w, _ in r), statistics.median(m for _, m in r))
               for e, r in results.items()}
        total_rows = 2 * args.rows
        print(f"input: {total_rows:,} rows (synthetic; BACI {args.rows:,} + Comtrade bulk "
              f"{args.rows:,}), {size / 1e6:,.0f} MB; {args.runs} runs, medians:")
        for e, (w, m) in med.items():
            lo, hi = min(w for w, _ in results[e]), max(w for w, _ in results[e])
            print(f"  {e:<10} wall {w:7.2f} s ({lo:.2f}-{hi:.2f})  peak RSS {m:7.0f} MiB  "
                  f"{total_rows / w / 1e6:6.2f} M rows/s")
        if not ok:
            print("outputs differ", file=sys.stderr)
            return 1
        p, d, pl_ = med["patronage"][0], med["duckdb"][0], med["polars"][0]
        # /usr/bin/time has 10 ms steps: a tiny run's floor may read 0.
        f, fh = max(med["floor"][0], 0.01), max(med["floor_hash"][0], 0.01)
        print(f"ratio_vs_duckdb={p / d:.3f} ratio_vs_polars={p / pl_:.3f} "
              f"ratio_vs_floor={p / f:.3f} ratio_vs_floor_hash={p / fh:.3f} "
              f"peak_rss_mb={med['patronage'][1]:.0f}")
        return 0
    finally:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
