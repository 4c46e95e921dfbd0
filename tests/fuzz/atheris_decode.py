"""An atheris (libFuzzer) harness for decode plus validation.

:func:`check_input` takes arbitrary bytes through what the pipeline does before processing:
header and size check, record-type detection, schema governance against the installed
plugins' reader schemas, bounded decoding, and validation through the plugin registry
(core's generic checks and every installed ``etl_validate``), then scoring. An input may be
refused with an :class:`~etl_core.contract.errors.EtlError` (that is the contract); any other
exception, a hang or runaway memory is a bug, and libFuzzer saves the input that caused it.

atheris is not a dependency of etl-core: ``pip install atheris`` (wheels for CPython on Linux
x86-64). From the checkout, with the plugins installed::

    python -m tests.fuzz.atheris_decode --write-corpus /tmp/etl-corpus   # seeds from samples/
    python -m tests.fuzz.atheris_decode /tmp/etl-corpus -max_total_time=3600 \\
        -rss_limit_mb=1024 -timeout=20 -max_len=262144

``-max_total_time`` is how long to run (seconds; drop it to run until stopped), ``-jobs=N
-workers=N`` runs N fuzzers in parallel, ``-timeout`` makes a slow input a crash and
``-rss_limit_mb`` makes runaway memory one. A crashing input lands in ``crash-<sha1>`` in
the working directory; replay it with ``python -m tests.fuzz.atheris_decode crash-<sha1>``.
``tests/test_fuzz_harness.py`` runs :func:`check_input` on the seeds in every test run, so
the harness cannot rot unnoticed.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from etl_core.contract.errors import EtlError
from etl_core.contract.model import Batch, Dimension, Finding, Severity, SourceRef
from etl_core.engine.decode import SchemaGovernor, decode_records, detect_record_type, read_header
from etl_core.engine.registry import PluginRegistry, load_plugins
from etl_core.engine.validate import score
from etl_core.testing import read_avro, write_avro

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "health-connect"
MAX_BYTES = 1024 * 1024
"""The size limit the harness decodes under (the pipeline's ETL_MAX_FILE_SIZE_MB)."""
QUALITY_THRESHOLD = 0.7


@cache
def _registry() -> PluginRegistry:
    return load_plugins()


@cache
def _governor() -> SchemaGovernor:
    return SchemaGovernor()


def check_input(data: bytes, name: str = "fuzz.avro") -> str:
    """Decode and validate ``data`` as the pipeline would; returns ``"refused: <type>"`` or
    ``"passed"``/``"failed"`` (the quality verdict). Raises only on a bug."""
    registry = _registry()
    try:
        writer_schema = read_header(data, MAX_BYTES, name)
        record_type, _ = detect_record_type(writer_schema, name)
        spec = registry.spec_for(record_type, writer_schema)
        findings: list[Finding] = []
        if spec.reader_schema is not None:
            reasons = _governor().incompatibilities(spec.reader_schema, writer_schema)
            if reasons:
                findings.append(
                    Finding(
                        Dimension.SCHEMA,
                        Severity.BLOCKING,
                        "schema_incompatible",
                        "; ".join(reasons),
                    )
                )
        compatible = not findings
        records = decode_records(
            data, name, spec.reader_schema if compatible else None, max_bytes=MAX_BYTES
        )
    except EtlError as exc:
        return f"refused: {exc.error_type}"
    batch = Batch(
        record_type=record_type,
        records=records,
        source=SourceRef("fuzz", name, len(data), "0" * 64),
        correlation_id="fuzz",
        writer_schema=writer_schema,
    )
    if compatible:
        findings.extend(registry.validate(batch, spec))
    report = score(findings, len(records), QUALITY_THRESHOLD)
    return "passed" if report.passed else "failed"


def seed_corpus() -> Iterator[tuple[str, bytes]]:
    """The synthetic sample files (never the real exports), whole and cut down to a few
    records so that the fuzzer's mutations reach past the header quickly."""
    for path in sorted(SAMPLES.glob("*.avro")):
        data = path.read_bytes()
        yield path.name, data
        schema = read_header(data, len(data) + 1, path.name)
        records = read_avro(data)
        for count in (1, 3):
            yield f"{path.stem}-{count}.avro", write_avro(schema, records[:count])
        yield f"{path.stem}-deflate.avro", write_avro(schema, records[:3], codec="deflate")


def _fuzz_one(data: bytes) -> None:
    check_input(data)


def main(argv: list[str]) -> None:
    if len(argv) == 3 and argv[1] == "--write-corpus":
        folder = Path(argv[2])
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in seed_corpus():
            (folder / name).write_bytes(data)
        sys.stderr.write(f"wrote the seed corpus to {folder}\n")
        return
    # Optional, not a dependency: pip install atheris
    import atheris  # type: ignore[import-not-found,import-untyped,unused-ignore]

    _registry()  # load the plugins before instrumenting, so startup is not fuzzed
    atheris.instrument_all()
    started = time.monotonic()
    atheris.Setup(argv, _fuzz_one)
    sys.stderr.write(f"harness ready in {time.monotonic() - started:.1f} s\n")
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
