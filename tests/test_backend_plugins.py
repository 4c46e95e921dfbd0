"""Adding a dedup store is one module plus one entry point: real, pip-installed throwaway
distributions registering stores in ``etl_core.dedup_stores``, observed through ``etl run`` as
a user would."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from etl_core.testing import real_samples, run_etl, training_examples
from tests.support.install import install_into

SCRATCH_STORE = '''
"""A third-party dedup store: core's in-memory one, noting how many claims it answered."""

import os

from etl_core.stores.dedup.memory import InMemoryDedupStore


class ScratchStore(InMemoryDedupStore):
    claims = 0

    def claim(self, key, owner):
        self.claims += 1
        return super().claim(key, owner)

    def close(self):
        with open(os.environ["SCRATCH_STORE_LOG"], "a", encoding="utf-8") as log:
            log.write(f"claims {self.claims}\\n")


def open_store(request):
    return ScratchStore(
        lease_seconds=request.lease_seconds, retention_seconds=request.retention_seconds
    )
'''

NEEDS_REDIS_STORE = '''
"""A dedup store whose client library is not installed."""

import a_redis_client_that_is_not_installed  # noqa: F401


def open_store(request):
    raise AssertionError("never reached: the import fails")
'''

# distribution name: (module, its source, entry point value)
DISTRIBUTIONS = {
    "etl-test-scratch-store": ("scratch_store", SCRATCH_STORE, "scratch_store:open_store"),
    "etl-test-needs-redis-store": (
        "needs_redis_store",
        NEEDS_REDIS_STORE,
        "needs_redis_store:open_store [redis]",
    ),
}
ENTRY_NAMES = {"etl-test-scratch-store": "scratch", "etl-test-needs-redis-store": "needsredis"}


@pytest.fixture(scope="module")
def store_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sources = tmp_path_factory.mktemp("store-sources")
    target = tmp_path_factory.mktemp("store-site")
    projects = []
    for distribution, (module, source, value) in DISTRIBUTIONS.items():
        project = sources / distribution
        project.mkdir()
        (project / f"{module}.py").write_text(source)
        (project / "pyproject.toml").write_text(
            textwrap.dedent(f"""
            [build-system]
            requires = ["setuptools>=69"]
            build-backend = "setuptools.build_meta"

            [project]
            name = "{distribution}"
            version = "0.1.0"

            [project.entry-points."etl_core.dedup_stores"]
            {ENTRY_NAMES[distribution]} = "{value}"

            [tool.setuptools]
            py-modules = ["{module}"]
        """)
        )
        projects.append(str(project))
    install_into(target, projects)
    return target


@pytest.fixture
def glucose_export(tmp_path: Path) -> Path:
    """A folder holding one real blood glucose export."""
    files = real_samples("BloodGlucoseRecord")
    if not files:
        pytest.skip(
            "the real samples (../shared/samples/health-connect) are not beside the checkout"
        )
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(files[0], folder / files[0].name)
    return folder


def etl_env(site: Path, tmp_path: Path, **settings: str) -> dict[str, str]:
    return {
        "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]),
        "SCRATCH_STORE_LOG": str(tmp_path / "scratch.log"),
        # The summary as "name value" blocks, whatever the terminal.
        "COLUMNS": "60",
        **settings,
    }


def totals(result: subprocess.CompletedProcess[str]) -> dict[str, int]:
    """The run summary's ``total`` counts, by name."""
    block = result.stdout.split("\ntotal\n", 1)[1].split("\n\n", 1)[0]
    return {name: int(value) for name, value in re.findall(r"([a-z][a-z ]*?) (\d+)\b", block)}


def assert_one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_a_store_from_an_installed_distribution_runs_etl_run(
    store_site: Path, glucose_export: Path, tmp_path: Path
) -> None:
    env = etl_env(store_site, tmp_path, ETL_DEDUPLICATION_STORE="scratch")
    out = tmp_path / "out"
    first = run_etl([glucose_export], out, env=env)
    counts = totals(first)
    assert (counts["files"], counts["processed"], counts["failed"]) == (1, 1, 0)
    examples = training_examples(out)
    assert examples and counts["examples"] == len(examples)
    # The scratch store answered the claims, and no SQLite ledger was made beside the output.
    log = (tmp_path / "scratch.log").read_text().split()
    assert log[0] == "claims" and int(log[1]) >= 1
    assert not (out / ".etl-state" / "dedup.sqlite").exists()

    # The default store, on another folder, makes the same examples from the same file.
    reference = tmp_path / "reference"
    sqlite_run = run_etl(
        [glucose_export],
        reference,
        env=etl_env(store_site, tmp_path, ETL_DEDUPLICATION_STORE="sqlite"),
    )
    assert totals(sqlite_run)["examples"] == counts["examples"]

    # A memory store forgets when its process ends: a second run does not find the file done
    # before (a SQLite ledger would), and the outputs stay what they were.
    second = run_etl([glucose_export], out, env=env)
    assert totals(second)["done before"] == 0
    assert training_examples(out) == examples


def test_an_unregistered_store_name_stops_etl_run_with_the_registered_ones(
    store_site: Path, glucose_export: Path, tmp_path: Path
) -> None:
    result = run_etl(
        [glucose_export],
        tmp_path / "out",
        env=etl_env(store_site, tmp_path, ETL_DEDUPLICATION_STORE="nope"),
        check=False,
    )
    assert_one_line_error(
        result,
        "ETL_DEDUPLICATION_STORE",
        "not a registered dedup store",
        "registered: memory, needsredis, postgresql, redis, scratch, sqlite",
    )
    assert not (tmp_path / "out").exists()


def test_a_store_whose_module_cannot_import_names_its_extra(
    store_site: Path, glucose_export: Path, tmp_path: Path
) -> None:
    result = run_etl(
        [glucose_export],
        tmp_path / "out",
        env=etl_env(store_site, tmp_path, ETL_DEDUPLICATION_STORE="needsredis"),
        check=False,
    )
    assert_one_line_error(
        result, "ETL_DEDUPLICATION_STORE=needsredis", "pip install 'etl-core[redis]'"
    )
    assert not list((tmp_path / "out").rglob("*.jsonl")), "nothing was processed"
