"""Where the ``patronage`` command is: the one the wheel installed into this
Python environment's scripts folder (or the user scheme's), else the first on
``PATH``; ``PATRONAGE_BIN`` names another (a ``cargo build`` of the
repository, say). The module never runs a command found anywhere else."""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
from pathlib import Path

from .errors import BinaryNotFound

_EXE = "patronage" + (".exe" if sys.platform == "win32" else "")


def find_binary() -> Path:
    """The path of the ``patronage`` command this module runs."""
    override = os.environ.get("PATRONAGE_BIN")
    if override:
        path = Path(override)
        if not path.is_file():
            raise BinaryNotFound(f"PATRONAGE_BIN={override}: no such file")
        return path
    schemes = [sysconfig.get_default_scheme()]
    user = f"{os.name}_user" if os.name != "posix" or sys.platform != "darwin" else "osx_framework_user"
    if user in sysconfig.get_scheme_names():
        schemes.append(user)
    for scheme in schemes:
        path = Path(sysconfig.get_path("scripts", scheme)) / _EXE
        if path.is_file():
            return path
    found = shutil.which(_EXE)
    if found:
        return Path(found)
    raise BinaryNotFound(
        "the patronage command is not installed in this environment "
        "(pip install patronage, or set PATRONAGE_BIN to a patronage binary)"
    )
