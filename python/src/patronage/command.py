"""The module's calls that run the ``patronage`` command: ``run`` (which
reads the run's JSON events, then loads and verifies the tables it wrote),
``schema`` and ``claims``. A command that fails raises
:class:`CommandError` with its exit code and message; the module never parses
text meant for a person."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any, Dict, List, Optional

import polars as pl

from .binary import find_binary
from .errors import ChecksFailed, CommandError
from .tables import PathLike, Tables, load


def _events(stdout: str) -> List[Dict[str, Any]]:
    events = []
    for line in stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                events.append(json.loads(line))
            except ValueError:
                continue
    return events


def run(
    pipeline: PathLike,
    out: Optional[PathLike] = None,
    force: bool = False,
    *,
    check: bool = True,
    allow_outside_paths: bool = False,
    cwd: Optional[PathLike] = None,
) -> Tables:
    """Run a pipeline file (``patronage run PIPELINE --json``) and return its
    tables, verified against ``manifest.json`` as :func:`patronage.load` does.

    ``out`` overrides the output folder, ``force`` reruns unchanged stages,
    ``allow_outside_paths`` lets the pipeline read and write outside its
    project (only for a pipeline you trust), ``cwd`` is the folder the command
    runs in (relative paths are resolved from it).

    Raises :class:`CommandError` (exit code 2, with the error message) when the
    run fails. When a data check of error severity fails (exit code 1) every
    table was still written: with ``check=True`` :class:`ChecksFailed` is
    raised carrying the tables and the failed checks; with ``check=False`` the
    tables are returned with ``failed_checks`` set.
    """
    args: List[str] = [str(find_binary()), "run", str(pipeline), "--json"]
    if out is not None:
        args += ["--out", str(out)]
    if force:
        args.append("--force")
    if allow_outside_paths:
        args.append("--allow-outside-paths")
    done = subprocess.run(args, capture_output=True, text=True, cwd=cwd)
    events = _events(done.stdout)
    started = next((e for e in events if e.get("event") == "run_started"), None)
    finished = next((e for e in events if e.get("event") == "run_finished"), {})
    code = done.returncode
    if code not in (0, 1) or started is None:
        message = finished.get("error") or done.stderr.strip() or f"exit code {code}"
        raise CommandError(code, message)
    output = Path(cwd or ".") / started["output"]
    tables = load(output)
    if code == 0:
        return tables
    results = tables["check_results"].collect() if "check_results" in tables else pl.DataFrame()
    failed = (
        results.filter((pl.col("status") == "fail") & (pl.col("severity") == "error"))
        if results.height
        else results
    )
    tables.failed_checks = failed
    if not check:
        return tables
    lines = [ln for ln in done.stderr.splitlines() if ln.startswith("error:")]
    message = lines[-1][len("error: "):] if lines else "data checks failed"
    raise ChecksFailed(message, tables, failed)


def _stdout_of(args: List[str]) -> str:
    done = subprocess.run([str(find_binary()), *args], capture_output=True, text=True)
    if done.returncode != 0:
        try:
            message = json.loads(done.stdout.strip().splitlines()[-1])["error"]
        except (ValueError, IndexError, KeyError, TypeError):
            message = done.stderr.strip()
        raise CommandError(done.returncode, message)
    return done.stdout


def schema() -> Dict[str, Any]:
    """The data dictionary (``patronage schema --json``): ``schema_version``,
    and per table its file, key and columns with type, nullability and
    meaning (``tables``; ``mirror_all_tables`` for ``mirror-all``)."""
    dictionary: Dict[str, Any] = json.loads(_stdout_of(["schema", "--json"]))
    return dictionary


def claims(out_dir: PathLike) -> pl.DataFrame:
    """The verdicts on the pipeline's published claims: the ``claims`` table
    of an output folder (one row per claim: ``claim_id``, ``status``
    reproduced / deviates / not_computable, ``expected``, ``computed``,
    ``deviation`` ...), after the folder is verified as :func:`load` does."""
    frame: pl.LazyFrame = load(out_dir)["claims"]
    return frame.collect()
