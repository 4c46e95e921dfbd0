"""The package tree as an architecture: no import cycles between etl_core's modules, and the
light core stays light (``import etl_core`` and ``etl --version`` load no database, broker or
cloud client)."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import etl_core

PACKAGE = Path(etl_core.__file__).parent
HEAVY = ("sqlalchemy", "pika", "boto3", "botocore", "redis", "psycopg", "pyarrow")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _top_level_imports(tree: ast.Module) -> Iterator[str]:
    """Modules imported when the module is imported: module-level statements, not those under
    ``if TYPE_CHECKING:`` or inside functions (those are deliberate lazy imports)."""
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for child in ast.walk(node) if isinstance(node, ast.If | ast.Try) else [node]:
            if isinstance(child, ast.Import):
                yield from (alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                yield child.module
                yield from (f"{child.module}.{alias.name}" for alias in child.names)


def _import_graph() -> dict[str, set[str]]:
    modules = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(), str(path))
        graph[name] = {target for target in _top_level_imports(tree) if target in modules}
        graph[name].discard(name)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle among the modules of ``graph`` (a package importing its own
    submodules is not a cycle: Python finishes the package first), or ``None``."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph[node]):
            if node.startswith(target + "."):
                continue  # a module importing its parent package's __init__
            if state.get(target) == 1:
                return [*stack[stack.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_import_graph_has_no_cycles() -> None:
    graph = _import_graph()
    assert len(graph) > 60, "the walk found etl_core's modules"
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def _imported_by(*command: str) -> tuple[set[str], str]:
    """Top-level package names a fresh interpreter imports while running ``command``."""
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPROFILEIMPORTTIME": "1"},
        timeout=120,
        check=True,
    )
    names = set()
    for line in result.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return names, result.stdout


def test_importing_etl_core_loads_no_heavy_dependency() -> None:
    names, _ = _imported_by(sys.executable, "-c", "import etl_core")
    assert "etl_core" in names
    assert not names & set(HEAVY), sorted(names & set(HEAVY))


def test_etl_version_loads_no_heavy_dependency_nor_the_pipeline() -> None:
    names, out = _imported_by(sys.executable, "-m", "etl_core", "--version")
    assert out.strip() == f"etl, version {etl_core.__version__}"
    assert not names & {*HEAVY, "pydantic", "structlog", "rich"}, sorted(names)


def test_the_pipeline_and_the_store_interfaces_load_no_store_driver() -> None:
    names, _ = _imported_by(
        sys.executable,
        "-c",
        "import etl_core.engine.pipeline, etl_core.stores.dedup, etl_core.stores.history, "
        "etl_core.engine.backends",
    )
    assert not names & set(HEAVY), sorted(names & set(HEAVY))


def _etl_without(packages: tuple[str, ...], *args: str) -> subprocess.CompletedProcess[str]:
    """``etl ARGS`` in an interpreter where ``packages`` cannot be imported, as on a machine
    with ``pip install etl-core`` and no extras."""
    blocked = "; ".join(f"sys.modules[{name!r}] = None" for name in packages)
    program = f"import sys; {blocked}; from etl_core.cli.app import main; main()"
    return subprocess.run(
        [sys.executable, "-c", program, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "ETL_ENABLE_METRICS": "false"},
    )


def _commands(help_text: str) -> list[str]:
    """The lines of ``etl --help``'s command list."""
    _, _, listing = help_text.partition("Commands:\n")
    return [line for line in listing.splitlines() if line.startswith("  ") and line.strip()]


def test_a_command_whose_extra_is_missing_says_which_extra_to_install(tmp_path: Path) -> None:
    result = _etl_without(("pika",), "consume", "--threads", "2")
    assert result.returncode == 3
    assert result.stderr == (
        "etl: error: etl consume needs pika, which is not installed: "
        "pip install 'etl-core[rabbitmq]'\n"
    )
    listing = _etl_without(("pika",), "--help")
    assert listing.returncode == 0
    listed = {line.split()[0]: " ".join(line.split()[1:]) for line in _commands(listing.stdout)}
    assert listed["consume"] == "(not installed: pip install 'etl-core[rabbitmq]')"
    assert "not installed" not in listed["build-windows"], "the builder needs no broker"
    assert "Traceback" not in listing.stderr

    review = _etl_without(("boto3", "botocore"), "review", "s3://bucket")
    assert review.returncode == 3
    assert review.stderr.endswith("pip install 'etl-core[s3]'\n"), review.stderr
    assert "Traceback" not in review.stderr


def test_a_dedup_store_whose_extra_is_missing_says_which_extra_to_install(
    tmp_path: Path,
) -> None:
    samples = Path(__file__).resolve().parents[1] / "samples"
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; sys.modules['redis'] = None; from etl_core.cli.app import main; main()",
            "run",
            str(samples),
            "--out",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={
            **os.environ,
            "ETL_DEDUPLICATION_STORE": "redis",
            "ETL_DEDUPLICATION_URL": "redis://127.0.0.1:6379/0",
        },
    )
    assert result.returncode == 3
    assert result.stderr.splitlines()[-1] == (
        "etl: error: ETL_DEDUPLICATION_STORE=redis needs a package that is not installed: "
        "pip install 'etl-core[redis]'"
    )
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out" / "training").exists() or not any(
        (tmp_path / "out" / "training").rglob("*.jsonl")
    )


def test_etl_core_alone_requires_no_broker_cloud_or_server_database_client() -> None:
    import tomllib

    project = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text())["project"]
    required = {
        re.split(r"[\[<>=~ ]", dep, maxsplit=1)[0].lower() for dep in project["dependencies"]
    }
    assert not required & {"pika", "boto3", "redis", "psycopg", "psycopg2"}, required
    extras = project["optional-dependencies"]
    for extra, package in [
        ("rabbitmq", "pika"),
        ("s3", "boto3"),
        ("redis", "redis"),
        ("postgresql", "psycopg"),
    ]:
        assert any(dep.startswith(package) for dep in extras[extra]), extra
        assert extra in extras["worker"][0], extras["worker"]
