"""The ``etl`` command line. User errors end in one line on stderr and a non-zero exit,
never a traceback."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click
from pydantic import ValidationError
from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from etl_core import __version__
from etl_core.contract.model import UserContext
from etl_core.contract.timeutil import UnknownZoneError, load_zone
from etl_core.engine.registry import PluginLoadError, PluginRegistry, load_plugins
from etl_core.observability.health import HealthServer
from etl_core.observability.logs import configure_logging, get_logger
from etl_core.observability.metrics import EtlMetrics
from etl_core.settings import Settings, SettingsError
from etl_core.stores.dedup import DedupUnavailableError
from etl_core.transports.embedded import (
    InputFile,
    InputPathError,
    NoSpaceError,
    collect_inputs,
    run_embedded,
)

EXIT_FAILED_FILES = 1
EXIT_USAGE = 2
EXIT_STARTUP = 3
EXIT_NO_SPACE = 4


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"etl: error: {message}", err=True)
    sys.exit(code)


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"ETL_{'_'.join(map(str, e['loc'])).upper()}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()
        )
        _fail(f"invalid configuration: {problems}", EXIT_STARTUP)
        raise  # unreachable; keeps type checkers content


def _serve_health(
    settings: Settings, metrics: EtlMetrics, checks: dict[str, Callable[[], bool]]
) -> HealthServer:
    """The metrics and health endpoints on ETL_METRICS_HOST:ETL_METRICS_PORT, or one line and
    the start-up exit code when the address cannot be bound."""
    try:
        return HealthServer(
            metrics, checks, host=settings.metrics_host, port=settings.metrics_port
        ).start()
    except OSError as exc:
        _fail(
            f"cannot serve metrics on {settings.metrics_host}:{settings.metrics_port}: "
            f"{exc.strerror}",
            EXIT_STARTUP,
        )


def _registry(settings: Settings) -> PluginRegistry:
    try:
        return load_plugins(
            disabled=settings.disabled_plugins, training_prefix=settings.training_data_prefix
        )
    except PluginLoadError as exc:
        _fail(str(exc), EXIT_STARTUP)
        raise


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="etl")
def main() -> None:
    """ETL Narrative Engine: Health Connect exports in, clinical narratives and training
    JSONL out."""


@main.command()
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
    settings = _settings()
    quiet: tuple[str, ...] = ()
    if debug:
        settings.log_level = "DEBUG"
    elif "ETL_LOG_LEVEL" not in os.environ:
        settings.log_level = "WARNING"
        # Each failed file or window gets its own "etl: error:" line below: one line each.
        quiet = ("failed", "window_failed")
    configure_logging(settings.log_level, quiet_events=quiet)
    try:
        _, development_key = settings.effective_pseudonym_key()
    except SettingsError as exc:
        _fail(str(exc), EXIT_STARTUP)
        return
    try:
        user = UserContext(
            timezone=load_zone(zone_name or settings.user_timezone),
            age_years=age if age is not None else settings.user_age,
        )
        inputs = collect_inputs(paths)
    except UnknownZoneError as exc:
        _fail(str(exc), EXIT_USAGE if zone_name else EXIT_STARTUP)  # --timezone or the setting
        return
    except InputPathError as exc:
        _fail(str(exc), EXIT_USAGE)
        return
    if development_key:
        get_logger("etl").warning(
            "development_pseudonym_key", hint="set ETL_PSEUDONYM_KEY for real data"
        )
    registry = _registry(settings)

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

    metrics = EtlMetrics(record_types=registry.specs, plugin_counters=registry.counters)
    health = None
    if serve_metrics or (serve_metrics is None and settings.enable_metrics):
        health = _serve_health(settings, metrics, {"plugins": lambda: bool(registry.plugins)})
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
        _fail(str(exc), EXIT_NO_SPACE)
        return
    except (DedupUnavailableError, OSError) as exc:
        _fail(f"cannot use the output folder {out}: {exc}", EXIT_STARTUP)
        return
    except SettingsError as exc:
        _fail(str(exc), EXIT_STARTUP)
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
    totals = [0] * 9
    total_seconds = 0.0
    quarantined = 0
    for record_type, row in report.by_record_type().items():
        values = [
            row.files,
            row.records,
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


@main.group("plugins", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def plugins_command(context: click.Context, as_json: bool) -> None:
    """List installed plugins and the record types and domains they own."""
    if context.invoked_subcommand is not None:
        return
    settings = _settings()
    registry = _registry(settings)
    rows: list[dict[str, Any]] = [
        {
            "name": info.name,
            "distribution": info.distribution,
            "version": info.version,
            "builtin": info.builtin,
            "record_types": [
                {"name": rt, "health_domain": registry.specs[rt].health_domain}
                for rt in info.record_types
            ],
        }
        for info in registry.plugins.values()
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    table = Table(title="etl plugins")
    for column in ("plugin", "distribution", "version", "record types (domain)"):
        # Folded, never cut with an ellipsis: names are what a reader copies.
        table.add_column(column, overflow="fold")
    for row in rows:
        owned = ", ".join(f"{r['name']} ({r['health_domain']})" for r in row["record_types"])
        table.add_row(row["name"], row["distribution"], row["version"], owned or "(built-in hooks)")
    Console().print(table)


@main.command("review")
@click.argument("out")
@click.option(
    "--report",
    "report_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to write the report (default: OUT/review; ./review for an S3 OUT).",
)
@click.option("--open", "open_browser", is_flag=True, help="Open the report in a browser.")
def review_command(out: str, report_dir: Path | None, open_browser: bool) -> None:
    """Write a static HTML report of OUT's examples beside the charts of their windows.

    OUT is an `etl run` output folder, or s3://BUCKET[/PREFIX] for a worker's output (the
    ETL_S3_* settings; charts need ETL_HISTORY_URL, the workers' history)."""
    from etl_core.contract.errors import EtlError
    from etl_core.review.report import write_report
    from etl_core.stores.objects.base import LocalObjectStore, ObjectStore, StorageError
    from etl_core.transports.embedded import STATE_DIR, open_history_store

    settings = _settings()
    configure_logging(settings.log_level if "ETL_LOG_LEVEL" in os.environ else "WARNING")
    root = ""
    store: ObjectStore
    if out.startswith("s3://"):
        from etl_core.stores.objects.s3 import S3ObjectStore

        bucket, _, prefix = out.removeprefix("s3://").partition("/")
        if not bucket:
            _fail(f"{out}: name a bucket, s3://BUCKET[/PREFIX]", EXIT_USAGE)
        root = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
        store = S3ObjectStore.from_settings(settings, bucket=bucket, pool_size=1)
        history_file = None
        folder = report_dir or Path("review")
    else:
        local = Path(out)
        if not local.is_dir():
            _fail(f"{out}: no such output folder", EXIT_USAGE)
        store = LocalObjectStore(local)
        history_file = local / STATE_DIR / "history.sqlite"
        folder = report_dir or local / "review"
    training, quarantine = root + settings.training_data_prefix, root + settings.quarantine_prefix
    try:
        person = UserContext(
            timezone=load_zone(settings.user_timezone), age_years=settings.user_age
        )
        if not any(store.list(training)):
            _fail(
                f"{out}: no training examples found (run `etl run PATH --out {out}` first)",
                EXIT_USAGE,
            )
        registry = _registry(settings)
        history = (
            open_history_store(settings, history_file or Path(STATE_DIR) / "history.sqlite")
            if settings.history_url or (history_file is not None and history_file.exists())
            else None
        )
    except UnknownZoneError as exc:
        _fail(str(exc), EXIT_USAGE)
        return
    except (StorageError, EtlError) as exc:
        _fail(f"cannot read {out}: {exc}", EXIT_STARTUP)
        return
    try:
        report = write_report(
            store,
            folder,
            registry=registry,
            history=history,
            person=person,
            training_prefix=training,
            quarantine_prefix=quarantine,
        )
    except (StorageError, EtlError) as exc:
        _fail(f"cannot read {out}: {exc}", EXIT_STARTUP)
        return
    except OSError as exc:
        _fail(f"cannot write the report to {folder}: {exc.strerror or exc}", EXIT_STARTUP)
        return
    finally:
        if history is not None:
            history.close()
    click.echo(
        f"review report: {report.examples} examples, {report.windows} windows, "
        f"{report.charts} charts, {report.quarantined} quarantined -> {report.index.resolve()}"
    )
    for problem in report.problems:
        click.echo(f"etl: warning: {problem}", err=True)
    if open_browser:
        import webbrowser

        webbrowser.open(report.index.resolve().as_uri())


def _add_command_modules() -> None:
    """Commands that live beside the code they drive."""
    from etl_core.cli.data import compact_command, dataset_command
    from etl_core.cli.scaffold import new_plugin_command
    from etl_core.cli.worker import consume, dlq, publish, topology

    plugins_command.add_command(new_plugin_command, "new")
    main.add_command(compact_command, "compact")
    main.add_command(dataset_command, "dataset")
    for command in (consume, publish, dlq, topology):
        main.add_command(command)


_add_command_modules()
