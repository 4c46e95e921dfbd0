"""Sessions: core tests, one per plugin distribution (installed, not editable; the four
first-party processors and the example third-party plugin ``bloodpressure``), integration with
everything together, lint, typecheck, deploy, demo. ``nox`` runs all but ``deploy`` (its tests
are part of ``tests``) and ``demo``."""

from __future__ import annotations

import nox

nox.options.sessions = [
    "tests",
    "glucose",
    "heartrate",
    "sleep",
    "activity",
    "bloodpressure",
    "integration",
    "lint",
    "typecheck",
]
nox.options.error_on_missing_interpreters = False

PYTHON = ["3.11", "3.12", "3.13"]
PLUGINS = {
    "glucose": "etl_glucose",
    "heartrate": "etl_heartrate",
    "sleep": "etl_sleep",
    "activity": "etl_activity",
    # The example third-party plugin: same session shape, but it lives under plugins/.
    "bloodpressure": "plugins/etl-bloodpressure",
}
EVERY_PLUGIN = [f"./{folder}[test]" for folder in PLUGINS.values()]


def _pytest(session: nox.Session, *paths: str) -> None:
    session.run("pytest", *paths, *session.posargs)


@nox.session(python=PYTHON[0])
def tests(session: nox.Session) -> None:
    """Core tests with etl-core alone installed: every record type goes through the fallback.
    The fault-injection suite (minutes of SIGKILLs and outages) runs once, in ``integration``."""
    session.install(".[test]")
    _pytest(session, "tests", "--ignore=tests/test_faults.py")


def _plugin_session(name: str, folder: str) -> None:
    @nox.session(name=name, python=PYTHON[0])
    def run(session: nox.Session) -> None:
        session.install(".[test]", f"./{folder}[test]")
        _pytest(session, f"{folder}/tests")

    run.__doc__ = f"etl-core plus {folder} only, installed as a user would, and its tests."


for _name, _folder in PLUGINS.items():
    _plugin_session(_name, _folder)


@nox.session(python=PYTHON[0])
def integration(session: nox.Session) -> None:
    """Everything installed together: core tests see the clinical processors, then each
    plugin's tests run beside the others."""
    session.install(".[test]", *EVERY_PLUGIN)
    session.run("etl", "plugins")
    _pytest(session, "tests")
    for folder in PLUGINS.values():
        _pytest(session, f"{folder}/tests")


@nox.session(python=PYTHON[0])
def lint(session: nox.Session) -> None:
    # Pinned to a minor release: the formatter's style changes between them.
    session.install("ruff~=0.17.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


TYPED_SOURCES = ["etl_core", *(f"{folder}/src" for folder in PLUGINS.values())]
"""What ``mypy --strict`` checks: core and every plugin's sources (also .pre-commit-config.yaml)."""


@nox.session(python=PYTHON[0])
def typecheck(session: nox.Session) -> None:
    """mypy --strict on etl_core and on every plugin's sources, each plugin on its own (as a
    user installs it beside core)."""
    session.install("mypy>=1.10", ".[otlp,test]", *(f"./{folder}" for folder in PLUGINS.values()))
    for sources in TYPED_SOURCES:
        session.run("mypy", "--strict", sources)


@nox.session(python=PYTHON[0])
def deploy(session: nox.Session) -> None:
    """deploy/ (image, compose, Kubernetes, alert rules, dashboard) checked against the code,
    with promtool when installed. `tests` runs the same module, hence not a default session."""
    session.install(".[test]")
    _pytest(session, "tests/test_deploy.py")


@nox.session(python=PYTHON[0])
def demo(session: nox.Session) -> None:
    """The README's first command: every processor on the synthetic samples."""
    session.install(".", *(f"./{folder}" for folder in PLUGINS.values()))
    session.run("etl", "run", "samples", "--out", "etl-output")


@nox.session(python=PYTHON[0])
def bench(session: nox.Session) -> None:
    """Benchmarks (needs RabbitMQ and the real samples); writes the table into README.md."""
    session.install(".[test]", *(f"./{folder}" for folder in PLUGINS.values()))
    tmp = session.create_tmp()
    session.run("python", "benchmarks/pipeline_bench.py", "--json", f"{tmp}/pipeline.json")
    session.run("python", "benchmarks/worker_bench.py", "--json", f"{tmp}/worker.json")
    session.run("python", "benchmarks/memory_budget.py", "--json", f"{tmp}/memory.json")
    session.run("python", "benchmarks/history_bench.py", "--json", f"{tmp}/history.json")
    session.run("python", "benchmarks/process_bench.py", "--json", f"{tmp}/process.json")
    session.run(
        "python",
        "benchmarks/report.py",
        f"{tmp}/pipeline.json",
        f"{tmp}/worker.json",
        f"{tmp}/memory.json",
        "--history",
        f"{tmp}/history.json",
        "--process",
        f"{tmp}/process.json",
    )
