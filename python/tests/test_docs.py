"""The walk-throughs in docs/ run as written: every ```python block of
docs/python.md, in order, in one namespace, from a folder laid out like the
repository (its pipelines and fixtures copied), the package installed; the
```r blocks of docs/r.md the same way with Rscript, where R and its arrow
package are installed (skipped, saying so, where they are not)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import patronage

BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.M | re.S)


def blocks(page: Path, language: str) -> list:
    return [code for lang, code in BLOCK.findall(page.read_text()) if lang == language]


@pytest.fixture()
def project(root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pipelines").mkdir()
    shutil.copy(root / "pipelines" / "dprk.toml", tmp_path / "pipelines" / "dprk.toml")
    shutil.copytree(root / "fixtures", tmp_path / "fixtures")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_python_walk_through_runs(root: Path, project: Path) -> None:
    pytest.importorskip("altair", reason="the walk-through plots with altair")
    code = blocks(root / "docs" / "python.md", "python")
    assert len(code) >= 6
    namespace: dict = {"__name__": "__walkthrough__"}
    for i, block in enumerate(code):
        exec(compile(block, f"docs/python.md block {i + 1}", "exec"), namespace)
    # What the walk-through left behind: the run's folder, the chart, the copy.
    assert (project / "out" / "dprk" / "manifest.json").exists()
    chart = (project / "dprk_mirror_trade.html").read_text()
    assert "vega" in chart and "total_usd" in chart
    assert isinstance(namespace["tables"], patronage.Tables)


def test_r_walk_through_runs(root: Path, project: Path) -> None:
    rscript = shutil.which("Rscript")
    if rscript is None:
        pytest.skip("R is not installed (docs/r.md needs Rscript and install.packages(\"arrow\"))")
    has_arrow = subprocess.run(
        [rscript, "-e", "library(arrow); library(dplyr)"], capture_output=True
    )
    if has_arrow.returncode != 0:
        pytest.skip('R has no arrow or dplyr package: Rscript -e \'install.packages(c("arrow", "dplyr"))\'')
    patronage.run("pipelines/dprk.toml")
    script = project / "walk_through.R"
    script.write_text("\n".join(blocks(root / "docs" / "r.md", "r")))
    env = dict(os.environ, PATH=f"{patronage.find_binary().parent}{os.pathsep}{os.environ['PATH']}")
    done = subprocess.run([rscript, str(script)], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert "+71.7%" in done.stdout
    assert (project / "dprk_mirror_trade.png").exists()
