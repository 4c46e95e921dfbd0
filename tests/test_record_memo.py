"""``RecordMemo`` and ``GroupMemo``: a hit needs the very objects and equal arguments, entries
stay within two generations, and threads sharing one memo get what the function gives."""

from __future__ import annotations

import threading
from typing import Any

from etl_core.contract.memo import GroupMemo, RecordMemo, forget_every_memo


def _reads() -> tuple[RecordMemo[tuple[Any, ...]], list[int]]:
    calls: list[int] = []

    def read(record: Any, scale: int) -> tuple[Any, ...]:
        calls.append(record["n"])
        return (record["n"] * scale,)

    return RecordMemo(read, generation=3), calls


def test_the_same_record_and_arguments_are_read_once() -> None:
    memo, calls = _reads()
    record = {"n": 4}
    assert memo(record, 10) == (40,) and memo(record, 10) == (40,)
    assert memo(record, 100) == (400,)  # other arguments: another entry
    assert calls == [4, 4]
    assert (memo.hits, memo.misses) == (1, 2)


def test_an_equal_record_that_is_another_object_is_read_afresh() -> None:
    memo, calls = _reads()
    first, twin = {"n": 5}, {"n": 5}
    memo(first, 1)
    memo(twin, 1)
    assert calls == [5, 5]


def test_a_record_let_go_by_the_memo_is_never_mistaken_for_a_new_one() -> None:
    """Ids are reused once an object is freed; the memo holds its records, so an entry that is
    gone can only be missed, never answered for another record."""
    memo, calls = _reads()
    for n in range(200):  # each record freed as soon as the memo lets it go
        assert memo({"n": n}, 1) == (n,)
    assert calls == list(range(200))
    assert memo.hits == 0


def test_entries_stay_within_two_generations() -> None:
    memo, calls = _reads()
    records = [{"n": n} for n in range(8)]
    for record in records:
        memo(record, 1)
    # generation 3: records 6 and 7 are current, 3-5 previous; 0-2 were let go.
    memo(records[4], 1)
    memo(records[0], 1)
    assert calls == [*range(8), 0]
    memo.clear()
    memo(records[7], 1)
    assert calls[-1] == 7


def test_threads_sharing_a_memo_get_what_the_function_gives() -> None:
    memo, _ = _reads()
    records = [{"n": n} for n in range(50)]
    results: list[list[tuple[Any, ...]]] = []

    def work() -> None:
        results.append([memo(record, 3) for record in records * 4])

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    expected = [(record["n"] * 3,) for record in records * 4]
    assert results == [expected] * 8


def test_a_group_is_summarised_once_for_the_very_same_objects_in_order() -> None:
    calls: list[tuple[int, ...]] = []

    def total(items: Any, scale: int) -> int:
        calls.append(tuple(item["n"] for item in items))
        return sum(item["n"] for item in items) * scale

    memo = GroupMemo(total, generation=2)
    a, b, c = {"n": 1}, {"n": 2}, {"n": 3}
    assert memo([a, b], 1) == 3 and memo((a, b), 1) == 3  # any sequence of the same objects
    assert memo([b, a], 1) == 3  # another order: another group
    assert memo([a, {"n": 2}], 1) == 3  # an equal object built afresh: another group
    assert memo([a, b, c], 1) == 6
    assert calls == [(1, 2), (2, 1), (1, 2), (1, 2, 3)]
    assert (memo.hits, memo.misses) == (1, 4)


def test_a_group_let_go_is_never_mistaken_for_a_new_one() -> None:
    memo = GroupMemo(lambda items: [item["n"] for item in items], generation=2)
    for n in range(100):  # each group's objects freed as soon as the memo lets them go
        assert memo([{"n": n}, {"n": n + 1}]) == [n, n + 1]
    assert memo.hits == 0


def test_each_reads_many_records_as_one_call_per_record_would() -> None:
    memo, calls = _reads()
    records = [{"n": n} for n in range(5)]
    assert memo.each(records[:2], 10) == [(0,), (10,)]
    # Two held, three new: more than a generation, so the first ones move to the previous one.
    assert memo.each(records, 10) == [(n * 10,) for n in range(5)]
    assert calls == [0, 1, 2, 3, 4]
    assert memo.each(records[3:], 10) == [(30,), (40,)]
    assert memo.each(iter(records[:1]), 10) == [(0,)]  # held in the previous generation
    assert calls == [0, 1, 2, 3, 4]
    assert (memo.hits, memo.misses) == (5, 5)
    assert memo.each([{"n": 1}], 10) == [(10,)] and calls[-1] == 1  # an equal twin: read


def test_forgetting_every_memo_lets_their_records_go() -> None:
    memo, calls = _reads()
    groups = GroupMemo(lambda items, scale: sum(i["n"] for i in items) * scale)
    record = {"n": 3}
    memo(record, 1)
    groups([record], 2)
    forget_every_memo()  # what core does when a rebuild pass ends or changes series
    assert memo(record, 1) == (3,) and calls == [3, 3]
    assert (groups.hits, groups.misses) == (0, 1)
    groups([record], 2)
    assert (groups.hits, groups.misses) == (0, 2)
