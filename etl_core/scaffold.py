"""``etl plugins new``: render the plugin template into a new folder (see issue 9)."""

from __future__ import annotations

import click


@click.command()
@click.argument("name")
@click.option("--record-type", required=True, help="The Health Connect record type it owns.")
def new_plugin_command(name: str, record_type: str) -> None:
    """Create a new plugin distribution NAME owning RECORD_TYPE from plugins/template."""
    raise click.ClickException("not available yet")
