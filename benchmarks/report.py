"""Write the performance section of README.md from the benchmark results.

    python benchmarks/report.py PIPELINE.json WORKER.json [MEMORY.json] [--history HISTORY.json]
        [--process PROCESS.json]
        [--readme README.md]

Replaces everything between ``<!-- bench:start -->`` and ``<!-- bench:end -->``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 2**20:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return (
        f"{os.cpu_count()} cores ({cpu}){memory}, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


def check(ok: bool) -> str:
    return "x" if ok else " "


def memory_table(rows: list[dict[str, Any]]) -> list[str]:
    """The byte budget's rows (benchmarks/memory_budget.py), the unbounded one first."""
    unbounded = rows[0]["growth_mib"]
    lines = [
        "",
        f"| worker byte budget ({rows[0]['files']} glucose files of {rows[0]['file_mb']:.1f} MB, "
        f"{rows[0]['threads']} threads) | most upload MB at once | peak RSS growth | "
        "of unbounded | time |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['budget_mb']:.1f} MB | {row['peak_inflight_mb']:.1f} | "
            f"{row['growth_mib']:.0f} MiB | {row['growth_mib'] / unbounded:.0%} | "
            f"{row['seconds']:.1f} s |"
        )
    return lines


def history_table(history: dict[str, Any]) -> list[str]:
    """The record history's cost (benchmarks/history_bench.py)."""
    floor = history["per_file_ms_decode_floor"]
    lines = [
        "",
        "| record history | engine | floor (same run) | ratio |",
        "|---|---|---|---|",
    ]
    for label, key in (
        ("without history", "per_file_ms_without_history"),
        ("with history and windows", "per_file_ms_with_history"),
    ):
        lines.append(
            f"| {history['real_files']} real files, per file, {label} | "
            f"{history[key]:.1f} ms | fastavro decode {floor:.2f} ms | "
            f"{history[key] / floor:.1f}x |"
        )
    for record_type, row in history["year"].items():
        lines.append(
            f"| {history['days']} days of daily exports, {record_type} ({row['files']} files, "
            f"{row['records_in_files']:,} records, {row['examples']} examples), `etl run` process "
            f"| {row['etl_run_cpu_seconds']:.1f} s CPU | decode-only process "
            f"{row['decode_floor_cpu_seconds']:.2f} s CPU | {row['cpu_ratio']:.1f}x |"
        )
    return lines


PROCESS_LABELS = {
    "version": ("`etl --version`", "`python -c pass`"),
    "plugins": ("`etl plugins`", "`python -c pass`"),
    "real_files": ("`etl run` on the {real_files} real exports", "fastavro decode process"),
    "glucose_100k": (
        "`etl run` on one {readings:,}-reading glucose export",
        "fastavro decode process",
    ),
}


def process_table(process: dict[str, Any]) -> list[str]:
    """Whole processes against their floors (benchmarks/process_bench.py)."""
    lines = [
        "",
        "| whole process (median CPU, peak RSS) | engine | floor (same run) | ratio | goal |",
        "|---|---|---|---|---|",
    ]
    for row in process["rows"]:
        label, floor = PROCESS_LABELS[row["name"]]
        goal = f"<= {row['goal']:.1f}x" if row["goal"] else "<= 0.15 s CPU"
        lines.append(
            f"| {label.format(**process)} | {row['engine']['cpu_seconds']:.2f} s, "
            f"{row['engine']['peak_rss_mib']:.0f} MiB | {floor}: "
            f"{row['floor']['cpu_seconds']:.2f} s, {row['floor']['peak_rss_mib']:.0f} MiB | "
            f"{row['cpu_ratio']:.1f}x | {goal} |"
        )
    return lines


def render(
    pipeline: dict[str, Any],
    worker: list[dict[str, Any]],
    memory: list[dict[str, Any]] | None = None,
    history: dict[str, Any] | None = None,
    process: dict[str, Any] | None = None,
) -> str:
    targets = pipeline["targets"]
    by = {(row["mode"], row["threads"]): row for row in worker}
    per_minute = by[("engine", 1)]["messages_per_second"] * 60
    lines = [
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {machine()}; plugins: "
        f"{', '.join(pipeline['plugins']) or 'none'}. Rerun with `nox -s bench`.",
        "",
        "| measurement | engine | floor (same run) | ratio |",
        "|---|---|---|---|",
        f"| 26 real files in-process ({pipeline['real_records']} records) | "
        f"{pipeline['pipeline_seconds'] * 1000:.0f} ms | fastavro decode only "
        f"{pipeline['decode_only_seconds'] * 1000:.0f} ms | {pipeline['ratio']:.1f}x |",
    ]
    for mode, what in (
        ("engine", ""),
        ("history", ", with the record history and one window builder thread"),
        (
            "processes",
            ", with the record history and one window builder process (its start-up included)",
        ),
        ("inline", ", with the record history, windows built before each message settles"),
    ):
        for threads in (1, 4):
            engine, floor = by.get((mode, threads)), by[("floor", threads)]
            if engine is None:  # a result file from before the history rows
                continue
            shares = engine.get("rounds_share_of_floor") or [
                engine["messages_per_second"] / floor["messages_per_second"]
            ]
            spread = f" (rounds {min(shares):.0%}-{max(shares):.0%})" if len(shares) > 1 else ""
            rounds = f", median of {len(shares)} rounds" if len(shares) > 1 else ""
            lines.append(
                f"| worker{what}, {threads} thread{'s' if threads > 1 else ''}, "
                f"{engine['messages']} messages{rounds} | "
                f"{engine['messages_per_second']:.1f} msg/s, "
                f"p50 {engine['p50_ms']:.0f} ms, p95 {engine['p95_ms']:.0f} ms | bare pika + S3 "
                f"GET/PUT: {floor['messages_per_second']:.1f} msg/s, p50 {floor['p50_ms']:.0f} "
                f"ms, p95 {floor['p95_ms']:.0f} ms | {statistics.median(shares):.0%} of floor"
                f"{spread} |"
            )
    lines += ["", "| glucose file | time | peak memory |", "|---|---|---|"]
    for row in pipeline["scaling"]:
        lines.append(
            f"| {row['readings']:,} readings | {row['seconds'] * 1000:.0f} ms | "
            f"{row['peak_mib']:.1f} MiB |"
        )
    if memory:
        lines += memory_table(memory)
    if history:
        lines += history_table(history)
    if process:
        lines += process_table(process)
    lines += [
        "",
        "Targets from the integration guide:",
        "",
        f"- [{check(targets['500_records_seconds'] < 5)}] 500 records in < 5 s: "
        f"{targets['500_records_seconds'] * 1000:.0f} ms",
        f"- [{check(targets['all_26_files_seconds'] < 60)}] all 26 sample files in < 60 s: "
        f"{targets['all_26_files_seconds']:.2f} s",
        f"- [{check(targets['dedup_claim_ms_p95'] < 10)}] dedup check < 10 ms: SQLite claim p50 "
        f"{targets['dedup_claim_ms_p50']:.2f} ms, p95 {targets['dedup_claim_ms_p95']:.2f} ms",
        f"- [{check(targets['training_write_ms_max'] < 100)}] training write < 100 ms: slowest "
        f"{targets['training_write_ms_max']:.1f} ms",
        f"- [{check(per_minute >= 10)}] 10-20 messages a minute per worker: "
        f"{per_minute:,.0f} a minute with 1 thread",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pipeline", type=Path)
    parser.add_argument("worker", type=Path)
    parser.add_argument("memory", type=Path, nargs="?")
    parser.add_argument("--history", type=Path, help="history_bench.py's numbers")
    parser.add_argument("--process", type=Path, help="process_bench.py's numbers")
    parser.add_argument("--readme", type=Path, default=Path("README.md"))
    args = parser.parse_args()
    section = render(
        json.loads(args.pipeline.read_text()),
        json.loads(args.worker.read_text()),
        json.loads(args.memory.read_text()) if args.memory else None,
        json.loads(args.history.read_text()) if args.history else None,
        json.loads(args.process.read_text()) if args.process else None,
    )
    text = args.readme.read_text()
    if START not in text or END not in text:
        print(f"{args.readme} has no {START} ... {END} section", file=sys.stderr)
        return 2
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    args.readme.write_text(f"{head}{START}\n{section}\n{END}{tail}")
    print(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
