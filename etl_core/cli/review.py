"""``etl review``: a static HTML report of examples beside the charts of their windows."""

from __future__ import annotations

import os
from pathlib import Path

import click

from etl_core.cli.common import EXIT_STARTUP, EXIT_USAGE, fail, load_registry, load_settings
from etl_core.contract.model import UserContext
from etl_core.contract.timeutil import UnknownZoneError, load_zone
from etl_core.observability.logs import configure_logging


@click.command("review")
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
    from etl_core.stores.objects.base import ObjectStore
    from etl_core.stores.objects.local import LocalObjectStore
    from etl_core.transports.embedded import STATE_DIR, open_history_store

    settings = load_settings()
    configure_logging(settings.log_level if "ETL_LOG_LEVEL" in os.environ else "WARNING")
    root = ""
    store: ObjectStore
    if out.startswith("s3://"):
        from etl_core.stores.objects.s3 import S3ObjectStore

        bucket, _, prefix = out.removeprefix("s3://").partition("/")
        if not bucket:
            fail(f"{out}: name a bucket, s3://BUCKET[/PREFIX]", EXIT_USAGE)
        root = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
        store = S3ObjectStore.from_settings(settings, bucket=bucket, pool_size=1)
        history_file = None
        folder = report_dir or Path("review")
    else:
        local = Path(out)
        if not local.is_dir():
            fail(f"{out}: no such output folder", EXIT_USAGE)
        store = LocalObjectStore(local)
        history_file = local / STATE_DIR / "history.sqlite"
        folder = report_dir or local / "review"
    training, quarantine = root + settings.training_data_prefix, root + settings.quarantine_prefix
    try:
        person = UserContext(
            timezone=load_zone(settings.user_timezone), age_years=settings.user_age
        )
        if not any(store.list(training)):
            fail(
                f"{out}: no training examples found (run `etl run PATH --out {out}` first)",
                EXIT_USAGE,
            )
        registry = load_registry(settings)
        history = (
            open_history_store(settings, history_file or Path(STATE_DIR) / "history.sqlite")
            if settings.history_url or (history_file is not None and history_file.exists())
            else None
        )
    except UnknownZoneError as exc:
        fail(str(exc), EXIT_USAGE)
        return
    except EtlError as exc:
        fail(f"cannot read {out}: {exc}", EXIT_STARTUP)
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
    except EtlError as exc:
        fail(f"cannot read {out}: {exc}", EXIT_STARTUP)
        return
    except OSError as exc:
        fail(f"cannot write the report to {folder}: {exc.strerror or exc}", EXIT_STARTUP)
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
