"""Quality scoring on crafted batches: 0.3 schema + 0.3 completeness + 0.2 physiological +
0.2 temporal, each part 1 minus the share of records its findings affect."""

from __future__ import annotations

from typing import Any

import pytest

from etl_core.builtin.generic_checks import array_reader, generic_findings, iter_path
from etl_core.contract.model import RecordTypeSpec, Severity, ValueRange
from etl_core.engine.validate import score
from etl_core.testing import build_batch
from tests.support.records import BASE_MS, temperature_records
from tests.support.temperature_plugin import SPEC

NOW_MS = BASE_MS + 10 * 86_400_000


def with_values(values: list[Any]) -> list[dict[str, Any]]:
    records = temperature_records(len(values))
    for record, value in zip(records, values, strict=True):
        record["temperatureInCelsius"] = value
    return records


def shuffled(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return list(reversed(records))


CASES: list[tuple[str, list[dict[str, Any]], float, bool]] = [
    ("clean", temperature_records(10), 1.0, True),
    ("one impossible high value", with_values([37.0] * 9 + [9999.0]), 0.98, True),
    ("one negative value", with_values([-5.0] + [37.0] * 9), 0.98, True),
    ("NaN and infinity", with_values([float("nan"), float("inf")] + [37.0] * 8), 0.96, True),
    ("two missing values", with_values([None, None] + [37.0] * 8), 0.94, True),
    ("timestamps shuffled", shuffled(temperature_records(10)), 0.82, True),
    ("every value impossible", with_values([9999.0] * 10), 0.5, False),
    (
        "missing, impossible and shuffled",
        shuffled(with_values([None] * 4 + [99.0] * 4 + [37.0] * 2)),
        0.62,
        False,
    ),
    ("no records", [], 0.7, False),
]


@pytest.mark.parametrize(
    ("name", "records", "expected", "passes"), CASES, ids=[c[0] for c in CASES]
)
def test_quality_score_table(
    name: str, records: list[dict[str, Any]], expected: float, passes: bool
) -> None:
    batch = build_batch(SPEC.name, records)
    report = score(generic_findings(batch, SPEC, NOW_MS), len(records), threshold=0.7)
    assert report.quality_score == pytest.approx(expected, abs=1e-9)
    assert report.passed is passes
    if name != "clean":
        assert report.findings, "a degraded batch must say why"


def test_excluded_records_are_the_invalid_ones() -> None:
    records = with_values([37.0, 9999.0, None, 36.8])
    batch = build_batch(SPEC.name, records)
    report = score(generic_findings(batch, SPEC, NOW_MS), 4, threshold=0.7)
    assert report.excluded_indices == {1, 2}
    assert len(batch.without(report.excluded_indices).records) == 2


INTERVAL_SPEC = RecordTypeSpec(
    name="StepsRecord",
    health_domain="physical_activity",
    reader_schema=None,
    required_fields=("count",),
    ranges={"count": ValueRange(0, 1_000_000)},
    time_fields=("startTimeEpochMillis", "endTimeEpochMillis"),
)


def interval(start: int, end: int, count: int = 100) -> dict[str, Any]:
    return {"startTimeEpochMillis": start, "endTimeEpochMillis": end, "count": count}


def test_end_before_start_is_an_error_finding() -> None:
    records = [interval(BASE_MS + i * 1000, BASE_MS + i * 1000 + 500) for i in range(9)]
    records.append(interval(BASE_MS + 20_000, BASE_MS + 10_000))
    findings = generic_findings(build_batch("StepsRecord", records), INTERVAL_SPEC, NOW_MS)
    report = score(findings, 10, threshold=0.7)
    assert [f.code for f in findings] == ["end_before_start"]
    assert report.quality_score == pytest.approx(0.98)
    assert report.excluded_indices == {9}


def test_dates_in_1970_and_2100_are_implausible() -> None:
    records = [
        interval(0, 1000),
        interval(4_102_444_800_000, 4_102_444_801_000),
        interval(BASE_MS, BASE_MS + 1),
    ]
    findings = generic_findings(build_batch("StepsRecord", records), INTERVAL_SPEC, NOW_MS)
    assert [(f.code, f.affected) for f in findings] == [("implausible_timestamp", 2)]


def test_array_paths_count_items_and_keep_records() -> None:
    spec = RecordTypeSpec(
        name="HeartRateRecord",
        health_domain="cardiovascular_fitness",
        reader_schema=None,
        ranges={"samples[].beatsPerMinute": ValueRange(1, 300, "bpm")},
    )
    records = [{"samples": [{"beatsPerMinute": b} for b in (60, 61, 0, 62)]}]
    findings = generic_findings(build_batch("HeartRateRecord", records), spec, NOW_MS)
    assert len(findings) == 1
    finding = findings[0]
    assert (finding.severity, finding.affected, finding.out_of) == (Severity.WARNING, 1, 4)
    assert "60" not in finding.message.replace("1 of 4", "")  # counts, not values


SHAPES: list[Any] = [
    {"samples": [{"bpm": 61}, {"bpm": None}, {"other": 1}, "text", {"bpm": True}, {"bpm": 1e9}]},
    {"samples": []},
    {"samples": None},
    {"samples": {"bpm": 61}},
    {},
    {"metadata": {"stages": [{"kind": 4}, {"kind": "deep"}]}},
    {"nested": [{"inner": [{"bpm": 70}, {"bpm": 71}]}, {"inner": "x"}]},
    {"samples": [60, 61.5, float("nan")]},
]


@pytest.mark.parametrize(
    "path",
    ["samples[].bpm", "samples[]", "metadata.stages[].kind", "nested[].inner[].bpm", "[]", "x[].y"],
)
def test_the_compiled_array_reader_gives_what_iter_path_gives(path: str) -> None:
    read = array_reader(path)
    for record in SHAPES:
        assert repr(list(read(record))) == repr(list(iter_path(record, path)))
