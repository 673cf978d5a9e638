"""The atomic Redis lock store (nlu/server/redis_lock.py), on the real Redis."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Iterator

import pytest
from rasa.core.lock_store import LockError, LockStore
from rasa.core.utils import number_of_sanic_workers
from rasa.utils.endpoints import EndpointConfig

from nlu.server.redis_lock import AtomicRedisLockStore, use_atomic_redis_lock

DB = 3


def endpoint(prefix: str) -> EndpointConfig:
    """What Rasa reads from ``lock_store: type: redis`` in endpoints.yml."""
    return EndpointConfig.from_dict(
        {"type": "redis", "url": "127.0.0.1", "port": 6379, "db": DB, "key_prefix": prefix}
    )


@pytest.fixture
def store() -> Iterator[AtomicRedisLockStore]:
    config = endpoint("locktest" + secrets.token_hex(4))
    assert use_atomic_redis_lock(config)
    created = LockStore.create(config)  # as Rasa's server creates it
    assert isinstance(created, AtomicRedisLockStore)
    yield created
    for key in created.red.scan_iter(f"{created.key_prefix}*"):
        created.red.delete(key)


async def test_one_turn_of_a_conversation_at_a_time(store: AtomicRedisLockStore) -> None:
    inside: list[str] = []
    overlaps = 0

    async def turn(name: str) -> None:
        nonlocal overlaps
        async with store.lock("conv-1"):
            overlaps += bool(inside)
            inside.append(name)
            await asyncio.sleep(0.02)
            inside.remove(name)

    await asyncio.gather(*(turn(f"t{i}") for i in range(6)))
    assert overlaps == 0
    assert not store.red.exists(store.key("conv-1"))  # given back


async def test_other_conversations_are_not_held_up(store: AtomicRedisLockStore) -> None:
    async with store.lock("conv-a"):
        began = time.monotonic()
        async with store.lock("conv-b"):
            pass
        assert time.monotonic() - began < 0.05


async def test_a_dead_holder_frees_the_conversation_when_its_lifetime_ends(
    store: AtomicRedisLockStore,
) -> None:
    store.red.set(store.key("conv-2"), "someone-who-died", px=300)
    began = time.monotonic()
    async with store.lock("conv-2", lock_lifetime=5):
        waited = time.monotonic() - began
    assert 0.2 < waited < 1.0


async def test_waiting_longer_than_the_lifetime_is_a_lock_error(
    store: AtomicRedisLockStore,
) -> None:
    store.red.set(store.key("conv-3"), "busy", px=10_000)
    with pytest.raises(LockError):
        async with store.lock("conv-3", lock_lifetime=0.2):
            pass
    assert store.red.get(store.key("conv-3")) == b"busy"  # a waiter never takes it away


async def test_a_late_release_does_not_free_the_next_holder(store: AtomicRedisLockStore) -> None:
    async with store.lock("conv-4", lock_lifetime=0.1):
        await asyncio.sleep(0.2)  # this turn outlived its lifetime: the lock expired
        store.red.set(store.key("conv-4"), "next-holder", px=10_000)
    assert store.red.get(store.key("conv-4")) == b"next-holder"


async def test_redis_down_is_a_lock_error() -> None:
    config = endpoint("lockdown")
    config.kwargs["port"] = 1  # nobody listens there
    use_atomic_redis_lock(config)
    down = LockStore.create(config)
    with pytest.raises(LockError):
        async with down.lock("conv-5"):
            pass


def test_only_the_redis_type_is_swapped_and_workers_stay_allowed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert not use_atomic_redis_lock(None)
    assert not use_atomic_redis_lock(EndpointConfig.from_dict({"type": "in_memory"}))
    config = endpoint("x")
    use_atomic_redis_lock(config)
    monkeypatch.setenv("SANIC_WORKERS", "2")
    assert number_of_sanic_workers(config) == 2  # Rasa still sees a multi-worker lock store
