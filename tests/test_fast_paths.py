"""The fast paths of the per-record loops give what the plain per-record helpers give: the
local days of a file (``local_days`` against ``window_days_of``), the generic checks' path
readers and range test, and the glucose window's offsets."""

from __future__ import annotations

import math
from datetime import UTC
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from etl_core.builtin.generic_checks import _MISSING, _outside, check_times, getter
from etl_core.contract.model import ValueRange
from etl_core.contract.timeutil import PersonZone
from etl_core.contract.windows import WindowRule, window_days_of
from etl_core.engine.stages import local_days

DAY_MS = 86_400_000
BASE = 1_758_400_000_000


def _span_records() -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    offsets: list[Any] = ["-05:00", "+09:30", "Z", "", None, "bogus", 7, "+14:00", "-12:00"]
    for i in range(300):
        start = BASE + i * 4_321_000 + (i % 7) * DAY_MS // 3
        end: Any = start + (i % 5) * DAY_MS // 2
        if i % 11 == 0:
            end = start - 1  # reversed: read as an instant
        if i % 13 == 0:
            end = None
        records.append(
            {
                "startTime": start if i % 17 else True,
                "endTime": end,
                "startZoneOffsetId": offsets[i % len(offsets)],
                "endZoneOffsetId": offsets[(i * 5) % len(offsets)],
            }
        )
    return records


@pytest.mark.parametrize(
    "zone", [None, UTC, ZoneInfo("America/Chicago"), PersonZone([(BASE // 3_600_000, -300)])]
)
@pytest.mark.parametrize(
    "fields", [("startTime", "endTime"), ("startTime",), ("timeEpochMillis",), ()]
)
def test_local_days_match_window_days_of(zone: Any, fields: tuple[str, ...]) -> None:
    records = _span_records()
    if fields == ("timeEpochMillis",):
        records = [
            {"timeEpochMillis": r["startTime"], "zoneOffsetId": r["startZoneOffsetId"]}
            for r in records
        ]
    expected = {
        day for record in records for day in window_days_of(WindowRule.day(), record, fields, zone)
    }
    assert local_days(records, fields, zone) == expected


def _read_slow(record: Any, path: str) -> Any:
    node: Any = record
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return _MISSING
        node = node[part]
    return node


@pytest.mark.parametrize(
    "record",
    [
        {"metadata": {"id": "a"}},
        {"metadata": {"id": None}},
        {"metadata": {}},
        {"metadata": None},
        {"metadata": ["id"]},
        {},
    ],
)
def test_two_part_getter_reads_like_the_general_one(record: dict[str, Any]) -> None:
    assert getter("metadata.id")(record) is _read_slow(record, "metadata.id")
    assert getter("a.b.c")(record) is _read_slow(record, "a.b.c")


class _Float(float):
    pass


@pytest.mark.parametrize(
    "value",
    [
        20,
        20.0,
        600,
        19.999,
        600.5,
        math.nan,
        math.inf,
        -math.inf,
        True,
        False,
        "100",
        None,
        _Float(50.0),
        _Float(700.0),
        10**30,
    ],
)
def test_inline_range_test_matches_value_range(value: Any) -> None:
    allowed = ValueRange(20, 600, "mg/dL")
    assert _outside(allowed)(value) is (value not in allowed)


def test_instant_time_checks_match_a_start_and_end_pair() -> None:
    now = BASE + 400 * DAY_MS
    values: list[Any] = [BASE, BASE - DAY_MS, 5, now + 3 * DAY_MS, True, None, 1.5e12, BASE]
    instant = [{"t": v} for v in values]
    paired = [{"t": v, "u": v} for v in values]
    assert check_times(instant, ("t",), now) == check_times(paired, ("t", "u"), now)


def test_decoded_records_share_equal_leaf_mappings_and_read_like_plain_fastavro() -> None:
    """Decoding shares a file's repeated nested mappings of plain values (``metadata.device``)
    between its records; every record still reads exactly as fastavro decodes it, and values
    that are equal but not interchangeable (``1``, ``1.0``, ``True``; ``0.0`` and ``-0.0``)
    never share."""
    import io

    import fastavro

    from etl_core.engine.decode import MAX_SHARED_LEAVES, decode_records
    from etl_core.testing import real_samples, write_avro

    device = {
        "type": "record",
        "name": "Device",
        "fields": [
            {"name": "model", "type": ["null", "string"]},
            {"name": "count", "type": ["null", "int", "double", "boolean"]},
        ],
    }
    schema = {
        "type": "record",
        "name": "AvroThingRecord",
        "fields": [
            {"name": "id", "type": "string"},
            {"name": "device", "type": device},
            {"name": "tags", "type": {"type": "array", "items": "string"}},
        ],
    }
    counts: list[Any] = [1, 1.0, True, 0.0, -0.0, None, 1, 1.0, True, -0.0]
    records = [
        {"id": f"r{i}", "device": {"model": "watch", "count": count}, "tags": ["a"]}
        for i, count in enumerate(counts)
    ] + [
        {"id": f"u{i}", "device": {"model": f"m{i}", "count": None}, "tags": []}
        for i in range(MAX_SHARED_LEAVES + 50)
    ]
    data = write_avro(schema, records)
    decoded = decode_records(data, "things.avro", None)
    assert decoded == list(fastavro.reader(io.BytesIO(data)))
    for record, count in zip(decoded, counts, strict=False):
        assert type(record["device"]["count"]) is type(count)
        assert repr(record["device"]["count"]) == repr(count)
    devices = [record["device"] for record in decoded[: len(counts)]]
    assert devices[0] is devices[6] and devices[1] is devices[7] and devices[2] is devices[8]
    assert devices[0] is not devices[1] and devices[1] is not devices[2]
    assert devices[3] is not devices[4] and devices[4] is not devices[9]  # zeros keep their sign
    # Unique mappings past the bound are kept, unshared.
    assert [r["device"]["model"] for r in decoded[len(counts) :]] == [
        f"m{i}" for i in range(MAX_SHARED_LEAVES + 50)
    ]
    # A real export reads as fastavro reads it.
    for path in real_samples()[:6]:
        raw = path.read_bytes()
        assert decode_records(raw, path.name, None) == list(fastavro.reader(io.BytesIO(raw)))


def test_merge_rows_are_the_rows_of_the_newest_versions() -> None:
    """The history merge chooses each record's version while making its row: the same rows, in
    the same order, as ``newest_versions`` followed by a row per record."""
    import random

    from etl_core.contract.windows import newest_versions
    from etl_core.stores.history.sql import _newest_rows, _row

    chooser = random.Random(7)
    records: list[dict[str, Any]] = []
    for i in range(400):
        ident = f"id{chooser.randrange(60)}" if i % 9 else ""
        metadata: dict[str, Any] = {"lastModifiedTimeEpochMillis": chooser.choice([1, 2, 2, True])}
        if ident:
            metadata["id"] = ident
        records.append(
            {
                "metadata": metadata,
                "time": BASE + chooser.randrange(5) * DAY_MS,
                "zoneOffsetId": chooser.choice(["-05:00", "Z", None]),
                "value": chooser.choice([1, 2.5, "x"]),
                "appRecordFetchTimeEpochMillis": chooser.choice([5, 6]),
            }
        )
    fields = ("time",)
    assert _newest_rows(records, fields) == [_row(r, fields) for r in newest_versions(records)]
    assert _newest_rows(records[::-1], fields) == [
        _row(r, fields) for r in newest_versions(records[::-1])
    ]
