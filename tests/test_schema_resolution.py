"""Reader-schema resolution is skipped when a file's writer schema is the owner's reader schema
(resolution costs some three times the plain decode), and gives the same records; a differing
writer schema is still resolved (schema evolution)."""

from __future__ import annotations

from typing import Any

import pytest

from etl_core.engine.decode import SchemaGovernor, decode_records, read_header, same_schema
from etl_core.engine.job import Job
from etl_core.engine.registry import PluginRegistry, load_plugins
from etl_core.engine.stages import FileRun, decode_stage
from etl_core.settings import Settings
from etl_core.testing import health_connect_schema, real_samples, write_avro

READING: dict[str, Any] = {
    "type": "record",
    "name": "AvroTestReadingRecord",
    "namespace": "test",
    "fields": [
        {"name": "timeEpochMillis", "type": "long"},
        {"name": "value", "type": "double"},
    ],
}


@pytest.fixture(scope="module")
def registry() -> PluginRegistry:
    return load_plugins()


def _stage_records(registry: PluginRegistry, name: str, data: bytes) -> list[dict[str, Any]]:
    settings = Settings(_env_file=None, pseudonym_key="test-key")  # type: ignore[call-arg]
    run = FileRun(Job(data, "test", name, "someone"), registry, settings, SchemaGovernor())
    decode_stage(run)
    batch, _ = run.decoded()
    return [dict(record) for record in batch.records]


def test_real_files_decode_to_the_same_records_without_resolution(
    registry: PluginRegistry,
) -> None:
    files = real_samples()
    if len(files) != 26:
        pytest.skip("the 26 real exports (../shared/samples/health-connect) are not here")
    governor = SchemaGovernor()
    skipped = 0
    for path in files:
        data = path.read_bytes()
        writer = read_header(data, len(data), path.name)
        record_type = path.name.split("_", 1)[0]
        # The owner's reader schema; with no plugin installed (the core-only session), the
        # exporter's own schema, which core ships for tests.
        reader = registry.spec_for(record_type, writer).reader_schema or health_connect_schema(
            record_type
        )
        assert not governor.incompatibilities(reader, writer)
        resolved = decode_records(data, path.name, reader)
        plain = decode_records(data, path.name, None)
        assert plain == resolved, f"{path.name}: records differ without resolution"
        assert _stage_records(registry, path.name, data) == resolved, path.name
        skipped += governor.resolution_schema(reader, writer) is None
    # The exporter and the plugins share their schemas: every real file takes the fast path.
    assert skipped == len(files)


def test_a_differing_writer_schema_is_still_resolved() -> None:
    reader = {
        **READING,
        "fields": [*READING["fields"], {"name": "unit", "type": "string", "default": "mmol/L"}],
    }
    governor = SchemaGovernor()
    assert governor.resolution_schema(READING, READING) is None
    assert governor.resolution_schema(None, READING) is None
    chosen = governor.resolution_schema(reader, READING)
    assert chosen is reader
    data = write_avro(READING, [{"timeEpochMillis": 1, "value": 5.5}])
    assert decode_records(data, "t.avro", chosen) == [
        {"timeEpochMillis": 1, "value": 5.5, "unit": "mmol/L"}
    ]


def test_schemas_differing_only_in_docs_are_the_same_but_logical_types_are_not() -> None:
    documented = {**READING, "doc": "a reading", "fields": [*READING["fields"]]}
    assert same_schema(READING, documented)
    dated = {
        **READING,
        "fields": [
            {
                "name": "timeEpochMillis",
                "type": {"type": "long", "logicalType": "timestamp-millis"},
            },
            READING["fields"][1],
        ],
    }
    # The parsing canonical form drops logicalType, but fastavro applies the reader's.
    assert not same_schema(dated, READING)
