"""``etl run``: the embedded pipeline over local files, no servers."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click
from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from etl_core.cli.common import (
    EXIT_FAILED_FILES,
    EXIT_NO_SPACE,
    EXIT_STARTUP,
    EXIT_USAGE,
    fail,
    load_registry,
    load_settings,
    serve_health,
)
from etl_core.contract.model import UserContext
from etl_core.contract.timeutil import UnknownZoneError, load_zone
from etl_core.observability.logs import configure_logging, get_logger
from etl_core.settings import SettingsError
from etl_core.stores.dedup import DedupUnavailableError
from etl_core.transports.embedded import (
    InputFile,
    InputPathError,
    NoSpaceError,
    collect_inputs,
    run_embedded,
)


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("etl-output"),
    show_default=True,
    help="Output folder: training/, quarantine/ and the run state.",
)
@click.option("--user-id", default="local-user", show_default=True, help="Whose data this is.")
@click.option("--timezone", "zone_name", help="IANA zone for records without an offset.")
@click.option("--age", type=click.IntRange(0, 130), help="Age in years, for age-based targets.")
@click.option(
    "--metrics/--no-metrics",
    "serve_metrics",
    default=None,
    help="Serve /metrics, /health and /ready on ETL_METRICS_PORT during the run.",
)
@click.option(
    "--debug",
    is_flag=True,
    help="Log at DEBUG level, with the traceback of any plugin failure (may show health "
    "values: for your own data only).",
)
def run(
    paths: tuple[Path, ...],
    out: Path,
    user_id: str,
    zone_name: str | None,
    age: int | None,
    serve_metrics: bool | None,
    debug: bool,
) -> None:
    """Run every .avro file under PATHS through the pipeline, embedded (no servers)."""
    settings = load_settings()
    quiet: tuple[str, ...] = ()
    if debug:
        settings = settings.replace(log_level="DEBUG")
    elif "ETL_LOG_LEVEL" not in os.environ:
        settings = settings.replace(log_level="WARNING")
        # Each failed file or window gets its own "etl: error:" line below: one line each.
        quiet = ("failed", "window_failed")
    configure_logging(settings.log_level, quiet_events=quiet)
    try:
        _, development_key = settings.effective_pseudonym_key()
    except SettingsError as exc:
        fail(str(exc), EXIT_STARTUP)
        return
    try:
        user = UserContext(
            timezone=load_zone(zone_name or settings.user_timezone),
            age_years=age if age is not None else settings.user_age,
        )
        inputs = collect_inputs(paths)
    except UnknownZoneError as exc:
        fail(str(exc), EXIT_USAGE if zone_name else EXIT_STARTUP)  # --timezone or the setting
        return
    except InputPathError as exc:
        fail(str(exc), EXIT_USAGE)
        return
    if development_key:
        get_logger("etl").warning(
            "development_pseudonym_key", hint="set ETL_PSEUDONYM_KEY for real data"
        )
    registry = load_registry(settings)

    console = Console(stderr=True)
    progress = (
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        if console.is_terminal
        else None
    )
    errors: list[str] = []

    def advance(item: InputFile, outcome: Any) -> None:
        if not outcome.ok:
            errors.append(outcome.message or f"{outcome.key}: {outcome.error_type}")
        if progress is not None:
            progress.advance(task)

    metrics = None
    health = None
    if serve_metrics or (serve_metrics is None and settings.enable_metrics):
        # Only a served endpoint reads metrics: without one, the Prometheus client is not
        # even imported.
        from etl_core.observability.metrics import EtlMetrics

        metrics = EtlMetrics(record_types=registry.specs, plugin_counters=registry.counters)
        health = serve_health(settings, metrics, {"plugins": lambda: bool(registry.plugins)})
    if progress is not None:
        progress.start()
        task = progress.add_task("processing", total=len(inputs))
    try:
        report = run_embedded(
            inputs,
            out,
            registry=registry,
            settings=settings,
            user_id=user_id,
            user=user,
            on_progress=advance,
            metrics=metrics,
        )
    except NoSpaceError as exc:
        for message in errors:
            click.echo(f"etl: error: {message}", err=True)
        fail(str(exc), EXIT_NO_SPACE)
        return
    except (DedupUnavailableError, OSError) as exc:
        fail(f"cannot use the output folder {out}: {exc}", EXIT_STARTUP)
        return
    except SettingsError as exc:
        fail(str(exc), EXIT_STARTUP)
        return
    finally:
        if progress is not None:
            progress.stop()
        if health is not None:
            health.stop()

    _print_summary(report, out)
    for message in errors:
        click.echo(f"etl: error: {message}", err=True)
    for window in report.failed_windows:
        click.echo(f"etl: error: {window.message}", err=True)
    if report.failed or report.failed_windows:
        sys.exit(EXIT_FAILED_FILES)


SUMMARY_HEADERS = (
    "files",
    "records",
    "excluded",
    "processed",
    "done before",
    "duplicate content",
    "quarantined",
    "failed",
    "windows",
    "examples",
    "time (s)",
)


def _print_summary(report: Any, out: Path) -> None:
    """The per-record-type summary, never wider than the terminal (or ``COLUMNS``): a table
    when it fits, else a block of ``name value`` lines per record type."""
    rows: list[tuple[str, list[str]]] = []
    totals = [0] * (len(SUMMARY_HEADERS) - 1)
    total_seconds = 0.0
    quarantined = 0
    exclusions: dict[str, int] = {}
    for record_type, row in report.by_record_type().items():
        values = [
            row.files,
            row.records,
            row.excluded,
            row.processed,
            row.already_done,
            row.duplicate_content,
            row.quarantined,
            row.failed,
            row.windows,
            row.examples,
        ]
        totals = [a + b for a, b in zip(totals, values, strict=True)]
        total_seconds += row.seconds
        quarantined += row.quarantined
        for code, count in row.exclusions.items():
            exclusions[code] = exclusions.get(code, 0) + count
        rows.append((record_type, [*map(str, values), f"{row.seconds:.3f}"]))
    rows.append(("total", [*map(str, totals), f"{total_seconds:.3f}"]))
    console = Console()
    title = f"etl run: {len(report.outcomes)} files in {report.seconds:.2f} s"
    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("record type", no_wrap=True)
    for header in SUMMARY_HEADERS:
        # Two-word headers take two lines: the columns stay as narrow as their figures allow.
        table.add_column(header.replace(" ", "\n"), justify="right", no_wrap=True)
    for name, values in rows:
        table.add_row(name, *values, style="bold" if name == "total" else None)
    unlimited = console.options.update(max_width=1_000_000)
    if console.measure(table, options=unlimited).maximum <= console.width:
        console.print(table)
    else:
        console.print(title)
        for name, values in rows:
            pairs = [f"{h} {v}" for h, v in zip(SUMMARY_HEADERS, values, strict=True)]
            console.print(name, style="bold" if name == "total" else None)
            for line in _packed(pairs, console.width - 2):
                console.print("  " + line, overflow="fold")
    written = report.examples_written
    console.print(f"training examples written: {written} -> {out.resolve() / 'training'}")
    for journal, lines in report.journals.items():
        console.print(f"  {journal} ({lines} example{'' if lines == 1 else 's'})")
    if exclusions:
        # Validation's findings, by code: a processed file's excluded records are in neither
        # the examples nor the quarantine, so this line is where they show.
        reasons = ", ".join(f"{code} {count}" for code, count in sorted(exclusions.items()))
        excluded = totals[SUMMARY_HEADERS.index("excluded")]
        noun = "record" if excluded == 1 else "records"
        console.print(f"excluded by validation: {excluded} {noun} ({reasons})")
    # Unreadable files are failed (not quarantined) but kept beside the quarantined ones.
    kept = sum(1 for o in report.outcomes if o.quarantine_key and not o.ok)
    if quarantined or kept:
        also = f" (and {kept} unreadable file{'' if kept == 1 else 's'} kept)" if kept else ""
        console.print(f"quarantined: {quarantined}{also} -> {out.resolve() / 'quarantine'}")


def _packed(items: list[str], width: int) -> list[str]:
    """``items`` joined by three spaces into lines of at most ``width`` (an item is never
    split; one longer than ``width`` has a line of its own)."""
    lines: list[str] = []
    for item in items:
        if lines and len(lines[-1]) + 3 + len(item) <= width:
            lines[-1] += "   " + item
        else:
            lines.append(item)
    return lines
