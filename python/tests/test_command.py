"""The wheel installs a working ``patronage`` command beside the module, and
``python -m patronage`` runs it."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
from importlib.metadata import version
from pathlib import Path

import patronage


def test_the_command_is_installed_in_this_environment() -> None:
    binary = patronage.find_binary()
    assert binary.parent == Path(sysconfig.get_path("scripts"))
    done = subprocess.run([str(binary), "--version"], capture_output=True, text=True)
    assert done.returncode == 0
    # The binary's version is the package's: both come from Cargo.toml.
    assert done.stdout.strip() == f"patronage {version('patronage')}"


def test_python_m_patronage_runs_the_command(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "patronage", "--version"], capture_output=True, text=True
    )
    assert done.returncode == 0
    assert done.stdout.strip() == f"patronage {version('patronage')}"
    # Its exit code and output are the command's: a JSON error object, exit 2.
    missing = tmp_path / "nothing"
    done = subprocess.run(
        [sys.executable, "-m", "patronage", "verify", "--out", str(missing), "--json"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    error = json.loads(done.stdout)
    assert error["exit_code"] == 2 and error["exit"] == "error"
    assert str(missing / "manifest.json") in error["error"]


def test_patronage_bin_names_another_binary(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATRONAGE_BIN", str(tmp_path / "absent"))
    try:
        patronage.find_binary()
    except patronage.BinaryNotFound as e:
        assert "PATRONAGE_BIN" in str(e) and "absent" in str(e)
    else:  # pragma: no cover
        raise AssertionError("a missing PATRONAGE_BIN binary was accepted")
