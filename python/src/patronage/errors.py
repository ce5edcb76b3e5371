"""The exceptions of the `patronage` module, one base class for all of them:
an output file that does not match its manifest, and a command that failed
(with its exit code and message, and for failed data checks the tables
anyway)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:  # pragma: no cover
    import polars as pl

    from .tables import Tables


class PatronageError(Exception):
    """Base class of every error the module raises."""


class ManifestError(PatronageError):
    """An output folder that is not what its ``manifest.json`` says: the
    manifest is missing or unreadable, or a listed file is missing or has other
    bytes (``path``, with the SHA-256 the manifest lists and the file's)."""

    def __init__(
        self,
        message: str,
        path: Optional[Path] = None,
        expected: Optional[str] = None,
        actual: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.path = path
        self.expected = expected
        self.actual = actual


class BinaryNotFound(PatronageError):
    """The ``patronage`` command is not installed where the module looks."""


class CommandError(PatronageError):
    """The ``patronage`` command ended with a non-zero exit code: 2 for an
    error (``message`` names the file, line and column where it applies), 1
    when data checks of error severity failed (see :class:`ChecksFailed`)."""

    def __init__(self, exit_code: int, message: str) -> None:
        super().__init__(f"patronage exited with code {exit_code}: {message}")
        self.exit_code = exit_code
        self.message = message


class ChecksFailed(CommandError):
    """The run finished and wrote every table, but a data check of error
    severity failed (exit code 1). ``tables`` holds the tables it wrote, and
    ``failed_checks`` the failed checks' rows of ``check_results``."""

    def __init__(self, message: str, tables: "Tables", failed_checks: "pl.DataFrame") -> None:
        super().__init__(1, message)
        self.tables = tables
        self.failed_checks = failed_checks
