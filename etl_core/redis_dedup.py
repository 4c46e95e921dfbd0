"""The dedup store in Redis: the same ``started -> completed | failed`` machine as
:class:`~etl_core.dedup.SqlDedupStore`, one Redis string per key.

Each key holds a small JSON object (``state``, ``owner``, ``attempts``, and for a finished key
``outcome`` and ``detail``), and its TTL carries the time rules:

- ``started``: the TTL is the owner's lease. A crashed owner's key simply expires, after
  which the next claim creates it again; a lease that ran out is therefore never "taken over"
  in place, it is gone, and Redis' own clock decides (no skew between workers' clocks).
- ``completed`` and ``failed``: the TTL is the retention period, so finished keys forget
  themselves and :meth:`RedisDedupStore.cleanup` has nothing to do.

A claim is ``SET key value NX PX lease`` (one round trip for a new key, the common case); when
the key exists, a Lua script decides atomically: a failed key is taken over, a completed or
live one is reported. Completing and failing are Lua scripts that change the key only while
the caller is still its owner and it is still ``started``.

Redis' persistence decides what a Redis restart forgets; with the default snapshotting a few
seconds of claims may be lost, which the pipeline tolerates because its outputs are
content-addressed (a repeated run rewrites the same example keys).
"""

from __future__ import annotations

import json
from typing import Any, cast

import redis
from redis.exceptions import RedisError

from etl_core.dedup import Claim, ClaimStatus, DedupUnavailableError

DEFAULT_KEY_PREFIX = "etl:dedup:"

# KEYS[1] the key; ARGV[1] the claimant, ARGV[2] the lease in ms. Returns the entry as it is
# after the call, as JSON.
_CLAIM_EXISTING = """
local raw = redis.call('GET', KEYS[1])
local attempts = 1
if raw then
  local entry = cjson.decode(raw)
  if entry['state'] ~= 'failed' then
    return raw
  end
  attempts = (tonumber(entry['attempts']) or 0) + 1
end
local claimed = cjson.encode({state = 'started', owner = ARGV[1], attempts = attempts})
redis.call('SET', KEYS[1], claimed, 'PX', ARGV[2])
return claimed
"""

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
        self._claim_existing = self._client.register_script(_CLAIM_EXISTING)
        self._finish_script = self._client.register_script(_FINISH)

    def _name(self, key: str) -> str:
        return self.key_prefix + key

    def claim(self, key: str, owner: str) -> Claim:
        name = self._name(key)
        started = json.dumps({"state": "started", "owner": owner, "attempts": 1})
        try:
            if self._client.set(name, started, nx=True, px=self._lease_ms):
                return Claim(ClaimStatus.CLAIMED, key, owner)
            raw = self._claim_existing(keys=[name], args=[owner, self._lease_ms])
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
        """``started``, ``completed``, ``failed``, or ``None`` for a key never claimed, one whose
        lease ran out, or one past retention."""
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
