"""Helpers that plugin test-suites reuse: the contract suite (:class:`PluginContract`),
the backend contracts (:class:`DedupStoreContract`, :class:`ObjectStoreContract`),
real-sample discovery, Avro fixtures, batches.

Everything here is public API for plugin authors; it is not imported by the pipeline.
"""

from etl_core.builtin.training_jsonl import stable_form
from etl_core.engine.validate import allowed_in_messages, finding_problem, quoted_values
from etl_core.engine.window_stage import record_set_fingerprint
from etl_core.testing.contract import (
    PluginContract,
    Sample,
    Validated,
    decode_sample,
    installed_entry_point,
    plugin_registry,
    processed_batch,
    validate_sample,
    write_plugin_avro,
)
from etl_core.testing.embedded import journal_examples, run_etl, training_examples
from etl_core.testing.fixtures import (
    HEALTH_CONNECT_TYPES,
    build_batch,
    export_records,
    export_sample,
    health_connect_schema,
    make_metadata,
    read_avro,
    real_samples,
    real_samples_dir,
    synthetic_records,
    synthetic_samples,
    write_avro,
    write_health_connect,
)
from etl_core.testing.person import SyntheticExport, synthetic_person, write_synthetic_person
from etl_core.testing.stores import DedupStoreContract, ObjectStoreContract
from etl_core.testing.windows import records_of, windows_from_exports, windows_of_records

__all__ = [
    "HEALTH_CONNECT_TYPES",
    "DedupStoreContract",
    "ObjectStoreContract",
    "PluginContract",
    "Sample",
    "SyntheticExport",
    "Validated",
    "allowed_in_messages",
    "build_batch",
    "decode_sample",
    "export_records",
    "export_sample",
    "finding_problem",
    "health_connect_schema",
    "installed_entry_point",
    "journal_examples",
    "make_metadata",
    "plugin_registry",
    "processed_batch",
    "quoted_values",
    "read_avro",
    "real_samples",
    "real_samples_dir",
    "record_set_fingerprint",
    "records_of",
    "run_etl",
    "stable_form",
    "synthetic_person",
    "synthetic_records",
    "synthetic_samples",
    "training_examples",
    "validate_sample",
    "windows_from_exports",
    "windows_of_records",
    "write_avro",
    "write_health_connect",
    "write_plugin_avro",
    "write_synthetic_person",
]
