"""``docs/api.md`` is generated from the docstrings (``docs/gen_api.py``) and must be current,
and it documents every helper a plugin author needs."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_api", REPO / "docs" / "gen_api.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_api_reference_is_generated_from_the_current_docstrings() -> None:
    written = (REPO / "docs" / "api.md").read_text(encoding="utf-8")
    assert written == generator().render(), (
        "docs/api.md is stale: run `python docs/gen_api.py` and commit the result"
    )


def test_api_reference_covers_what_a_plugin_author_uses() -> None:
    text = (REPO / "docs" / "api.md").read_text(encoding="utf-8")
    for heading in (
        "### `hookimpl`",
        "### `RecordTypeSpec`",
        "### `ProcessResult`",
        "### `to_local`",
        "### `describe_zone_use`",
        "### `batch_bounds`",
        "### `unsupported_figures`",
        "### `load_avsc`",
        "### `HEALTH_CONNECT_LIMITS`",
        "### `PluginContract`",
        "### `validate_sample`",
        "### `build_batch`",
        "### `health_connect_schema`",
        "### `write_plugin_avro`",
        "### `synthetic_records`",
    ):
        assert heading in text, heading
    assert "- `generic: bool = False`: Set only by core's fallback processor" in text
    assert '`"SpO2"`, `"HbA1c"`' in text  # the figure-reading rules
    assert "- `test_foreign_record_types_are_ignored`:" in text
