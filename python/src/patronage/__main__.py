"""``python -m patronage ARGS`` runs the installed ``patronage`` command with
the same arguments and exits with its exit code."""

from __future__ import annotations

import os
import subprocess
import sys

from .binary import find_binary


def main() -> int:
    binary = str(find_binary())
    if sys.platform == "win32":
        return subprocess.run([binary, *sys.argv[1:]]).returncode
    os.execv(binary, [binary, *sys.argv[1:]])
    return 2  # pragma: no cover - execv does not return


if __name__ == "__main__":
    sys.exit(main())
