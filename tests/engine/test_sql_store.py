"""The SQL tracker store's faster turn (nlu/server/sql_store.py) writes what Rasa's own would."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator

import pytest
from rasa.core.tracker_store import AwaitableTrackerStore, SQLTrackerStore
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered

from nlu.server.bounded import bound_store
from nlu.server.sql_store import speed_up_sql_stores, stored_count, uses_raw_sql
from tests.engine.test_bounded import DOMAIN, long_session


def sql_store(database: str) -> SQLTrackerStore:
    return SQLTrackerStore(
        DOMAIN, dialect="postgresql", host="127.0.0.1", port=5432, db=database, username="postgres"
    )


@pytest.fixture
def stores(postgres_db: str) -> Iterator[tuple[SQLTrackerStore, SQLTrackerStore]]:
    """Rasa's own store and a sped-up one, on the same (emptied) table."""
    plain, fast = sql_store(postgres_db), sql_store(postgres_db)
    with plain.session_scope() as session:
        session.query(plain.SQLEvent).delete()
        session.commit()
    assert speed_up_sql_stores(AwaitableTrackerStore(fast)) == 1
    assert uses_raw_sql(fast)  # psycopg2: the plain-SQL path is the one tested
    try:
        yield plain, fast
    finally:
        plain.engine.dispose()
        fast.engine.dispose()


def rows(store: SQLTrackerStore, sender: str) -> list[tuple]:
    with store.session_scope() as session:
        found = (
            session.query(store.SQLEvent)
            .filter(store.SQLEvent.sender_id == sender)
            .order_by(store.SQLEvent.id)
            .all()
        )
        return [(r.type_name, r.intent_name, r.action_name, r.timestamp, r.data) for r in found]


def without_time(written: list[tuple]) -> list[tuple]:
    """The rows without their timestamps (the two conversations were made moments apart)."""
    kept = []
    for type_name, intent, action, _, data in written:
        fields = json.loads(data)
        fields.pop("timestamp", None)
        kept.append((type_name, intent, action, fields))
    return kept


def a_turn(text: str) -> list:
    return [
        UserUttered(text, {"name": "greet", "confidence": 1.0}),
        ActionExecuted("utter_greet"),
        BotUttered(f"{text}!"),
        ActionExecuted("action_listen"),
    ]


async def test_the_same_rows_as_rasas_own_store(
    stores: tuple[SQLTrackerStore, SQLTrackerStore],
) -> None:
    plain, fast = stores
    for store, sender in ((plain, "plain"), (fast, "fast")):
        tracker = long_session(sender, 3)
        await store.save(tracker)
        again = await store.retrieve(sender)
        assert again is not None
        for event in a_turn("baru"):
            again.update(event)
        await store.save(again)
    assert without_time(rows(fast, "fast")) == without_time(rows(plain, "plain"))
    assert len(rows(fast, "fast")) == 2 + 3 * 4 + 4
    # and each reads the other's conversation the same way
    mine, theirs = await fast.retrieve("plain"), await plain.retrieve("plain")
    assert mine is not None and theirs is not None
    assert [e.as_dict() for e in mine.events] == [e.as_dict() for e in theirs.events]


async def test_a_retrieved_tracker_knows_what_is_stored_and_saves_without_counting(
    stores: tuple[SQLTrackerStore, SQLTrackerStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, fast = stores
    await fast.save(long_session("k", 2))  # not read here: saved after the count
    tracker = await fast.retrieve("k")
    # the session's events: from SessionStarted on (action_session_start is just before it)
    assert tracker is not None and stored_count(tracker) == len(tracker.events) == 1 + 2 * 4

    def no_count(*_: object) -> None:
        raise AssertionError("counted the stored events again")

    monkeypatch.setattr(fast, "_additional_events", no_count)
    for event in a_turn("satu"):
        tracker.update(event)
    await fast.save(tracker)
    await fast.save(tracker)  # nothing new: nothing written
    assert stored_count(tracker) == len(tracker.events)
    assert len(rows(fast, "k")) == 2 + 2 * 4 + 4


async def test_only_the_latest_session_is_read(
    stores: tuple[SQLTrackerStore, SQLTrackerStore],
) -> None:
    _, fast = stores
    tracker = long_session("s", 2)
    await fast.save(tracker)
    tracker = await fast.retrieve("s")
    assert tracker is not None
    for event in [ActionExecuted("action_session_start"), SessionStarted(), *a_turn("lagi")]:
        tracker.update(event)
    await fast.save(tracker)
    latest = await fast.retrieve("s")
    assert latest is not None
    assert [e.text for e in latest.events if isinstance(e, UserUttered)] == ["lagi"]
    assert len(rows(fast, "s")) == 2 + 2 * 4 + 2 + 4  # each event once


async def test_the_database_work_runs_off_the_event_loop(
    stores: tuple[SQLTrackerStore, SQLTrackerStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, fast = stores
    loop_thread = threading.get_ident()
    seen: list[int] = []
    original = fast.session_scope

    def watched() -> object:
        seen.append(threading.get_ident())
        return original()

    monkeypatch.setattr(fast, "session_scope", watched)
    await asyncio.gather(*(fast.save(long_session(f"t{i}", 1)) for i in range(3)))
    assert await fast.retrieve("t1") is not None
    assert seen and loop_thread not in seen


async def test_with_the_bound_every_new_event_is_still_written_once(
    stores: tuple[SQLTrackerStore, SQLTrackerStore],
) -> None:
    _, fast = stores
    store = AwaitableTrackerStore(fast)
    assert bound_store(store, 40) == ["SQLTrackerStore"]
    await store.save(long_session("b", 30))  # 122 events
    tracker = await store.retrieve("b")
    assert tracker is not None and len(tracker.events) <= 40
    assert stored_count(tracker) == len(tracker.events)
    tracker.update(UserUttered("baru", {"name": "greet", "confidence": 1.0}))
    tracker.update(BotUttered("Halo baru!"))
    await store.save(tracker)
    written = rows(fast, "b")
    assert len(written) == 124
    assert [r[0] for r in written[-2:]] == ["user", "bot"]


def test_sqlite_stores_are_left_as_they_are(tmp_path: object) -> None:
    sqlite = SQLTrackerStore(DOMAIN, dialect="sqlite", db=f"{tmp_path}/t.db")
    try:
        assert speed_up_sql_stores(sqlite) == 0
    finally:
        sqlite.engine.dispose()
