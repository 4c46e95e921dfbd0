"""What ``etl run`` should have written for the glucose windows, computed here from the raw
exports: the person's clock from every record of any type that carries an offset, the windows
built from the newest version of every glucose record, and this plugin's hooks on each. Tests
compare the monthly journals (and the example objects behind them) with it."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from typing import Any

from etl_core import ExampleKind, ProcessResult, UserContext, Window
from etl_core.contract.timeutil import HOUR_MS, PersonZone, parse_offset
from etl_core.engine.window_stage import record_set_fingerprint
from etl_core.testing import SyntheticExport, read_avro, training_examples, windows_from_exports
from etl_glucose.plugin import etl_process_window, etl_windows, glucose_spec

SPEC = glucose_spec()
DOMAIN = SPEC.health_domain
Export = Path | bytes | SyntheticExport

OFFSET_FIELDS = (
    ("timeEpochMillis", "zoneOffsetId"),
    ("startTimeEpochMillis", "startZoneOffsetId"),
    ("endTimeEpochMillis", "endZoneOffsetId"),
)
REVISION = re.compile(r"^r(\d+)\.jsonl$")


def _records(export: Export) -> list[dict[str, Any]]:
    return read_avro(export.data if isinstance(export, SyntheticExport) else export)


def person_zone(exports: Iterable[Export], fallback: tzinfo | None = None) -> PersonZone:
    """The person's clock as core infers it: the ``(hour, offset)`` of every time of every
    record, of any type, that carries a real offset."""
    observations: set[tuple[int, int]] = set()
    for export in exports:
        for record in _records(export):
            for time_field, offset_field in OFFSET_FIELDS:
                instant, offset_id = record.get(time_field), record.get(offset_field)
                zone = parse_offset(offset_id) if isinstance(offset_id, str) else None
                delta = zone.utcoffset(None) if zone is not None else None
                if isinstance(instant, int) and delta is not None:
                    observations.add((instant // HOUR_MS, int(delta.total_seconds()) // 60))
    return PersonZone(observations, fallback)


def hook_results(
    exports: Sequence[Export], zone: tzinfo | None
) -> dict[str, tuple[Window, ProcessResult]]:
    """Window key -> the window built from every glucose record of the exports, and what the
    hooks return for it."""
    found: dict[str, tuple[Window, ProcessResult]] = {}
    for rule in etl_windows(SPEC) or ():
        for window in windows_from_exports(SPEC, rule, exports, user=UserContext(timezone=zone)):
            result = etl_process_window(window, SPEC)
            assert result is not None, window.key
            found[window.key] = (window, result)
    return found


@dataclass(frozen=True)
class JournalLine:
    month: str
    """``YYYY/MM`` of the journal the line is in."""
    example: dict[str, Any]


def journal_lines(out: Path, domain: str = DOMAIN) -> list[JournalLine]:
    """Every line of every monthly journal of the domain."""
    lines = []
    for path in sorted((out / "training" / domain).glob("*/*/health_journal_*.jsonl")):
        month = f"{path.parent.parent.name}/{path.parent.name}"
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                lines.append(JournalLine(month, json.loads(line)))
    return lines


def newest_revision_objects(out: Path, domain: str = DOMAIN) -> dict[str, list[dict[str, Any]]]:
    """Window folder -> the examples of its highest revision, read from the objects themselves
    (``examples/<window id>/r<revision>.jsonl``), not through core's listing helper."""
    newest: dict[str, tuple[int, Path]] = {}
    for path in (out / "training" / domain).glob("*/*/examples/*/r*.jsonl"):
        match = REVISION.match(path.name)
        assert match is not None, path
        revision = int(match.group(1))
        if path.parent.name not in newest or revision > newest[path.parent.name][0]:
            newest[path.parent.name] = (revision, path)
    return {
        folder: [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        for folder, (_, path) in newest.items()
    }


def _stable(example: dict[str, Any]) -> str:
    return json.dumps(example, sort_keys=True)


def assert_journals_match_hooks(
    out: Path, expected: dict[str, tuple[Window, ProcessResult]]
) -> dict[str, list[dict[str, Any]]]:
    """The glucose journals under ``out`` hold exactly one current example set per window of
    ``expected``, each equal to what the hooks return for that window; returns the journal
    examples by window key."""
    lines = journal_lines(out)
    by_window: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for line in lines:
        meta = line.example["metadata"]
        assert meta["record_type"] == SPEC.name
        key = meta["window"]["key"]
        # a window's examples go to the journal of the local month it starts in
        assert line.month == meta["window"]["first_day"][:7].replace("-", "/"), key
        by_window[key].append(line.example)
    assert sorted(by_window) == sorted(expected)

    # The journals are the newest revision of every window, nothing else, nothing twice.
    newest = newest_revision_objects(out)
    assert len(newest) == len(expected)
    assert sorted(map(_stable, (e for examples in newest.values() for e in examples))) == sorted(
        _stable(line.example) for line in lines
    )
    assert sorted(map(_stable, training_examples(out, DOMAIN))) == sorted(
        _stable(line.example) for line in lines
    )

    for key, (window, result) in expected.items():
        written = by_window[key]
        assert len({e["metadata"]["revision"] for e in written}) == 1, key
        assert [(e["metadata"]["example_kind"], e["output"]) for e in written] == [
            (example.kind.value, example.output) for example in result.examples
        ], key
        insights = json.loads(json.dumps(result.insights))
        methods = json.loads(json.dumps(result.methods))
        for example, text in zip(written, result.examples, strict=True):
            meta = example["metadata"]
            assert example["input"] == result.summary, key
            if text.kind is ExampleKind.QUESTION:
                assert example["instruction"] == text.question, key
            else:
                assert example["instruction"] in SPEC.instructions_by_kind[text.kind.value], key
            assert meta["clinical_insights"] == insights, key
            assert meta["methods"] == methods, key
            assert meta["clock"] == window.clock.value, key
            assert meta["record_count"] == len(window.records), key
            assert meta["content_fingerprint"] == record_set_fingerprint(window), key
            assert (meta["window"]["rule"], meta["window"]["first_day"]) == (
                window.rule.name,
                window.first_day.isoformat(),
            )
            assert meta["window"]["last_day"] == window.last_day.isoformat()
            assert meta["processor"].startswith("glucose ")
    return dict(by_window)
