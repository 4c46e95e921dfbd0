"""Metrics, readiness, traces and log privacy, observed from outside as an operator would."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode
from prometheus_client.parser import text_string_to_metric_families

from etl_core.contract.model import PluginCounter, UserContext
from etl_core.contract.windows import record_key, version_rank
from etl_core.engine.registry import load_plugins
from etl_core.observability.health import HealthServer
from etl_core.observability.metrics import EtlMetrics
from etl_core.settings import Settings
from etl_core.testing import read_avro, real_samples, training_examples
from etl_core.transports.embedded import collect_inputs, run_embedded
from etl_core.transports.rabbitmq.consumer import wait_until
from tests.conftest import temperature_entry_point
from tests.services import MotoS3Server, TcpProxy, rabbitmq_available, unavailable
from tests.support.records import temperature_file, temperature_records
from tests.worker_support import delete_topology, publish, worker_settings, worker_thread


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def samples(metrics_text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    values = {}
    for family in text_string_to_metric_families(metrics_text):
        for sample in family.samples:
            if sample.name == name:
                values[tuple(sorted(sample.labels.items()))] = sample.value
    return values


def test_metrics_after_the_real_files_count_each_record_type_and_status(
    samples_dir: Path, tmp_path: Path
) -> None:
    registry = load_plugins()
    metrics = EtlMetrics(record_types=registry.specs, plugin_counters=registry.counters)
    server = HealthServer(metrics, {"plugins": lambda: True}, host="127.0.0.1", port=0).start()
    try:
        run_embedded(
            collect_inputs([samples_dir]),
            tmp_path / "out",
            registry=registry,
            settings=Settings(_env_file=None, pseudonym_key="k"),  # type: ignore[call-arg]
            user_id="user-1",
            user=UserContext(),
            metrics=metrics,
        )
        status, body = fetch(f"http://127.0.0.1:{server.port}/metrics")
    finally:
        server.stop()
    assert status == 200
    processed = samples(body.decode(), "etl_messages_processed_total")

    # Expected from the raw files, in the order etl run takes them: a file that brings a record
    # (or a newer version) the person's history does not hold yet is a success, the rest are
    # duplicates.
    # (A later fetch of an unchanged record is new: it may tell that a running day ended.)
    held: dict[tuple[str, str], tuple[int, int]] = {}
    expected: dict[tuple[tuple[str, str], ...], float] = {}
    for path in sorted(real_samples(), key=lambda p: p.name):
        record_type = path.name.split("_", 1)[0]
        new = False
        for record in read_avro(path):
            key, rank = (record_type, record_key(record)), version_rank(record)
            if key not in held or rank > held[key]:
                held[key] = rank
                new = True
        label = record_type if record_type in registry.specs else "other"
        status_key = (("record_type", label), ("status", "success" if new else "duplicate"))
        expected[status_key] = expected.get(status_key, 0) + 1
    assert processed == expected
    examples = samples(body.decode(), "etl_training_examples_generated_total")
    assert sum(examples.values()) == len(training_examples(tmp_path / "out"))
    assert sum(samples(body.decode(), "etl_processing_duration_seconds_count").values()) == 26
    stages = {dict(k)["stage"] for k in samples(body.decode(), "etl_stage_duration_seconds_count")}
    # etl run builds the windows after its last file: per window, process and emit.
    assert stages == {"decode", "validate", "merge", "process", "emit"}
    assert "user-1" not in body.decode()
    assert "avro" not in body.decode()  # no file names in labels


def test_plugin_counters_are_declared_by_hook_and_fed_by_results() -> None:
    registry = load_plugins(entry_points=[temperature_entry_point()])
    declared = registry.manager.hook.etl_metrics()
    assert all(isinstance(c, PluginCounter) for group in declared if group for c in group)
    metrics = EtlMetrics(
        record_types=["BodyTemperatureRecord"],
        plugin_counters=[PluginCounter("etl_temperature_fevers_total", "Fever readings")],
    )
    metrics.observe_outcome(
        record_type="BodyTemperatureRecord",
        health_domain="vital_signs",
        status="processed",
        quality_score=1.0,
        finding_codes=[],
        events={"fever": 2},
        counters={"etl_temperature_fevers_total": 2, "etl_undeclared_total": 5},
        examples=1,
        error_type=None,
        timings={"decode": 0.01},
    )
    text = _exposition(metrics)
    assert samples(text, "etl_temperature_fevers_total") == {
        (("record_type", "BodyTemperatureRecord"),): 2.0
    }
    assert "etl_undeclared" not in text
    assert samples(text, "etl_clinical_events_detected_total") == {
        (("event_type", "fever"), ("record_type", "BodyTemperatureRecord")): 2.0
    }


def _exposition(metrics: EtlMetrics) -> str:
    from prometheus_client import generate_latest

    return generate_latest(metrics.registry).decode()


def test_unknown_record_types_share_one_label() -> None:
    metrics = EtlMetrics(record_types=["StepsRecord"])
    assert metrics.record_type_label("StepsRecord") == "StepsRecord"
    assert metrics.record_type_label("Evil'); DROP TABLE--Record") == "other"
    assert metrics.record_type_label(None) == "other"


# -- readiness against a broker that goes away and comes back ------------------------------------


@pytest.fixture
def worker_config(moto_server: MotoS3Server, s3_bucket: str, tmp_path: Path) -> Iterator[Settings]:
    if not rabbitmq_available():
        unavailable("RabbitMQ is not reachable on 127.0.0.1:5672")
    settings = worker_settings(moto_server, s3_bucket, tmp_path)
    try:
        yield settings
    finally:
        delete_topology(settings)


@pytest.mark.services
def test_ready_turns_503_when_the_broker_is_unreachable_and_200_after(
    worker_config: Settings,
) -> None:
    proxy = TcpProxy(("127.0.0.1", 5672))
    proxy.start()
    settings = worker_config.replace(
        **{"rabbitmq_url": f"amqp://guest:guest@127.0.0.1:{proxy.port}/%2F"}
    )
    metrics = EtlMetrics()
    with worker_thread(settings, metrics=metrics) as consumer:
        server = HealthServer(
            metrics, {"broker": consumer.connected.is_set, "plugins": lambda: True}, port=0
        ).start()
        url = f"http://127.0.0.1:{server.port}"
        try:
            assert fetch(f"{url}/ready")[0] == 200
            proxy.cut()
            assert wait_until(lambda: fetch(f"{url}/ready")[0] == 503, 20, 0.1)
            _status, body = fetch(f"{url}/ready")
            assert json.loads(body) == {
                "ready": False,
                "checks": {"broker": False, "plugins": True},
            }
            assert fetch(f"{url}/health")[0] == 200  # alive all the same
            proxy.start()
            assert wait_until(lambda: fetch(f"{url}/ready")[0] == 200, 30, 0.2)
        finally:
            server.stop()
            proxy.cut()
    text = _exposition(metrics)
    assert sum(samples(text, "etl_broker_disconnections_total").values()) >= 1


# -- tracing ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def spans() -> InMemorySpanExporter:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return exporter


def crafted(count: int, tag: str) -> list[tuple[str, bytes]]:
    return [
        (
            f"BodyTemperatureRecord_{tag}{n}.avro",
            temperature_file(
                temperature_records(3, start_ms=1_758_400_000_000 + n, tag=f"{tag}{n}")
            ),
        )
        for n in range(count)
    ]


@pytest.mark.services
def test_one_message_is_one_trace_with_every_stage_and_a_retry_continues_it(
    spans: InMemorySpanExporter, worker_config: Settings, moto_server: MotoS3Server, s3_bucket: str
) -> None:
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        pytest.skip("another tracer provider was installed first in this process")
    spans.clear()
    published = publish(worker_config, crafted(1, "trace"))
    with worker_thread(worker_config) as consumer:
        assert wait_until(lambda: consumer.decisions["ack"] == 1, 60)
    finished = spans.get_finished_spans()
    traces = {s.context.trace_id for s in finished if s.name.endswith(" process")}
    assert len(traces) == 1
    names = {s.name for s in finished if s.context.trace_id in traces}
    expected = {
        "receive",
        "download",
        "claim",
        "decode",
        "validate",
        "merge",
        "windows",
        "process",
        "emit",
        "complete",
        "ack",
    }
    assert expected <= names
    root = next(s for s in finished if s.name.endswith(" process"))
    assert root.attributes is not None
    assert root.attributes["messaging.system"] == "rabbitmq"
    assert root.attributes["messaging.message.id"] == published.messages[0].message_id

    # Retried work continues the trace. A message: S3 is unreachable at first (a cut
    # connection), then comes back. Its windows: the output bucket is missing until after the
    # message settled, so the builder's first passes fail and a later one publishes.
    spans.clear()
    out_bucket = f"{s3_bucket}-traced"
    s3_port = int(moto_server.endpoint_url.rsplit(":", 1)[1])
    proxy = TcpProxy(("127.0.0.1", s3_port))  # not started: S3 refuses connections
    retrying = worker_config.replace(
        **{
            "s3_endpoint_url": f"http://127.0.0.1:{proxy.port}",
            "s3_bucket_name": out_bucket,
            "raw_bucket_name": s3_bucket,
            "retry_delays_ms": (200, 400, 800),
            "max_retries": 10,  # however long S3 takes to come back here
        }
    )
    publish(worker_config, crafted(1, "retry"))
    try:
        with worker_thread(retrying) as consumer:
            assert wait_until(lambda: consumer.decisions["retry"] >= 1, 30)
            proxy.start()
            assert wait_until(lambda: consumer.decisions["ack"] == 1, 60)
            assert wait_until(lambda: len(_window_passes(spans)) >= 2, 60)
            moto_server.create_bucket(out_bucket)
        roots = [s for s in spans.get_finished_spans() if s.name.endswith(" process")]
        assert len(roots) >= 2
        assert len({s.context.trace_id for s in roots}) == 1, "the retry started a new trace"
        passes = _window_passes(spans)
        assert any(p.status.status_code is StatusCode.ERROR for p in passes)
        assert passes[-1].status.status_code is not StatusCode.ERROR
        assert {p.context.trace_id for p in passes} == {roots[0].context.trace_id}, (
            "a window pass left the message's trace"
        )
    finally:
        proxy.cut()
        moto_server.remove_bucket(out_bucket)
        delete_topology(retrying)  # its retry queues have other delays, so other names


def _window_passes(spans: InMemorySpanExporter) -> list[Any]:
    return [s for s in spans.get_finished_spans() if s.name == "windows"]


# -- logs ------------------------------------------------------------------------------------------


SECRET_USER = "patient-jane-doe-19840312"
SECRET_KEY = "pseudonym-key-never-logged-7f3a"


def insight_numbers(examples: list[dict[str, Any]]) -> set[str]:
    """Distinctive health figures (with decimals) the run produced."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, float) and not node.is_integer():
            found.add(repr(node))
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for example in examples:
        walk(example["metadata"]["clinical_insights"])
    return found


def test_logs_of_a_full_run_hold_no_health_value_user_id_or_credential(
    samples_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "etl_core",
            "run",
            str(samples_dir),
            "--out",
            str(out),
            "--user-id",
            SECRET_USER,
        ],
        capture_output=True,
        text=True,
        env={**_env_without_etl(), "ETL_LOG_LEVEL": "DEBUG", "ETL_PSEUDONYM_KEY": SECRET_KEY},
    )
    assert result.returncode == 0, result.stderr
    logs = result.stderr
    events = [json.loads(line) for line in logs.splitlines() if line.startswith("{")]
    assert len(events) > 26 * 3, "the run should log each stage"
    assert SECRET_USER not in logs and SECRET_KEY not in logs
    assert SECRET_USER not in result.stdout
    examples = training_examples(out)
    figures = insight_numbers(examples)
    assert len(figures) >= 5
    # Compare field by field (timestamps are full of digits), each figure as a whole number.
    texts = [
        json.dumps(value)
        for event in events
        for key, value in event.items()
        if key not in ("timestamp", "quality_score")
    ]
    leaked = sorted(
        f for f in figures for text in texts if re.search(rf"(?<![\d.]){re.escape(f)}(?!\d)", text)
    )
    assert leaked == []
    for example in examples:
        assert example["output"][:60] not in logs
    allowed = {
        "event",
        "level",
        "timestamp",
        "correlation_id",
        "source_key",
        "record_type",
        "records",
        "quality_score",
        "findings",
        "excluded_records",  # how many records validation left out: a count, never a value
        "plugin",  # whose window hook failed (window_failed names it)
        "processor",
        "events",
        "artifacts",
        "previous_outcome",
        "error_type",
        "retriable",
        "hint",
        "dedup_key_kind",
        # The history: how many records a file added, replaced or already held, and the
        # windows it touched and rebuilt (rule and first day, version, outcome).
        "added",
        "replaced",
        "unchanged",
        "windows",
        "window",
        "version",
        "status",
    }
    assert {key for event in events for key in event} <= allowed


def _env_without_etl() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("ETL_")}
