"""Time the glucose window processing on a year of one person's daily CGM exports.

Run: ``python etl_glucose/benchmarks/bench_windows.py [days]`` (default 365). Generates
``synthetic_person(days)``, then for each window rule (the local day and the 14-day report
window) builds every window with ``etl_core.testing.windows_from_exports`` and processes it
with ``etl_process_window``. Prints the fastavro decode floor of the same CGM files (measured
in the same run), the window-building time and the processing time, in total and per window.

``windows_from_exports`` builds each window from every record it is given, deduplicating all
of them each time, so handing it a year of records per window costs minutes per rule. Core's
history store will hand a window only the records near it; this script does the same by
giving ``windows_from_exports`` the exports whose records reach into the window (or its
lookback), which yields the same window. ``--all-files`` gives it every file instead.
"""

from __future__ import annotations

import io
import sys
import time
from datetime import date, datetime, timedelta, timezone

import fastavro

from etl_core import UserContext, WindowRule
from etl_core.testing import SyntheticExport, read_avro, synthetic_person, windows_from_exports
from etl_glucose.plugin import etl_process_window, etl_windows, glucose_spec

ZONE = timezone(timedelta(hours=-5))
USER = UserContext(timezone=ZONE)
SPEC = glucose_spec()


def decode_floor(exports: list[SyntheticExport]) -> tuple[float, int]:
    """Seconds fastavro takes to decode every file (best of three), and the record count."""
    best, count = float("inf"), 0
    for _ in range(3):
        began = time.perf_counter()
        count = sum(1 for export in exports for _ in fastavro.reader(io.BytesIO(export.data)))
        best = min(best, time.perf_counter() - began)
    return best, count


def spans(exports: list[SyntheticExport]) -> list[tuple[int, int]]:
    """The first and last reading instant of each export."""
    found = []
    for export in exports:
        times = [record["timeEpochMillis"] for record in read_avro(export.data)]
        found.append((min(times), max(times)))
    return found


def first_days(rule: WindowRule, spans_ms: list[tuple[int, int]]) -> list[date]:
    first = min(start for start, _ in spans_ms)
    last = max(end for _, end in spans_ms)
    local = [datetime.fromtimestamp(ms / 1000, tz=ZONE) for ms in (first, last)]
    return rule.first_days_overlapping(rule.window_day(local[0]), rule.window_day(local[1]))


def near(
    rule: WindowRule,
    day: date,
    exports: list[SyntheticExport],
    spans_ms: list[tuple[int, int]],
) -> list[SyntheticExport]:
    """The exports holding a record of the window or of its lookback."""
    start = rule.local_start(day).replace(tzinfo=ZONE) - timedelta(days=rule.lookback_days)
    end = rule.local_end(day).replace(tzinfo=ZONE)
    lo, hi = int(start.timestamp() * 1000), int(end.timestamp() * 1000)
    return [e for e, (a, b) in zip(exports, spans_ms, strict=True) if a < hi and b >= lo]


def main() -> int:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    days = int(args[0]) if args else 365
    every_file = "--all-files" in sys.argv
    began = time.perf_counter()
    exports = [e for e in synthetic_person(days) if e.record_type == SPEC.name]
    print(
        f"synthetic_person({days}): {len(exports)} CGM files in {time.perf_counter() - began:.1f} s"
    )
    floor, records = decode_floor(exports)
    print(f"fastavro decode floor: {floor:.2f} s for {records:,} records in {len(exports)} files")
    spans_ms = spans(exports)
    total_build = total_process = 0.0
    windows_done = 0
    for rule in etl_windows(SPEC) or ():
        build = process = slowest = 0.0
        count = 0
        for day in first_days(rule, spans_ms):
            source = exports if every_file else near(rule, day, exports, spans_ms)
            t0 = time.perf_counter()
            built = [
                w for w in windows_from_exports(SPEC, rule, source, user=USER) if w.first_day == day
            ]
            t1 = time.perf_counter()
            for window in built:
                result = etl_process_window(window, SPEC)
                assert result is not None
                count += 1
            t2 = time.perf_counter()
            build += t1 - t0
            process += t2 - t1
            slowest = max(slowest, t2 - t1)
        print(
            f"rule {rule.name}: {count} windows; building {build:.2f} s "
            f"({build / count * 1000:.1f} ms/window); processing {process:.2f} s "
            f"({process / count * 1000:.1f} ms/window, slowest {slowest * 1000:.1f} ms)"
        )
        total_build += build
        total_process += process
        windows_done += count
    print(
        f"total: {windows_done} windows; building {total_build:.2f} s, processing "
        f"{total_process:.2f} s ({total_process / windows_done * 1000:.1f} ms/window); "
        f"processing = {total_process / floor:.1f} x the decode floor"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
