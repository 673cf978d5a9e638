"""Erasure and retention against real tracker stores: in-memory, PostgreSQL (SQL) and Redis."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.tracker_store import (
    AwaitableTrackerStore,
    FailSafeTrackerStore,
    InMemoryTrackerStore,
    RedisTrackerStore,
    SQLTrackerStore,
    TrackerStore,
)
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from nlu.server.trackers import concrete_stores, erase_conversation, prune_events
from tests.engine.conftest import REPO, sql_rows

DOMAIN = Domain.load(str(REPO / "domain.yml"))
DAY = 86400.0


def conversation(sender: str, when: float, text: str = "halo") -> DialogueStateTracker:
    """A short conversation whose events all happened at ``when``."""
    events = [
        ActionExecuted("action_session_start", timestamp=when),
        SessionStarted(timestamp=when),
        ActionExecuted("action_listen", timestamp=when),
        UserUttered(text, {"name": "greet"}, metadata={"applicant_ref": "ref-1"}, timestamp=when),
        BotUttered("Halo!", timestamp=when),
    ]
    return DialogueStateTracker.from_events(sender, events, DOMAIN.slots)


@pytest.fixture
def sql_store(postgres_db: str) -> Iterator[SQLTrackerStore]:
    """Rasa's SQL tracker store on a throwaway PostgreSQL database (rows wiped per test)."""
    store = SQLTrackerStore(
        DOMAIN,
        dialect="postgresql",
        host="127.0.0.1",
        port=5432,
        db=postgres_db,
        username="postgres",
    )
    with store.session_scope() as session:
        session.query(store.SQLEvent).delete()
        session.commit()
    yield store
    store.engine.dispose()


async def test_rasa_replacing_a_tracker_keeps_every_sql_row(
    sql_store: SQLTrackerStore, postgres_db: str
) -> None:
    """Why erasure is done directly: saving an empty tracker (what PUT …/tracker/events does)."""
    await sql_store.save(conversation("tg-a", time.time()))
    before = len(sql_rows(postgres_db, "tg-a"))
    await sql_store.save(DialogueStateTracker("tg-a", DOMAIN.slots))
    assert before == 5
    assert len(sql_rows(postgres_db, "tg-a")) == before


async def test_erase_deletes_every_sql_row_of_the_sender_only(
    sql_store: SQLTrackerStore, postgres_db: str
) -> None:
    now = time.time()
    await sql_store.save(conversation("tg-a", now - 2 * DAY))
    tracker = await sql_store.retrieve_full_tracker("tg-a")
    assert tracker is not None
    for event in conversation("tg-a", now, "lagi").events:  # a second session
        tracker.update(event)
    await sql_store.save(tracker)
    await sql_store.save(conversation("tg-b", now))
    assert len(sql_rows(postgres_db, "tg-a")) == 10
    erased = await erase_conversation(FailSafeTrackerStore(sql_store), InMemoryLockStore(), "tg-a")
    assert erased == 10
    assert sql_rows(postgres_db, "tg-a") == []
    assert len(sql_rows(postgres_db, "tg-b")) == 5
    assert await sql_store.retrieve_full_tracker("tg-a") is None
    assert await erase_conversation(sql_store, None, "tg-a") == 0


async def test_erase_in_memory_drops_the_key() -> None:
    store = InMemoryTrackerStore(DOMAIN)
    await store.save(conversation("tg-a", time.time()))
    await store.save(conversation("tg-b", time.time()))
    assert await erase_conversation(FailSafeTrackerStore(store), InMemoryLockStore(), "tg-a") == 5
    assert "tg-a" not in store.store
    assert "tg-b" in store.store
    assert await erase_conversation(store, None, "tg-a") == 0


async def test_erase_in_redis_deletes_the_key() -> None:
    store = RedisTrackerStore(DOMAIN, host="127.0.0.1", port=6379, db=3, key_prefix="authtest")
    store.red.delete(store.key_prefix + "tg-a", store.key_prefix + "tg-b")
    try:
        await store.save(conversation("tg-a", time.time()))
        await store.save(conversation("tg-b", time.time()))
        assert await erase_conversation(AwaitableTrackerStore(store), None, "tg-a") == 5
        assert store.red.get(store.key_prefix + "tg-a") is None
        assert store.red.get(store.key_prefix + "tg-b") is not None
    finally:
        store.red.delete(store.key_prefix + "tg-a", store.key_prefix + "tg-b")


async def test_erase_reaches_the_fail_safe_fallback() -> None:
    primary, fallback = InMemoryTrackerStore(DOMAIN), InMemoryTrackerStore(DOMAIN)
    await primary.save(conversation("tg-a", time.time()))
    await fallback.save(conversation("tg-a", time.time()))
    wrapped = FailSafeTrackerStore(primary, fallback_tracker_store=fallback)
    assert set(map(id, concrete_stores(wrapped))) == {id(primary), id(fallback)}
    assert await erase_conversation(wrapped, None, "tg-a") == 10
    assert not primary.store and not fallback.store


class ReplacingStore(TrackerStore):
    """A store that is neither SQL, in-memory nor Redis: save() replaces the whole tracker."""

    def __init__(self, domain: Domain) -> None:
        """Events per sender."""
        super().__init__(domain)
        self.events: dict[str, list] = {}  # type: ignore[type-arg]

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Replace the stored events."""
        self.events[tracker.sender_id] = list(tracker.events)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The stored tracker, if any."""
        events = self.events.get(sender_id)
        if not events:
            return None
        return DialogueStateTracker.from_events(sender_id, events, self.domain.slots)

    async def retrieve_full_tracker(self, sender_id: str) -> DialogueStateTracker | None:
        """Same as retrieve (one session is all this store knows)."""
        return await self.retrieve(sender_id)

    async def keys(self) -> list[str]:
        """Stored senders."""
        return list(self.events)


async def test_erase_in_other_stores_replaces_with_an_empty_tracker() -> None:
    store = ReplacingStore(DOMAIN)
    await store.save(conversation("tg-a", time.time()))
    assert await erase_conversation(FailSafeTrackerStore(store), None, "tg-a") == 5
    assert store.events["tg-a"] == []
    assert await store.retrieve("tg-a") is None


async def test_retention_prunes_old_sql_events(
    sql_store: SQLTrackerStore, postgres_db: str
) -> None:
    now = time.time()
    await sql_store.save(conversation("tg-old", now - 40 * DAY))
    await sql_store.save(conversation("tg-new", now - 1 * DAY))
    deleted, touched = await prune_events(
        FailSafeTrackerStore(sql_store), InMemoryLockStore(), now - 30 * DAY
    )
    assert (deleted, touched) == (5, 1)
    assert sql_rows(postgres_db, "tg-old") == []
    assert len(sql_rows(postgres_db, "tg-new")) == 5
    assert await prune_events(sql_store, None, now - 30 * DAY) == (0, 0)


async def test_retention_prunes_old_in_memory_events() -> None:
    now = time.time()
    store = InMemoryTrackerStore(DOMAIN)
    await store.save(conversation("tg-old", now - 40 * DAY))
    tracker = conversation("tg-mixed", now - 40 * DAY)
    for event in conversation("tg-mixed", now, "lagi").events:
        tracker.update(event)
    await store.save(tracker)
    deleted, touched = await prune_events(FailSafeTrackerStore(store), None, now - 30 * DAY)
    assert (deleted, touched) == (10, 2)
    assert "tg-old" not in store.store
    kept = await store.retrieve_full_tracker("tg-mixed")
    assert kept is not None and len(kept.events) == 5
    assert all(event.timestamp >= now - 30 * DAY for event in kept.events)
