"""Hostile and broken input: every message ends dead-lettered or acknowledged, every file ends
processed, quarantined or failed with a reason; nothing raises, nothing hangs, memory stays
bounded (issue 10, "Bad input").

Avro inputs start from the synthetic files in ``samples/`` (never the real exports) and are
damaged byte-wise (truncated, bit-flipped, wrong magic, huge declared counts, a deflate bomb)
or record-wise (NaN and infinities, negative durations, dates in 1970 and 2100, control
characters, a wrong schema) before going through :meth:`Pipeline.run` with a local object
store and SQLite dedup. Messages go through :meth:`MessageHandler.handle`.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import math
import os
import queue
import re
import threading
import tracemalloc
import uuid
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path
from typing import Any, TypeVar, cast

import fastavro
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from etl_core.contract.errors import DecodeError
from etl_core.contract.figures import unsupported_figures
from etl_core.engine.decode import BYTES_PER_RECORD_FLOOR, DEFAULT_MAX_DECODED_BYTES, decode_records
from etl_core.engine.pipeline import Job, Outcome, Pipeline, Status
from etl_core.engine.registry import PluginRegistry, load_plugins
from etl_core.settings import Settings
from etl_core.stores.dedup.sql import SqlDedupStore
from etl_core.stores.objects.base import LocalObjectStore
from etl_core.testing import health_connect_schema, read_avro, synthetic_records, write_avro
from etl_core.transports.handler import Action, Decision, MessageHandler
from etl_core.transports.rabbitmq.publisher import prepare_upload

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "health-connect"
RECORD_TYPES = (
    "ActiveCaloriesBurnedRecord",
    "BloodGlucoseRecord",
    "HeartRateRecord",
    "HeartRateVariabilityRmssdRecord",
    "SleepSessionRecord",
    "StepsRecord",
)
SECONDS_PER_INPUT = 30.0
MAX_FILE_MB = 1.0
MiB = 1024 * 1024
T = TypeVar("T")

# Modest for CI; ETL_BAD_INPUT_EXAMPLES=2000 explores further on a workstation.
FEW = settings(
    max_examples=int(os.environ.get("ETL_BAD_INPUT_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


# -- inputs -----------------------------------------------------------------------------------


@cache
def sample_bytes(record_type: str) -> bytes:
    [path] = SAMPLES.glob(f"{record_type}_*.avro")
    return path.read_bytes()


@cache
def sample_records(record_type: str, limit: int = 24) -> tuple[dict[str, Any], ...]:
    return tuple(read_avro(sample_bytes(record_type))[:limit])


def small_file(record_type: str, records: list[dict[str, Any]] | None = None) -> bytes:
    chosen = (
        records if records is not None else [copy.deepcopy(r) for r in sample_records(record_type)]
    )
    return write_avro(health_connect_schema(record_type), chosen)


def long_bytes(value: int) -> bytes:
    """Avro's zig-zag varint."""
    encoded = (value << 1) ^ (value >> 63)
    out = bytearray()
    while encoded > 0x7F:
        out.append((encoded & 0x7F) | 0x80)
        encoded >>= 7
    out.append(encoded)
    return bytes(out)


def container(
    schema: dict[str, Any], blocks: list[tuple[int, bytes]], codec: str = "null"
) -> bytes:
    """An object container file assembled by hand, so that block counts and payloads can lie."""
    sync = b"\x5a" * 16
    header = io.BytesIO()
    meta = {"avro.schema": json.dumps(schema).encode(), "avro.codec": codec.encode()}
    fastavro.schemaless_writer(
        header, fastavro.read.HEADER_SCHEMA, {"magic": b"Obj\x01", "meta": meta, "sync": sync}
    )
    body = b"".join(long_bytes(n) + long_bytes(len(p)) + p + sync for n, p in blocks)
    return header.getvalue() + body


def first_block_offset(data: bytes) -> int:
    stream = io.BytesIO(data)
    fastavro.schemaless_reader(stream, fastavro.read.HEADER_SCHEMA, None)
    return stream.tell()


def with_block_count(data: bytes, count: int) -> bytes:
    """``data`` with its first block's record count replaced (payload untouched)."""
    offset = first_block_offset(data)
    stream = io.BytesIO(data[offset:])
    fastavro.schemaless_reader(stream, "long", None)
    return data[:offset] + long_bytes(count) + data[offset + stream.tell() :]


@cache
def deflate_bomb(inflated_bytes: int) -> bytes:
    """A valid deflate container holding one BloodGlucoseRecord whose clientRecordId is
    ``inflated_bytes`` long: a few hundred kilobytes that inflate past the size limit."""
    record = copy.deepcopy(sample_records("BloodGlucoseRecord")[0])
    record["metadata"]["clientRecordId"] = "x" * inflated_bytes
    return write_avro(health_connect_schema("BloodGlucoseRecord"), [record], codec="deflate")


# -- running ----------------------------------------------------------------------------------


@cache
def registry() -> PluginRegistry:
    return load_plugins()


NEEDS_OWNERS = pytest.mark.skipif(
    not set(RECORD_TYPES) <= set(registry().specs),
    reason="needs the first-party plugins that own these record types (integration session)",
)


def pipeline_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {"pseudonym_key": "bad-input-tests", "max_file_size_mb": MAX_FILE_MB}
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@dataclass
class Harness:
    pipeline: Pipeline
    out: Path

    def run(self, data: bytes, key: str) -> Outcome:
        # A user of its own per input: neither the file nor the content dedup can hide a case.
        job = Job(data=data, bucket="local", key=key, user_id=uuid.uuid4().hex)
        return within_time(lambda: self.pipeline.run(job))


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    root = tmp_path_factory.mktemp("bad-input")
    dedup = SqlDedupStore.sqlite_file(root / "state" / "dedup.sqlite")
    try:
        pipeline = Pipeline(registry(), LocalObjectStore(root / "out"), dedup, pipeline_settings())
        yield Harness(pipeline, root / "out")
    finally:
        dedup.close()


def within_time(call: Callable[[], T], seconds: float = SECONDS_PER_INPUT) -> T:
    """``call()`` on a daemon thread: a hang fails the test instead of stalling the run, and
    the stuck thread does not keep the interpreter from exiting."""
    results: queue.Queue[tuple[bool, Any]] = queue.Queue()

    def target() -> None:
        try:
            results.put((True, call()))
        except BaseException as exc:
            results.put((False, exc))

    threading.Thread(target=target, name="bad-input", daemon=True).start()
    try:
        ok, value = results.get(timeout=seconds)
    except queue.Empty:
        pytest.fail(f"no outcome within {seconds} s: a hang")
    if not ok:
        raise value
    return cast(T, value)


def peak_traced_bytes(call: Callable[[], T]) -> tuple[T, int]:
    tracemalloc.start()
    try:
        result = call()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


def strict_json(text: str) -> Any:
    def refuse(constant: str) -> Any:
        raise AssertionError(f"non-standard JSON constant {constant} in an example")

    return json.loads(text, parse_constant=refuse)


def assert_accounted_for(outcome: Outcome, harness: Harness) -> None:
    """The outcome contract for any input: a final status with a reason where it failed."""
    assert outcome.status in set(Status)
    if outcome.status is Status.FAILED:
        assert outcome.error_type, outcome
        assert outcome.message, outcome
        assert not outcome.retriable, f"a bad input is not a transient failure: {outcome}"
        assert outcome.error_type != "processor_error", f"a plugin crashed: {outcome.message}"
    if outcome.status is Status.QUARANTINED:
        assert outcome.message, outcome
        assert outcome.quarantine_key
        meta = strict_json((harness.out / f"{outcome.quarantine_key}.metadata.json").read_text())
        assert meta["reasons"]
    for key in outcome.examples:
        example = strict_json((harness.out / key).read_text())
        assert not unsupported_figures(example["output"], example["metadata"]["clinical_insights"])
        for text in (example["input"], example["output"]):
            assert not NON_FINITE_WORDS.search(text), text
    written = [p for p in harness.out.rglob("*") if p.is_file()]
    assert all(harness.out in p.resolve().parents for p in written)


def assert_refused(outcome: Outcome, harness: Harness) -> None:
    """A bad file: failed with a reason or quarantined with its reasons, never an example."""
    assert_accounted_for(outcome, harness)
    assert outcome.status in (Status.FAILED, Status.QUARANTINED), outcome
    assert not outcome.examples


# -- Avro bytes -------------------------------------------------------------------------------

record_types = st.sampled_from(RECORD_TYPES)


@FEW
@given(record_type=record_types, data=st.data())
def test_truncated_files_fail_with_a_reason(harness: Harness, record_type: str, data: Any) -> None:
    whole = small_file(record_type)
    cut = data.draw(st.integers(0, len(whole) - 1), label="cut")
    outcome = harness.run(whole[:cut], f"{record_type}_cut{cut}.avro")
    assert_refused(outcome, harness)
    if outcome.status is Status.FAILED and cut > 0:
        assert outcome.quarantine_key, "an unreadable file is kept with its reason"


@FEW
@given(
    record_type=record_types,
    codec=st.sampled_from(["null", "deflate", "bzip2", "xz"]),
    flips=st.lists(
        st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 7)), min_size=1, max_size=8
    ),
)
def test_bit_flipped_files_end_with_an_outcome(
    harness: Harness, record_type: str, codec: str, flips: list[tuple[float, int]]
) -> None:
    records = [copy.deepcopy(r) for r in sample_records(record_type)]
    damaged = bytearray(write_avro(health_connect_schema(record_type), records, codec=codec))
    for where, bit in flips:
        damaged[int(where * len(damaged))] ^= 1 << bit
    outcome = harness.run(bytes(damaged), f"{record_type}_flipped.avro")
    assert_accounted_for(outcome, harness)


@FEW
@given(record_type=record_types, magic=st.binary(min_size=4, max_size=4))
def test_wrong_magic_is_refused(harness: Harness, record_type: str, magic: bytes) -> None:
    assume(magic != b"Obj\x01")
    outcome = harness.run(magic + small_file(record_type)[4:], f"{record_type}_magic.avro")
    assert_refused(outcome, harness)
    assert outcome.error_type == "decode_error"


@FEW
@given(junk=st.binary(max_size=2000))
def test_arbitrary_bytes_are_refused(harness: Harness, junk: bytes) -> None:
    assert_refused(harness.run(junk, "BloodGlucoseRecord_junk.avro"), harness)


@FEW
@given(record_type=record_types, count=st.integers(10**4, 2**62))
def test_huge_declared_block_counts_are_refused_quickly_and_in_bounded_memory(
    harness: Harness, record_type: str, count: int
) -> None:
    lying = with_block_count(small_file(record_type), count)
    outcome, peak = peak_traced_bytes(lambda: harness.run(lying, f"{record_type}_count.avro"))
    assert_refused(outcome, harness)
    assert "declares" in outcome.message
    assert peak < 8 * MiB, f"peak {peak / MiB:.1f} MiB"


@pytest.mark.parametrize(
    "items",
    [
        {"type": "record", "name": "Empty", "fields": []},
        "null",
    ],
    ids=["empty-records", "nulls"],
)
def test_zero_width_records_or_array_items_cannot_declare_endless_counts(
    harness: Harness, items: Any
) -> None:
    """With zero-byte values a declared count costs no bytes: 2**62 of them would decode for
    ever. Such a schema is refused before any record is decoded."""
    empty_records = container(
        {"type": "record", "name": "AvroStepsRecord", "fields": []}, [(2**62, b"")]
    )
    schema = {
        "type": "record",
        "name": "AvroStepsRecord",
        "fields": [{"name": "values", "type": {"type": "array", "items": items}}],
    }
    endless_array = container(schema, [(1, long_bytes(2**62) + long_bytes(0))])
    for data in (empty_records, endless_array):
        outcome, peak = peak_traced_bytes(partial(harness.run, data, "StepsRecord_zero.avro"))
        assert_refused(outcome, harness)
        assert "zero" in outcome.message
        assert peak < 8 * MiB


def test_tiny_records_cannot_multiply_the_file_size_in_memory(harness: Harness) -> None:
    """A 1-byte record decodes to some 200 bytes of Python objects: a file of a million of
    them, well within the size limit, would need 185 MiB (measured before the floor)."""
    schema = {
        "type": "record",
        "name": "AvroStepsRecord",
        "fields": [{"name": "flag", "type": "boolean"}],
    }
    million = container(schema, [(1_000_000, b"\x01" * 1_000_000)])
    outcome, peak = peak_traced_bytes(lambda: harness.run(million, "StepsRecord_tiny.avro"))
    assert_refused(outcome, harness)
    assert "records (one per" in outcome.message
    assert peak < 8 * MiB, f"peak {peak / MiB:.1f} MiB"

    limit = MiB
    allowed = limit // BYTES_PER_RECORD_FLOOR
    assert (
        len(
            decode_records(
                container(schema, [(allowed, b"\x01" * allowed)]), "ok", None, max_bytes=limit
            )
        )
        == allowed
    )
    with pytest.raises(DecodeError, match="records"):
        decode_records(
            container(schema, [(allowed + 1, b"\x01" * (allowed + 1))]), "no", None, max_bytes=limit
        )


@pytest.mark.slow
def test_deflate_bomb_is_refused_in_bounded_memory(harness: Harness) -> None:
    inflated = 3 * DEFAULT_MAX_DECODED_BYTES
    bomb = deflate_bomb(inflated)
    assert len(bomb) < MAX_FILE_MB * MiB < inflated  # small on the wire, huge inflated
    outcome, peak = peak_traced_bytes(lambda: harness.run(bomb, "BloodGlucoseRecord_bomb.avro"))
    assert_refused(outcome, harness)
    assert "decode to more than the limit" in outcome.message
    # The pipeline decodes with the default bound (50 MiB): inflation stops there, so the peak
    # is about the bound plus the inflater's buffer, never the 150 MiB the block would make.
    assert peak < 2.5 * DEFAULT_MAX_DECODED_BYTES, f"peak {peak / MiB:.1f} MiB"

    # Given the deployment's limit (ETL_MAX_FILE_SIZE_MB), decoding stops at it.
    limit = int(MAX_FILE_MB * MiB)
    reason, small_peak = peak_traced_bytes(lambda: _refusal(bomb, limit))
    assert "more than the limit" in reason
    assert small_peak < 4 * limit + MiB, f"peak {small_peak / MiB:.1f} MiB"


def _refusal(data: bytes, limit: int) -> str:
    try:
        decode_records(data, "bomb", None, max_bytes=limit)
    except DecodeError as exc:
        return str(exc)
    raise AssertionError("the bomb was decoded")


def test_compressed_containers_within_the_limit_decode_as_before() -> None:
    records = [copy.deepcopy(r) for r in sample_records("BloodGlucoseRecord")]
    schema = health_connect_schema("BloodGlucoseRecord")
    for codec in ("null", "deflate", "bzip2", "xz"):
        data = write_avro(schema, records, codec=codec)
        assert decode_records(data, f"glucose.{codec}", None) == records


def wrong_schemas() -> st.SearchStrategy[dict[str, Any]]:
    """Record schemas named like a Health Connect type but with fields of their own."""
    field_types = st.sampled_from(["string", "long", "double", "boolean", ["null", "string"]])
    names = st.from_regex(r"[a-z][A-Za-z]{0,12}", fullmatch=True)
    fields = st.lists(
        st.tuples(names, field_types), min_size=1, max_size=6, unique_by=lambda f: f[0]
    )
    return st.builds(
        lambda record_type, fs: {
            "type": "record",
            "name": f"Avro{record_type}",
            "namespace": "io.github.hitoshura25.healthsyncapp.data.avro",
            "fields": [{"name": n, "type": t} for n, t in fs],
        },
        record_types,
        fields,
    )


def values_for(schema: dict[str, Any]) -> dict[str, Any]:
    plain = {"string": "x", "long": 7, "double": 1.5, "boolean": True}
    return {
        f["name"]: plain.get(f["type"]) if isinstance(f["type"], str) else None
        for f in schema["fields"]
    }


@NEEDS_OWNERS
@FEW
@given(schema=wrong_schemas(), count=st.integers(1, 5))
def test_a_wrong_schema_is_quarantined_as_incompatible(
    harness: Harness, schema: dict[str, Any], count: int
) -> None:
    data = write_avro(schema, [values_for(schema)] * count)
    record_type = schema["name"].removeprefix("Avro")
    outcome = harness.run(data, f"{record_type}_wrong.avro")
    assert_refused(outcome, harness)
    assert outcome.status is Status.QUARANTINED
    assert "incompatible" in outcome.message


def test_a_schema_of_another_type_than_announced_is_refused(harness: Harness) -> None:
    job = Job(
        data=small_file("StepsRecord"),
        bucket="local",
        key="BloodGlucoseRecord_1.avro",
        user_id="someone",
        expected_record_type="BloodGlucoseRecord",
    )
    outcome = within_time(lambda: harness.pipeline.run(job))
    assert_refused(outcome, harness)
    assert outcome.error_type == "record_type_mismatch"


# -- records with hostile values --------------------------------------------------------------

NON_FINITE = st.sampled_from([math.nan, math.inf, -math.inf, -0.0, 1e308, -1e308, 5e-324])
CONTROL = st.text(
    alphabet=st.sampled_from(
        [chr(c) for c in range(0, 32)] + ["\x7f", "\u2028", "\u202e", "\ufeff"]
    ),
    min_size=1,
    max_size=12,
)
JAN_1970_MS = 0
JAN_2100_MS = 4_102_444_800_000
HOUR_MS = 3_600_000
NON_FINITE_WORDS = re.compile(r"\b(nan|NaN|inf|Infinity)\b")


def set_numbers(record: dict[str, Any], value: float) -> None:
    """Every float field, at the top and inside arrays of records (samples, stages)."""
    for name, current in record.items():
        if isinstance(current, float):
            record[name] = value
        elif isinstance(current, list):
            for item in current:
                if isinstance(item, dict):
                    set_numbers(item, value)


def enum_symbols(schema: Any) -> set[str]:
    if isinstance(schema, dict):
        found = set(schema.get("symbols", ())) if schema.get("type") == "enum" else set()
        return found.union(*(enum_symbols(v) for v in schema.values()))
    if isinstance(schema, list):
        return set().union(*(enum_symbols(v) for v in schema))
    return set()


def set_strings(record: dict[str, Any], text: str, keep: set[str]) -> None:
    """Put ``text`` inside every free-text string (enum symbols in ``keep`` stay valid; zone
    offsets have a test of their own)."""
    for name, current in record.items():
        if name.endswith("ZoneOffsetId"):
            continue
        if isinstance(current, str) and current not in keep:
            record[name] = current[:3] + text + current[3:]
        elif isinstance(current, dict):
            set_strings(current, text, keep)
        elif isinstance(current, list):
            for item in current:
                if isinstance(item, dict):
                    set_strings(item, text, keep)


def shift_times(record: dict[str, Any], to_ms: int) -> None:
    """Move every instant so that the record starts at ``to_ms``, keeping its shape."""
    base = record.get("timeEpochMillis", record.get("startTimeEpochMillis"))
    assert isinstance(base, int)

    def move(node: dict[str, Any]) -> None:
        for name, current in node.items():
            if name.lower().endswith("timeepochmillis") and isinstance(current, int):
                node[name] = current - base + to_ms
            elif isinstance(current, list):
                for item in current:
                    if isinstance(item, dict):
                        move(item)

    move(record)


def reverse_durations(record: dict[str, Any]) -> None:
    if "startTimeEpochMillis" in record:
        start, end = record["startTimeEpochMillis"], record["endTimeEpochMillis"]
        record["startTimeEpochMillis"], record["endTimeEpochMillis"] = end + 60_000, start
    if "durationMillis" in record:
        record["durationMillis"] = -abs(record["durationMillis"]) - 1
    for stage in record.get("stages") or ():
        stage["startTimeEpochMillis"], stage["endTimeEpochMillis"] = (
            stage["endTimeEpochMillis"] + 60_000,
            stage["startTimeEpochMillis"],
        )


Mutation = Callable[[dict[str, Any]], None]


@st.composite
def mutations(draw: st.DrawFn) -> tuple[str, Mutation]:
    kind = draw(st.sampled_from(["number", "strings", "1970", "2100", "negative_duration"]))
    if kind == "number":
        value = draw(NON_FINITE)
        return f"number {value}", lambda r: set_numbers(r, value)
    if kind == "strings":
        text = draw(CONTROL)
        keep = set().union(*(enum_symbols(health_connect_schema(t)) for t in RECORD_TYPES))
        return f"control {text!r}", lambda r: set_strings(r, text, keep)
    if kind == "1970":
        return kind, lambda r: shift_times(r, JAN_1970_MS + HOUR_MS)
    if kind == "2100":
        return kind, lambda r: shift_times(r, JAN_2100_MS + HOUR_MS)
    return kind, reverse_durations


@NEEDS_OWNERS
@FEW
@given(
    record_type=record_types,
    mutation=mutations(),
    share=st.sampled_from([0.25, 1.0]),
)
@example(
    record_type="BloodGlucoseRecord",
    mutation=("number nan", lambda r: set_numbers(r, math.nan)),
    share=1.0,
)
@example(
    record_type="HeartRateRecord",
    mutation=("number inf", lambda r: set_numbers(r, math.inf)),
    share=1.0,
)
@example(
    record_type="SleepSessionRecord", mutation=("negative_duration", reverse_durations), share=1.0
)
def test_hostile_values_are_excluded_or_quarantined_never_written(
    harness: Harness, record_type: str, mutation: tuple[str, Mutation], share: float
) -> None:
    name, mutate = mutation
    records = [copy.deepcopy(r) for r in sample_records(record_type)]
    hit = max(1, int(len(records) * share))
    for record in records[:hit]:
        mutate(record)
    outcome = harness.run(
        small_file(record_type, records), f"{record_type}_{uuid.uuid4().hex}.avro"
    )
    assert_accounted_for(outcome, harness)
    spec = registry().specs[record_type]
    first = sample_records(record_type)[0]
    ranged_float = any(isinstance(first.get(path), float) for path in spec.ranges)
    every_record_invalid = share == 1.0 and (
        name in ("1970", "2100")
        or (name == "negative_duration" and len(spec.time_fields) == 2)
        or (
            name.startswith("number")
            and ranged_float
            and not abs(float(name.split()[1])) < 1e300  # NaN, the infinities, +-1e308
        )
    )
    if every_record_invalid:
        assert outcome.status is Status.QUARANTINED, (name, outcome)


MALFORMED_OFFSETS = ["-04\x7f:00", "+99:00", "garbage", "-18:01", "", "Z"]


def offset_cases() -> Iterator[Any]:
    for record_type in RECORD_TYPES:
        for offset in MALFORMED_OFFSETS:
            yield pytest.param(record_type, offset, id=f"{record_type}-{offset!r}")


@pytest.mark.parametrize(("record_type", "offset"), list(offset_cases()))
def test_malformed_zone_offsets_do_not_crash_a_processor(
    harness: Harness, record_type: str, offset: str
) -> None:
    records = [copy.deepcopy(r) for r in sample_records(record_type)]
    for record in records[:3]:
        for name in [n for n in record if n.endswith("ZoneOffsetId")]:
            record[name] = offset
    outcome = harness.run(small_file(record_type, records), f"{record_type}_offsets.avro")
    assert_accounted_for(outcome, harness)


# -- keys -------------------------------------------------------------------------------------

HOSTILE_KEYS = [
    "../BloodGlucoseRecord_1.avro",
    "../../../../etc/BloodGlucoseRecord_1.avro",
    "raw/../../BloodGlucoseRecord_1.avro",
    "/abs/BloodGlucoseRecord_1.avro",
    "raw/./BloodGlucoseRecord_1.avro",
    "raw//BloodGlucoseRecord_1.avro",
    "raw\\..\\BloodGlucoseRecord_1.avro",
    "raw/BloodGlucoseRecord_1.avro\x00.txt",
    "raw/\x1b[31mBloodGlucoseRecord_1.avro",
]


@pytest.mark.parametrize("key", HOSTILE_KEYS)
@pytest.mark.parametrize("good", [True, False], ids=["valid", "truncated"])
def test_keys_that_climb_out_never_write_outside_the_output(
    harness: Harness, key: str, good: bool
) -> None:
    data = small_file("BloodGlucoseRecord")
    outcome = harness.run(data if good else data[: len(data) // 2], key)
    assert_accounted_for(outcome, harness)
    if not good:
        assert_refused(outcome, harness)
    if outcome.quarantine_key:
        assert ".." not in outcome.quarantine_key.split("/")


# -- messages ---------------------------------------------------------------------------------


@dataclass
class MessageHarness:
    handler: MessageHandler
    valid: dict[str, Any]
    sources: LocalObjectStore


@pytest.fixture(scope="module")
def message_harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MessageHarness]:
    root = tmp_path_factory.mktemp("messages")
    configured = pipeline_settings(max_retries=3)
    dedup = SqlDedupStore.sqlite_file(root / "state" / "dedup.sqlite")
    sources = LocalObjectStore(root / "sources")
    data = small_file("BloodGlucoseRecord")
    upload = prepare_upload(
        data,
        "BloodGlucoseRecord_1.avro",
        user_id="user-7",
        bucket=configured.s3_bucket_name,
        pseudonym_key=b"k",
    )
    sources.put(upload.message.key, data)
    try:
        pipeline = Pipeline(registry(), LocalObjectStore(root / "out"), dedup, configured)
        handler = MessageHandler(pipeline, lambda _bucket: sources, configured)
        yield MessageHarness(handler, json.loads(upload.message.model_dump_json()), sources)
    finally:
        dedup.close()


def assert_decided(decision: Decision) -> None:
    assert decision.action in (Action.ACK, Action.DEAD_LETTER), decision
    if decision.action is Action.DEAD_LETTER:
        assert decision.error_type, decision
        assert decision.error_type != "internal_error", decision
        assert decision.error_message, decision


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@FEW
@given(body=st.binary(max_size=400) | json_values.map(lambda v: json.dumps(v).encode()))
def test_arbitrary_bodies_are_dead_lettered_as_invalid(
    message_harness: MessageHarness, body: bytes
) -> None:
    decision = within_time(lambda: message_harness.handler.handle(body))
    assert decision.action is Action.DEAD_LETTER
    assert decision.error_type == "invalid_message"


FIELD_VALUES = st.one_of(
    json_values,
    CONTROL,
    st.sampled_from(["../../etc/passwd", "raw/../x.avro", "/etc/passwd", "", "a" * 5000, "NaN"]),
    st.sampled_from([-1, 2**63, 10**30, 1e309]),
)


@FEW
@given(
    changes=st.lists(
        st.tuples(
            st.sampled_from(
                [
                    "message_id",
                    "correlation_id",
                    "user_id",
                    "bucket",
                    "key",
                    "record_type",
                    "upload_timestamp_utc",
                    "content_hash",
                    "file_size_bytes",
                    "record_count",
                    "idempotency_key",
                    "priority",
                    "retry_count",
                    "timezone",
                    "age_years",
                    "extra",
                ]
            ),
            st.none() | FIELD_VALUES,
        ),
        min_size=1,
        max_size=3,
    )
)
def test_mutated_valid_messages_are_decided(
    message_harness: MessageHarness, changes: list[tuple[str, Any]]
) -> None:
    document = dict(message_harness.valid)
    document["idempotency_key"] = uuid.uuid4().hex
    for name, value in changes:
        if value is None:
            document.pop(name, None)
        else:
            document[name] = value
    body = json.dumps(document).encode()
    decision = within_time(lambda: message_harness.handler.handle(body))
    assert_decided(decision)
    assert "user-7" not in (decision.error_message or ""), "messages never name the user"


@pytest.mark.parametrize("key", HOSTILE_KEYS)
def test_messages_naming_hostile_keys_are_dead_lettered(
    message_harness: MessageHarness, key: str
) -> None:
    document = dict(message_harness.valid, key=key, idempotency_key=uuid.uuid4().hex)
    decision = message_harness.handler.handle(json.dumps(document).encode())
    assert decision.action is Action.DEAD_LETTER
    assert decision.error_type in ("invalid_message", "missing_object")


def test_a_message_whose_object_is_damaged_is_dead_lettered_with_the_decode_reason(
    message_harness: MessageHarness,
) -> None:
    damaged = with_block_count(small_file("StepsRecord"), 2**40)
    key = f"raw/StepsRecord/{uuid.uuid4().hex}.avro"
    message_harness.sources.put(key, damaged)
    document = dict(
        message_harness.valid,
        key=key,
        record_type="StepsRecord",
        content_hash=hashlib.sha256(damaged).hexdigest(),
        file_size_bytes=len(damaged),
        idempotency_key=uuid.uuid4().hex,
    )
    decision = message_harness.handler.handle(json.dumps(document).encode())
    assert decision.action is Action.DEAD_LETTER
    assert decision.error_type == "decode_error"
    assert "declares" in (decision.error_message or "")


def test_a_deflate_bomb_behind_a_message_is_dead_lettered(
    message_harness: MessageHarness,
) -> None:
    bomb = deflate_bomb(3 * DEFAULT_MAX_DECODED_BYTES)
    key = f"raw/BloodGlucoseRecord/{uuid.uuid4().hex}.avro"
    message_harness.sources.put(key, bomb)
    document = dict(
        message_harness.valid,
        key=key,
        content_hash=hashlib.sha256(bomb).hexdigest(),
        file_size_bytes=len(bomb),
        idempotency_key=uuid.uuid4().hex,
    )
    decision = within_time(lambda: message_harness.handler.handle(json.dumps(document).encode()))
    assert decision.action is Action.DEAD_LETTER
    assert decision.error_type == "decode_error"


# Keep the module's own arithmetic honest: the bomb really is one.
def test_the_bomb_inflates_past_the_limit() -> None:
    bomb = deflate_bomb(3 * DEFAULT_MAX_DECODED_BYTES)
    offset = first_block_offset(bomb)
    stream = io.BytesIO(bomb[offset:])
    fastavro.schemaless_reader(stream, "long", None)
    payload = fastavro.schemaless_reader(stream, "bytes", None)
    assert isinstance(payload, bytes)
    inflater = zlib.decompressobj(-15)
    inflated = len(inflater.decompress(payload, DEFAULT_MAX_DECODED_BYTES + 1))
    assert inflated > DEFAULT_MAX_DECODED_BYTES


def test_write_avro_names_the_record_that_does_not_fit_its_schema() -> None:
    """The fixture writer a plugin author makes samples with says which record is wrong and
    where, instead of fastavro's bare "no value and no default"."""
    schema = health_connect_schema("BloodGlucoseRecord")
    good = read_avro(write_avro(schema, synthetic_records("BloodGlucoseRecord", 3)))
    broken = [dict(record) for record in good]
    del broken[2]["metadata"]
    with pytest.raises(
        ValueError, match=r"^record 2 does not fit the schema: .*metadata is missing"
    ):
        write_avro(schema, broken)
    assert read_avro(write_avro(schema, good)) == good
