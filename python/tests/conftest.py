"""Fixtures of the package's tests: the repository (its pipelines and
fixtures, two folders above this one) and one run of the default pipeline per
test session, made through ``patronage.run`` by the installed command."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import patronage

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def dprk_run(tmp_path_factory: pytest.TempPathFactory) -> patronage.Tables:
    out = tmp_path_factory.mktemp("dprk") / "out"
    return patronage.run(ROOT / "pipelines" / "dprk.toml", out=out)


@pytest.fixture()
def dprk_copy(dprk_run: patronage.Tables, tmp_path: Path) -> Path:
    """A copy of the run's output folder that a test may damage."""
    copy = tmp_path / "out"
    shutil.copytree(dprk_run.output_dir, copy, ignore=shutil.ignore_patterns(".patronage"))
    return copy
