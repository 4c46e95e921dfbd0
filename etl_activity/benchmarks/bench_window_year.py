"""Time the window path on a year of one person's daily exports (prints; asserts nothing).

Run: python etl_activity/benchmarks/bench_window_year.py [--days 365]

``synthetic_person(days)`` writes one StepsRecord and one ActiveCaloriesBurnedRecord export
per morning (yesterday complete, today running). For each record type and window rule the
script builds every window the way core will (``windows_from_exports``: decode, newest version
per record, ``build_window``) and processes it with ``etl_process_window``. It prints the
decode floor (fastavro reading the same files, measured in the same run), the time to build
the windows, the time to process them, and the time per window.
"""

from __future__ import annotations

import argparse
import io
import time

import fastavro

from etl_activity import plugin
from etl_activity.specs import SPECS
from etl_core import UserContext
from etl_core.testing import synthetic_person, windows_from_exports


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()

    started = time.perf_counter()
    exports = [e for e in synthetic_person(args.days) if e.record_type in SPECS]
    size_mb = sum(len(e.data) for e in exports) / 1e6
    print(
        f"synthetic_person({args.days}): {len(exports)} activity files, {size_mb:.2f} MB, "
        f"generated in {time.perf_counter() - started:.2f} s"
    )

    started = time.perf_counter()
    decoded = sum(len(list(fastavro.reader(io.BytesIO(e.data)))) for e in exports)
    floor = time.perf_counter() - started
    print(f"decode floor (fastavro): {decoded} records in {floor * 1000:.1f} ms")

    user = UserContext(age_years=45)
    total_build = total_process = 0.0
    total_windows = 0
    for spec in SPECS.values():
        for rule in plugin.etl_windows(spec) or ():
            started = time.perf_counter()
            windows = windows_from_exports(spec, rule, exports, user=user)
            built = time.perf_counter() - started
            started = time.perf_counter()
            examples = 0
            for window in windows:
                result = plugin.etl_process_window(window, spec)
                examples += len(result.examples) if result is not None else 0
            processed = time.perf_counter() - started
            total_build += built
            total_process += processed
            total_windows += len(windows)
            print(
                f"{spec.name:<27} {rule.name:<5} {len(windows):>4} windows, {examples:>5} "
                f"examples: build {built * 1000:8.1f} ms, process {processed * 1000:8.1f} ms "
                f"({processed / max(len(windows), 1) * 1000:.2f} ms a window)"
            )
    print(
        f"total: {total_windows} windows, build {total_build:.2f} s, process "
        f"{total_process:.2f} s ({total_process / max(total_windows, 1) * 1000:.2f} ms a "
        f"window); processing is {total_process / floor:.1f}x the decode floor, build + "
        f"process {(total_build + total_process) / floor:.0f}x"
    )


if __name__ == "__main__":
    main()
