"""The record history store (``etl_core.stores.history``) on SQLite and PostgreSQL: merging
versions,
which windows a change touches, the person's inferred clock, compare-and-set publication, and
no lost update under concurrent merges and rebuilds."""

from __future__ import annotations

import hashlib
import json
import random
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from etl_core.contract.model import UserContext
from etl_core.contract.timeutil import PersonZone, infer_offset_minutes, parse_offset
from etl_core.contract.windows import (
    FALLBACK_RULES,
    TypePlan,
    WindowPlan,
    WindowRule,
    build_window,
    newest_versions,
    window_days_of,
)
from etl_core.stores.history import DecodedRecords, PendingWindow, WindowRef
from etl_core.stores.history.sql import MAX_KEY_LENGTH, SqlHistoryStore
from etl_core.testing import read_avro, synthetic_person
from tests.services import postgres_schema

CDT = timezone(timedelta(hours=-5))
INSTANT = ("timeEpochMillis",)
SPAN = ("startTimeEpochMillis", "endTimeEpochMillis")
FALLBACK = TypePlan(FALLBACK_RULES, INSTANT)
PLAN: WindowPlan = {
    "BloodGlucoseRecord": TypePlan(
        (WindowRule.day(), WindowRule.iso_week(lookback_days=7)), INSTANT
    ),
    "StepsRecord": TypePlan((WindowRule.day(),), SPAN),
    "HeartRateRecord": TypePlan((WindowRule.day(),), SPAN),
    "HeartRateVariabilityRmssdRecord": TypePlan((WindowRule.night(),), INSTANT),
    "SleepSessionRecord": TypePlan((WindowRule.night(),), SPAN),
    "ActiveCaloriesBurnedRecord": TypePlan((), SPAN),
}


@pytest.fixture
def store(history_url: str) -> Iterator[SqlHistoryStore]:
    history = SqlHistoryStore(history_url)
    yield history
    history.close()


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def glucose(rid: str, moment: datetime, level: float, modified: int = 1, offset: str = "Z") -> dict:
    return {
        "metadata": {"id": rid, "lastModifiedTimeEpochMillis": modified},
        "timeEpochMillis": _ms(moment),
        "zoneOffsetId": offset,
        "levelInMilligramsPerDeciliter": level,
    }


def steps(rid: str, day: date, count: int, modified: int = 1) -> dict:
    start = datetime.combine(day, datetime.min.time(), CDT)
    return {
        "metadata": {"id": rid, "lastModifiedTimeEpochMillis": modified},
        "startTimeEpochMillis": _ms(start),
        "endTimeEpochMillis": _ms(start + timedelta(days=1)) - 1,
        "startZoneOffsetId": "-05:00",
        "endZoneOffsetId": "-05:00",
        "count": count,
    }


def evening_heart_rate() -> dict:
    """Ten minutes of heart rate at 20:00 on 2025-09-20, recorded with its -05:00 offset: the
    observation that places the person's offset-less records."""
    return {
        "metadata": {"id": "hr", "lastModifiedTimeEpochMillis": 1},
        "startTimeEpochMillis": _ms(datetime(2025, 9, 20, 20, 0, tzinfo=CDT)),
        "endTimeEpochMillis": _ms(datetime(2025, 9, 20, 20, 10, tzinfo=CDT)),
        "startZoneOffsetId": "-05:00",
        "endZoneOffsetId": "-05:00",
        "samples": [],
    }


PLAN_WEEK = PLAN["BloodGlucoseRecord"].rules[1]


def keys(refs: Sequence[WindowRef]) -> set[tuple[str, str]]:
    return {(ref.record_type, ref.key) for ref in refs}


def test_a_new_record_bumps_its_windows_and_the_same_record_again_changes_nothing(
    store: SqlHistoryStore,
) -> None:
    first = store.merge("u1", "StepsRecord", [steps("a", date(2025, 9, 20), 1200)], PLAN)
    assert (first.added, first.replaced, first.unchanged) == (1, 0, 0)
    assert keys(first.windows) == {("StepsRecord", "day:2025-09-20")}
    again = store.merge("u1", "StepsRecord", [steps("a", date(2025, 9, 20), 1200)], PLAN)
    assert (again.added, again.replaced, again.unchanged, again.windows) == (0, 0, 1, ())
    assert [(p.ref.key, p.version) for p in store.pending("u1")] == [("day:2025-09-20", 1)]


def test_a_failed_window_waits_for_new_records_or_a_retry(store: SqlHistoryStore) -> None:
    """``mark_failed`` sets a window aside (it is no longer pending) until its records change
    or ``retry_failed`` makes it pending again, for one person or for everyone."""
    for user in ("u1", "u2"):
        store.merge(user, "StepsRecord", [steps("a", date(2025, 9, 20), 1200)], PLAN)
        (pending,) = store.pending(user)
        store.mark_failed(pending.ref, pending.version)
        assert store.pending(user) == []
    assert store.retry_failed("u1") == 1
    assert [(p.ref.user, p.ref.key) for p in store.pending()] == [("u1", "day:2025-09-20")]
    assert store.retry_failed() == 1  # u2's; u1's is no longer failed
    assert {p.ref.user for p in store.pending()} == {"u1", "u2"}
    (failed,) = store.pending("u2")
    store.mark_failed(failed.ref, failed.version)
    store.merge("u2", "StepsRecord", [steps("a", date(2025, 9, 20), 1500, modified=2)], PLAN)
    assert [p.version for p in store.pending("u2")] == [failed.version + 1]


def test_the_people_with_pending_windows_and_what_their_uploads_said_of_them(
    store: SqlHistoryStore,
) -> None:
    """A merge that changes records remembers what its upload said of the person (a named
    zone and an age; the latest upload wins), for builders that never saw the upload."""
    tokyo = UserContext(timezone=ZoneInfo("Asia/Tokyo"), age_years=58)
    store.merge("u1", "StepsRecord", [steps("a", date(2025, 9, 20), 1200)], PLAN, person=tokyo)
    store.merge("u2", "StepsRecord", [steps("a", date(2025, 9, 20), 900)], PLAN)
    assert store.person("u1") == tokyo
    assert store.person("u2") is None, "no upload said anything of u2"
    assert store.pending_people() == ["u1", "u2"]
    # An upload that changes nothing leaves what the person's last merge said.
    store.merge("u1", "StepsRecord", [steps("a", date(2025, 9, 20), 1200)], PLAN, person=None)
    unchanged = UserContext(timezone=ZoneInfo("Europe/Paris"), age_years=59)
    store.merge("u1", "StepsRecord", [steps("a", date(2025, 9, 20), 1200)], PLAN, person=unchanged)
    assert store.person("u1") == tokyo
    # A fixed offset is not a zone that can be named again: the builder infers the clock.
    moved = UserContext(timezone=CDT, age_years=59)
    store.merge("u1", "StepsRecord", [steps("b", date(2025, 9, 21), 80)], PLAN, person=moved)
    assert store.person("u1") == UserContext(timezone=None, age_years=59)
    # Built or set aside after failing, a person's windows no longer wait.
    for pending in store.pending("u1"):
        store.mark_built(pending.ref, pending.version, "hash", published=True)
    (failed,) = store.pending("u2")
    store.mark_failed(failed.ref, failed.version)
    assert store.pending_people() == []


def test_a_newer_version_replaces_the_record_and_an_older_one_is_ignored(
    store: SqlHistoryStore,
) -> None:
    day = date(2025, 9, 20)
    store.merge("u1", "StepsRecord", [steps("a", day, 3933, modified=5)], PLAN)
    older = store.merge("u1", "StepsRecord", [steps("a", day, 1200, modified=2)], PLAN)
    assert not older.changed
    newer = store.merge("u1", "StepsRecord", [steps("a", day, 4100, modified=9)], PLAN)
    assert (newer.added, newer.replaced) == (0, 1)
    (pending,) = store.pending("u1")
    assert pending.version == 2
    snapshot = store.snapshot(pending.ref, WindowRule.day())
    assert snapshot is not None
    assert [r["count"] for r in snapshot.records] == [4100]


def test_a_record_that_moves_bumps_the_window_it_left_and_the_one_it_joined(
    store: SqlHistoryStore,
) -> None:
    store.merge("u1", "StepsRecord", [steps("a", date(2025, 9, 20), 10, modified=1)], PLAN)
    moved = {**steps("a", date(2025, 9, 21), 10, modified=2)}
    result = store.merge("u1", "StepsRecord", [moved], PLAN)
    assert keys(result.windows) == {
        ("StepsRecord", "day:2025-09-20"),
        ("StepsRecord", "day:2025-09-21"),
    }


def test_a_record_in_a_lookback_bumps_only_windows_that_exist(store: SqlHistoryStore) -> None:
    monday = datetime(2025, 9, 15, 9, tzinfo=CDT)
    store.merge(
        "u1",
        "BloodGlucoseRecord",
        [glucose("w2", monday + timedelta(days=7), 110, offset="-05:00")],
        PLAN,
    )
    result = store.merge(
        "u1", "BloodGlucoseRecord", [glucose("w1", monday, 100, offset="-05:00")], PLAN
    )
    # Its own day and week, plus the next week, whose lookback holds it.
    assert keys(result.windows) == {
        ("BloodGlucoseRecord", "day:2025-09-15"),
        ("BloodGlucoseRecord", "week:2025-09-15"),
        ("BloodGlucoseRecord", "week:2025-09-22"),
    }


def test_records_without_an_offset_move_to_local_time_once_the_person_s_offset_is_known(
    store: SqlHistoryStore,
) -> None:
    # 02:00 UTC on the 21st is 21:00 on the 20th at -05:00.
    reading = glucose("g", datetime(2025, 9, 21, 2, 0, tzinfo=UTC), 98)
    first = store.merge("u1", "BloodGlucoseRecord", [reading], PLAN)
    assert ("BloodGlucoseRecord", "day:2025-09-21") in keys(first.windows)
    beat = evening_heart_rate()
    second = store.merge("u1", "HeartRateRecord", [beat], PLAN)
    assert {
        ("BloodGlucoseRecord", "day:2025-09-21"),
        ("BloodGlucoseRecord", "day:2025-09-20"),
        ("HeartRateRecord", "day:2025-09-20"),
    } <= keys(second.windows)
    ref = WindowRef("u1", "BloodGlucoseRecord", "day:2025-09-20")
    snapshot = store.snapshot(ref, WindowRule.day())
    assert snapshot is not None
    zone = PersonZone(snapshot.observations)
    window = build_window(
        "BloodGlucoseRecord",
        WindowRule.day(),
        date(2025, 9, 20),
        snapshot.records,
        time_fields=INSTANT,
        user=UserContext(timezone=zone),
    )
    assert [r["metadata"]["id"] for r in window.records] == ["g"]
    assert window.clock.value == "inferred from the person's other records"


def test_a_clock_move_bumps_windows_of_a_type_this_process_has_no_plugin_for(
    store: SqlHistoryStore,
) -> None:
    # Glucose stored without an owner (core's fallback rules); then another file's offsets
    # move those readings' local day, in a merge whose plan knows heart rate only (a process,
    # or a rerun, that has not met a glucose file yet).
    reading = glucose("g", datetime(2025, 9, 21, 2, 0, tzinfo=UTC), 98)
    store.merge("u1", "BloodGlucoseRecord", [reading], {"BloodGlucoseRecord": FALLBACK})
    beat = evening_heart_rate()
    moved = store.merge(
        "u1", "HeartRateRecord", [beat], {"HeartRateRecord": PLAN["HeartRateRecord"]}
    )
    assert ("BloodGlucoseRecord", "day:2025-09-20") in keys(moved.windows)


def test_publication_is_a_compare_and_set_on_the_built_version(store: SqlHistoryStore) -> None:
    store.merge("u1", "StepsRecord", [steps("a", date(2025, 9, 20), 5)], PLAN)
    (pending,) = store.pending("u1")
    store.merge("u1", "StepsRecord", [steps("b", date(2025, 9, 20), 6)], PLAN)
    assert store.mark_built(pending.ref, 2, "h2", published=True)
    assert not store.mark_built(pending.ref, 1, "h1", published=True)  # too late: 2 is out
    assert store.pending("u1") == []
    snapshot = store.snapshot(pending.ref, WindowRule.day())
    assert snapshot is not None and (snapshot.revision, snapshot.content_hash) == (2, "h2")
    store.merge("u1", "StepsRecord", [steps("c", date(2025, 9, 20), 7)], PLAN)
    assert store.pending("u1") == [PendingWindow(pending.ref, 3)]


def test_the_store_refuses_record_ids_it_cannot_index(store: SqlHistoryStore) -> None:
    record = steps("x" * (MAX_KEY_LENGTH + 1), date(2025, 9, 20), 1)
    with pytest.raises(ValueError, match="longer than"):
        store.merge("u1", "StepsRecord", [record], PLAN)


def test_offset_inference_is_nearest_first_and_bounded() -> None:
    hour = 480_000
    observations = [(hour, -300), (hour + 10, -240)]
    assert infer_offset_minutes(hour * 3_600_000, observations) == -300
    assert infer_offset_minutes((hour + 6) * 3_600_000, observations) == -240
    assert infer_offset_minutes((hour + 5) * 3_600_000, observations) == -300  # a tie: earlier
    assert infer_offset_minutes((hour + 10 + 37) * 3_600_000, observations) is None


# -- no lost update --------------------------------------------------------------------------


def _person_files(days: int) -> list[tuple[str, list[dict[str, Any]]]]:
    return [
        (export.record_type, read_avro(export.data))
        for export in synthetic_person(days)
        if export.record_type in PLAN
    ]


def _digest(records: Sequence[dict[str, Any]], zone: Any, ref: WindowRef) -> str:
    """What a plugin's result would depend on: the records and their local clock."""
    plan = PLAN[ref.record_type]
    rule = plan.rule(ref.rule_name)
    assert rule is not None
    window = build_window(
        ref.record_type,
        rule,
        ref.first_day,
        records,
        time_fields=plan.time_fields,
        user=UserContext(timezone=zone),
    )
    material = [
        (r["metadata"]["id"], r["metadata"]["lastModifiedTimeEpochMillis"]) for r in window.records
    ]
    material += [("earlier", r["metadata"]["id"]) for r in window.earlier]
    if window.records:
        first = window.records[0]
        field = plan.time_fields[0]
        material.append(
            ("clock", window.local(first[field], first.get("zoneOffsetId")).isoformat())
        )
    return hashlib.sha256(json.dumps(material).encode()).hexdigest()


def _build_pending(store: SqlHistoryStore, user: str) -> None:
    while True:
        pending = store.pending(user)
        if not pending:
            return
        for item in pending:
            rule = PLAN[item.ref.record_type].rule(item.ref.rule_name)
            assert rule is not None
            snapshot = store.snapshot(item.ref, rule)
            assert snapshot is not None
            digest = _digest(snapshot.records, PersonZone(snapshot.observations), item.ref)
            store.mark_built(item.ref, snapshot.version, digest, published=True)


def _published(store: SqlHistoryStore, user: str, refs: set[WindowRef]) -> dict[str, str | None]:
    result = {}
    for ref in sorted(refs):
        rule = PLAN[ref.record_type].rule(ref.rule_name)
        assert rule is not None
        snapshot = store.snapshot(ref, rule)
        assert snapshot is not None
        result[f"{ref.record_type}/{ref.key}"] = snapshot.content_hash
    return result


def _expected(files: list[tuple[str, list[dict[str, Any]]]]) -> dict[str, str | None]:
    """Every window's digest computed from all records at once, with no store."""
    by_type: dict[str, list[dict[str, Any]]] = {}
    for record_type, records in files:
        by_type.setdefault(record_type, []).extend(records)
    observations: set[tuple[int, int]] = set()
    for record_type, records in by_type.items():
        fields = PLAN[record_type].time_fields
        for record in records:
            for name in (fields[0], fields[-1]):
                offset_name = (
                    "zoneOffsetId"
                    if name == "timeEpochMillis"
                    else name.replace("TimeEpochMillis", "ZoneOffsetId")
                )
                offset = record.get(offset_name)
                if offset not in (None, "Z"):
                    sign = -1 if offset.startswith("-") else 1
                    hours, minutes = offset[1:].split(":")
                    observations.add(
                        (record[name] // 3_600_000, sign * (int(hours) * 60 + int(minutes)))
                    )
    zone = PersonZone(observations)
    expected = {}
    for record_type, records in by_type.items():
        plan = PLAN[record_type]
        distinct = newest_versions(records)
        for rule in plan.rules:
            days = {d for r in distinct for d in window_days_of(rule, r, plan.time_fields, zone)}
            for day in days:
                ref = WindowRef("u", record_type, rule.key(day))
                expected[f"{record_type}/{ref.key}"] = _digest(distinct, zone, ref)
    return expected


def _merge_all(
    store: SqlHistoryStore, user: str, files: list[tuple[str, list[dict[str, Any]]]]
) -> set[WindowRef]:
    touched: set[WindowRef] = set()
    for record_type, records in files:
        touched.update(store.merge(user, record_type, records, PLAN).windows)
    return touched


def test_threads_merging_shuffled_overlapping_files_lose_no_update(history_url: str) -> None:
    files = _person_files(9)
    expected = _expected(files)
    shuffled = files[:]
    random.Random(11).shuffle(shuffled)
    stores = [SqlHistoryStore(history_url) for _ in range(4)]
    touched: set[WindowRef] = set()
    lock = threading.Lock()
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            mine = _merge_all(stores[index], "u", shuffled[index::4])
            # Rebuild while others still merge: stale snapshots must never win.
            _build_pending(stores[index], "u")
            with lock:
                touched.update(mine)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    _build_pending(stores[0], "u")
    published = _published(stores[0], "u", touched)
    assert published == {k: v for k, v in expected.items() if k in published}
    assert set(expected) <= set(published)
    for history in stores:
        history.close()


def test_the_result_does_not_depend_on_the_order_of_files(history_url: str) -> None:
    files = _person_files(6)
    results = []
    for seed in (1, 2):
        user = f"order-{seed}"
        history = SqlHistoryStore(history_url)
        order = files[:]
        random.Random(seed).shuffle(order)
        touched = _merge_all(history, user, order)
        _build_pending(history, user)
        results.append(
            {k.split("/", 1)[1]: v for k, v in _published(history, user, touched).items()}
        )
        history.close()
    assert results[0] == results[1]


def test_an_offset_that_moves_only_a_window_s_edges_still_bumps_it(store: SqlHistoryStore) -> None:
    def beat(rid: str, at: datetime) -> dict[str, Any]:
        return {
            "metadata": {"id": rid, "lastModifiedTimeEpochMillis": 1},
            "startTimeEpochMillis": _ms(at),
            "endTimeEpochMillis": _ms(at),
            "startZoneOffsetId": "-05:00",
            "endZoneOffsetId": "-05:00",
            "samples": [],
        }

    store.merge(
        "u1", "HeartRateRecord", [beat("early", datetime(2025, 9, 19, 0, tzinfo=UTC))], PLAN
    )
    # 30 hours after the person's last known offset: read at -05:00, on the 20th (01:00 local).
    reading = glucose("g", datetime(2025, 9, 20, 6, 0, tzinfo=UTC), 98)
    store.merge("u1", "BloodGlucoseRecord", [reading], PLAN)
    for pending in store.pending("u1"):
        store.mark_built(pending.ref, pending.version, "built", published=True)
    # A later record confirms -05:00 near the day's end (23 hours from the reading): the reading
    # keeps its offset, but the day now ends at 05:00 UTC, not midnight UTC (it had no offset
    # within reach of its end before), so a day's length, in readings, changes.
    result = store.merge(
        "u1", "HeartRateRecord", [beat("late", datetime(2025, 9, 21, 5, tzinfo=UTC))], PLAN
    )
    assert ("BloodGlucoseRecord", "day:2025-09-20") in keys(result.windows)


# -- one builder per person -------------------------------------------------------------------


def test_one_builder_per_person_at_a_time(history_url: str) -> None:
    # Names of this test alone: PostgreSQL's advisory locks are database-wide, and another
    # test session may share the database.
    person, other_person = f"person-{uuid.uuid4().hex}", f"person-{uuid.uuid4().hex}"
    # Two stores on one database: two processes (or machines) sharing the history.
    first, second = SqlHistoryStore(history_url), SqlHistoryStore(history_url)
    try:
        with first.rebuild_turn(person) as mine:
            assert mine
            with second.rebuild_turn(person) as theirs:
                assert not theirs, "another process gets no turn while one is held"
            with first.rebuild_turn(person) as again:
                assert not again, "nor does another thread of the holding process"
            with second.rebuild_turn(other_person) as other:
                assert other, "another person's turn is free"
        with second.rebuild_turn(person) as now_theirs:
            assert now_theirs, "the turn is free once its holder lets go"
    finally:
        first.close()
        second.close()


HOLD_A_TURN = """
import sys, time
from etl_core.stores.history.sql import SqlHistoryStore
store = SqlHistoryStore(sys.argv[1])
with store.rebuild_turn(sys.argv[2]) as mine:
    print("held" if mine else "refused", flush=True)
    time.sleep(600)
"""


def test_a_turn_ends_with_the_process_that_held_it(history_url: str) -> None:
    person = f"person-{uuid.uuid4().hex}"
    store = SqlHistoryStore(history_url)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_A_TURN, history_url, person], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        with store.rebuild_turn(person) as mine:
            assert not mine
        holder.kill()
        holder.wait(timeout=30)
        # PostgreSQL ends the session when the killed process's connection drops.
        deadline = time.monotonic() + 30
        while not _turn_free(store, person) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _turn_free(store, person)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(timeout=30)
        store.close()


def _turn_free(store: SqlHistoryStore, user: str) -> bool:
    with store.rebuild_turn(user) as mine:
        return mine


def test_an_in_memory_history_takes_turns_between_threads() -> None:
    person = "person-1"
    store = SqlHistoryStore("sqlite://")
    results: list[bool] = []
    try:
        with store.rebuild_turn(person) as mine:
            worker = threading.Thread(target=lambda: results.append(_turn_free(store, person)))
            worker.start()
            worker.join()
            assert mine and results == [False]
        assert _turn_free(store, person)
    finally:
        store.close()


def test_histories_in_two_schemas_of_one_database_do_not_share_turns() -> None:
    person = f"person-{uuid.uuid4().hex}"
    with postgres_schema() as one_url, postgres_schema() as other_url:
        one, other = SqlHistoryStore(one_url), SqlHistoryStore(other_url)
        try:
            with one.rebuild_turn(person) as mine, other.rebuild_turn(person) as theirs:
                assert mine and theirs, "a turn in one schema does not hold the other's"
        finally:
            one.close()
            other.close()


def test_windows_of_one_pass_share_each_decoded_record_and_see_every_new_version(
    store: SqlHistoryStore,
) -> None:
    day, week = WindowRule.day(), WindowRule.iso_week()
    plan: WindowPlan = {**PLAN, "StepsRecord": TypePlan((day, week), SPAN)}
    monday = date(2025, 9, 15)
    store.merge("u1", "StepsRecord", [steps("a", monday, 3933)], plan)
    decoded = DecodedRecords()
    day_ref = WindowRef("u1", "StepsRecord", "day:2025-09-15")
    week_ref = WindowRef("u1", "StepsRecord", "week:2025-09-15")
    in_day, in_week = store.snapshot(day_ref, day, decoded), store.snapshot(week_ref, week, decoded)
    assert in_day is not None and in_week is not None
    assert in_day.records[0] is in_week.records[0]
    assert (decoded.misses, decoded.hits) == (1, 1)
    # A newer version is another body: decoded afresh, never the held one.
    store.merge("u1", "StepsRecord", [steps("a", monday, 4100, modified=9)], plan)
    again = store.snapshot(day_ref, day, decoded)
    assert again is not None and [r["count"] for r in again.records] == [4100]
    assert decoded.misses == 2


def test_decoded_records_stay_within_two_generations() -> None:
    decoded = DecodedRecords(generation=2)
    bodies = [json.dumps({"n": n}) for n in range(5)]
    first = [decoded.decode(body) for body in bodies]
    assert [r["n"] for r in first] == list(range(5))
    # The last two generations (bodies 2-4) are held; body 0 was let go and is decoded again.
    assert decoded.decode(bodies[4]) is first[4]
    assert decoded.decode(bodies[3]) is first[3]
    assert decoded.decode(bodies[0]) is not first[0]
    assert (decoded.misses, decoded.hits) == (6, 2)


@pytest.mark.parametrize(
    ("configured", "observed", "slack_hours"),
    [
        (None, None, 1),
        (timezone(timedelta(hours=5, minutes=30)), None, 1),
        (ZoneInfo("Pacific/Kiritimati"), None, 1),
        (ZoneInfo("Etc/GMT+12"), None, 1),
        (ZoneInfo("America/New_York"), None, 2),  # -04:00 and -05:00 around 2 November
        (ZoneInfo("Europe/Berlin"), "+09:00", None),
    ],
)
def test_records_without_offsets_are_read_around_the_persons_clock(
    store: SqlHistoryStore, configured: tzinfo | None, observed: str | None, slack_hours: int | None
) -> None:
    """A record without an offset is read at the person's clock (their records' offsets, else
    the configured zone, else UTC), so the snapshot reads those whose instants that clock can
    place in the window: the window built from them is the window built from every record,
    and with a single offset nearby none further than an hour outside is read (two, where
    daylight saving ends inside)."""
    records = []
    moment = datetime(2025, 10, 26, tzinfo=UTC)
    for n in range(400):  # every 40 minutes for eleven days
        record = glucose(f"g{n}", moment + timedelta(minutes=40 * n), 100 + n % 50)
        del record["zoneOffsetId"]
        records.append(record)
    if observed is not None:
        # A few readings of the 3rd that state an offset: the clock of their neighbours.
        for n in range(6):
            at = datetime(2025, 11, 3, 9, tzinfo=UTC) + timedelta(hours=n)
            records.append(glucose(f"o{n}", at, 120, offset=observed))
    store.merge("u", "BloodGlucoseRecord", records, PLAN, configured)
    days = ((11, 2), (11, 3), (11, 5), (10, 30))
    cases = [(WindowRule.day(), date(2025, month, day)) for month, day in days]
    cases += [(PLAN_WEEK, date(2025, 11, 3)), (PLAN_WEEK, date(2025, 10, 27))]
    person = UserContext(timezone=configured)
    for rule, first_day in cases:
        ref = WindowRef("u", "BloodGlucoseRecord", rule.key(first_day))
        read, observations, _ = store.window_records(ref, rule, person)
        clock = UserContext(timezone=PersonZone(observations, configured))
        everything, snapped = (
            build_window(
                "BloodGlucoseRecord", rule, first_day, chosen, time_fields=INSTANT, user=clock
            )
            for chosen in (records, read)
        )
        assert everything.records
        assert [r["metadata"]["id"] for r in snapped.records] == [
            r["metadata"]["id"] for r in everything.records
        ]
        assert [r["metadata"]["id"] for r in snapped.earlier] == [
            r["metadata"]["id"] for r in everything.earlier
        ]
        wide, _, _ = store.window_records(ref, rule)
        assert {r["metadata"]["id"] for r in read} <= {r["metadata"]["id"] for r in wide}
        if slack_hours is None:
            continue
        low = datetime.combine(first_day - timedelta(days=rule.lookback_days), datetime.min.time())
        high = datetime.combine(first_day + timedelta(days=rule.days), datetime.min.time())
        slack = timedelta(hours=slack_hours)
        for record in read:
            instant = datetime.fromtimestamp(record["timeEpochMillis"] / 1000, UTC)
            local = instant.astimezone(clock.timezone).replace(tzinfo=None)
            assert low - slack <= local < high + slack
        if rule.days == 1:  # any offset takes a day and 28 hours of instants
            assert len(wide) > len(read) * 1.5


def test_a_snapshot_reads_the_records_its_window_keeps_and_few_more(store: SqlHistoryStore) -> None:
    """Records that state their offset are picked by local time in the database; the rest by
    instant, wide enough for any offset. Either way the window built from the snapshot is the
    window built from every record."""
    offsets = ["+14:00", "-12:00", "+05:30", "Z", "-05:00", "+05:45", "+05:30:45", None]
    records = []
    moment = datetime(2025, 9, 12, tzinfo=UTC)
    for n in range(260):  # every 45 minutes for eight days, each in one of the offsets
        record = glucose(f"g{n}", moment + timedelta(minutes=45 * n), 100 + n % 50)
        offset = offsets[n % len(offsets)]
        if offset is None:
            del record["zoneOffsetId"]
        else:
            record["zoneOffsetId"] = offset
        records.append(record)
    store.merge("u", "BloodGlucoseRecord", records, PLAN)
    for rule, first_day in ((WindowRule.day(), date(2025, 9, 16)), (PLAN_WEEK, date(2025, 9, 15))):
        snapshot = store.snapshot(WindowRef("u", "BloodGlucoseRecord", rule.key(first_day)), rule)
        assert snapshot is not None
        person = UserContext(timezone=PersonZone(snapshot.observations))
        everything, snapped = (
            build_window(
                "BloodGlucoseRecord", rule, first_day, chosen, time_fields=INSTANT, user=person
            )
            for chosen in (records, list(snapshot.records))
        )
        assert [r["metadata"]["id"] for r in snapped.records] == [
            r["metadata"]["id"] for r in everything.records
        ]
        assert [r["metadata"]["id"] for r in snapped.earlier] == [
            r["metadata"]["id"] for r in everything.earlier
        ]
        assert everything.records
        # Of the records stating an offset, none further than an hour outside the window's
        # local span (with its lookback) was read.
        low = datetime.combine(first_day - timedelta(days=rule.lookback_days), datetime.min.time())
        high = datetime.combine(first_day + timedelta(days=rule.days), datetime.min.time())
        for record in snapshot.records:
            offset = record.get("zoneOffsetId")
            if offset in (None, "Z"):
                continue
            local = datetime.fromtimestamp(record["timeEpochMillis"] / 1000, UTC).replace(
                tzinfo=None
            ) + (parse_offset(offset).utcoffset(None) or timedelta(0))
            assert low - timedelta(hours=1) <= local < high + timedelta(hours=1)
        kept = len(snapped.records) + len(snapped.earlier)
        assert len(snapshot.records) < kept * 1.5
