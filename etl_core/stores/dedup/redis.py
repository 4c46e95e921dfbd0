"""The dedup store in Redis: the same ``started -> completed | failed`` machine as
:class:`~etl_core.stores.dedup.sql.SqlDedupStore`, one Redis string per key.

Each key holds a small JSON object (``state``, ``owner``, ``attempts``, ``lease_until`` while
started, and for a finished key ``outcome`` and ``detail``). Every change is a Lua script, so
it is atomic, and leases are read against Redis' own clock (``TIME``), so workers' clocks may
disagree:

- a claim creates the key, or takes over a failed key or a started key whose lease ran out;
  a completed key and a live claim are reported;
- completing and failing change the key only while the caller is still its owner and it is
  still ``started``; an owner that outlived its lease with nobody taking the key over still
  records its outcome (as the SQL store does), so a slow message is not acked unrecorded;
- every key carries the retention period as its TTL (a started key: at least its lease), so
  finished and abandoned keys forget themselves and :meth:`RedisDedupStore.cleanup` has
  nothing to do.

Redis' persistence decides what a Redis restart forgets; with the default snapshotting a few
seconds of claims may be lost, which the pipeline tolerates because its outputs are
content-addressed (a repeated run rewrites the same example keys).
"""

from __future__ import annotations

import json
from typing import Any, cast

import redis
from redis.exceptions import RedisError

from etl_core.settings import SettingsError
from etl_core.stores.dedup.base import (
    Claim,
    ClaimStatus,
    DedupStoreRequest,
    DedupUnavailableError,
    required_url,
)

DEFAULT_KEY_PREFIX = "etl:dedup:"

_NOW_MS = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
"""

# KEYS[1] the key; ARGV[1] the claimant, ARGV[2] the lease in ms, ARGV[3] the key's TTL in ms.
# Returns the entry as it is after the call, as JSON.
_CLAIM = (
    _NOW_MS
    + """
local raw = redis.call('GET', KEYS[1])
local attempts = 1
if raw then
  local entry = cjson.decode(raw)
  if entry['state'] == 'completed' then
    return raw
  end
  if entry['state'] == 'started' then
    if entry['owner'] == ARGV[1] or (tonumber(entry['lease_until']) or 0) > now then
      return raw
    end
  end
  attempts = (tonumber(entry['attempts']) or 0) + 1
end
local claimed = cjson.encode({
  state = 'started', owner = ARGV[1], attempts = attempts,
  lease_until = now + tonumber(ARGV[2])
})
redis.call('SET', KEYS[1], claimed, 'PX', ARGV[3])
return claimed
"""
)

# KEYS[1] the key; ARGV: owner, new state, outcome, detail, has-detail flag, retention in ms.
# Returns 1 when the caller still owned the started key and finished it, else 0.
_FINISH = """
local raw = redis.call('GET', KEYS[1])
if not raw then
  return 0
end
local entry = cjson.decode(raw)
if entry['state'] ~= 'started' or entry['owner'] ~= ARGV[1] then
  return 0
end
entry['state'] = ARGV[2]
entry['outcome'] = ARGV[3]
entry['lease_until'] = nil
if ARGV[5] == '1' then
  entry['detail'] = ARGV[4]
end
redis.call('SET', KEYS[1], cjson.encode(entry), 'PX', ARGV[6])
return 1
"""


class RedisDedupStore:
    """Thread-safe: redis-py's client draws a connection from its pool for each command."""

    def __init__(
        self,
        url: str,
        *,
        lease_seconds: float = 900.0,
        retention_seconds: float = 7 * 86_400.0,
        key_prefix: str = DEFAULT_KEY_PREFIX,
        socket_timeout: float = 5.0,
    ) -> None:
        self.lease_seconds = lease_seconds
        self.retention_seconds = retention_seconds
        self.key_prefix = key_prefix
        self._lease_ms = _milliseconds(lease_seconds)
        self._retention_ms = _milliseconds(retention_seconds)
        self._client: redis.Redis = redis.Redis.from_url(
            url,
            decode_responses=True,
            socket_timeout=socket_timeout,
            socket_connect_timeout=socket_timeout,
            health_check_interval=30,
        )
        self._claim_script = self._client.register_script(_CLAIM)
        self._finish_script = self._client.register_script(_FINISH)

    def _name(self, key: str) -> str:
        return self.key_prefix + key

    def claim(self, key: str, owner: str) -> Claim:
        ttl = max(self._lease_ms, self._retention_ms)
        try:
            raw = self._claim_script(keys=[self._name(key)], args=[owner, self._lease_ms, ttl])
        except RedisError as exc:
            raise _unavailable(exc) from exc
        entry = json.loads(cast(str, raw))
        if entry["state"] == "started" and entry["owner"] == owner:
            return Claim(ClaimStatus.CLAIMED, key, owner)
        if entry["state"] == "completed":
            return Claim(
                ClaimStatus.COMPLETED,
                key,
                entry["owner"],
                entry.get("outcome"),
                entry.get("detail"),
            )
        return Claim(ClaimStatus.IN_PROGRESS, key, entry["owner"])

    def _finish(self, key: str, owner: str, state: str, outcome: str, detail: str | None) -> bool:
        args: list[Any] = [owner, state, outcome, detail or "", "0" if detail is None else "1"]
        try:
            done = self._finish_script(keys=[self._name(key)], args=[*args, self._retention_ms])
        except RedisError as exc:
            raise _unavailable(exc) from exc
        return bool(done)

    def complete(self, key: str, owner: str, outcome: str, detail: str | None = None) -> bool:
        return self._finish(key, owner, "completed", outcome, detail)

    def fail(self, key: str, owner: str, reason: str) -> bool:
        return self._finish(key, owner, "failed", "failed", reason)

    def state(self, key: str) -> str | None:
        """``started``, ``completed``, ``failed``, or ``None`` for a key never claimed or one
        past retention."""
        try:
            raw = self._client.get(self._name(key))
        except RedisError as exc:
            raise _unavailable(exc) from exc
        if raw is None:
            return None
        return cast(str, json.loads(cast(str, raw))["state"])

    def cleanup(self) -> int:
        """Nothing to do: every finished key carries the retention period as its TTL and Redis
        expires it. Always 0."""
        return 0

    def ping(self) -> bool:
        try:
            return bool(self._client.ping())
        except RedisError:
            return False

    def require_reachable(self) -> None:
        """Raise :class:`DedupUnavailableError` unless Redis answers a PING: the constructor
        connects lazily, and a worker must not consume before its store answers."""
        try:
            self._client.ping()
        except RedisError as exc:
            raise _unavailable(exc) from exc

    def close(self) -> None:
        self._client.close()


def _milliseconds(seconds: float) -> int:
    return max(1, round(seconds * 1000))


def _unavailable(exc: RedisError) -> DedupUnavailableError:
    return DedupUnavailableError(f"dedup store unavailable: {type(exc).__name__}")


def open_store(request: DedupStoreRequest) -> RedisDedupStore:
    """The ``redis`` dedup store at ``ETL_DEDUPLICATION_URL``, keys under
    ``ETL_DEDUPLICATION_KEY_PREFIX``; refuses to start when Redis cannot be reached."""
    url = required_url(request.settings)
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise SettingsError("ETL_DEDUPLICATION_URL must be a redis:// URL for the redis store")
    store = RedisDedupStore(
        url,
        lease_seconds=request.lease_seconds,
        retention_seconds=request.retention_seconds,
        key_prefix=request.settings.deduplication_key_prefix,
    )
    try:
        store.require_reachable()
    except DedupUnavailableError:
        store.close()
        raise
    return store
