"""Running the embedded pipeline from tests, as a user would, and reading what it wrote."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

EXAMPLE_GLOB = "training/*/*/*/examples/*.json"
"""Where the built-in emitter puts one immutable object per training example."""


def run_etl(
    paths: Sequence[Path | str],
    out: Path,
    *extra_args: str,
    env: Mapping[str, str] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """``etl run PATH... --out OUT`` in a subprocess (the installed console script's module),
    with the environment of the test plus ``env``."""
    command = [
        sys.executable,
        "-m",
        "etl_core",
        "run",
        *map(str, paths),
        "--out",
        str(out),
        *extra_args,
    ]
    merged = {**os.environ, **(env or {})}
    merged.setdefault("ETL_PSEUDONYM_KEY", "test-pseudonym-key")
    result = subprocess.run(command, capture_output=True, text=True, env=merged, check=False)
    if check and result.returncode != 0:
        raise AssertionError(
            f"etl run exited {result.returncode}\n"
            f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        )
    return result


def training_examples(out: Path, domain: str | None = None) -> list[dict[str, Any]]:
    """Every training example written under ``out``, optionally of one health domain, sorted by
    ``metadata.source_key``."""
    examples = []
    for path in sorted(out.glob(EXAMPLE_GLOB)):
        example = json.loads(path.read_text(encoding="utf-8"))
        if domain is None or example["metadata"]["health_domain"] == domain:
            examples.append(example)
    examples.sort(key=lambda e: str(e["metadata"].get("source_key", "")))
    return examples
