"""A windowed temperature plugin whose window hook fails while ``BROKEN`` is set: a plugin
bug, then its fix, without reinstalling anything."""

from __future__ import annotations

from etl_core import ProcessResult, RecordTypeSpec, Window, WindowRule, hookimpl
from etl_core.contract.model import ExampleKind, ExampleText
from tests.support.temperature_plugin import SPEC

ETL_PLUGIN_API = "1"

BROKEN = False


@hookimpl
def etl_record_types() -> list[RecordTypeSpec]:
    return [SPEC]


@hookimpl
def etl_windows(spec: RecordTypeSpec) -> list[WindowRule] | None:
    return [WindowRule.day()] if spec.name == SPEC.name else None


@hookimpl
def etl_process_window(window: Window, spec: RecordTypeSpec) -> ProcessResult | None:
    if window.record_type != SPEC.name:
        return None
    if BROKEN:
        raise RuntimeError("the window hook has a bug")
    count = len(window.records)
    text = f"{count} temperature readings."
    return ProcessResult(
        narrative=text,
        insights={"readings": count},
        summary=f"readings: {count}",
        examples=[ExampleText(ExampleKind.SUMMARY, text)],
    )
