"""What the window builder tests share: a worker's pipeline on a history other workers may
share, and the examples a build on the message path publishes, to compare with."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from etl_core.builtin.training_jsonl import stable_form
from etl_core.contract.model import UserContext
from etl_core.engine.job import Job
from etl_core.engine.pipeline import Pipeline
from etl_core.engine.registry import PluginRegistry
from etl_core.settings import Settings
from etl_core.stores.dedup.sql import SqlDedupStore
from etl_core.stores.history.sql import SqlHistoryStore
from etl_core.stores.objects.local import LocalObjectStore
from etl_core.testing import training_examples

SETTINGS = Settings(_env_file=None, pseudonym_key="queue-tests")  # type: ignore[call-arg]
PERSON = UserContext(timezone=ZoneInfo("Asia/Tokyo"), age_years=67)
"""What the uploads say of the person: a zone and an age that change her examples (her
glucose readings carry no offset; age-based heart-rate targets)."""


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


def run_on_two_threads(worker: Worker, exports: list[tuple[str, bytes]]) -> None:
    """Two consumer threads, each running half of the uploads through ``worker``."""
    threads = [
        threading.Thread(target=lambda h=half: [worker.run(n, d) for n, d in h])
        for half in (exports[0::2], exports[1::2])
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
