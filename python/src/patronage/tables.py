"""Loading a run's output folder: every file ``manifest.json`` lists is hashed
and compared with the SHA-256 the manifest records before any table is
returned, so a table the module hands out is one the manifest vouches for. A
table is one Parquet file or a folder of parts (``trade_flows/year=2019/
part-0.parquet``), each part listed in the manifest with its own hash; only
listed files are read, so a stray file in a table's folder is never loaded."""

from __future__ import annotations

import hashlib
import os
import json
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import Any, Dict, List, Literal, Optional, Union

import polars as pl

from .errors import ManifestError

Backend = Literal["polars", "pyarrow"]
PathLike = Union[str, "os.PathLike[str]"]


class Tables(Mapping[str, Any]):
    """Table name to polars ``LazyFrame`` (or ``pyarrow.dataset.Dataset`` with
    ``backend="pyarrow"``), in the order ``manifest.json`` lists the tables.

    ``output_dir`` is the folder, ``manifest`` the parsed ``manifest.json``,
    ``files`` each table's verified files, and ``failed_checks`` the rows of
    ``check_results`` whose check of error severity failed (``None`` unless
    :func:`patronage.run` ended with exit code 1)."""

    def __init__(
        self,
        output_dir: Path,
        manifest: Dict[str, Any],
        frames: Dict[str, Any],
        files: Dict[str, List[Path]],
    ) -> None:
        self.output_dir = output_dir
        self.manifest = manifest
        self.files = files
        self.failed_checks: Optional[pl.DataFrame] = None
        self._frames = frames

    def __getitem__(self, name: str) -> Any:
        try:
            return self._frames[name]
        except KeyError:
            raise KeyError(
                f"{name!r}: no such table in {self.output_dir / 'manifest.json'} "
                f"(it lists {', '.join(self._frames)})"
            ) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._frames)

    def __len__(self) -> int:
        return len(self._frames)

    def __repr__(self) -> str:
        return f"Tables({str(self.output_dir)!r}: {', '.join(self._frames)})"


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file, read in blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_manifest(out: Path) -> Dict[str, Any]:
    """The parsed ``manifest.json`` of ``out``."""
    path = out / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ManifestError(f"{path}: no manifest.json (has a run finished here?)", path) from None
    except (OSError, ValueError) as e:
        raise ManifestError(f"{path}: cannot read the manifest: {e}", path) from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("outputs"), list):
        raise ManifestError(f"{path}: not a patronage manifest (no \"outputs\" list)", path)
    return manifest


def _parts(entry: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The files of one manifest entry: the entry itself (``file``,
    ``sha256``), or its ``parts`` when it lists a partitioned table's files."""
    parts = entry.get("parts")
    return parts if isinstance(parts, list) else [entry]


def _listed_path(out: Path, manifest_path: Path, name: Any) -> Path:
    """A file a manifest lists, which must lie inside the output folder."""
    if not isinstance(name, str) or not name:
        raise ManifestError(f"{manifest_path}: an output without a file name", manifest_path)
    rel = PurePosixPath(name)
    if rel.is_absolute() or ".." in rel.parts:
        raise ManifestError(f"{manifest_path}: {name!r} is not inside the output folder", manifest_path)
    return out.joinpath(*rel.parts)


def verified_files(out: Path, manifest: Dict[str, Any]) -> Dict[str, List[Path]]:
    """Each table's files, in manifest order, after checking every file's
    SHA-256 against the manifest; a missing or changed file raises
    :class:`ManifestError` naming it."""
    manifest_path = out / "manifest.json"
    tables: Dict[str, List[Path]] = {}
    for entry in manifest["outputs"]:
        table = entry.get("table")
        if not isinstance(table, str):
            raise ManifestError(f"{manifest_path}: an output without a table name", manifest_path)
        for part in _parts(entry):
            path = _listed_path(out, manifest_path, part.get("file"))
            expected = part.get("sha256")
            try:
                actual = sha256_of(path)
            except FileNotFoundError:
                raise ManifestError(f"{path}: listed in {manifest_path} but missing", path) from None
            if actual != expected:
                raise ManifestError(
                    f"{path}: changed since the run wrote it "
                    f"(manifest sha256 {expected}, file sha256 {actual})",
                    path,
                    expected,
                    actual,
                )
            tables.setdefault(table, []).append(path)
    return tables


def _hive_keys(out: Path, path: Path) -> List[str]:
    """The ``key=value`` folder names between the output folder and a part."""
    return [p.split("=", 1)[0] for p in path.relative_to(out).parts[:-1] if "=" in p]


def _polars_frame(out: Path, files: List[Path]) -> pl.LazyFrame:
    keys = _hive_keys(out, files[0])
    if not keys and len(files) == 1:
        return pl.scan_parquet(files[0])
    # Partition columns come from the folder names unless the parts hold them.
    in_file = set(pl.read_parquet_schema(files[0]))
    hive = bool(keys) and not set(keys) <= in_file
    return pl.scan_parquet([str(f) for f in files], hive_partitioning=hive)


def _pyarrow_dataset(out: Path, files: List[Path]) -> Any:
    try:
        import pyarrow.dataset as ds  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError('backend="pyarrow" needs pyarrow: pip install "patronage[pyarrow]"') from None
    keys = _hive_keys(out, files[0])
    if not keys:
        return ds.dataset([str(f) for f in files], format="parquet")
    base = out.joinpath(*files[0].relative_to(out).parts[: -1 - len(keys)])
    in_file = set(ds.dataset(str(files[0]), format="parquet").schema.names)
    partitioning = None if set(keys) <= in_file else "hive"
    return ds.dataset(
        [str(f) for f in files],
        format="parquet",
        partitioning=partitioning,
        partition_base_dir=str(base),
    )


def load(out_dir: PathLike, *, backend: Backend = "polars") -> Tables:
    """Load every table of an output folder after checking every file's
    SHA-256 against ``manifest.json``.

    Returns a mapping of table name to ``polars.LazyFrame`` (or, with
    ``backend="pyarrow"``, ``pyarrow.dataset.Dataset``). A partitioned table
    (a folder of parts, each listed in the manifest) is one frame over its
    parts, its partition columns read from the ``key=value`` folder names.

    Raises :class:`ManifestError` when ``manifest.json`` is missing or a listed
    file is missing or has changed, naming the file.
    """
    out = Path(out_dir)
    manifest = read_manifest(out)
    files = verified_files(out, manifest)
    if backend == "polars":
        frames = {t: _polars_frame(out, fs) for t, fs in files.items()}
    elif backend == "pyarrow":
        frames = {t: _pyarrow_dataset(out, fs) for t, fs in files.items()}
    else:
        raise ValueError(f'backend={backend!r}: expected "polars" or "pyarrow"')
    return Tables(out, manifest, frames, files)
