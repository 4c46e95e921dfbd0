"""The ``etl`` command line. User errors end in one line on stderr and a non-zero exit,
never a traceback.

Each command lives in its own module and is imported only when it runs (or ``--help`` lists
it), so ``etl --version`` loads no pipeline, store or broker client.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

COMMANDS = {
    "run": "etl_core.cli.run:run",
    "plugins": "etl_core.cli.plugins:plugins_command",
    "review": "etl_core.cli.review:review_command",
    "compact": "etl_core.cli.data:compact_command",
    "dataset": "etl_core.cli.data:dataset_command",
    "consume": "etl_core.cli.worker:consume",
    "build-windows": "etl_core.cli.windows:build_windows",
    "publish": "etl_core.cli.worker:publish",
    "dlq": "etl_core.cli.worker:dlq",
    "topology": "etl_core.cli.worker:topology",
}
"""Command name -> ``module:attribute`` of its click command."""


EXTRA_OF_PACKAGE = {
    "pika": "rabbitmq",
    "boto3": "s3",
    "botocore": "s3",
    "redis": "redis",
    "psycopg": "postgresql",
    "pyarrow": "dataset",
}
"""Optional dependency -> the etl-core extra that installs it."""


class LazyGroup(click.Group):
    """A group whose commands are imported by name when first needed. A command that needs an
    optional dependency which is not installed ends in one line naming the extra."""

    def __init__(self, *args: Any, lazy: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = self.lazy.get(cmd_name)
        if target is None:
            return super().get_command(ctx, cmd_name)
        module_name, _, attribute = target.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            missing = _missing_extra(exc)
            if missing is None:
                raise
            return _needs_extra(cmd_name, *missing)
        command = getattr(module, attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{target} is not a click command")
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ModuleNotFoundError as exc:
            missing = _missing_extra(exc)
            if missing is None:
                raise
            _refuse(ctx.invoked_subcommand or "this command", *missing)


def _missing_extra(exc: ModuleNotFoundError) -> tuple[str, str] | None:
    """(package, extra) when ``exc`` is an optional dependency that is not installed."""
    package = (exc.name or "").partition(".")[0]
    extra = EXTRA_OF_PACKAGE.get(package)
    return (package, extra) if extra else None


def _refuse(command: str, package: str, extra: str) -> None:
    from etl_core.cli.common import EXIT_STARTUP, fail

    fail(
        f"etl {command} needs {package}, which is not installed: pip install 'etl-core[{extra}]'",
        EXIT_STARTUP,
    )


def _needs_extra(name: str, package: str, extra: str) -> click.Command:
    """Stands in for a command whose module needs a missing extra: listed in ``--help``,
    refusing in one line when run."""
    return click.Command(
        name,
        callback=lambda **_: _refuse(name, package, extra),
        help=f"(not installed: pip install 'etl-core[{extra}]')",
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    )


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from etl_core import __version__

    click.echo(f"etl, version {__version__}")
    ctx.exit()


@click.group(
    cls=LazyGroup,
    lazy=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the version and exit.",
)
def main() -> None:
    """ETL Narrative Engine: Health Connect exports in, clinical narratives and training
    JSONL out."""
