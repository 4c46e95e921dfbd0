"""``etl plugins``: what is installed, and ``etl plugins new`` to start a plugin."""

from __future__ import annotations

import json
import shutil
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
    listed = [
        (row["name"], row["distribution"], row["version"], [_owned(r) for r in row["record_types"]])
        for row in rows
    ]
    listed += [
        (i.name, i.distribution, i.version, ["(disabled)"]) for i in registry.disabled.values()
    ]
    click.echo(_listing(listed, shutil.get_terminal_size().columns))


def _owned(record_type: dict[str, str]) -> str:
    return f"{record_type['name']} ({record_type['health_domain']})"


def _listing(listed: list[tuple[str, str, str, list[str]]], width: int) -> str:
    """Plain columns when they fit ``width``, else one block per plugin; never a name cut or
    folded: names are what a reader copies (and greps)."""
    header = ("plugin", "distribution", "version", "record types (domain)")
    table = [
        header,
        *((n, d, v, ", ".join(owned) or "(built-in hooks)") for n, d, v, owned in listed),
    ]
    widths = [max(len(row[column]) for row in table) for column in range(3)]
    rule = tuple("-" * w for w in (*widths, max(len(row[3]) for row in table)))
    lines = [
        "  ".join(
            [*(cell.ljust(w) for cell, w in zip(row[:3], widths, strict=True)), row[3]]
        ).rstrip()
        for row in (table[0], rule, *table[1:])
    ]
    if max(map(len, lines)) <= width:
        return "\n".join(lines)
    blocks = []
    for name, distribution, version, owned in listed:
        blocks.append(f"{name}  {distribution} {version}")
        blocks.extend(f"  {item}" for item in owned or ["(built-in hooks)"])
    return "\n".join(blocks)
