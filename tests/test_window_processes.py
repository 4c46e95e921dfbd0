"""Window builders in processes of their own (``ETL_WINDOW_BUILDER_PROCESSES``, ``etl
build-windows``): real child interpreters with the parent's settings, on a history shared
with the consumers; what they publish is what a build on the message path publishes, whether
a child is killed meanwhile or runs alone."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from etl_core.engine.pipeline import pseudonymise
from etl_core.engine.registry import PluginRegistry
from etl_core.engine.window_processes import WindowBuilderProcesses
from etl_core.settings import Settings
from etl_core.stores.history.sql import SqlHistoryStore
from etl_core.testing import training_examples
from etl_core.transports.rabbitmq.consumer import wait_until
from tests.window_support import (
    PERSON,
    SETTINGS,
    Worker,
    built_on_the_message_path,
    run_on_two_threads,
    stable,
)


def child_environment(history_url: str, out: Path, **extra: str) -> dict[str, str | None]:
    """The test's settings for a child: the same history, and the output folder as a local
    bucket."""
    environment = SETTINGS.environment()
    environment.update(
        ETL_HISTORY_URL=history_url,
        ETL_OBJECT_STORE="local",
        ETL_S3_BUCKET_NAME=str(out),
        ETL_LOG_LEVEL="INFO",
        **extra,
    )
    return environment


def settled(history: SqlHistoryStore) -> bool:
    return not history.pending_people()


def test_settings_reach_a_child_unchanged() -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        retry_delays_ms=(10, 20),
        disabled_plugins=frozenset({"a", "b"}),
        user_age=40,
        enable_metrics=True,
        training_data_prefix="",
        deduplication_db_path=Path("/tmp/dedup.sqlite"),
    )
    environment = {key: value for key, value in os.environ.items() if not key.startswith("ETL_")}
    environment.update(
        {key: value for key, value in settings.environment().items() if value is not None}
    )
    dumped = subprocess.run(
        [
            sys.executable,
            "-c",
            "from etl_core.settings import Settings; "
            "import json; print(json.dumps(Settings(_env_file=None).environment()))",
        ],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    child, parent = json.loads(dumped), settings.environment()
    assert child == parent
    assert parent["ETL_DISABLED_PLUGINS"] == "a,b"
    assert (
        Settings(
            _env_file=None,
            **{  # type: ignore[arg-type]
                name.removeprefix("ETL_").lower(): value
                for name, value in child.items()
                if value is not None
            },
        )
        == settings
    )


def test_builder_processes_publish_what_the_message_path_would(
    installed_registry: PluginRegistry,
    real_exports: list[tuple[str, bytes]],
    history_url: str,
    tmp_path: Path,
) -> None:
    worker = Worker(installed_registry, history_url, tmp_path / "queued")
    processes = WindowBuilderProcesses(
        2, environment=child_environment(history_url, tmp_path / "queued" / "out")
    )
    assert worker.pipeline.defer_windows_to(processes)
    processes.start()
    try:
        run_on_two_threads(worker, real_exports)
        assert wait_until(lambda: settled(worker.history), 180, 0.05), "windows still pending"
        assert processes.alive()
    finally:
        assert processes.stop(timeout=60), "a child did not finish its window in time"
        worker.close()
    assert not processes.alive()
    expected = built_on_the_message_path(
        installed_registry, real_exports, tmp_path / "inline", PERSON
    )
    assert stable(tmp_path / "queued" / "out") == expected


def test_a_killed_builder_process_is_replaced_and_nothing_is_lost(
    installed_registry: PluginRegistry,
    real_exports: list[tuple[str, bytes]],
    tmp_path: Path,
) -> None:
    history_url = f"sqlite:///{tmp_path / 'history.sqlite'}"
    worker = Worker(installed_registry, history_url, tmp_path / "queued")
    processes = WindowBuilderProcesses(
        1,
        environment=child_environment(history_url, tmp_path / "queued" / "out"),
        restart_seconds=0.1,
    )
    assert worker.pipeline.defer_windows_to(processes)
    processes.start()
    try:
        half = len(real_exports) // 2
        for name, data in real_exports[:half]:
            worker.run(name, data)
        (first,) = processes.pids()
        os.kill(first, signal.SIGKILL)  # wherever it was: mid-window, or not started yet
        # Uploads go on while it is down; its successor's sweep finds their windows.
        for name, data in real_exports[half:]:
            worker.run(name, data)
        assert wait_until(lambda: processes.pids() != [first] and processes.alive(), 30, 0.02)
        assert wait_until(lambda: settled(worker.history), 180, 0.05), "windows still pending"
    finally:
        assert processes.stop(timeout=60)
        worker.close()
    expected = built_on_the_message_path(
        installed_registry, real_exports, tmp_path / "inline", PERSON
    )
    assert stable(tmp_path / "queued" / "out") == expected


def test_build_windows_alone_builds_a_dead_workers_pending_windows(
    installed_registry: PluginRegistry,
    real_exports: list[tuple[str, bytes]],
    tmp_path: Path,
) -> None:
    from tests.test_deploy import free_port

    history_url = f"sqlite:///{tmp_path / 'history.sqlite'}"
    # A worker merges every upload and dies before anyone built its windows.
    worker = Worker(installed_registry, history_url, tmp_path / "worker")
    worker.pipeline.defer_windows(1)
    for name, data in real_exports:
        worker.run(name, data)
    pseudonym = pseudonymise("person-1", b"queue-tests")
    assert worker.history.pending_people() == [pseudonym]
    assert training_examples(tmp_path / "worker" / "out") == []

    port = free_port()
    environment = {key: value for key, value in os.environ.items() if not key.startswith("ETL_")}
    environment.update(
        {
            key: value
            for key, value in child_environment(
                history_url,
                tmp_path / "worker" / "out",
                ETL_METRICS_PORT=str(port),
            ).items()
            if value is not None
        }
    )
    builder = subprocess.Popen(
        [sys.executable, "-m", "etl_core", "build-windows", "--sweep-seconds", "0.2"],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert wait_until(lambda: settled(worker.history), 180, 0.05), "windows still pending"

        def ready() -> dict[str, object] | None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=2) as r:
                    return dict(json.load(r))
            except OSError:
                return None

        assert wait_until(lambda: ready() is not None, 30, 0.05)
        assert ready() == {
            "ready": True,
            "checks": {"s3": True, "history_store": True, "window_builders": True},
        }
        builder.send_signal(signal.SIGTERM)
        stdout, stderr = builder.communicate(timeout=60)
    finally:
        if builder.poll() is None:
            builder.kill()
            builder.communicate()
        worker.close()
    assert builder.returncode == 0, stderr
    assert "Traceback" not in stderr
    logs = stdout + stderr
    assert "window_sweep" in logs and "window_builders_stopped" in logs
    assert "person-1" not in logs, "no raw user id in the logs"
    expected = built_on_the_message_path(
        installed_registry, real_exports, tmp_path / "inline", PERSON
    )
    assert stable(tmp_path / "worker" / "out") == expected
