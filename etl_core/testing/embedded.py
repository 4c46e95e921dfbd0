"""Running the embedded pipeline from tests, as a user would, and reading what it wrote."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

EXAMPLE_GLOB = "training/*/*/*/examples/**/*.json*"
"""Where the built-in emitter puts its example objects (a window's revisions, per-upload
examples); :func:`training_examples` reads the current ones."""


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
    """Every current training example under ``out`` (the latest revision of each window, every
    per-upload example), optionally of one health domain, sorted by record type, window and
    kind (per-upload examples by ``metadata.source_key``)."""
    from etl_core.outputs.compaction import current_example_keys

    keys = [p.relative_to(out).as_posix() for p in out.glob(EXAMPLE_GLOB) if p.is_file()]
    examples = []
    for key in current_example_keys(keys):
        for line in (out / key).read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            example = json.loads(line)
            if domain is None or example["metadata"]["health_domain"] == domain:
                examples.append(example)
    examples.sort(key=_example_order)
    return examples


def _example_order(example: dict[str, Any]) -> tuple[str, str, str, str]:
    metadata = example.get("metadata", {})
    window = metadata.get("window") or {}
    return (
        str(metadata.get("source_key", "")),
        str(metadata.get("record_type", "")),
        str(window.get("key", "")),
        str(metadata.get("example_kind", "")),
    )


def journal_examples(out: Path, domain: str | None = None) -> list[dict[str, Any]]:
    """Every line of every monthly journal under ``out`` (optionally of one health domain), in
    the order :func:`training_examples` sorts them: a journal holds the current examples."""
    examples = []
    for path in sorted(out.glob("training/*/*/*/health_journal_*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                example = json.loads(line)
                if domain is None or example["metadata"]["health_domain"] == domain:
                    examples.append(example)
    examples.sort(key=_example_order)
    return examples
