"""All configuration, from ``ETL_*`` environment variables or a ``.env`` file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from etl_core.contract.envsettings import EnvSettings, setting

# Defined with the other errors; importable from here as it always was.
from etl_core.contract.errors import SettingsError as SettingsError

DEVELOPMENT_PSEUDONYM_KEY = "etl-development-only-pseudonym-key"
MIN_PSEUDONYM_KEY_LENGTH = 16
"""Characters a production pseudonym key needs at least: a short key can be guessed, and with
it every pseudonym reversed by trying candidate user ids."""


def _registered(group: str, kind: str) -> Callable[[str], str]:
    """A check that a name is registered in ``group`` by some installed distribution: a typo
    would otherwise be found only when the store is first opened."""

    def check(name: str) -> str:
        from etl_core.engine.backends import registered_backends

        known = registered_backends(group)
        if name not in known:
            raise ValueError(f"not a registered {kind} (registered: {', '.join(sorted(known))})")
        return name

    return check


def _parsable_url(value: str | None) -> str | None:
    if value:
        url_problem = check_url(value)
        if url_problem:
            raise ValueError(url_problem)
    return value


def _folder_prefix(value: str) -> str:
    value = value.strip("/")
    return f"{value}/" if value else ""


class Settings(EnvSettings):
    env_prefix = "ETL_"

    # Broker (etl consume / etl publish)
    rabbitmq_url: str = setting("amqp://guest:guest@127.0.0.1:5672/%2F", check=_parsable_url)
    exchange_name: str = "health_data_exchange"
    queue_name: str = "health_data_processing"
    failed_queue_name: str = "failed_queue"
    dead_letter_exchange: str | None = None
    """Exchange of dead letters; ``None``: ``<exchange_name>.dlx``."""
    dead_letter_exchange_type: Literal["direct", "topic"] = "direct"
    dead_letter_routing_key: str = setting("failed", min_length=1)
    """Routing key of dead letters, also the failed queue's binding key."""
    retry_delays_ms: tuple[int, ...] = (30_000, 300_000, 900_000)
    """Fixed delays of the retry queues, shortest first (comma-separated milliseconds)."""
    delivery_limit: int = setting(5, ge=1)
    """Deliveries of one message before the quorum work queue dead-letters it as poison."""
    worker_threads: int = setting(4, ge=1, le=64)
    prefetch_per_thread: int = setting(2, ge=1, le=2)
    startup_wait_seconds: float = setting(60.0, ge=0)
    """How long ``etl consume`` keeps trying to reach its dedup store at start-up before it
    exits (services started together come up in any order)."""
    worker_inflight_file_mb: float = setting(50.0, gt=0)
    """Upload megabytes one worker process works on at once, whatever its thread count; a file
    that does not fit waits, one larger than this runs alone (decoded records take some 20-50
    times their file size in memory)."""

    # Object storage (S3 for the worker; the embedded runner uses a local folder)
    object_store: str = setting("s3", check=_registered("etl_core.object_stores", "object store"))
    """The worker's object store, registered in the ``etl_core.object_stores`` entry-point
    group: core registers ``s3``, ``local`` (each bucket a folder of that name) and ``memory``
    (one process, forgets on exit)."""
    s3_endpoint_url: str | None = setting(None, check=_parsable_url)
    s3_access_key: str | None = None
    s3_secret_key: str | None = None
    s3_bucket_name: str = "health-data"
    s3_region: str = "us-east-1"
    raw_bucket_name: str | None = None
    """The only bucket ``etl consume`` reads uploads from (default: ``ETL_S3_BUCKET_NAME``)."""
    raw_prefix: str = setting("raw/", check=_folder_prefix)
    """The only key prefix ``etl consume`` reads uploads under; a message naming any other
    location is dead-lettered as ``forbidden_location``. Keys under the training and
    quarantine prefixes are refused whatever this says."""

    # Deduplication
    deduplication_store: str = setting(
        "sqlite", check=_registered("etl_core.dedup_stores", "dedup store")
    )
    """A store registered in the ``etl_core.dedup_stores`` entry-point group: core registers
    ``sqlite``, ``postgresql``, ``redis`` and ``memory`` (one process, forgets on exit)."""
    deduplication_db_path: Path | None = None
    """SQLite file; the embedded runner defaults to ``<out>/.etl-state/dedup.sqlite``."""
    deduplication_url: str | None = setting(None, check=_parsable_url)
    """Redis or PostgreSQL URL when the store is not SQLite."""
    deduplication_key_prefix: str = setting("etl:dedup:", min_length=1, max_length=100)
    """Prefix of the Redis store's keys, so that deployments can share one Redis."""
    dedup_lease_seconds: float = setting(900.0, gt=0)
    dedup_retention_days: float = setting(7.0, gt=0)

    # Record history (every distinct record of a person; the windows built from them)
    history_url: str | None = setting(None, check=_parsable_url)
    """SQLAlchemy URL of the history store. ``etl run`` defaults to a SQLite file in
    ``<out>/.etl-state/``; ``etl consume`` defaults to ``ETL_DEDUPLICATION_URL`` when that is
    PostgreSQL, and otherwise refuses to start without it."""
    history_retention_days: float = setting(730.0, ge=0)
    """Records and windows older than this are forgotten (0 keeps them for ever)."""
    window_builder_threads: int = setting(1, ge=0, le=64)
    """``etl consume`` threads that rebuild windows off the message path: an upload settles
    once merged, and its person's windows are rebuilt by these (0: rebuilt before each upload
    settles, on the consumer thread)."""
    window_builder_processes: int = setting(0, ge=0, le=64)
    """When more than 0, ``etl consume`` starts this many ``etl build-windows`` processes, each
    with ``window_builder_threads`` threads, and hands them the people its uploads changed
    instead of building in its own threads: the rebuilds leave the consumers' interpreter
    lock (worth it with a core to spare)."""
    window_sweep_seconds: float = setting(60.0, gt=0)
    """How long ``etl consume``'s window builders may sit idle before they ask the history
    for pending windows nobody queued (those of a worker that died after merging)."""
    max_window_days_per_file: int = setting(400, ge=1)
    """A file whose records span more local days than this is quarantined (a bound on the
    windows one upload can create)."""

    max_retries: int = setting(3, ge=0)

    # Validation
    quality_threshold: float = setting(0.7, ge=0.0, le=1.0)
    enable_quarantine: bool = True
    max_file_size_mb: float = setting(50.0, gt=0)

    # Output
    training_data_prefix: str = setting("training/", check=_folder_prefix)
    quarantine_prefix: str = setting("quarantine/", check=_folder_prefix)
    include_metadata: bool = True

    # Observability
    enable_metrics: bool = False
    metrics_port: int = 8004
    metrics_host: str = "127.0.0.1"
    """Address the metrics server binds: loopback by default; ``0.0.0.0`` in a container whose
    probes or scraper come from outside it."""
    enable_jaeger_tracing: bool = False
    jaeger_otlp_endpoint: str | None = setting(None, check=_parsable_url)
    log_level: str = "INFO"

    # Runtime
    development_mode: bool = True
    pseudonym_key: str | None = None
    disabled_plugins: frozenset[str] = frozenset()

    # What is known of the person when the upload does not say
    user_timezone: str | None = None
    user_age: int | None = setting(None, ge=0, le=130)

    @property
    def source_bucket(self) -> str:
        """The bucket uploads are read from."""
        return self.raw_bucket_name or self.s3_bucket_name

    @property
    def max_file_size_bytes(self) -> int:
        return int(self.max_file_size_mb * 1024 * 1024)

    def effective_pseudonym_key(self) -> tuple[bytes, bool]:
        """The HMAC key for user pseudonyms and whether it is the development default.

        Raises :class:`SettingsError` outside development mode when no key is configured
        (pseudonyms made with a published default key are not pseudonyms) or when the key is
        shorter than :data:`MIN_PSEUDONYM_KEY_LENGTH`.
        """
        if self.pseudonym_key:
            if not self.development_mode and len(self.pseudonym_key) < MIN_PSEUDONYM_KEY_LENGTH:
                raise SettingsError(
                    f"ETL_PSEUDONYM_KEY is {len(self.pseudonym_key)} characters long; outside "
                    f"development mode it needs at least {MIN_PSEUDONYM_KEY_LENGTH}"
                )
            return self.pseudonym_key.encode("utf-8"), False
        if not self.development_mode:
            raise SettingsError(
                "ETL_PSEUDONYM_KEY is not set and ETL_DEVELOPMENT_MODE is false: refusing to "
                "pseudonymise user ids with the development key"
            )
        return DEVELOPMENT_PSEUDONYM_KEY.encode("utf-8"), True

    @property
    def dead_letter_exchange_name(self) -> str:
        return self.dead_letter_exchange or f"{self.exchange_name}.dlx"


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***``; the text as given when it does not even
    split into parts (nothing in it is then taken for a password, so ``user:pass@`` is cut)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return _cut_userinfo(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def _cut_userinfo(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest.split("/", 1)[0]:
        return url
    return f"{scheme}://***@{rest.split('@', 1)[1]}"


def check_url(url: str) -> str | None:
    """Why ``url`` cannot be used (its port is not a number or is out of range, or it does not
    split into parts), with any password redacted; ``None`` when it parses."""
    try:
        urlsplit(url).port  # noqa: B018  (parsing the port is the check)
    except ValueError as exc:
        text = str(exc)
        if "out of range" in text:
            reason = "the port is out of range (0-65535)"
        elif "Port" in text:
            reason = "the port is not a number"
        else:
            reason = "not a valid URL"
        return f"{reason} in {redact_url(url)}"
    return None
