"""``/metrics``, ``/health`` and ``/ready`` on ``ETL_METRICS_PORT``.

``/health`` answers while the process can serve HTTP at all. ``/ready`` runs every readiness
check (broker connected, S3 reachable, dedup store reachable, plugins loaded) and answers 503
with the failing ones named when any fails, so an orchestrator stops sending work.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from etl_core.observability.metrics import EtlMetrics

ReadinessCheck = Callable[[], bool]


class HealthServer:
    def __init__(
        self,
        metrics: EtlMetrics,
        checks: Mapping[str, ReadinessCheck],
        *,
        host: str = "127.0.0.1",
        port: int = 8004,
    ) -> None:
        self.metrics = metrics
        self.checks = dict(checks)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if path == "/metrics":
                    self._send(200, generate_latest(server.metrics.registry), CONTENT_TYPE_LATEST)
                elif path == "/health":
                    self._json(200, {"status": "alive"})
                elif path == "/ready":
                    results = server.readiness()
                    ready = all(results.values())
                    self._json(200 if ready else 503, {"ready": ready, "checks": results})
                else:
                    self._json(404, {"error": "not found"})

            def _json(self, status: int, body: object) -> None:
                self._send(status, json.dumps(body).encode("utf-8"), "application/json")

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                return  # probes every few seconds are not worth a log line

        self._httpd = ThreadingHTTPServer((host, port), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="etl-health", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def host(self) -> str:
        """The address bound: loopback unless the caller chose another."""
        return str(self._httpd.server_address[0])

    def readiness(self) -> dict[str, bool]:
        results = {}
        for name, check in self.checks.items():
            try:
                results[name] = bool(check())
            except Exception:  # a check that raises is a failing check, not a crash
                results[name] = False
        return results

    def start(self) -> HealthServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
