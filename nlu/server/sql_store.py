"""The SQL tracker store's turn, cheaper and off the event loop (production's PostgreSQL store).

Rasa's ``SQLTrackerStore`` reads a conversation as ORM objects, counts the stored events again
before every save (one more query with the session sub-query), adds each new event as an ORM
object and flushes them one INSERT at a time, all synchronously on Sanic's event loop: with
PostgreSQL a turn cost about twice the CPU of the in-memory store (``ops/bench_load.py
--production-stores``), and every round trip to the database held up every other conversation.

Here a turn's read and write run on a worker thread, the read fetches only the events' JSON, and
the write is one multi-row INSERT, both as plain SQL on the driver's connection (PostgreSQL and
MySQL drivers; others go through SQLAlchemy). A tracker read here remembers how many of its
events are stored, so its save appends the rest without counting: Rasa's lock store lets one
turn of a conversation run at a time, so nothing else appends in between. A tracker the store
has not read (made new, or built by the HTTP API) is saved after the count, as before. The table
and what the statements select and write are Rasa's own; only how they are run changes.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Sanic

from nlu.server.trackers import concrete_stores

logger = logging.getLogger(__name__)

STORED = "_sql_stored"  # attribute on a tracker: how many of its events are in the table


def stored_count(tracker: DialogueStateTracker) -> int | None:
    """How many of the tracker's events are known to be stored (None: not known)."""
    value = getattr(tracker, STORED, None)
    return value if isinstance(value, int) else None


def mark_stored(tracker: DialogueStateTracker, count: int) -> None:
    """Note that the first ``count`` of the tracker's events are stored."""
    setattr(tracker, STORED, count)


# The latest session's events, as Rasa's ``_event_query`` selects them (its session sub-query,
# its order), written out once: building and caching the ORM query cost more CPU than running it.
SELECT_LATEST_SESSION = (
    "SELECT e.data FROM events e, (SELECT max(timestamp) AS session_start FROM events"
    " WHERE sender_id = %s AND type_name = %s) s"
    " WHERE e.sender_id = %s AND (e.timestamp >= s.session_start OR s.session_start IS NULL)"
    " ORDER BY e.id"
)
COLUMNS = "(sender_id, type_name, timestamp, intent_name, action_name, data)"
ROW_PLACEHOLDERS = "(%s, %s, %s, %s, %s, %s)"
RAW_PARAMSTYLES = ("format", "pyformat")  # DB-APIs taking %s: psycopg2, pymysql, mysqlclient


def uses_raw_sql(store: SQLTrackerStore) -> bool:
    """Whether the store's driver takes the statements above (%s placeholders)."""
    return getattr(store.engine.dialect, "paramstyle", None) in RAW_PARAMSTYLES


def _fetch_rows(store: SQLTrackerStore, sender_id: str) -> list[str]:
    """The JSON of the latest session's events."""
    if not uses_raw_sql(store):
        with store.session_scope() as session:
            query = store._event_query(session, sender_id, fetch_events_from_all_sessions=False)
            return [data for (data,) in query.with_entities(store.SQLEvent.data).all()]
    connection = store.engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(SELECT_LATEST_SESSION, (sender_id, SessionStarted.type_name, sender_id))
        found = [data for (data,) in cursor.fetchall()]
        cursor.close()
        connection.rollback()  # end the read's transaction
        return found
    finally:
        connection.close()  # back to the pool


def _retrieve(store: SQLTrackerStore, sender_id: str) -> DialogueStateTracker | None:
    rows = _fetch_rows(store, sender_id)
    if not rows or store.domain is None:
        return None
    tracker = DialogueStateTracker.from_dict(
        sender_id, [json.loads(data) for data in rows], store.domain.slots
    )
    mark_stored(tracker, len(rows))
    return tracker


def _row(sender_id: str, event: Any) -> tuple[Any, ...]:
    """The columns Rasa's own ``save`` writes for one event, in COLUMNS order."""
    data = event.as_dict()
    return (
        sender_id,
        event.type_name,
        data.get("timestamp"),
        data.get("parse_data", {}).get("intent", {}).get("name"),
        data.get("name"),
        json.dumps(data),
    )


def _insert(store: SQLTrackerStore, rows: list[tuple[Any, ...]]) -> None:
    """The new events in one multi-row INSERT, committed."""
    if not uses_raw_sql(store):
        names = [c.strip() for c in COLUMNS.strip("()").split(",")]
        with store.session_scope() as session:
            session.execute(
                store.SQLEvent.__table__.insert(), [dict(zip(names, r, strict=True)) for r in rows]
            )
            session.commit()
        return
    values = ", ".join([ROW_PLACEHOLDERS] * len(rows))
    connection = store.engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(
            f"INSERT INTO events {COLUMNS} VALUES {values}",
            [value for row in rows for value in row],
        )
        cursor.close()
        connection.commit()
    except BaseException:
        connection.rollback()
        raise
    finally:
        connection.close()


def _save(store: SQLTrackerStore, tracker: DialogueStateTracker) -> None:
    events = list(tracker.events)
    start = stored_count(tracker)
    if start is None or start > len(events):
        with store.session_scope() as session:  # not read here: count what is stored (rare)
            new = list(store._additional_events(session, tracker))
    else:
        new = events[start:]
    if new:
        _insert(store, [_row(tracker.sender_id, event) for event in new])
    mark_stored(tracker, len(events))


def speed_up(store: SQLTrackerStore) -> None:
    """Replace the store's ``retrieve`` and ``save`` with the thread-run, counted versions."""

    async def retrieve(sender_id: str) -> DialogueStateTracker | None:
        return await asyncio.to_thread(_retrieve, store, sender_id)

    async def save(tracker: DialogueStateTracker) -> None:
        await store.stream_events(tracker)
        await asyncio.to_thread(_save, store, tracker)

    store.retrieve = retrieve  # type: ignore[method-assign]
    store.save = save  # type: ignore[method-assign]


def speed_up_sql_stores(store: TrackerStore) -> int:
    """Speed up every SQL store behind ``store`` (not SQLite: an in-memory SQLite database is
    one per thread); how many there were."""
    found = [
        s
        for s in concrete_stores(store)
        if isinstance(s, SQLTrackerStore) and s.engine.dialect.name != "sqlite"
    ]
    for sql in found:
        speed_up(sql)
    return len(found)


def install_sql_store_speed_up(app: Sanic) -> None:
    """Speed up the agent's SQL tracker store once ``load_agent_on_start`` has run (register
    before ``install_bounded_trackers``, whose ``retrieve`` wraps this one)."""

    async def install(running: Sanic, _loop: object) -> None:
        agent = getattr(running.ctx, "agent", None)
        if agent is not None and agent.tracker_store is not None:
            if speed_up_sql_stores(agent.tracker_store):
                logger.info("SQL tracker store: turns read and written on a worker thread")

    app.register_listener(install, "after_server_start")
