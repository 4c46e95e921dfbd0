"""Helpers that plugin test-suites reuse: real-sample discovery, Avro fixtures, batches.

Everything here is public API for plugin authors; it is not imported by the pipeline.
"""

from etl_core.testing.embedded import run_etl, training_examples
from etl_core.testing.fixtures import (
    build_batch,
    make_metadata,
    read_avro,
    real_samples,
    real_samples_dir,
    write_avro,
)

__all__ = [
    "build_batch",
    "make_metadata",
    "read_avro",
    "real_samples",
    "real_samples_dir",
    "run_etl",
    "training_examples",
    "write_avro",
]
