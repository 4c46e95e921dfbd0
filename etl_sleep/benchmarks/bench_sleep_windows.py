"""One year of the synthetic person's daily sleep exports through the window path (prints,
asserts nothing).

Run: python benchmarks/bench_sleep_windows.py [--days 365] [--repeats 3]

Every night and week window is built with ``windows_from_exports`` (core's
``build_window``: decode, newest version per record, the records touching each window) and
processed with ``etl_process_window``. The floor is fastavro decoding the same files, measured
in the same run. Times are the best of ``--repeats`` runs.
"""

from __future__ import annotations

import argparse
import io
import time
from collections.abc import Callable
from typing import TypeVar

import fastavro

from etl_core import Window, WindowRule
from etl_core.contract.windows import newest_versions
from etl_core.testing import (
    SyntheticExport,
    records_of,
    synthetic_person,
    windows_from_exports,
)
from etl_sleep import plugin
from etl_sleep.windows_process import RULES

T = TypeVar("T")


def best_of(repeats: int, action: Callable[[], T]) -> tuple[float, T]:
    best, result = float("inf"), None
    for _ in range(repeats):
        began = time.perf_counter()
        result = action()
        best = min(best, time.perf_counter() - began)
    assert result is not None
    return best, result


def decode_all(exports: list[SyntheticExport]) -> int:
    return sum(len(list(fastavro.reader(io.BytesIO(e.data)))) for e in exports)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    began = time.perf_counter()
    exports = [e for e in synthetic_person(args.days) if e.record_type == "SleepSessionRecord"]
    print(
        f"generated {len(exports)} daily sleep exports ({sum(len(e.data) for e in exports):,} "
        f"bytes) in {time.perf_counter() - began:.1f} s (not timed below)"
    )
    (spec,) = plugin.etl_record_types()

    floor, records = best_of(args.repeats, lambda: decode_all(exports))
    print(f"decode floor (fastavro, {records} records): {floor * 1000:.1f} ms")
    distinct_s, distinct = best_of(
        args.repeats, lambda: newest_versions(records_of("SleepSessionRecord", exports))
    )
    print(
        f"decode + newest version per record, once: {distinct_s * 1000:.1f} ms "
        f"({len(distinct)} distinct); windows_from_exports repeats this per window"
    )

    total_build = total_process = 0.0
    windows_total = 0
    for rule in RULES:

        def build(rule_now: WindowRule = rule) -> list[Window]:
            return windows_from_exports(spec, rule_now, exports)

        build_s, windows = best_of(args.repeats, build)

        def process(windows_now: list[Window] = windows) -> int:
            return sum(plugin.etl_process_window(w, spec) is not None for w in windows_now)

        process_s, answered = best_of(args.repeats, process)
        total_build += build_s
        total_process += process_s
        windows_total += len(windows)
        print(
            f"{rule.name}: {len(windows)} windows ({answered} with sleep): build "
            f"{build_s * 1000:.0f} ms, process {process_s * 1000:.0f} ms "
            f"({process_s / len(windows) * 1000:.2f} ms per window)"
        )
    total = total_build + total_process
    print(
        f"total: {windows_total} windows in {total * 1000:.0f} ms (build {total_build * 1000:.0f} "
        f"ms + process {total_process * 1000:.0f} ms; {total / windows_total * 1000:.2f} ms per "
        f"window); {total / floor:.1f}x the decode floor"
    )


if __name__ == "__main__":
    main()
