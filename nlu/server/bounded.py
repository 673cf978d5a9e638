"""Bounded conversations: a turn costs the same at turn 5 and at turn 500.

Rasa re-reads, re-featurises and re-writes a conversation's whole tracker on every turn (the
policies' ``past_states`` walk every event; the in-memory and Redis stores serialise all of them),
so one long session made every turn slower (46 ms at turn 1, 259 ms at turn 400). Our answers need
only the last few turns (MemoizationPolicy ``max_history: 5``, one-step rules, no slots: the bot
owns business state), so on retrieval a tracker longer than ``TRACKER_MAX_EVENTS`` is cut to its
latest events, keeping a pause (hand-off) that began earlier. In the in-memory and Redis stores
the next save then stores the short tracker, so the stored conversation stays bounded too.

The SQL store (production) appends on save the tracker's events past those it has stored; a
shortened tracker carries how many events it left out, so the store's count is corrected by it,
and how many of its own events are stored (``nlu/server/sql_store.py``, which then skips the
count), so every new event is still written once. The SQL store still reads the current
session's rows (a session ends after 60 idle minutes, domain.yml); only the policies' work is
bounded there.
"""

from __future__ import annotations

import itertools
import logging
from typing import Any

from rasa.core.tracker_store import (
    InMemoryTrackerStore,
    RedisTrackerStore,
    SQLTrackerStore,
    TrackerStore,
)
from rasa.shared.core.events import ConversationPaused, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.common import call_potential_coroutine
from sanic import Sanic

from core.env import env_number
from nlu.server.sql_store import mark_stored, stored_count
from nlu.server.trackers import concrete_stores

logger = logging.getLogger(__name__)

DEFAULT_MAX_EVENTS = 60  # about 15 turns (a turn is ~4 events); staff see the last 10
_LEFT_OUT = "_bounded_left_out"  # attribute on a shortened tracker: events not in it


def max_events_from_env() -> int:
    """``TRACKER_MAX_EVENTS`` from the environment (0 turns the bound off)."""
    value = env_number("TRACKER_MAX_EVENTS", DEFAULT_MAX_EVENTS, int, 0, "a whole number")
    if 0 < value < 20:
        raise ValueError("TRACKER_MAX_EVENTS must be 0 (off) or at least 20.")
    return value


def shortened(tracker: DialogueStateTracker, max_events: int) -> DialogueStateTracker:
    """The tracker's latest events (starting at a user message), its pause kept."""
    events = list(tracker.events)
    if len(events) <= max_events:
        return tracker
    tail = events[-max_events:]
    # start at a user message so the policies see whole turns
    first_user = next((i for i, e in enumerate(tail) if isinstance(e, UserUttered)), 0)
    tail = tail[first_user:]
    if tracker.is_paused() and not any(isinstance(e, ConversationPaused) for e in tail):
        tail.insert(0, ConversationPaused(timestamp=tail[0].timestamp if tail else None))
    short = DialogueStateTracker.from_events(
        tracker.sender_id,
        tail,
        slots=list(tracker.slots.values()),
        sender_source=tracker.sender_source,
    )
    setattr(short, _LEFT_OUT, len(events) - len(tail) + getattr(tracker, _LEFT_OUT, 0))
    stored = stored_count(tracker)
    if stored is not None:  # what the SQL store knows is stored, counted in the short tracker
        mark_stored(short, max(0, stored - (len(events) - len(tail))))
    return short


def _bound_sql(store: SQLTrackerStore) -> None:
    """Correct the SQL store's "events already stored" count by what a tracker left out."""

    def additional_events(session: Any, tracker: DialogueStateTracker) -> Any:
        stored = store._event_query(
            session, tracker.sender_id, fetch_events_from_all_sessions=False
        ).count()
        start = max(0, stored - getattr(tracker, _LEFT_OUT, 0))
        return itertools.islice(tracker.events, start, len(tracker.events))

    store._additional_events = additional_events  # type: ignore[method-assign]


def bound_store(store: TrackerStore, max_events: int) -> list[str]:
    """Make the whole-tracker stores behind ``store`` return bounded trackers; their names."""
    bounded = []
    for concrete in concrete_stores(store):
        if isinstance(concrete, SQLTrackerStore):
            _bound_sql(concrete)
        elif not isinstance(concrete, (InMemoryTrackerStore, RedisTrackerStore)):
            continue
        original = concrete.retrieve

        async def retrieve(sender_id: str, _original: Any = original) -> Any:
            tracker = await call_potential_coroutine(_original(sender_id))
            return shortened(tracker, max_events) if tracker is not None else None

        concrete.retrieve = retrieve  # type: ignore[method-assign]
        bounded.append(type(concrete).__name__)
    return bounded


def install_bounded_trackers(app: Sanic, max_events: int) -> None:
    """Bound the agent's tracker store once ``load_agent_on_start`` has run."""
    if max_events <= 0:
        return

    async def bound(running: Sanic, _loop: object) -> None:
        agent = getattr(running.ctx, "agent", None)
        if agent is None or agent.tracker_store is None:
            return
        names = bound_store(agent.tracker_store, max_events)
        if names:
            logger.info("conversations bounded to %d events (%s)", max_events, ", ".join(names))

    app.register_listener(bound, "after_server_start")
