"""Observability: metrics, health endpoints, tracing and structured logs."""
