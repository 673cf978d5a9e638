"""Production's Redis lock store: one conversation's turns one at a time, in two round trips.

Rasa's ``RedisLockStore`` keeps a JSON list of tickets per conversation and reads, changes and
writes it back about six times a turn (issue, acquire, finish, is anyone waiting, delete), each a
synchronous Redis call on Sanic's event loop; the read-change-write is not atomic, so two Rasa
processes issuing tickets at once can both be told they hold the lock. Here a turn holds the
conversation with ``SET key token NX PX lifetime`` and gives it back with a compare-and-delete
script: two round trips, atomic across every Rasa process on that Redis, and a holder that dies
frees the conversation when its lifetime ends, as Rasa's tickets do. Waiters poll (a few
milliseconds, then up to 50 ms) instead of queueing by ticket: the bot already sends one chat's
messages one at a time, so a conversation is rarely contended (an HTTP API call beside a turn).

``endpoints.yml`` keeps Rasa's own ``lock_store: type: redis``; the server swaps in this class.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

CLASS_PATH = "nlu.server.redis_lock.AtomicRedisLockStore"
# Delete the key only while it still holds this turn's token (not a later holder's).
RELEASE = """
if redis.call("GET", KEYS[1]) == ARGV[1] then
    return redis.call("DEL", KEYS[1])
end
return 0
"""
FIRST_PAUSE = 0.002
LONGEST_PAUSE = 0.05


class AtomicRedisLockStore(RedisLockStore):
    """A per-conversation mutex in Redis with the settings of Rasa's ``type: redis``."""

    def __init__(self, endpoint_config: EndpointConfig | None = None, **kwargs: Any) -> None:
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs}
        super().__init__(**kwargs)
        self._release = self.red.register_script(RELEASE)

    def key(self, conversation_id: str) -> str:
        """The conversation's mutex (beside, not in, the keys of Rasa's ticket locks)."""
        return f"{self.key_prefix}mutex:{conversation_id}"

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = 1,
    ) -> AsyncIterator[TicketLock]:
        """Hold ``conversation_id`` for at most ``lock_lifetime`` seconds; wait for it at most
        as long (a holder that died frees it by then); :class:`LockError` otherwise."""
        key, token = self.key(conversation_id), secrets.token_hex(8)
        lifetime_ms = max(1, int(lock_lifetime * 1000))
        deadline = time.monotonic() + lock_lifetime
        pause = FIRST_PAUSE
        while True:
            try:
                if self.red.set(key, token, nx=True, px=lifetime_ms):
                    break
            except redis.RedisError as exc:
                raise LockError(f"Error while acquiring lock. Error:\n{exc}") from exc
            if time.monotonic() >= deadline:
                raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")
            await asyncio.sleep(pause)
            pause = min(pause * 2, LONGEST_PAUSE, max(wait_time_in_seconds, FIRST_PAUSE))
        try:
            yield TicketLock(conversation_id)
        finally:
            try:
                self._release(keys=[key], args=[token])
            except redis.RedisError as exc:  # it expires at the end of its lifetime anyway
                logger.warning("could not release a conversation lock: %s", type(exc).__name__)


def use_atomic_redis_lock(endpoint: EndpointConfig | None) -> bool:
    """Make a ``type: redis`` lock store endpoint create :class:`AtomicRedisLockStore`."""
    if endpoint is None or endpoint.type != "redis":
        return False
    endpoint.type = CLASS_PATH
    return True
