"""``etl plugins``: what is installed, and ``etl plugins new`` to start a plugin."""

from __future__ import annotations

import json
from typing import Any

import click

from etl_core.cli.app import LazyGroup
from etl_core.cli.common import load_registry, load_settings


# ``new`` is imported only when it runs: listing plugins does not pay for the scaffolder.
@click.group(
    "plugins",
    cls=LazyGroup,
    lazy={"new": "etl_core.cli.scaffold:new_plugin_command"},
    invoke_without_command=True,
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def plugins_command(context: click.Context, as_json: bool) -> None:
    """List installed plugins and the record types and domains they own."""
    if context.invoked_subcommand is not None:
        return
    settings = load_settings()
    registry = load_registry(settings)
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
    from rich.console import Console
    from rich.table import Table

    table = Table(title="etl plugins")
    for column in ("plugin", "distribution", "version", "record types (domain)"):
        # Folded, never cut with an ellipsis: names are what a reader copies.
        table.add_column(column, overflow="fold")
    for row in rows:
        owned = ", ".join(f"{r['name']} ({r['health_domain']})" for r in row["record_types"])
        table.add_row(row["name"], row["distribution"], row["version"], owned or "(built-in hooks)")
    for info in registry.disabled.values():  # ETL_DISABLED_PLUGINS: listed, never loaded
        table.add_row(info.name, info.distribution, info.version, "(disabled)", style="dim")
    Console().print(table)
