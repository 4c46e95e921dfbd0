"""A plugin whose validator raises, to prove a validation bug is a clean failure."""

from __future__ import annotations

from etl_core import Batch, Finding, RecordTypeSpec, hookimpl

ETL_PLUGIN_API = "1"


@hookimpl
def etl_validate(batch: Batch, spec: RecordTypeSpec) -> list[Finding] | None:
    raise KeyError("a bug in the validator")
