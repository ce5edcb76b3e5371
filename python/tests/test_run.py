"""``patronage.run``, ``schema`` and ``claims``: a failed run raises with the
command's exit code and message; failed data checks (exit code 1) still give
the tables, with the failed checks attached; the dictionary and the claims
agree with what the run wrote."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pytest

import patronage


def test_a_bad_pipeline_raises_with_exit_code_2_and_the_line(tmp_path: Path) -> None:
    pipeline = tmp_path / "p.toml"
    pipeline.write_text('name = "x"\nfocus = "PRK"\nsorces = []\n')
    with pytest.raises(patronage.CommandError) as e:
        patronage.run(pipeline, out=tmp_path / "out")
    assert e.value.exit_code == 2
    assert "p.toml" in e.value.message and "line 3, column 1" in e.value.message
    assert not isinstance(e.value, patronage.ChecksFailed)


def _project_with_an_event_listed_twice(root: Path, tmp: Path) -> Path:
    """A copy of the project whose timeline lists the March 2017 labor
    agreement twice: the `events_key_unique` check (error severity) fails."""
    (tmp / "pipelines").mkdir()
    shutil.copy(root / "pipelines" / "dprk.toml", tmp / "pipelines" / "dprk.toml")
    shutil.copytree(root / "fixtures", tmp / "fixtures")
    timeline = tmp / "fixtures" / "events" / "dprk_russia_timeline.csv"
    text = timeline.read_text()
    line = next(ln for ln in text.splitlines() if ln.startswith("2017-03,agreement,"))
    timeline.write_text(text.replace(line, f"{line}\n{line}", 1))
    return tmp / "pipelines" / "dprk.toml"


def test_failed_checks_raise_with_the_tables_or_return_them(root: Path, tmp_path: Path) -> None:
    pipeline = _project_with_an_event_listed_twice(root, tmp_path)
    out = tmp_path / "out"
    with pytest.raises(patronage.ChecksFailed) as e:
        patronage.run(pipeline, out=out)
    assert e.value.exit_code == 1
    assert "events_key_unique" in e.value.message
    failed = e.value.failed_checks
    assert failed["check"].to_list() == ["events_key_unique"]
    # Both rows of the pair fail (as the CLI's own test shows).
    assert failed["failing_rows"].to_list() == [2]
    assert e.value.tables["events"].collect().height == 8  # 7 events + the copy

    tables = patronage.run(pipeline, out=out, check=False)
    assert tables.failed_checks is not None
    assert tables.failed_checks["check"].to_list() == ["events_key_unique"]


def test_schema_describes_every_table_the_run_wrote(dprk_run: patronage.Tables) -> None:
    dictionary = patronage.schema()
    assert dictionary["schema_version"] == dprk_run.manifest["schema_version"]
    described = {t["name"]: t for t in dictionary["tables"]}
    for name, frame in dprk_run.items():
        columns = [c["name"] for c in described[name]["columns"]]
        assert frame.collect_schema().names() == columns, name


def test_claims_are_the_claims_table(dprk_run: patronage.Tables) -> None:
    verdicts = patronage.claims(dprk_run.output_dir)
    assert verdicts.equals(dprk_run["claims"].collect())
    up73 = verdicts.filter(pl.col("claim_id") == "ru_prk_trade_jan_feb_2017_up_73pct")
    # The essay's 73% against the fixtures' 71.6979%: -1.302 points.
    assert up73["expected"][0] == 73.0
    assert up73["computed"][0] == pytest.approx(71.6979, abs=1e-3)
    assert up73["deviation"][0] == pytest.approx(-1.3021, abs=1e-3)
    # 13 claims declared in pipelines/dprk.toml (`[[claims]]`).
    assert verdicts.height == 13
