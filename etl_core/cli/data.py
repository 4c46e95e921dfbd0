"""The commands on training data: ``etl compact`` (monthly journals, local or in S3) and
``etl dataset`` (a fine-tuning set with splits and a card)."""

from __future__ import annotations

import contextlib
from pathlib import Path

import click

from etl_core.cli.common import EXIT_FAILED_FILES, EXIT_USAGE, fail, load_settings
from etl_core.contract.model import ExampleKind


@click.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("etl-output"),
    show_default=True,
    help="The local output folder (etl run --out).",
)
@click.option(
    "--s3",
    "use_s3",
    is_flag=True,
    help="Compact the configured bucket (ETL_S3_BUCKET_NAME, ETL_S3_ENDPOINT_URL ...) instead.",
)
@click.option(
    "--from",
    "location",
    metavar="s3://BUCKET[/PREFIX]",
    help="Compact this S3 output root (or local folder) instead.",
)
@click.option("--all", "force", is_flag=True, help="Rebuild every month, changed or not.")
def compact_command(out: Path, use_s3: bool, location: str | None, force: bool) -> None:
    """Rebuild the monthly health_journal_<YYYY>_<MM>.jsonl of every month whose examples
    changed since the last compaction (a marker per month holds the digest of its listing)."""
    from etl_core.outputs.compaction import (
        CompactionBusyError,
        compact_changed,
        compaction_lease,
        months_under,
    )
    from etl_core.settings import SettingsError
    from etl_core.stores.factory import open_output_location
    from etl_core.stores.objects.base import ObjectStore, StorageError, StorageRejectedError
    from etl_core.stores.objects.local import LocalObjectStore
    from etl_core.transports.embedded import STATE_DIR, file_lock

    settings = load_settings()
    if use_s3 and location:
        fail("give --s3 or --from, not both", EXIT_USAGE)
    if use_s3:
        location = f"s3://{settings.s3_bucket_name}"
    lock: contextlib.AbstractContextManager[None]
    store: ObjectStore
    try:
        if location is None:
            if not out.is_dir():
                fail(
                    f"{out}: no such folder, so nothing to compact (give the --out of a run)",
                    EXIT_USAGE,
                )
            store, root = LocalObjectStore(out), ""
            if not months_under(store, settings.training_data_prefix):
                # Checked before the lock: it would create the state folder in any folder.
                fail(f"{out}: no training examples to compact", EXIT_USAGE)
            lock = file_lock(out / STATE_DIR / "compaction.lock")
        else:
            store, root, _ = open_output_location(location, settings)
            lock = compaction_lease(store, f"{root}{settings.training_data_prefix}")
        with lock:
            results = compact_changed(store, f"{root}{settings.training_data_prefix}", force=force)
    except SettingsError as exc:
        fail(str(exc), EXIT_USAGE)
        return
    except (CompactionBusyError, StorageError, StorageRejectedError) as exc:
        fail(str(exc), EXIT_FAILED_FILES)
        return
    rebuilt = [r for r in results if r.rebuilt]
    for result in results:
        state = "rebuilt" if result.rebuilt else "unchanged"
        click.echo(f"{result.journal}: {result.lines} examples ({state})")
    click.echo(f"{len(rebuilt)} of {len(results)} months rebuilt")


@click.command()
@click.argument("sources", nargs=-1, required=True)
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the data set (formats in sub-folders, README.md card).",
)
@click.option(
    "--format",
    "formats",
    multiple=True,
    type=click.Choice(["chat", "prompt-completion", "alpaca"]),
    help="Row format (repeatable; default all three).",
)
@click.option(
    "--file-format",
    "file_formats",
    multiple=True,
    type=click.Choice(["parquet", "jsonl"]),
    help="File format (repeatable; default both).",
)
@click.option(
    "--split",
    "split_text",
    default="0.8,0.1,0.1",
    show_default=True,
    help="Shares of train, validation and test.",
)
@click.option("--seed", default="etl-dataset", show_default=True, help="Seed of the split hash.")
@click.option("--domain", "domains", multiple=True, help="Only this health domain (repeatable).")
@click.option(
    "--record-type", "record_types", multiple=True, help="Only this record type (repeatable)."
)
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    type=click.Choice([str(kind) for kind in ExampleKind]),
    help="Only this example kind (repeatable).",
)
@click.option(
    "--min-quality",
    type=click.FloatRange(0.0, 1.0),
    help="Only examples whose records' quality score is at least this.",
)
def dataset_command(
    sources: tuple[str, ...],
    out: Path,
    formats: tuple[str, ...],
    file_formats: tuple[str, ...],
    split_text: str,
    seed: str,
    domains: tuple[str, ...],
    record_types: tuple[str, ...],
    kinds: tuple[str, ...],
    min_quality: float | None,
) -> None:
    """Build a fine-tuning data set from the current examples of SOURCES (output folders of
    etl run, or s3://BUCKET[/PREFIX] roots the workers write to)."""
    from etl_core import __version__
    from etl_core.outputs.dataset import (
        FILE_FORMATS,
        FORMATS,
        DatasetError,
        DatasetOptions,
        Source,
        build_dataset,
        parse_ratios,
    )
    from etl_core.settings import SettingsError
    from etl_core.stores.factory import open_output_location
    from etl_core.stores.objects.base import StorageError, StorageRejectedError

    settings = load_settings()
    try:
        options = DatasetOptions(
            formats=tuple(f for f in FORMATS if f in formats) or FORMATS,
            file_formats=tuple(f for f in FILE_FORMATS if f in file_formats) or FILE_FORMATS,
            ratios=parse_ratios(split_text),
            seed=seed,
            domains=frozenset(domains),
            record_types=frozenset(record_types),
            kinds=frozenset(kinds),
            min_quality=min_quality,
        )
        opened = []
        for location in sources:
            store, prefix, label = open_output_location(location, settings)
            opened.append(Source(store, prefix, label))
    except (DatasetError, SettingsError) as exc:
        fail(str(exc), EXIT_USAGE)
        return
    try:
        built = build_dataset(
            opened,
            out,
            options,
            training_prefix=settings.training_data_prefix,
            engine_version=__version__,
        )
    except (DatasetError, StorageError, StorageRejectedError) as exc:
        fail(str(exc), EXIT_FAILED_FILES)
        return
    except OSError as exc:
        fail(f"cannot write the data set to {out}: {exc.strerror}", EXIT_FAILED_FILES)
        return
    counts = built.counts()
    click.echo(
        f"read {built.examples_read} examples; filtered out {built.filtered_out}; "
        f"near-duplicates removed {sum(built.duplicates_removed.values())}"
    )
    click.echo(
        f"split by {built.split_by}: " + ", ".join(f"{split} {counts[split]}" for split in counts)
    )
    if built.split_by == "window":
        click.echo("one user only: split by window, so every split holds the same person")
    for path in built.written:
        click.echo(f"  {path}")
