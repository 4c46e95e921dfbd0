"""``etl plugins new``: render the plugin template into a new plugin distribution.

The template is package data of etl-core (``etl_core/plugin_template/``), so the command works
from an installed wheel. Files ending in ``.tmpl`` are rendered (the suffix dropped) by replacing
``{{placeholder}}`` tokens in their paths and contents; other files in the template are notes for
its maintainers and are not copied. ``plugins/template/`` in the repository mirrors it. The new
plugin pins the running core's ``MAJOR.MINOR`` up to the next major (:func:`core_requirement`).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path, PurePosixPath

import click

from etl_core import __version__
from etl_core.contract.errors import RequestError

TEMPLATE_SUFFIX = ".tmpl"
_RECORD_TYPE = re.compile(r"[A-Z][A-Za-z0-9]*Record")
_DOMAIN = re.compile(r"[a-z][a-z0-9_]*")


def core_requirement(version: str = __version__) -> str:
    """The etl-core requirement a new plugin pins: this core's ``MAJOR.MINOR`` or newer, below
    the next major (``0.1.0`` -> ``etl-core>=0.1,<1``), so that the plugin is never installed
    beside a core whose contract it was not written for."""
    parts = re.findall(r"\d+", version)[:2]
    major, minor = (int(parts[0]) if parts else 0), (int(parts[1]) if len(parts) > 1 else 0)
    return f"etl-core>={major}.{minor},<{major + 1}"


class ScaffoldError(RequestError, ValueError):
    """The names given cannot make a plugin, or the destination is taken."""

    error_type = "scaffold_error"


@dataclass(frozen=True, slots=True)
class PluginNames:
    """Every name of a new plugin, derived from the one its author chose."""

    entry_point: str
    distribution: str
    package: str
    record_type: str
    domain: str

    def placeholders(self) -> dict[str, str]:
        return {
            "{{entry_point}}": self.entry_point,
            "{{distribution}}": self.distribution,
            "{{package}}": self.package,
            "{{record_type}}": self.record_type,
            "{{domain}}": self.domain,
            "{{etl_core_requirement}}": core_requirement(),
        }

    def fill(self, text: str) -> str:
        for placeholder, value in self.placeholders().items():
            text = text.replace(placeholder, value)
        return text


def plugin_names(name: str, record_type: str, domain: str | None = None) -> PluginNames:
    """``"Blood Pressure"`` or ``"etl-bloodpressure"`` -> entry point ``blood_pressure`` /
    ``bloodpressure``, distribution ``etl-...``, package ``etl_...``."""
    short = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_").removeprefix("etl_")
    if not short or not short[0].isalpha():
        raise ScaffoldError(f"{name!r} does not make a plugin name: start it with a letter")
    if short in {"etl", "core"}:
        raise ScaffoldError(f"{name!r} would clash with etl-core itself: choose another name")
    if not _RECORD_TYPE.fullmatch(record_type):
        raise ScaffoldError(
            f"{record_type!r} is not a Health Connect record type name (like BloodPressureRecord)"
        )
    chosen_domain = domain or short
    if not _DOMAIN.fullmatch(chosen_domain):
        raise ScaffoldError(
            f"{chosen_domain!r} is not a health domain: use lower case and underscores "
            "(like vital_signs)"
        )
    return PluginNames(
        entry_point=short,
        distribution="etl-" + short.replace("_", "-"),
        package="etl_" + short,
        record_type=record_type,
        domain=chosen_domain,
    )


def template_root() -> Traversable:
    return resources.files("etl_core").joinpath("plugin_template")


def _template_files(
    folder: Traversable, relative: PurePosixPath
) -> list[tuple[PurePosixPath, Traversable]]:
    found: list[tuple[PurePosixPath, Traversable]] = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.is_dir():
            if entry.name != "__pycache__":
                found.extend(_template_files(entry, relative / entry.name))
        elif entry.name.endswith(TEMPLATE_SUFFIX):
            found.append((relative / entry.name.removesuffix(TEMPLATE_SUFFIX), entry))
    return found


def render_plugin(names: PluginNames, destination: Path) -> list[Path]:
    """Write the rendered template into ``destination`` (which must not exist or be empty);
    returns the files written."""
    if destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
        raise ScaffoldError(f"{destination} already exists and is not an empty folder")
    written: list[Path] = []
    for relative, source in _template_files(template_root(), PurePosixPath()):
        target = destination / names.fill(str(relative))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(names.fill(source.read_text(encoding="utf-8")), encoding="utf-8")
        written.append(target)
    return written


@click.command()
@click.argument("name")
@click.option("--record-type", required=True, help="The Health Connect record type it owns.")
@click.option("--domain", help="Training-data health domain (default: the plugin name).")
@click.option(
    "--dest",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Folder to create the plugin's folder in.",
)
def new_plugin_command(name: str, record_type: str, domain: str | None, dest: Path) -> None:
    """Create a new plugin distribution NAME owning RECORD_TYPE from the plugin template."""
    try:
        names = plugin_names(name, record_type, domain)
        folder = dest / names.distribution
        render_plugin(names, folder)
    except (ScaffoldError, OSError) as exc:
        click.echo(f"etl: error: {exc}", err=True)
        sys.exit(2)
    click.echo(
        f"created {folder} (distribution {names.distribution}, package {names.package}, "
        f"entry point {names.entry_point}, record type {names.record_type}, "
        f"domain {names.domain})\n"
        "next:\n"
        f"  cd {folder}\n"
        '  pip install -e ".[test]"\n'
        "  pytest\n"
        f"  python -m {names.package}.samples sample-data\n"
        "  etl run sample-data --out etl-output"
    )
