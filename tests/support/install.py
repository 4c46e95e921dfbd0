"""Installing throwaway distributions into a folder of their own, as ``pip install`` would put
them in site-packages (entry points included), without touching the running environment."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path


def install_into(target: Path, projects: Iterable[str]) -> None:
    """``pip install --target``: offline (no dependencies, no build isolation) and quiet."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            *projects,
        ],
        check=True,
    )
