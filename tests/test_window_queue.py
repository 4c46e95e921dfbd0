"""Windows rebuilt off the message path (``etl consume``'s window builders): an upload settles
once merged, and the examples its person's builders publish are those a build on the message
path makes, whoever builds them and whenever, with what the person's uploads said of her."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from etl_core.builtin.training_jsonl import stable_form
from etl_core.contract.model import UserContext
from etl_core.engine.job import Job, Status
from etl_core.engine.pipeline import Pipeline, pseudonymise
from etl_core.engine.registry import PluginRegistry, load_plugins
from etl_core.engine.window_queue import WindowQueue
from etl_core.settings import Settings
from etl_core.stores.dedup.sql import SqlDedupStore
from etl_core.stores.history.sql import SqlHistoryStore
from etl_core.stores.objects.local import LocalObjectStore
from etl_core.testing import real_samples, training_examples
from etl_core.transports.rabbitmq.consumer import wait_until

SETTINGS = Settings(_env_file=None, pseudonym_key="queue-tests")  # type: ignore[call-arg]
PERSON = UserContext(timezone=ZoneInfo("Asia/Tokyo"), age_years=67)
"""What the uploads say of the person: a zone and an age that change her examples (her
glucose readings carry no offset; age-based heart-rate targets)."""


@pytest.fixture(scope="module")
def registry() -> PluginRegistry:
    return load_plugins()


@pytest.fixture(scope="module")
def exports() -> list[tuple[str, bytes]]:
    paths = real_samples()
    if not paths:
        pytest.skip("the real samples (../shared/samples/health-connect) are not here")
    return [(path.name, path.read_bytes()) for path in paths]


@pytest.fixture(params=["sqlite", "postgresql"])
def history_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'history.sqlite'}"
    else:
        yield request.getfixturevalue("postgres_url")


class Worker:
    """A worker process's pipeline, on a history it may share with other 'processes'."""

    def __init__(self, registry: PluginRegistry, history_url: str, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.history = SqlHistoryStore(history_url)
        self.dedup = SqlDedupStore.sqlite_file(root / "dedup.sqlite")
        self.pipeline = Pipeline(
            registry, LocalObjectStore(root / "out"), self.dedup, SETTINGS, history=self.history
        )

    def run(self, name: str, data: bytes, person: UserContext = PERSON) -> Any:
        return self.pipeline.run(
            Job(data=data, bucket="uploads", key=name, user_id="person-1", user=person)
        )

    def close(self) -> None:
        self.dedup.close()
        self.history.close()


def stable(out: Path) -> list[str]:
    return sorted(json.dumps(stable_form(e), sort_keys=True) for e in training_examples(out))


def built_on_the_message_path(
    registry: PluginRegistry, exports: list[tuple[str, bytes]], root: Path, person: UserContext
) -> list[str]:
    worker = Worker(registry, f"sqlite:///{root / 'history.sqlite'}", root)
    try:
        for name, data in exports:
            worker.run(name, data, person)
    finally:
        worker.close()
    return stable(root / "out")


def drain(queue: WindowQueue, history: SqlHistoryStore) -> None:
    assert wait_until(lambda: queue.idle() and not history.pending_people(), 120, 0.02), (
        "the builders did not finish"
    )


def test_uploads_settle_once_merged_and_a_restarted_worker_builds_their_windows(
    registry: PluginRegistry, exports: list[tuple[str, bytes]], history_url: str, tmp_path: Path
) -> None:
    # The glucose exports: their readings carry no offset and nothing else gives the person's
    # clock, so her configured zone places them, with plugins installed or without.
    exports = [(name, data) for name, data in exports if name.startswith("BloodGlucoseRecord")]
    assert exports
    # The first worker merges every upload and dies before any builder ran: its queue never
    # started.
    first = Worker(registry, history_url, tmp_path / "first")
    first.pipeline.defer_windows(1)
    outcomes = [first.run(name, data) for name, data in exports]
    first.close()
    assert all(first.pipeline.plans[o.record_type].rules for o in outcomes), "all windowed"
    assert all(o.status is Status.PROCESSED for o in outcomes)
    assert all(not o.examples and not o.windows for o in outcomes)
    assert training_examples(tmp_path / "first" / "out") == []

    # The next one finds the person's pending windows at start and builds them with what her
    # uploads said of her, although its own default knows nothing of her.
    second = Worker(registry, history_url, tmp_path / "first")
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

    expected = built_on_the_message_path(registry, exports, tmp_path / "inline", PERSON)
    assert stable(tmp_path / "first" / "out") == expected
    # The person's zone is what made them so: a build without it differs.
    default = built_on_the_message_path(registry, exports, tmp_path / "default", UserContext())
    assert default != expected


def test_builders_running_beside_the_uploads_publish_what_the_message_path_would(
    registry: PluginRegistry, exports: list[tuple[str, bytes]], history_url: str, tmp_path: Path
) -> None:
    worker = Worker(registry, history_url, tmp_path / "queued")
    queue = worker.pipeline.defer_windows(2, sweep_seconds=3600)
    assert queue is not None
    queue.start()
    try:
        # Two consumer threads, each with half of the uploads, while two builders run.
        halves = [exports[0::2], exports[1::2]]
        threads = [
            threading.Thread(target=lambda h=half: [worker.run(n, d) for n, d in h])
            for half in halves
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        drain(queue, worker.history)
    finally:
        assert queue.stop(timeout=60)
        worker.close()
    expected = built_on_the_message_path(registry, exports, tmp_path / "inline", PERSON)
    assert stable(tmp_path / "queued" / "out") == expected


def test_a_stopped_builder_leaves_the_rest_pending(
    registry: PluginRegistry, exports: list[tuple[str, bytes]], tmp_path: Path
) -> None:
    worker = Worker(registry, f"sqlite:///{tmp_path / 'history.sqlite'}", tmp_path)
    assert worker.pipeline.defer_windows(0) is None, "no builder threads: built inline"
    queue = worker.pipeline.defer_windows(1)
    assert queue is not None
    try:
        for name, data in exports:
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
