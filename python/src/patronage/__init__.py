"""patronage: research-grade Parquet tables of a country's ties to its
patrons, from the raw files agencies publish.

The wheel installs the ``patronage`` command; this module drives it from
Python and loads what it writes, verified against the run's manifest:

>>> import patronage, polars as pl
>>> tables = patronage.run("pipelines/dprk.toml")          # doctest: +SKIP
>>> tables["trade_windows"].filter(pl.col("window_id") == "seed_2017_jan_feb").collect()  # doctest: +SKIP

- :func:`load` an output folder: table name -> polars LazyFrame, after every
  file's SHA-256 is checked against ``manifest.json``;
- :func:`run` a pipeline and get the same mapping;
- :func:`schema`, the data dictionary; :func:`claims`, the claims' verdicts.

Errors derive from :class:`PatronageError`.
"""

from __future__ import annotations

from .binary import find_binary
from .command import claims, run, schema
from .errors import (
    BinaryNotFound,
    ChecksFailed,
    CommandError,
    ManifestError,
    PatronageError,
)
from .tables import Tables, load

__all__ = [
    "BinaryNotFound",
    "ChecksFailed",
    "CommandError",
    "ManifestError",
    "PatronageError",
    "Tables",
    "claims",
    "find_binary",
    "load",
    "run",
    "schema",
]
