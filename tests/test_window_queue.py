"""Windows rebuilt off the message path (``etl consume``'s window builders): an upload settles
once merged, and the examples its person's builders publish are those a build on the message
path makes, whoever builds them and whenever, with what the person's uploads said of her."""

from __future__ import annotations

import threading
from pathlib import Path

from etl_core.contract.model import UserContext
from etl_core.engine.job import Status
from etl_core.engine.pipeline import pseudonymise
from etl_core.engine.registry import PluginRegistry
from etl_core.engine.window_queue import WindowQueue
from etl_core.stores.history.sql import SqlHistoryStore
from etl_core.testing import training_examples
from etl_core.transports.rabbitmq.consumer import wait_until
from tests.window_support import (
    PERSON,
    Worker,
    built_on_the_message_path,
    run_on_two_threads,
    stable,
)


def drain(queue: WindowQueue, history: SqlHistoryStore) -> None:
    assert wait_until(lambda: queue.idle() and not history.pending_people(), 120, 0.02), (
        "the builders did not finish"
    )


def test_uploads_settle_once_merged_and_a_restarted_worker_builds_their_windows(
    installed_registry: PluginRegistry,
    real_exports: list[tuple[str, bytes]],
    history_url: str,
    tmp_path: Path,
) -> None:
    # The glucose exports: their readings carry no offset and nothing else gives the person's
    # clock, so her configured zone places them, with plugins installed or without.
    exports = [(name, data) for name, data in real_exports if name.startswith("BloodGlucoseRecord")]
    assert exports
    # The first worker merges every upload and dies before any builder ran: its queue never
    # started.
    first = Worker(installed_registry, history_url, tmp_path / "first")
    first.pipeline.defer_windows(1)
    outcomes = [first.run(name, data) for name, data in exports]
    first.close()
    assert all(first.pipeline.plans[o.record_type].rules for o in outcomes), "all windowed"
    assert all(o.status is Status.PROCESSED for o in outcomes)
    assert all(not o.examples and not o.windows for o in outcomes)
    assert training_examples(tmp_path / "first" / "out") == []

    # The next one finds the person's pending windows at start and builds them with what her
    # uploads said of her, although its own default knows nothing of her.
    second = Worker(installed_registry, history_url, tmp_path / "first")
    pseudonym = pseudonymise("person-1", b"queue-tests")
    assert second.history.pending_people() == [pseudonym]
    assert second.history.person(pseudonym) == PERSON
    queue = second.pipeline.defer_windows(1, UserContext(), sweep_seconds=3600)
    assert queue is not None
    queue.start()
    try:
        drain(queue, second.history)
    finally:
        assert queue.stop(timeout=60)
        second.close()

    expected = built_on_the_message_path(installed_registry, exports, tmp_path / "inline", PERSON)
    assert stable(tmp_path / "first" / "out") == expected
    # The person's zone is what made them so: a build without it differs.
    default = built_on_the_message_path(
        installed_registry, exports, tmp_path / "default", UserContext()
    )
    assert default != expected


def test_builders_running_beside_the_uploads_publish_what_the_message_path_would(
    installed_registry: PluginRegistry,
    real_exports: list[tuple[str, bytes]],
    history_url: str,
    tmp_path: Path,
) -> None:
    worker = Worker(installed_registry, history_url, tmp_path / "queued")
    queue = worker.pipeline.defer_windows(2, sweep_seconds=3600)
    assert queue is not None
    queue.start()
    try:
        # Two consumer threads, each with half of the uploads, while two builders run.
        run_on_two_threads(worker, real_exports)
        drain(queue, worker.history)
    finally:
        assert queue.stop(timeout=60)
        worker.close()
    expected = built_on_the_message_path(
        installed_registry, real_exports, tmp_path / "inline", PERSON
    )
    assert stable(tmp_path / "queued" / "out") == expected


def test_a_stopped_builder_leaves_the_rest_pending(
    installed_registry: PluginRegistry, real_exports: list[tuple[str, bytes]], tmp_path: Path
) -> None:
    worker = Worker(installed_registry, f"sqlite:///{tmp_path / 'history.sqlite'}", tmp_path)
    assert worker.pipeline.defer_windows(0) is None, "no builder threads: built inline"
    queue = worker.pipeline.defer_windows(1)
    assert queue is not None
    try:
        for name, data in real_exports:
            worker.run(name, data)
        pseudonym = pseudonymise("person-1", b"queue-tests")
        pending = worker.history.pending(pseudonym)
        assert len(pending) > 1
        stopped = threading.Event()
        stopped.set()
        assert worker.pipeline.windows is not None
        built = worker.pipeline.windows.rebuild_pending(pseudonym, PERSON, "stop", stop=stopped)
        assert built == []
        assert worker.history.pending(pseudonym) == pending
        # A queue stops with the window in hand, whatever it was doing.
        queue.start()
        assert queue.alive()
        assert queue.stop(timeout=60)
        assert not queue.alive()
    finally:
        worker.close()
