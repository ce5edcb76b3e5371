#!/usr/bin/env python3
"""Load every table of a patronage output folder in pyarrow, pandas, polars and
DuckDB, with no hints, and check they agree with the manifest and with each other.

Usage: python3 tests/interop/check_outputs.py OUT_DIR [SINGLE_FILE_OUT_DIR]
A table written as Hive partitions (`trade_flows/year=2019/part-0.parquet`, one
manifest entry per part) is also read as one table from its folder by DuckDB,
polars and pyarrow; given SINGLE_FILE_OUT_DIR, the output of the same pipeline
without `partition_by`, each reader's rows must equal the single file's.
Run by the Rust test crates/patronage-cli/tests/it/interop.rs; exits non-zero on any
mismatch. The test makes its own virtual environment from requirements.txt (pinned)
under the target folder; by hand: pip install -r tests/interop/requirements.txt
"""
import hashlib
import json
import pathlib
import sys

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

out = pathlib.Path(sys.argv[1])
manifest = json.loads((out / "manifest.json").read_text())
failures = []
con = duckdb.connect()


def check(cond, msg):
    if not cond:
        failures.append(msg)


for entry in manifest["outputs"]:
    path = out / entry["file"]
    rows = entry["rows"]
    meta = pq.read_metadata(path).metadata
    check(meta[b"patronage.table"].decode() == entry["table"], f"{path}: footer table")
    check(meta[b"patronage.inputs_sha256"].decode() == manifest["inputs_sha256"], f"{path}: footer inputs hash")
    # Provenance in every footer, as pyarrow shows it, agrees with the manifest.
    provenance = {
        b"patronage.schema_version": str(manifest["schema_version"]),
        b"patronage.tool_version": manifest["tool_version"],
        b"patronage.pipeline": manifest["pipeline"]["name"],
        b"patronage.pipeline_sha256": manifest["pipeline"]["sha256"],
    }
    for key, want in provenance.items():
        got = meta.get(key, b"").decode()
        check(got == want, f"{path}: footer {key.decode()} = {got!r}, manifest says {want!r}")
    check(b"patronage.key" in meta, f"{path}: footer has no patronage.key")
    check(hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"], f"{path}: sha256 differs from the manifest")
    at = pq.read_table(path)
    pdf = pd.read_parquet(path)
    pldf = pl.read_parquet(path)
    n_duck = con.execute(f"SELECT count(*) FROM read_parquet('{path}')").fetchone()[0]
    for name, n in [("pyarrow", at.num_rows), ("pandas", len(pdf)), ("polars", pldf.height), ("duckdb", n_duck)]:
        check(n == rows, f"{entry['table']}: {name} reads {n} rows, manifest says {rows}")
    check(list(pdf.columns) == pldf.columns == at.column_names, f"{entry['table']}: column names differ")
    for field in at.schema:
        check(not pa.types.is_string_view(field.type), f"{entry['table']}.{field.name}: string_view")

# The headline window, read four ways.
w = out / "trade_windows.parquet"
if w.exists() and manifest["pipeline"]["name"] == "dprk":
    q = "SELECT total_change_pct FROM read_parquet('%s') WHERE window_id = 'seed_2017_jan_feb'" % w
    values = {
        "duckdb": con.execute(q).fetchone()[0],
        "polars": pl.read_parquet(w).filter(pl.col("window_id") == "seed_2017_jan_feb")["total_change_pct"][0],
        "pandas": pd.read_parquet(w).set_index("window_id").loc["seed_2017_jan_feb", "total_change_pct"],
        # A plain compute filter: this fails on string_view columns.
        "pyarrow": (lambda t: t.filter(pc.equal(t["window_id"], "seed_2017_jan_feb")))(pq.read_table(w))["total_change_pct"][0].as_py(),
    }
    for name, v in values.items():
        check(abs(v - 71.6979) < 0.001, f"{name}: seed window change {v}")
    # Nullable integers stay integers with nulls (month is null for annual rows).
    m = pl.read_parquet(out / "mirror_trade.parquet")
    check(m.schema["month"] == pl.Int32, f"month dtype {m.schema['month']}")
    check(m["month"].null_count() == m.height, "every dprk mirror row spans months")

# Partitioned tables, each read as one table from its folder.
single = pathlib.Path(sys.argv[2]) if len(sys.argv) > 2 else None
partitioned = {}
for entry in manifest["outputs"]:
    if "/" in entry["file"]:
        partitioned.setdefault(entry["table"], []).append(entry)
check(single is None or partitioned, "a single-file folder was given but no table is partitioned")
for table, entries in partitioned.items():
    folder = out / table
    rows = sum(e["rows"] for e in entries)
    column = entries[0]["file"].split("/")[1].split("=")[0]
    readers = {
        "duckdb": (duckdb.connect().sql(
            f"SELECT * FROM read_parquet('{folder}/**/*.parquet', hive_partitioning = true)").pl()),
        "polars": pl.read_parquet(folder, hive_partitioning=True),
        "pyarrow": (lambda t: pl.from_arrow(t.set_column(
            t.schema.get_field_index(column), column, t.column(column).cast(pa.int32()))))(pq.read_table(folder)),
    }
    for name, df in readers.items():
        check(df.height == rows, f"{table}/: {name} reads {df.height} rows as one table, the parts hold {rows}")
    if single is None:
        continue
    ref = pl.read_parquet(single / f"{table}.parquet")
    cols = ref.columns
    ref = ref.sort(cols)
    for name, df in readers.items():
        got = df.with_columns(pl.col(column).cast(pl.Int32)).select(cols).sort(cols)
        check(got.equals(ref), f"{table}/: {name}'s rows differ from the single file's")

if failures:
    print("\n".join(failures))
    sys.exit(1)
print(f"ok: {len(manifest['outputs'])} tables read by pyarrow, pandas, polars and duckdb")
