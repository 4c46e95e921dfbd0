"""Helpers that plugin test-suites reuse: real-sample discovery, Avro fixtures, batches.

Everything here is public API for plugin authors; it is not imported by the pipeline.
"""

from etl_core.testing.embedded import run_etl, training_examples
from etl_core.testing.fixtures import (
    HEALTH_CONNECT_TYPES,
    build_batch,
    health_connect_schema,
    make_metadata,
    read_avro,
    real_samples,
    real_samples_dir,
    write_avro,
    write_health_connect,
)

__all__ = [
    "HEALTH_CONNECT_TYPES",
    "build_batch",
    "health_connect_schema",
    "make_metadata",
    "read_avro",
    "real_samples",
    "real_samples_dir",
    "run_etl",
    "training_examples",
    "write_avro",
    "write_health_connect",
]
