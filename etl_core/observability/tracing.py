"""OpenTelemetry tracing: one trace per message, a span per stage.

Core depends only on ``opentelemetry-api``: without an SDK every span is a no-op. The SDK and
the OTLP exporter come with the ``etl-core[otlp]`` extra and are switched on by
``ETL_ENABLE_JAEGER_TRACING`` and ``ETL_JAEGER_OTLP_ENDPOINT``. Trace context travels in AMQP
headers (W3C ``traceparent``), so a retried message continues the trace it started.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from typing import Any

from opentelemetry import context, propagate, trace

from etl_core import __version__
from etl_core.settings import Settings, SettingsError

tracer = trace.get_tracer("etl_core", __version__)


def setup_tracing(settings: Settings, service_name: str = "etl-narrative-engine") -> bool:
    """Install the SDK with an OTLP exporter when tracing is enabled; ``False`` otherwise."""
    if not settings.enable_jaeger_tracing:
        return False
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError as exc:
        raise SettingsError(
            "ETL_ENABLE_JAEGER_TRACING needs the tracing extra: pip install 'etl-core[otlp]'"
        ) from exc
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    exporter = (
        OTLPSpanExporter(endpoint=settings.jaeger_otlp_endpoint)
        if settings.jaeger_otlp_endpoint
        else OTLPSpanExporter()
    )
    provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return True


def extract(headers: Mapping[str, Any] | None) -> context.Context:
    """The trace context an AMQP message carries (empty when it carries none)."""
    carrier = {k: v for k, v in (headers or {}).items() if isinstance(v, str)}
    return propagate.extract(carrier)


def inject(headers: MutableMapping[str, Any], ctx: context.Context | None = None) -> None:
    """Write the current (or given) trace context into AMQP headers."""
    propagate.inject(headers, context=ctx)


@contextmanager
def stage_span(name: str, **attributes: str | int | float | bool) -> Iterator[trace.Span]:
    with tracer.start_as_current_span(name, attributes=attributes) as span:
        yield span
