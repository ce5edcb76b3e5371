"""``patronage.load`` and ``patronage.run``: the tables the manifest lists,
as polars LazyFrames, each file checked against its SHA-256 first; a changed,
missing or unlisted file is named; a partitioned table (a folder of parts,
each in the manifest) loads as one frame."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import polars as pl
import pytest

import patronage


def manifest_of(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())


def test_run_returns_every_table_the_manifest_lists(dprk_run: patronage.Tables) -> None:
    manifest = manifest_of(dprk_run.output_dir)
    assert list(dprk_run) == [o["table"] for o in manifest["outputs"]]
    for o in manifest["outputs"]:
        frame = dprk_run[o["table"]]
        assert isinstance(frame, pl.LazyFrame)
        assert frame.select(pl.len()).collect().item() == o["rows"], o["table"]
    assert dprk_run.failed_checks is None


def test_the_headline_window_reads_as_the_cli_prints_it(dprk_run: patronage.Tables) -> None:
    # Russia-DPRK trade, January-February 2017 against 2016: $19.80M against
    # $11.53M in the fixtures (README), +71.6979%.
    w = (
        dprk_run["trade_windows"]
        .filter(pl.col("window_id") == "seed_2017_jan_feb")
        .collect()
    )
    assert w.height == 1
    assert w["total_change_pct"][0] == pytest.approx(71.6979, abs=1e-3)


def test_load_raises_on_a_modified_parquet_file(dprk_copy: Path) -> None:
    patronage.load(dprk_copy)  # intact
    path = dprk_copy / "mirror_trade.parquet"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    listed = next(o for o in manifest_of(dprk_copy)["outputs"] if o["file"] == "mirror_trade.parquet")
    with pytest.raises(patronage.ManifestError) as e:
        patronage.load(dprk_copy)
    assert e.value.path == path
    assert str(path) in str(e.value)
    assert e.value.expected == listed["sha256"]
    assert e.value.actual == hashlib.sha256(bytes(data)).hexdigest()


def test_load_names_a_missing_file_and_a_missing_manifest(dprk_copy: Path) -> None:
    (dprk_copy / "claims.parquet").unlink()
    with pytest.raises(patronage.ManifestError, match=r"claims\.parquet: listed in .* but missing"):
        patronage.load(dprk_copy)
    (dprk_copy / "manifest.json").unlink()
    with pytest.raises(patronage.ManifestError, match=r"no manifest\.json"):
        patronage.load(dprk_copy)


def test_a_manifest_cannot_point_outside_its_folder(dprk_copy: Path) -> None:
    manifest = manifest_of(dprk_copy)
    manifest["outputs"][0]["file"] = "../elsewhere.parquet"
    (dprk_copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(patronage.ManifestError, match="not inside the output folder"):
        patronage.load(dprk_copy)


def _partition(out: Path, with_column: bool, nested_parts: bool) -> pl.DataFrame:
    """Rewrite ``trade_flows`` of ``out`` as a folder of parts by year
    (``trade_flows/year=2016/part-0.parquet``), the year column kept in the
    parts or only in the folder names, and list each part in the manifest:
    one entry per part, or one entry with ``parts``. SYNTHETIC layout built
    from the real run's rows. Returns the original table."""
    original = pl.read_parquet(out / "trade_flows.parquet")
    manifest = manifest_of(out)
    entries = []
    for (year,), rows in sorted(original.group_by(["year"]), key=lambda g: g[0]):
        folder = out / "trade_flows" / f"year={year}"
        folder.mkdir(parents=True)
        part = folder / "part-0.parquet"
        (rows if with_column else rows.drop("year")).write_parquet(part)
        entries.append(
            {
                "table": "trade_flows",
                "file": f"trade_flows/year={year}/part-0.parquet",
                "rows": rows.height,
                "sha256": hashlib.sha256(part.read_bytes()).hexdigest(),
            }
        )
    (out / "trade_flows.parquet").unlink()
    outputs = [o for o in manifest["outputs"] if o["table"] != "trade_flows"]
    if nested_parts:
        outputs.insert(0, {"table": "trade_flows", "parts": entries})
    else:
        outputs[0:0] = entries
    manifest["outputs"] = outputs
    (out / "manifest.json").write_text(json.dumps(manifest))
    return original


@pytest.mark.parametrize("with_column", [True, False])
@pytest.mark.parametrize("nested_parts", [False, True])
def test_a_partitioned_table_loads_as_one_frame(
    dprk_copy: Path, with_column: bool, nested_parts: bool
) -> None:
    original = _partition(dprk_copy, with_column, nested_parts)
    years = original["year"].n_unique()
    assert years > 1
    tables = patronage.load(dprk_copy)
    assert len(tables.files["trade_flows"]) == years
    key = ["source_id", "source_file", "source_line", "source_column"]
    loaded = tables["trade_flows"].collect()
    assert loaded.height == original.height
    # Same rows and values; the year from the folder names when the parts lack it.
    got = loaded.select(original.columns).with_columns(pl.col("year").cast(pl.Int32)).sort(key)
    assert got.equals(original.sort(key))


def test_a_changed_part_is_named_and_a_stray_file_is_not_read(dprk_copy: Path) -> None:
    original = _partition(dprk_copy, with_column=True, nested_parts=False)
    # A file nobody listed, in a partition folder: not read.
    first_year = original["year"].min()
    stray = dprk_copy / "trade_flows" / f"year={first_year}" / "part-9.parquet"
    original.head(3).write_parquet(stray)
    assert patronage.load(dprk_copy)["trade_flows"].collect().height == original.height
    # A listed part with other bytes: named.
    part = dprk_copy / "trade_flows" / f"year={first_year}" / "part-0.parquet"
    original.head(1).write_parquet(part)
    with pytest.raises(patronage.ManifestError) as e:
        patronage.load(dprk_copy)
    assert e.value.path == part


def test_pyarrow_backend_gives_datasets(dprk_run: patronage.Tables) -> None:
    pytest.importorskip("pyarrow")
    tables = patronage.load(dprk_run.output_dir, backend="pyarrow")
    for o in manifest_of(dprk_run.output_dir)["outputs"]:
        assert tables[o["table"]].count_rows() == o["rows"], o["table"]


def test_an_unknown_table_says_which_there_are(dprk_run: patronage.Tables) -> None:
    with pytest.raises(KeyError, match="no such table .*trade_flows"):
        dprk_run["trade_flow"]
