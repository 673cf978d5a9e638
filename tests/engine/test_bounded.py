"""Bounded conversations (nlu/server/bounded.py): a long session is cut to its latest turns."""

from __future__ import annotations

import pytest
from rasa.core.tracker_store import (
    AwaitableTrackerStore,
    InMemoryTrackerStore,
    RedisTrackerStore,
    SQLTrackerStore,
)
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    ConversationPaused,
    SessionStarted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from nlu.server.bounded import bound_store, max_events_from_env, shortened
from tests.engine.conftest import REPO

DOMAIN = Domain.load(str(REPO / "domain.yml"))


def long_session(sender: str, turns: int, paused_at: int | None = None) -> DialogueStateTracker:
    """``turns`` greet/answer turns after a session start; optionally paused after a turn."""
    events: list = [ActionExecuted("action_session_start"), SessionStarted()]
    for turn in range(turns):
        events += [
            ActionExecuted("action_listen"),
            UserUttered(f"halo {turn}", {"name": "greet", "confidence": 1.0}),
            ActionExecuted("utter_greet"),
            BotUttered(f"Halo {turn}!"),
        ]
        if turn == paused_at:
            events.append(ConversationPaused())
    return DialogueStateTracker.from_events(sender, events, DOMAIN.slots)


def test_a_short_tracker_is_left_alone() -> None:
    tracker = long_session("a", 3)
    assert shortened(tracker, 120) is tracker


def test_a_long_tracker_keeps_its_latest_whole_turns() -> None:
    tracker = long_session("b", 100)
    cut = shortened(tracker, 40)
    events = list(cut.events)
    assert len(events) <= 40
    assert isinstance(events[0], UserUttered)
    assert cut.latest_message.text == "halo 99"
    assert [e.text for e in events if isinstance(e, BotUttered)][-1] == "Halo 99!"
    assert cut.sender_id == "b"


def test_a_pause_from_long_ago_survives_the_cut() -> None:
    tracker = long_session("c", 100, paused_at=2)
    assert tracker.is_paused()
    assert shortened(tracker, 40).is_paused()


async def test_the_store_returns_and_then_keeps_bounded_trackers() -> None:
    memory = InMemoryTrackerStore(DOMAIN)
    store = AwaitableTrackerStore(memory)
    assert bound_store(store, 40) == ["InMemoryTrackerStore"]
    await store.save(long_session("d", 100))
    tracker = await store.retrieve("d")
    assert tracker is not None and len(tracker.events) <= 40
    await store.save(tracker)
    assert len(memory.deserialise_tracker("d", memory.store["d"]).events) <= 40


async def test_redis_store_is_bounded_too() -> None:
    redis = RedisTrackerStore(DOMAIN, host="127.0.0.1", port=6379, db=3, key_prefix="bounded")
    try:
        assert bound_store(redis, 40) == ["RedisTrackerStore"]
        await redis.save(long_session("e", 60))
        tracker = await redis.retrieve("e")
        assert tracker is not None and len(tracker.events) <= 40
    finally:
        redis.red.delete(redis.key_prefix + "e")


async def test_sql_store_still_writes_every_new_event_once(postgres_db: str) -> None:
    sql = SQLTrackerStore(
        DOMAIN,
        dialect="postgresql",
        host="127.0.0.1",
        port=5432,
        db=postgres_db,
        username="postgres",
    )
    try:
        with sql.session_scope() as session:
            session.query(sql.SQLEvent).filter(sql.SQLEvent.sender_id == "f").delete()
            session.commit()
        store = AwaitableTrackerStore(sql)
        assert bound_store(store, 40) == ["SQLTrackerStore"]
        await store.save(long_session("f", 30))  # 122 events
        tracker = await store.retrieve("f")
        assert tracker is not None and len(tracker.events) <= 40
        tracker.update(UserUttered("baru", {"name": "greet", "confidence": 1.0}))
        tracker.update(BotUttered("Halo baru!"))
        await store.save(tracker)
        with sql.session_scope() as session:
            rows = (
                session.query(sql.SQLEvent)
                .filter(sql.SQLEvent.sender_id == "f")
                .order_by(sql.SQLEvent.id)
                .all()
            )
        assert len(rows) == 124  # the two new events once each, nothing re-written
        assert [r.type_name for r in rows[-2:]] == ["user", "bot"]
        again = await store.retrieve("f")
        assert again is not None and again.latest_message.text == "baru"
    finally:
        sql.engine.dispose()


@pytest.mark.parametrize(
    "raw, expected", [("", 60), ("0", 0), ("200", 200), ("ten", ValueError), ("5", ValueError)]
)
def test_tracker_max_events_setting(
    raw: str, expected: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKER_MAX_EVENTS", raw)
    if expected is ValueError:
        with pytest.raises(ValueError, match="TRACKER_MAX_EVENTS"):
            max_events_from_env()
    else:
        assert max_events_from_env() == expected
