"""Static checks of deploy/: no Docker engine or cluster runs here, so the files are checked
against each other and against the code. Every YAML file parses; every ETL_* variable is a
real setting with a valid value; ports, paths, names and metric names agree with the code;
the alert rules pass ``promtool check rules`` and their unit tests (``promtool test rules``).
"""

from __future__ import annotations

import importlib
import json
import re
import shutil
import socket
import subprocess
import sys
import tomllib
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import make_url

from etl_core.settings import Settings
from etl_core.stores.factory import worker_history_url
from tests.services import unavailable
from tests.support.plugin_settings import plugin_setting_names, validate_plugin_settings

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "docker-compose.yml"
DOCKERFILE = DEPLOY / "Dockerfile"
ENV_TEMPLATE = DEPLOY / "env.template"
K8S = DEPLOY / "k8s"
PROMETHEUS = DEPLOY / "prometheus"
ALERTS = PROMETHEUS / "alerts.yml"
ALERT_TESTS = PROMETHEUS / "alerts.test.yml"
PROMETHEUS_CONFIG = PROMETHEUS / "prometheus.yml"
GRAFANA = DEPLOY / "grafana"
DASHBOARD = GRAFANA / "dashboards" / "etl.json"
METRICS_PORT = 8004

CORE_SETTING_NAMES = {f"ETL_{name.upper()}" for name in Settings.field_names()}
PLUGIN_SETTING_NAMES = plugin_setting_names()
SETTING_NAMES = CORE_SETTING_NAMES | PLUGIN_SETTING_NAMES
ETL_NAME = re.compile(r"\bETL_[A-Z0-9_]+\b")
INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}")
PROMQL_METRIC = re.compile(r"\b(etl_[a-z0-9_]+)\b(?:\{([^}]*)\})?")
PROMQL_MATCHER = re.compile(r"(\w+)\s*(=~|!~|!=|=)\s*\"([^\"]*)\"")
PROMQL_GROUPING = re.compile(r"\b(?:by|without)\s*\(([^)]*)\)")
# Labels Prometheus adds to every scraped series.
TARGET_LABELS = {"instance", "job"}


# -- reading the files ------------------------------------------------------------------------


def deploy_files() -> list[Path]:
    return sorted(path for path in DEPLOY.rglob("*") if path.is_file() and path.name != ".env")


def yaml_files() -> list[Path]:
    return [path for path in deploy_files() if path.suffix in (".yml", ".yaml")]


@cache
def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def compose() -> dict[str, Any]:
    return load_yaml(COMPOSE)  # type: ignore[no-any-return]


def compose_services() -> dict[str, dict[str, Any]]:
    return compose()["services"]  # type: ignore[no-any-return]


def strings_in(value: Any) -> Iterator[str]:
    """Every string value (not key, not comment) of a parsed YAML document."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


def interpolated(value: str) -> str:
    """A compose value with each ${NAME:-default} replaced by its default."""
    return INTERPOLATION.sub(lambda match: match.group(2) or "", value)


def compose_worker_environment() -> dict[str, str]:
    environment = compose_services()["worker"]["environment"]
    assert isinstance(environment, dict), "the worker's environment is a mapping"
    return {name: interpolated(str(value)) for name, value in environment.items()}


@cache
def k8s_documents() -> dict[tuple[str, str], dict[str, Any]]:
    documents: dict[tuple[str, str], dict[str, Any]] = {}
    for path in sorted(K8S.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if document and "kind" in document and "metadata" in document:
                documents[(document["kind"], document["metadata"]["name"])] = document
    return documents


def k8s_one(kind: str) -> dict[str, Any]:
    found = [doc for (doc_kind, _), doc in k8s_documents().items() if doc_kind == kind]
    assert len(found) == 1, f"expected one {kind} in deploy/k8s, found {len(found)}"
    return found[0]


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    lines: list[str] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        stripped = raw.strip()
        if stripped.startswith("#") or not stripped:
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        lines.append(pending + stripped)
        pending = ""
    assert not pending, "the Dockerfile ends inside a continued line"
    instructions = []
    for line in lines:
        keyword, _, arguments = line.partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
    return instructions


def dockerfile_stages() -> list[list[tuple[str, str]]]:
    stages: list[list[tuple[str, str]]] = []
    for keyword, arguments in dockerfile_instructions():
        if keyword == "FROM":
            stages.append([])
        if stages:
            stages[-1].append((keyword, arguments))
    return stages


def dockerfile_arg_default(stage: list[tuple[str, str]], name: str) -> str | None:
    for keyword, arguments in stage:
        if keyword == "ARG" and arguments.split("=", 1)[0] == name:
            return arguments.split("=", 1)[1].strip('"') if "=" in arguments else None
    return None


def dockerfile_env(stage: list[tuple[str, str]]) -> dict[str, str]:
    environment: dict[str, str] = {}
    for keyword, arguments in stage:
        if keyword == "ENV":
            for pair in arguments.split():
                name, _, value = pair.partition("=")
                environment[name] = value
    return environment


def env_template() -> dict[str, str]:
    values: dict[str, str] = {}
    for line in ENV_TEMPLATE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, separator, value = line.partition("=")
            assert separator, f"env.template line without '=': {line!r}"
            values[name.strip()] = value
    return values


def seconds(duration: str | int) -> int:
    """A compose duration (``90s``, ``6m``) or a number of seconds."""
    if isinstance(duration, int):
        return duration
    match = re.fullmatch(r"(?:(\d+)m)?(?:(\d+)s)?", duration)
    assert match and duration, f"unreadable duration {duration!r}"
    return int(match.group(1) or 0) * 60 + int(match.group(2) or 0)


def settings_from(values: dict[str, str]) -> Settings:
    unknown = set(values) - SETTING_NAMES
    assert not unknown, f"not settings: {sorted(unknown)}"
    # Strings, as the environment would give them, converted and validated as start-up does: core's
    # with core's Settings, a plugin's with the class its etl_settings declares.
    validate_plugin_settings({k: v for k, v in values.items() if k in PLUGIN_SETTING_NAMES})
    fields: dict[str, Any] = {
        name.removeprefix("ETL_").lower(): v
        for name, v in values.items()
        if name in CORE_SETTING_NAMES
    }
    return Settings(_env_file=None, **fields)  # type: ignore[call-arg]


# -- every file parses; every ETL_* name is a setting ------------------------------------------


@pytest.mark.parametrize("path", yaml_files(), ids=lambda p: str(p.relative_to(DEPLOY)))
def test_every_yaml_file_parses(path: Path) -> None:
    documents = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
    assert documents, f"{path} holds no YAML document"


def test_the_dashboard_is_json() -> None:
    json.loads(DASHBOARD.read_text(encoding="utf-8"))


def test_every_etl_name_in_deploy_is_a_setting() -> None:
    """An ETL_* variable that is no setting is silently ignored by the engine (extra="ignore"),
    so a typo would deploy a default. Every ETL_* word anywhere in deploy/ must name one."""
    problems = []
    for path in deploy_files():
        for name in set(ETL_NAME.findall(path.read_text(encoding="utf-8"))):
            if name not in SETTING_NAMES:
                problems.append(f"{path.relative_to(ROOT)}: {name}")
    assert problems == []


def test_every_plugin_setting_is_deployed_with_its_default() -> None:
    """Each installed plugin's settings are in the compose worker's environment, env.template
    and the ConfigMap, with the same value, which is valid for the plugin."""
    compose_env = compose_worker_environment()
    template = env_template()
    config = k8s_one("ConfigMap")["data"]
    problems = []
    for name in sorted(PLUGIN_SETTING_NAMES):
        if name not in template:
            problems.append(f"env.template: {name} missing")
        deployed = {
            "docker-compose.yml": compose_env.get(name),
            "k8s ConfigMap": config.get(name),
        }
        for where, value in deployed.items():
            if value != template.get(name):
                problems.append(f"{where}: {name}={value!r}, env.template {template.get(name)!r}")
    assert problems == []


def test_compose_worker_settings_are_valid() -> None:
    settings = settings_from(compose_worker_environment())
    assert settings.enable_metrics is True
    assert settings.metrics_port == METRICS_PORT
    assert settings.deduplication_store == "redis"
    assert settings.deduplication_url


def test_env_template_matches_compose() -> None:
    """deploy/env.template lists exactly the variables docker-compose.yml interpolates, with
    the same defaults; its ETL_* entries are valid settings."""
    defaults: dict[str, set[str]] = {}
    for value in strings_in(compose()):
        for match in INTERPOLATION.finditer(value):
            defaults.setdefault(match.group(1), set()).add(match.group(2) or "")
    template = env_template()
    assert set(template) == set(defaults)
    for name, value in template.items():
        assert defaults[name] == {value}, (
            f"{name}: env.template {value!r}, compose {defaults[name]}"
        )
    settings_from({name: value for name, value in template.items() if name.startswith("ETL_")})


def test_k8s_configmap_and_secret_template_are_valid_settings() -> None:
    config = k8s_one("ConfigMap")["data"]
    secret = k8s_one("Secret")["stringData"]
    assert not set(config) & set(secret), "a setting both in the ConfigMap and the Secret"
    settings = settings_from({**config, **secret})
    assert settings.development_mode is False, "real data: no development pseudonym key"
    assert settings.metrics_port == METRICS_PORT
    for name in ("ETL_S3_ACCESS_KEY", "ETL_S3_SECRET_KEY", "ETL_PSEUDONYM_KEY"):
        assert name in secret, f"{name} belongs in the Secret"
        assert name not in config
    assert "ETL_DEDUPLICATION_URL" in secret and "ETL_RABBITMQ_URL" in secret
    assert "ETL_HISTORY_URL" in secret, "the history URL holds a password"


@pytest.mark.parametrize("deployment", ["compose", "k8s"])
def test_every_shipped_worker_configuration_names_a_history_it_can_open(
    deployment: str, tmp_path: Path
) -> None:
    # A worker refuses to start when it cannot tell where the record history is (a Redis dedup
    # store needs ETL_HISTORY_URL); the stacks this folder ships must start as they are.
    if deployment == "compose":
        values = compose_worker_environment()
    else:
        values = {**k8s_one("ConfigMap")["data"], **k8s_one("Secret")["stringData"]}
    settings = settings_from(values)
    url = make_url(worker_history_url(settings, tmp_path))
    assert url.get_backend_name() == "postgresql", "workers on many machines share one history"
    assert url.drivername == "postgresql+psycopg", "the image's driver (etl-core[postgresql])"
    extras = dockerfile_arg_default(dockerfile_stages()[0], "CORE_EXTRAS") or ""
    assert "worker" in extras.split(","), "the image installs the PostgreSQL driver"


# -- the image --------------------------------------------------------------------------------


def test_dockerfile_builds_core_and_chosen_plugins_as_non_root() -> None:
    stages = dockerfile_stages()
    assert len(stages) >= 2, "multi-stage: build environment, then a runtime without sources"
    for stage in stages:
        assert re.match(r"(\$\{PYTHON_IMAGE\}|python:3\.11-slim)", stage[0][1])
    base = next(a for k, a in dockerfile_instructions() if k == "ARG" and a.startswith("PYTHON_"))
    assert base.split("=", 1)[1].startswith("python:3.11-slim")

    build, runtime = stages[0], stages[-1]
    install = " ".join(a for k, a in build if k == "RUN")
    assert "${PLUGINS}" in install and "pip install" in install
    assert "etl plugins" in install, "the build checks that the plugin set loads"

    users = [a for k, a in runtime if k == "USER"]
    assert users, "the runtime stage sets USER"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")
    assert f"--uid {user}" in " ".join(a for k, a in runtime if k == "RUN")

    healthchecks = [a for k, a in runtime if k == "HEALTHCHECK"]
    assert len(healthchecks) == 1
    assert "python" in healthchecks[0] and "curl" not in healthchecks[0]
    assert "/health" in healthchecks[0] and "127.0.0.1" in healthchecks[0]
    assert "ETL_METRICS_PORT" in healthchecks[0]
    environment = dockerfile_env(runtime)
    assert environment["ETL_METRICS_PORT"] == str(METRICS_PORT)
    assert environment["ETL_ENABLE_METRICS"] == "true"
    assert f"EXPOSE {METRICS_PORT}" in [f"{k} {a}" for k, a in runtime]
    assert [a for k, a in runtime if k == "CMD"][-1] == '["etl", "consume"]'


def default_plugins() -> list[str]:
    defaults = {dockerfile_arg_default(stage, "PLUGINS") for stage in dockerfile_stages()}
    defaults.discard(None)
    assert len(defaults) == 1, f"the stages disagree on the default PLUGINS: {defaults}"
    return str(defaults.pop()).split()


def test_default_plugins_are_plugin_folders_everywhere() -> None:
    plugins = default_plugins()
    assert plugins == ["etl_glucose", "etl_heartrate", "etl_sleep", "etl_activity"]
    for folder in plugins:
        project = tomllib.loads((ROOT / folder / "pyproject.toml").read_text(encoding="utf-8"))
        assert project["project"]["entry-points"]["etl_core.plugins"], folder
    build = compose_services()["worker"]["build"]
    assert interpolated(build["args"]["PLUGINS"]).split() == plugins
    assert env_template()["PLUGINS"].split() == plugins


def test_core_extras_of_the_image_exist() -> None:
    extras = dockerfile_arg_default(dockerfile_stages()[0], "CORE_EXTRAS") or ""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    declared = set(project["project"].get("optional-dependencies", {}))
    for extra in filter(None, extras.split(",")):
        if extra not in declared:
            pytest.skip(f"etl-core does not declare the extra {extra!r} yet")
    # The image runs `etl consume`: its broker, S3, Redis and PostgreSQL clients are extras.
    assert "worker" in extras.split(","), extras
    worker = " ".join(project["project"]["optional-dependencies"]["worker"])
    for backend in ("rabbitmq", "s3", "redis", "postgresql"):
        assert backend in worker, worker


def dockerignore_rules() -> list[tuple[bool, re.Pattern[str]]]:
    """(excludes, pattern) per line, Docker's semantics: ``*`` and ``?`` stay within a path
    segment, ``**`` crosses segments, a pattern also matches everything below a match, and
    the last matching line decides (``!`` re-includes)."""
    rules = []
    for raw in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        excludes = not line.startswith("!")
        pattern = line.lstrip("!").strip("/")
        regex = ""
        index = 0
        while index < len(pattern):
            if pattern.startswith("**/", index):
                regex += "(?:.*/)?"
                index += 3
            elif pattern.startswith("**", index):
                regex += ".*"
                index += 2
            elif pattern[index] == "*":
                regex += "[^/]*"
                index += 1
            elif pattern[index] == "?":
                regex += "[^/]"
                index += 1
            else:
                regex += re.escape(pattern[index])
                index += 1
        rules.append((excludes, re.compile(rf"{regex}(?:/.*)?")))
    return rules


def docker_ignores(path: str, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    ignored = False
    for excludes, pattern in rules:
        if pattern.fullmatch(path):
            ignored = excludes
    return ignored


def tracked_files() -> list[str]:
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed")
    result = subprocess.run(
        [git, "ls-files"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        pytest.skip("not a git checkout")
    return result.stdout.splitlines()


def test_dockerignore_keeps_what_the_image_installs_and_drops_the_rest() -> None:
    rules = dockerignore_rules()
    needed = ["pyproject.toml", "README.md"]
    for path in tracked_files():
        if path.startswith("etl_core/") and "__pycache__" not in path:
            needed.append(path)
        for folder in default_plugins():
            if path.startswith(f"{folder}/src/") or path in (
                f"{folder}/pyproject.toml",
                f"{folder}/README.md",
            ):
                needed.append(path)
    assert any("plugin_template/tests/" in path for path in needed)
    dropped = [path for path in needed if docker_ignores(path, rules)]
    assert dropped == []
    for path in (
        ".env",
        "deploy/.env",
        ".git/HEAD",
        ".venv/bin/python",
        ".nox/lint/bin/ruff",
        "etl-output/training/x.json",
        "etl_glucose/tests/test_metrics.py",
        "etl_core/__pycache__/cli.cpython-311.pyc",
        "etl_glucose/src/etl_glucose.egg-info/PKG-INFO",
        ".etl-state/dedup.sqlite",
        "etl_sleep/.mypy_cache/3.11/cache.db",
        "etl_heartrate/.pytest_cache/v/cache/nodeids",
    ):
        assert docker_ignores(path, rules), path


@pytest.mark.slow
def test_the_image_packages_build_from_the_docker_context(tmp_path: Path) -> None:
    """What the Dockerfile's build stage installs (core and the default plugins) builds into
    wheels from the files .dockerignore leaves, and the wheels carry their package data."""
    import zipfile

    rules = dockerignore_rules()
    context = tmp_path / "context"
    for path in tracked_files():
        if not docker_ignores(path, rules) and (ROOT / path).is_file():
            (context / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / path, context / path)
    wheels = tmp_path / "wheels"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
        + ["--wheel-dir", str(wheels), str(context)]
        + [str(context / folder) for folder in default_plugins()],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    contents = {
        wheel.name.split("-")[0]: set(zipfile.ZipFile(wheel).namelist())
        for wheel in wheels.glob("*.whl")
    }
    assert set(contents) == {"etl_core", *default_plugins()}
    shipped = [
        path
        for path in tracked_files()
        if path.startswith(("etl_core/plugin_template/", "etl_core/testing/schemas/"))
    ]
    assert shipped and not [path for path in shipped if path not in contents["etl_core"]]
    for folder in default_plugins():
        schemas = [name for name in contents[folder] if name.endswith(".avsc")]
        assert schemas, f"{folder} ships no reader schema"


# -- compose ----------------------------------------------------------------------------------


def test_compose_has_the_stack() -> None:
    services = compose_services()
    for name in (
        "rabbitmq",
        "minio",
        "minio-init",
        "redis",
        "postgres",
        "jaeger",
        "prometheus",
        "grafana",
    ):
        assert name in services, name
    assert "management" in services["rabbitmq"]["image"]
    assert "mb" in " ".join(services["minio-init"]["command"])
    assert "${ETL_S3_BUCKET_NAME:-health-data}" in " ".join(services["minio-init"]["command"])
    jaeger = services["jaeger"]
    assert jaeger["environment"]["COLLECTOR_OTLP_ENABLED"] == "true"


# The Compose Specification's keys this stack uses; a misspelt key would be ignored or refused
# only where an engine runs.
COMPOSE_SERVICE_KEYS = {
    "build",
    "command",
    "depends_on",
    "entrypoint",
    "environment",
    "expose",
    "healthcheck",
    "hostname",
    "image",
    "ports",
    "restart",
    "stop_grace_period",
    "volumes",
}
COMPOSE_HEALTHCHECK_KEYS = {"test", "interval", "timeout", "retries", "start_period"}


def test_compose_uses_only_known_keys() -> None:
    document = compose()
    assert set(document) - {"name", "services", "volumes"} <= {
        key for key in document if key.startswith("x-")
    }
    for name, service in compose_services().items():
        assert set(service) <= COMPOSE_SERVICE_KEYS, name
        assert set(service.get("healthcheck", {})) <= COMPOSE_HEALTHCHECK_KEYS, name
        assert service.get("restart", "no") in ("no", "always", "on-failure", "unless-stopped")
        assert "image" in service or "build" in service, name
    named_volumes = set(document["volumes"])
    used = {
        str(volume).split(":")[0]
        for service in compose_services().values()
        for volume in service.get("volumes", [])
        if not str(volume).startswith(".")
    }
    assert used == named_volumes


def test_compose_worker_scales() -> None:
    worker = compose_services()["worker"]
    assert "container_name" not in worker, "replicas cannot share a container name"
    assert "ports" not in worker, "replicas cannot share a host port"
    assert [str(port) for port in worker["expose"]] == [str(METRICS_PORT)]
    build = worker["build"]
    assert (COMPOSE.parent / build["context"] / build["dockerfile"]).resolve() == DOCKERFILE
    conditions = {name: spec["condition"] for name, spec in worker["depends_on"].items()}
    assert conditions == {
        "rabbitmq": "service_healthy",
        "redis": "service_healthy",
        "postgres": "service_healthy",
        "minio-init": "service_completed_successfully",
    }
    deployment = k8s_one("Deployment")
    grace = deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert seconds(worker["stop_grace_period"]) == grace


def test_compose_services_reach_each_other_by_service_name() -> None:
    services = compose_services()
    environment = compose_worker_environment()
    for name, service in (
        ("ETL_RABBITMQ_URL", "rabbitmq"),
        ("ETL_S3_ENDPOINT_URL", "minio"),
        ("ETL_DEDUPLICATION_URL", "redis"),
        ("ETL_HISTORY_URL", "postgres"),
        ("ETL_JAEGER_OTLP_ENDPOINT", "jaeger"),
    ):
        assert f"//{service}:" in environment[name] or f"@{service}:" in environment[name], name
        assert service in services
    # RabbitMQ's guest user may only connect from localhost: the worker uses the named user.
    rabbitmq = services["rabbitmq"]["environment"]
    assert environment["ETL_RABBITMQ_URL"].startswith(
        f"amqp://{interpolated(rabbitmq['RABBITMQ_DEFAULT_USER'])}:"
        f"{interpolated(rabbitmq['RABBITMQ_DEFAULT_PASS'])}@"
    )
    minio = services["minio"]["environment"]
    assert environment["ETL_S3_ACCESS_KEY"] == interpolated(minio["MINIO_ROOT_USER"])
    assert environment["ETL_S3_SECRET_KEY"] == interpolated(minio["MINIO_ROOT_PASSWORD"])
    postgres = {
        key: interpolated(value) for key, value in services["postgres"]["environment"].items()
    }
    assert environment["ETL_HISTORY_URL"] == (
        f"postgresql://{postgres['POSTGRES_USER']}:{postgres['POSTGRES_PASSWORD']}"
        f"@postgres:5432/{postgres['POSTGRES_DB']}"
    )


def test_compose_host_ports_are_distinct_and_mounts_exist() -> None:
    host_ports: list[str] = []
    for name, service in compose_services().items():
        for mapping in service.get("ports", []):
            host_ports.append(str(mapping).split(":")[0])
        for volume in service.get("volumes", []):
            source = str(volume).split(":")[0]
            if source.startswith("."):
                assert (COMPOSE.parent / source).exists(), f"{name}: {source}"
    assert len(host_ports) == len(set(host_ports))


def test_tracing_endpoint_matches_the_exporter() -> None:
    """etl-core[otlp] exports over OTLP/HTTP and passes the endpoint to the exporter as is, so
    the endpoint is the full traces URL on Jaeger's OTLP/HTTP port."""
    tracing = ROOT / "etl_core" / "observability" / "tracing.py"
    if not tracing.exists():
        pytest.skip("etl_core/observability/tracing.py does not exist yet")
    if "otlp.proto.http" not in tracing.read_text(encoding="utf-8"):
        pytest.skip("the exporter is not the OTLP/HTTP one this check knows")
    endpoints = [compose_worker_environment()["ETL_JAEGER_OTLP_ENDPOINT"]]
    endpoints.append(k8s_one("ConfigMap")["data"]["ETL_JAEGER_OTLP_ENDPOINT"])
    for endpoint in endpoints:
        assert re.fullmatch(r"http://[\w.-]+:4318/v1/traces", endpoint), endpoint
    assert "4318:4318" in compose_services()["jaeger"]["ports"]


# -- ports and paths --------------------------------------------------------------------------


def test_metrics_port_and_paths_agree_everywhere() -> None:
    assert Settings.defaults().metrics_port == METRICS_PORT
    scrape = next(
        job
        for job in load_yaml(PROMETHEUS_CONFIG)["scrape_configs"]
        if job["job_name"] == "etl-worker"
    )
    assert scrape["metrics_path"] == "/metrics"
    assert scrape["dns_sd_configs"][0]["port"] == METRICS_PORT
    assert scrape["dns_sd_configs"][0]["names"] == ["worker"]

    deployment = k8s_one("Deployment")
    pod = deployment["spec"]["template"]
    container = pod["spec"]["containers"][0]
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert ports == {"metrics": METRICS_PORT}

    def probe_target(probe: dict[str, Any]) -> tuple[str, int]:
        port = probe["httpGet"]["port"]
        return probe["httpGet"]["path"], ports.get(port, port)

    assert probe_target(container["livenessProbe"]) == ("/health", METRICS_PORT)
    assert probe_target(container["readinessProbe"]) == ("/ready", METRICS_PORT)
    assert probe_target(container["startupProbe"]) == ("/health", METRICS_PORT)
    annotations = pod["metadata"]["annotations"]
    assert annotations["prometheus.io/port"] == str(METRICS_PORT)
    assert annotations["prometheus.io/path"] == "/metrics"
    service = k8s_one("Service")
    assert [
        (p["port"], ports.get(p["targetPort"], p["targetPort"])) for p in service["spec"]["ports"]
    ] == [(METRICS_PORT, METRICS_PORT)]


def test_the_health_server_serves_the_paths_deploy_uses() -> None:
    health = ROOT / "etl_core" / "observability" / "health.py"
    if not health.exists():
        pytest.skip("etl_core/observability/health.py does not exist yet")
    source = health.read_text(encoding="utf-8")
    for path in ('"/metrics"', '"/health"', '"/ready"'):
        assert path in source


# -- Kubernetes -------------------------------------------------------------------------------


def test_k8s_deployment_is_safe_and_drains() -> None:
    deployment = k8s_one("Deployment")
    text = (K8S / "deployment.yaml").read_text(encoding="utf-8")
    pod = deployment["spec"]["template"]["spec"]
    assert pod["terminationGracePeriodSeconds"] >= 120
    assert "slowest" in text, "the grace period says why it is long enough"
    uid = [a for k, a in dockerfile_stages()[-1] if k == "USER"][-1].split(":")[0]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert str(pod["securityContext"]["runAsUser"]) == uid
    container = pod["containers"][0]
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    assert container["resources"]["requests"]["memory"]
    assert container["resources"]["limits"]["memory"]
    assert container["args"] == ["etl", "consume"]
    if container["securityContext"].get("readOnlyRootFilesystem"):
        mounted = {mount["mountPath"] for mount in container["volumeMounts"]}
        workdir = [a for k, a in dockerfile_stages()[-1] if k == "WORKDIR"][-1]
        assert {"/tmp", workdir} <= mounted, "a read-only root needs writable /tmp and workdir"
    sources = {next(iter(ref.values()))["name"] for ref in container["envFrom"]}
    assert sources == {
        k8s_one("ConfigMap")["metadata"]["name"],
        k8s_one("Secret")["metadata"]["name"],
    }


def test_k8s_selectors_match_the_pods() -> None:
    deployment = k8s_one("Deployment")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    selectors = [
        deployment["spec"]["selector"]["matchLabels"],
        k8s_one("PodDisruptionBudget")["spec"]["selector"]["matchLabels"],
        k8s_one("Service")["spec"]["selector"],
    ]
    for selector in selectors:
        assert selector.items() <= pod_labels.items()


def test_keda_scales_the_deployment_on_the_configured_queue() -> None:
    scaled = k8s_one("ScaledObject")
    deployment = k8s_one("Deployment")
    assert "replicas" not in deployment["spec"], "the autoscaler owns the replica count"
    target = scaled["spec"]["scaleTargetRef"]
    assert target.get("kind", "Deployment") == "Deployment"
    assert target["name"] == deployment["metadata"]["name"]
    assert scaled["spec"]["minReplicaCount"] >= 1
    assert scaled["spec"]["maxReplicaCount"] > scaled["spec"]["minReplicaCount"]
    (trigger,) = scaled["spec"]["triggers"]
    assert trigger["type"] == "rabbitmq"
    assert trigger["metadata"]["mode"] == "QueueLength"
    queue = k8s_one("ConfigMap")["data"]["ETL_QUEUE_NAME"]
    assert trigger["metadata"]["queueName"] == queue == Settings.defaults().queue_name
    authentication = k8s_one("TriggerAuthentication")
    assert trigger["authenticationRef"]["name"] == authentication["metadata"]["name"]
    secret = k8s_one("Secret")
    references = {
        (ref["parameter"], ref["name"], ref["key"])
        for ref in authentication["spec"]["secretTargetRef"]
    }
    assert references == {("host", secret["metadata"]["name"], "ETL_RABBITMQ_URL")}
    assert "ETL_RABBITMQ_URL" in secret["stringData"]


def test_the_work_queue_has_one_name_everywhere() -> None:
    queue = k8s_one("ConfigMap")["data"]["ETL_QUEUE_NAME"]
    assert compose_worker_environment()["ETL_QUEUE_NAME"] == queue
    assert k8s_one("ScaledObject")["spec"]["triggers"][0]["metadata"]["queueName"] == queue
    expressions = [rule["expr"] for rule in alert_rules()] + dashboard_expressions()
    named = {name for text in expressions for name in re.findall(r'queue_name="([^"]*)"', text)}
    assert named == {queue}


def test_kustomization_lists_every_manifest_but_the_secret_template() -> None:
    resources = load_yaml(K8S / "kustomization.yaml")["resources"]
    on_disk = {
        path.name
        for path in K8S.glob("*.yaml")
        if path.name not in ("kustomization.yaml", "secret.template.yaml")
    }
    assert set(resources) == on_disk
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        return
    built = subprocess.run(
        [kubectl, "kustomize", str(K8S)], capture_output=True, text=True, timeout=60, check=False
    )
    if built.returncode != 0 and "not found" in built.stderr.lower():
        return  # a kubectl wrapper without kustomize
    assert built.returncode == 0, built.stderr
    kinds = {doc["kind"] for doc in yaml.safe_load_all(built.stdout) if doc}
    assert kinds == {
        "ConfigMap",
        "Deployment",
        "Service",
        "PodDisruptionBudget",
        "ScaledObject",
        "TriggerAuthentication",
        "CronJob",
    }


# -- journals: the compaction CronJob and compose service ----------------------------------------


def compact_options() -> set[str]:
    from etl_core.cli.data import compact_command

    return {option for param in compact_command.params for option in param.opts}


def test_k8s_cronjob_compacts_the_bucket_one_run_at_a_time() -> None:
    from etl_core.outputs.compaction import DEFAULT_LEASE_SECONDS

    cronjob = k8s_one("CronJob")
    spec = cronjob["spec"]
    assert len(str(spec["schedule"]).split()) == 5, "a five-field cron schedule"
    assert spec["concurrencyPolicy"] == "Forbid"
    job = spec["jobTemplate"]["spec"]
    assert job["activeDeadlineSeconds"] < DEFAULT_LEASE_SECONDS, (
        "a run must end before another may take over its lease"
    )
    pod = job["template"]["spec"]
    assert pod["restartPolicy"] in ("Never", "OnFailure")
    (container,) = pod["containers"]
    command, subcommand, *options = container["args"]
    assert (command, subcommand) == ("etl", "compact")
    assert options == ["--s3"] and set(options) <= compact_options()

    deployment = k8s_one("Deployment")
    worker_pod = deployment["spec"]["template"]["spec"]
    worker = worker_pod["containers"][0]
    assert container["image"] == worker["image"]
    assert container["envFrom"] == worker["envFrom"], "the worker's bucket and credentials"
    uid = [a for k, a in dockerfile_stages()[-1] if k == "USER"][-1].split(":")[0]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert str(pod["securityContext"]["runAsUser"]) == uid
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    assert container["resources"]["limits"]["memory"]
    if container["securityContext"].get("readOnlyRootFilesystem"):
        assert "/tmp" in {mount["mountPath"] for mount in container["volumeMounts"]}
    labels = job["template"]["metadata"]["labels"]
    for selector in (
        deployment["spec"]["selector"]["matchLabels"],
        k8s_one("PodDisruptionBudget")["spec"]["selector"]["matchLabels"],
        k8s_one("Service")["spec"]["selector"],
    ):
        assert not selector.items() <= labels.items(), "compaction pods are not worker pods"


def test_compose_compactor_runs_etl_compact_with_the_worker_settings() -> None:
    services = compose_services()
    compactor = services["compactor"]
    worker = services["worker"]
    assert compactor["build"] == worker["build"] and compactor["image"] == worker["image"]
    assert compactor["environment"] == worker["environment"]
    script = " ".join(compactor["command"])
    assert compactor["entrypoint"] == ["/bin/sh", "-c"]
    match = re.search(r"\betl compact((?: --[\w-]+)*)", script)
    assert match, script
    assert match.group(1).split() == ["--s3"] and set(match.group(1).split()) <= compact_options()
    assert re.search(r"sleep \"?\$\{COMPACT_INTERVAL_SECONDS:-\d+\}", script)
    assert compactor["depends_on"] == {
        "minio-init": {"condition": "service_completed_successfully"}
    }
    assert compactor["healthcheck"]["test"] == ["NONE"], "it serves no /health"
    assert "ports" not in compactor


# -- Prometheus and Grafana -------------------------------------------------------------------


def alert_rules() -> list[dict[str, Any]]:
    return [rule for group in load_yaml(ALERTS)["groups"] for rule in group["rules"]]


def test_alerts_cover_the_required_conditions() -> None:
    expressions = {rule["alert"]: " ".join(rule["expr"].split()) for rule in alert_rules()}
    required = {
        "EtlProcessingSuccessRateLow": ('status="success"', "< 0.90"),
        "EtlProcessingSuccessRateCritical": ('status="success"', "< 0.75"),
        "EtlQuarantineRateHigh": ('status="quarantined"', "> 0.10"),
        "EtlQueueBacklog": ("etl_rabbitmq_queue_depth", "> 1000"),
        "EtlProcessingSlow": (
            "histogram_quantile(0.95, sum by (record_type, le) "
            "(rate(etl_processing_duration_seconds_bucket",
            "> 60",
        ),
        "EtlBrokerConnectionFlapping": (
            "increase(etl_broker_disconnections_total[5m])",
            "> 3",
        ),
        "EtlS3FailureRateHigh": ('etl_s3_requests_total{outcome="error"}', "> 0.05"),
    }
    for alert, (fragment, threshold) in required.items():
        assert alert in expressions, alert
        assert fragment in expressions[alert], alert
        assert expressions[alert].endswith(threshold), alert
    for rule in alert_rules():
        assert rule["labels"]["severity"] in ("warning", "critical"), rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]


def dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def dashboard_panels() -> Iterator[dict[str, Any]]:
    for panel in dashboard()["panels"]:
        yield panel
        yield from panel.get("panels", [])


def dashboard_expressions() -> list[str]:
    expressions = [
        target["expr"] for panel in dashboard_panels() for target in panel.get("targets", [])
    ]
    for variable in dashboard()["templating"]["list"]:
        query = variable.get("query")
        expressions.append(query["query"] if isinstance(query, dict) else str(query))
    return expressions


def test_grafana_is_provisioned_with_the_dashboard() -> None:
    (source,) = load_yaml(GRAFANA / "provisioning" / "datasources" / "prometheus.yml")[
        "datasources"
    ]
    assert source["url"] == "http://prometheus:9090"
    (provider,) = load_yaml(GRAFANA / "provisioning" / "dashboards" / "etl.yml")["providers"]
    mounts = {
        str(volume).split(":")[1]: str(volume).split(":")[0]
        for volume in compose_services()["grafana"]["volumes"]
        if str(volume).startswith(".")
    }
    assert (COMPOSE.parent / mounts[provider["options"]["path"]]).resolve() == DASHBOARD.parent
    assert (COMPOSE.parent / mounts["/etc/grafana/provisioning"]).resolve() == (
        GRAFANA / "provisioning"
    )
    panels = list(dashboard_panels())
    ids = [panel["id"] for panel in panels]
    assert len(ids) == len(set(ids))
    for panel in panels:
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == source["uid"], panel["title"]
            for target in panel["targets"]:
                assert target["datasource"]["uid"] == source["uid"], panel["title"]


def test_dashboard_shows_throughput_latency_quality_errors_queue_and_dead_letters() -> None:
    text = "\n".join(dashboard_expressions())
    for fragment in (
        "rate(etl_messages_processed_total",
        "histogram_quantile(0.50, sum by (le) (rate(etl_processing_duration_seconds_bucket",
        "histogram_quantile(0.95, sum by (le) (rate(etl_processing_duration_seconds_bucket",
        "etl_quality_score_",
        "etl_errors_total",
        "etl_rabbitmq_queue_depth",
        "etl_dead_lettered_total",
    ):
        assert fragment in text, fragment


@cache
def defined_metrics() -> dict[str, frozenset[str]]:
    """Every sample name the engine's metrics expose, with its label names."""
    try:
        module = importlib.import_module("etl_core.observability.metrics")
    except ModuleNotFoundError as exc:
        if exc.name == "etl_core.observability.metrics":
            pytest.skip("etl_core/observability/metrics.py does not exist yet")
        raise
    from prometheus_client import CollectorRegistry
    from prometheus_client.metrics import MetricWrapperBase

    owner = module.EtlMetrics(CollectorRegistry())
    samples: dict[str, frozenset[str]] = {}
    suffixes = {
        "counter": ("_total", "_created"),
        "gauge": ("",),
        "histogram": ("_bucket", "_sum", "_count", "_created"),
        "summary": ("", "_sum", "_count", "_created"),
        "info": ("_info",),
    }
    for collector in vars(owner).values():
        if not isinstance(collector, MetricWrapperBase):
            continue
        labels = frozenset(getattr(collector, "_labelnames", ())) | TARGET_LABELS
        for family in collector.describe():
            for suffix in suffixes[family.type]:
                extra = {"le"} if suffix == "_bucket" else set()
                samples[family.name + suffix] = labels | extra
    return samples


def label_values(module_attribute: str) -> set[str] | None:
    module = importlib.import_module("etl_core.observability.metrics")
    value = getattr(module, module_attribute, None)
    if isinstance(value, dict):
        return set(value.values())
    if isinstance(value, tuple | list | set | frozenset):
        return set(value)
    return None


def promql_problems(expression: str, where: str) -> Iterable[str]:
    samples = defined_metrics()
    every_label = frozenset().union(*samples.values())
    known_values = {"status": label_values("STATUS_LABEL"), "stage": label_values("STAGE_LABELS")}
    for match in PROMQL_METRIC.finditer(expression):
        name, matchers = match.group(1), match.group(2) or ""
        if name not in samples:
            yield f"{where}: {name} is not a metric of etl_core/observability/metrics.py"
            continue
        for label, operator, value in PROMQL_MATCHER.findall(matchers):
            if label not in samples[name]:
                yield f"{where}: {name} has no label {label}"
            allowed = known_values.get(label)
            if allowed and operator in ("=", "!=") and value not in allowed:
                yield f"{where}: {label}={value!r} is never set"
            if allowed and operator in ("=~", "!~"):
                for alternative in value.split("|"):
                    if alternative not in allowed and not set(alternative) & set(".*$()[]"):
                        yield f"{where}: {label}=~{alternative!r} is never set"
    for grouping in PROMQL_GROUPING.findall(expression):
        for label in filter(None, (part.strip() for part in grouping.split(","))):
            if label not in every_label:
                yield f"{where}: no metric has the label {label}"


def test_alert_metrics_exist_in_the_code() -> None:
    problems = [
        problem
        for rule in alert_rules()
        for problem in promql_problems(rule["expr"], rule["alert"])
    ]
    assert problems == []


def test_dashboard_metrics_exist_in_the_code() -> None:
    problems = [
        problem
        for expression in dashboard_expressions()
        for problem in promql_problems(expression, "etl.json")
    ]
    assert problems == []


def test_required_metric_names_are_defined() -> None:
    """The names the issue lists, as exposed samples: what operators and KEDA build on."""
    samples = defined_metrics()
    for name in (
        "etl_messages_consumed_total",
        "etl_messages_processed_total",
        "etl_processing_duration_seconds_bucket",
        "etl_stage_duration_seconds_bucket",
        "etl_validation_failures_total",
        "etl_quality_score_bucket",
        "etl_clinical_events_detected_total",
        "etl_training_examples_generated_total",
        "etl_errors_total",
        "etl_duplicate_messages_skipped_total",
        "etl_retries_total",
        "etl_dead_lettered_total",
        "etl_active_consumers",
        "etl_rabbitmq_queue_depth",
        "etl_broker_disconnections_total",
        "etl_s3_requests_total",
    ):
        assert name in samples, name


def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        unavailable("promtool is not installed (Debian: apt-get install prometheus)")
    return path


def run_promtool(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [promtool(), *arguments],
        cwd=PROMETHEUS,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_promtool_checks_the_rules() -> None:
    result = run_promtool("check", "rules", ALERTS.name)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(alert_rules())} rules found" in result.stdout


def test_promtool_unit_tests_of_the_alerts_pass() -> None:
    result = run_promtool("test", "rules", ALERT_TESTS.name)
    assert result.returncode == 0, result.stdout + result.stderr
    tested = {
        case["alertname"]
        for test in load_yaml(ALERT_TESTS)["tests"]
        for case in test.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    assert tested == {rule["alert"] for rule in alert_rules()}, "every alert is seen firing"


def test_promtool_checks_the_prometheus_config() -> None:
    result = run_promtool("check", "config", PROMETHEUS_CONFIG.name)
    assert result.returncode == 0, result.stdout + result.stderr


# -- documentation ----------------------------------------------------------------------------


def test_deploy_readme_describes_every_file() -> None:
    readme = (DEPLOY / "README.md").read_text(encoding="utf-8")
    for path in deploy_files():
        relative = path.relative_to(DEPLOY).as_posix()
        if relative in ("README.md", ".gitignore"):
            continue
        assert relative in readme, f"deploy/README.md does not mention {relative}"


# -- a real Prometheus scraping a running worker ------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def http_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


def prometheus_query(base: str, expression: str) -> Any:
    return http_json(f"{base}/api/v1/query?{urllib.parse.urlencode({'query': expression})}")


def scrape_config_for(metrics_port: int, folder: Path) -> Path:
    """deploy/prometheus/prometheus.yml with its worker job pointed at one loopback worker
    instead of Docker's DNS, a 1 s scrape interval, and the alert rules it loads."""
    config = load_yaml(PROMETHEUS_CONFIG)
    job = next(job for job in config["scrape_configs"] if job["job_name"] == "etl-worker")
    job.pop("dns_sd_configs")
    job["static_configs"] = [{"targets": [f"127.0.0.1:{metrics_port}"]}]
    job["scrape_interval"] = "1s"
    config["scrape_configs"] = [job]
    config["global"]["evaluation_interval"] = "1s"
    config["rule_files"] = [str(PROMETHEUS / name) for name in config["rule_files"]]
    path = folder / "prometheus.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


@pytest.mark.services
@pytest.mark.slow
def test_prometheus_scrapes_a_running_worker_with_the_deployed_config(
    moto_server: Any, s3_bucket: str, samples_dir: Path, tmp_path: Path
) -> None:
    from etl_core.contract.windows import record_key, version_rank
    from etl_core.testing import read_avro
    from etl_core.transports.rabbitmq.consumer import wait_until
    from tests.services import rabbitmq_available
    from tests.worker_support import (
        WorkerProcess,
        all_completed,
        delete_topology,
        publish,
        worker_settings,
    )

    binary = shutil.which("prometheus")
    if binary is None:
        unavailable("prometheus is not installed (Debian: apt-get install prometheus)")
    if not rabbitmq_available():
        unavailable("RabbitMQ is not reachable on 127.0.0.1:5672")
    files = sorted(samples_dir.glob("*.avro"))
    # Expected from the raw files, taken in order by one worker thread: a file that brings a
    # record the person's history does not hold yet is a success, the rest are duplicates.
    held: dict[tuple[str, str], tuple[int, int]] = {}
    successes = 0
    for path in files:
        new = False
        for record in read_avro(path):
            key = (path.name.split("_")[0], record_key(record))
            if key not in held or version_rank(record) > held[key]:
                held[key] = version_rank(record)
                new = True
        successes += new

    metrics_port = free_port()
    settings = worker_settings(moto_server, s3_bucket, tmp_path, metrics_port=metrics_port)
    worker_url = f"http://127.0.0.1:{metrics_port}"
    prometheus_port = free_port()
    base = f"http://127.0.0.1:{prometheus_port}"
    server = None
    try:
        with WorkerProcess(settings, threads=1) as worker:
            assert wait_until(lambda: http_status(f"{worker_url}/ready") == 200, 60, 0.2), (
                worker.process.poll()
            )
            published = publish(settings, [(f.name, f.read_bytes()) for f in files])
            assert wait_until(lambda: all_completed(settings, published.idempotency_keys), 180)

            server = subprocess.Popen(
                [
                    binary,
                    f"--config.file={scrape_config_for(metrics_port, tmp_path)}",
                    f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                    f"--web.listen-address=127.0.0.1:{prometheus_port}",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )

            def counted() -> dict[str, float]:
                if http_status(f"{base}/-/ready") != 200:
                    return {}
                result = prometheus_query(
                    base, 'sum by (status) (etl_messages_processed_total{job="etl-worker"})'
                )["data"]["result"]
                return {item["metric"]["status"]: float(item["value"][1]) for item in result}

            assert wait_until(lambda: sum(counted().values()) == len(files), 60, 0.5), counted()
            # A counter never incremented has no series: a status counted zero times is absent.
            expected = {"success": successes, "duplicate": len(files) - successes}
            assert counted() == {status: n for status, n in expected.items() if n}

            targets = http_json(f"{base}/api/v1/targets")["data"]["activeTargets"]
            assert [(t["labels"]["job"], t["health"]) for t in targets] == [("etl-worker", "up")]

            rules = http_json(f"{base}/api/v1/rules")["data"]["groups"]
            loaded = {rule["name"]: rule["health"] for group in rules for rule in group["rules"]}
            assert set(loaded) == {rule["alert"] for rule in alert_rules()}
            assert wait_until(
                lambda: all(
                    rule["health"] == "ok"
                    for group in http_json(f"{base}/api/v1/rules")["data"]["groups"]
                    for rule in group["rules"]
                ),
                30,
                0.5,
            )

            # Every dashboard query is valid PromQL for this Prometheus, and the main panels
            # show the worker's numbers.
            for expression in dashboard_expressions():
                query = expression.replace("$__rate_interval", "1m")
                query = query.replace("$record_type", ".*")
                if query.startswith("label_values("):
                    continue  # Grafana's own function
                assert prometheus_query(base, query)["status"] == "success", query
            for expression in (
                "etl_processing_duration_seconds_count",
                "etl_quality_score_count",
                "etl_training_examples_generated_total",
                "etl_active_consumers",
            ):
                assert prometheus_query(base, expression)["data"]["result"], expression
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=30)
        delete_topology(settings)
