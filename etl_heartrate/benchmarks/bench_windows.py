"""Time the heart-rate plugin's calendar windows on a year of one person's daily exports.

The synthetic person (``etl_core.testing.synthetic_person``) uploads one HeartRateRecord and
one HeartRateVariabilityRmssdRecord file each morning, each reaching 30 hours back. For every
window rule of the plugin the script builds every window as core would and runs
``etl_process_window`` on it, then prints the time of each part against the decode floor:
fastavro reading the same files once, measured in the same run. Times are wall clock and CPU
(the CPU time is the steadier figure on a shared machine). Run:

    python etl_heartrate/benchmarks/bench_windows.py [--days 365] [--core-helper] [--gc-freeze]

``--gc-freeze`` moves the built windows out of reach of CPython's cyclic garbage collector
(``gc.freeze()``) before processing them: with a year of records in memory, collections that
traverse them all are a large share of the processing time, which a long-running worker
holding a history could avoid the same way.

Windows are built with ``etl_core.contract.windows.build_window``, core's own assembly, given for
each
window the records that can touch it or its lookback (an index by window day, as the history
store will keep). ``etl_core.testing.windows_from_exports`` gives the same windows but runs
``newest_versions`` over every record for every window, which takes hours on a year; the
script checks that both agree on the first three weeks, and ``--core-helper`` uses it
throughout.
"""

from __future__ import annotations

import argparse
import gc
import io
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta

import fastavro

from etl_core import RecordTypeSpec, Window, WindowRule
from etl_core.contract.windows import build_window, newest_versions, record_span, windows_of_span
from etl_core.testing import SyntheticExport, records_of, synthetic_person, windows_from_exports
from etl_heartrate import plugin

RECORD_TYPES = ("HeartRateRecord", "HeartRateVariabilityRmssdRecord")


def decode_floor(exports: list[SyntheticExport]) -> tuple[float, int]:
    """Seconds to decode every file once with fastavro, and the records read."""
    started = time.perf_counter()
    count = 0
    for export in exports:
        count += sum(1 for _ in fastavro.reader(io.BytesIO(export.data)))
    return time.perf_counter() - started, count


def indexed_windows(
    spec: RecordTypeSpec, rule: WindowRule, exports: list[SyntheticExport]
) -> list[Window]:
    """The windows ``windows_from_exports`` gives, each built by ``build_window`` from the
    records that can reach it or its lookback rather than from all of them."""
    records = newest_versions(records_of(spec.name, exports))
    touched: set[object] = set()
    candidates: dict[object, list[dict[str, object]]] = defaultdict(list)
    reach = timedelta(days=rule.lookback_days + 1)
    for record in records:
        span = record_span(record, spec.time_fields, None)
        if span is None:
            continue
        touched.update(windows_of_span(rule, span[0], span[1]))
        for day in windows_of_span(rule, span[0], span[1] + reach):
            candidates[day].append(record)
    return [
        build_window(spec.name, rule, day, candidates[day], time_fields=spec.time_fields)  # type: ignore[arg-type]
        for day in sorted(touched)  # type: ignore[type-var]
    ]


def timed(action: Callable[[], object]) -> tuple[object, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    value = action()
    return value, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument(
        "--core-helper", action="store_true", help="build with windows_from_exports throughout"
    )
    parser.add_argument(
        "--gc-freeze", action="store_true", help="gc.freeze() the built windows before processing"
    )
    args = parser.parse_args()
    build = windows_from_exports if args.core_helper else indexed_windows

    started = time.perf_counter()
    exports = [e for e in synthetic_person(args.days) if e.record_type in RECORD_TYPES]
    generated = time.perf_counter() - started
    size_mb = sum(len(e.data) for e in exports) / 1e6
    print(
        f"synthetic person: {args.days} days, {len(exports)} heart-rate and HRV files "
        f"({size_mb:.1f} MB), generated in {generated:.1f} s"
    )

    (floor_records, floor, floor_cpu) = timed(lambda: decode_floor(exports)[1])
    print(
        f"decode floor (fastavro, every file once): {floor:.2f} s wall, {floor_cpu:.2f} s CPU "
        f"for {floor_records:,} records"
    )

    specs = {spec.name: spec for spec in plugin.etl_record_types()}
    if not args.core_helper:
        sample = [e for e in exports if e.fetched_at.date() <= exports[0].fetched_at.date()
                  + timedelta(days=21)]  # fmt: skip
        for spec in specs.values():
            for rule in plugin.etl_windows(spec=spec) or []:
                assert indexed_windows(spec, rule, sample) == windows_from_exports(
                    spec, rule, sample
                ), f"indexed windows differ from windows_from_exports ({spec.name} {rule.name})"
        print("indexed windows equal windows_from_exports on the first three weeks")

    print(
        f"\n{'record type':32} {'rule':6} {'windows':>7} {'build s':>8} {'process s':>9} "
        f"{'CPU s':>7} {'ms/window':>9} {'CPU ms/w':>8} {'examples':>8}"
    )
    totals = {"build": 0.0, "process": 0.0, "cpu": 0.0, "windows": 0}
    for name in RECORD_TYPES:
        spec = specs[name]
        for rule in plugin.etl_windows(spec=spec) or []:
            windows, built, _ = timed(lambda: build(spec, rule, exports))  # noqa: B023
            assert isinstance(windows, list)
            if args.gc_freeze:
                gc.freeze()

            def process_all() -> int:
                examples = 0
                for window in windows:  # noqa: B023
                    result = plugin.etl_process_window(window=window, spec=spec)  # noqa: B023
                    examples += 0 if result is None else len(result.examples)
                return examples

            examples, processed, cpu = timed(process_all)
            gc.unfreeze()
            count = max(1, len(windows))
            totals["build"] += built
            totals["process"] += processed
            totals["cpu"] += cpu
            totals["windows"] += len(windows)
            print(
                f"{name:32} {rule.name:6} {len(windows):7} {built:8.2f} {processed:9.2f} "
                f"{cpu:7.2f} {1000 * processed / count:9.1f} {1000 * cpu / count:8.1f} "
                f"{examples:8}"
            )
    windows_total = max(1, int(totals["windows"]))
    print(
        f"\nall {int(totals['windows'])} windows: build {totals['build']:.1f} s, process "
        f"{totals['process']:.1f} s wall / {totals['cpu']:.1f} s CPU "
        f"({1000 * totals['process'] / windows_total:.1f} / "
        f"{1000 * totals['cpu'] / windows_total:.1f} ms per window); total "
        f"{totals['build'] + totals['process']:.1f} s"
    )
    print(
        f"processing / decode floor: {totals['process'] / floor:.1f}x wall, "
        f"{totals['cpu'] / floor_cpu:.1f}x CPU; build and processing / decode floor: "
        f"{(totals['build'] + totals['process']) / floor:.1f}x wall"
    )


if __name__ == "__main__":
    main()
