"""Erasing one conversation and pruning old events, directly in whatever tracker store Rasa uses.

Rasa's own API cannot do this: ``SQLTrackerStore.save`` only appends, so replacing a tracker
through ``PUT /conversations/<id>/tracker/events`` leaves every old row in the ``events`` table.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from rasa.core.lock_store import LockStore
from rasa.core.tracker_store import (
    AwaitableTrackerStore,
    FailSafeTrackerStore,
    InMemoryTrackerStore,
    RedisTrackerStore,
    SQLTrackerStore,
    TrackerStore,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.common import call_potential_coroutine

logger = logging.getLogger(__name__)


def concrete_stores(store: TrackerStore) -> list[TrackerStore]:
    """The real stores behind Rasa's wrappers (fail-safe fallback included, if one was made)."""
    found: list[TrackerStore] = []
    pending: list[TrackerStore] = [store]
    while pending:
        current = pending.pop()
        if isinstance(current, (FailSafeTrackerStore, AwaitableTrackerStore)):
            pending.append(current._tracker_store)
            fallback = getattr(current, "_fallback_tracker_store", None)
            if fallback is not None:  # the private attribute: the property would create one
                pending.append(fallback)
        else:
            found.append(current)
    return found


def _count_serialised_events(serialised: Any) -> int:
    """Events in a tracker serialised by ``SerializedTrackerAsText``."""
    if isinstance(serialised, bytes):
        serialised = serialised.decode("utf-8")
    try:
        return len(json.loads(serialised).get("events") or [])
    except (TypeError, ValueError, AttributeError):
        return 0


def _sql_delete_sender(store: SQLTrackerStore, sender: str) -> int:
    """Delete every row of ``sender`` from the ``events`` table."""
    with store.session_scope() as session:
        deleted = (
            session.query(store.SQLEvent)
            .filter(store.SQLEvent.sender_id == sender)
            .delete(synchronize_session=False)
        )
        session.commit()
    return int(deleted or 0)


async def _erase_in(store: TrackerStore, sender: str) -> int:
    """Erase ``sender`` from one concrete store; the number of events removed."""
    if isinstance(store, SQLTrackerStore):
        return await asyncio.to_thread(_sql_delete_sender, store, sender)
    if isinstance(store, InMemoryTrackerStore):
        serialised = store.store.pop(sender, None)
        return _count_serialised_events(serialised) if serialised is not None else 0
    if isinstance(store, RedisTrackerStore):
        key = store.key_prefix + sender
        serialised = store.red.get(key)
        if serialised is None:
            return 0
        store.red.delete(key)
        return _count_serialised_events(serialised)
    # Any other store: overwrite with an empty tracker (complete only if its save() replaces).
    logger.warning("erasure in %s: replacing the tracker with an empty one", type(store).__name__)
    tracker = await call_potential_coroutine(store.retrieve_full_tracker(sender))
    if tracker is None:
        return 0
    count = len(tracker.events)
    slots = store.domain.slots if store.domain else []
    await call_potential_coroutine(store.save(DialogueStateTracker(sender, slots)))
    return count


async def erase_conversation(
    tracker_store: TrackerStore, lock_store: LockStore | None, sender: str
) -> int:
    """Delete every stored event of ``sender``; the number of events deleted.

    Holds the conversation's lock so a message being processed cannot write its tracker back.
    """
    if lock_store is None:
        return sum([await _erase_in(store, sender) for store in concrete_stores(tracker_store)])
    async with lock_store.lock(sender):
        return sum([await _erase_in(store, sender) for store in concrete_stores(tracker_store)])


def _sql_senders_with_old_events(store: SQLTrackerStore, cutoff: float) -> list[str]:
    """Conversations that have events older than ``cutoff`` (a UNIX timestamp)."""
    with store.session_scope() as session:
        rows = (
            session.query(store.SQLEvent.sender_id)
            .filter(store.SQLEvent.timestamp < cutoff)
            .distinct()
            .all()
        )
    return [sender for (sender,) in rows]


def _sql_delete_old(store: SQLTrackerStore, sender: str, cutoff: float) -> int:
    """Delete the events of ``sender`` older than ``cutoff``."""
    with store.session_scope() as session:
        deleted = (
            session.query(store.SQLEvent)
            .filter(store.SQLEvent.sender_id == sender, store.SQLEvent.timestamp < cutoff)
            .delete(synchronize_session=False)
        )
        session.commit()
    return int(deleted or 0)


def _prune_in_memory(store: InMemoryTrackerStore, sender: str, cutoff: float) -> int:
    """Drop events older than ``cutoff`` from one in-memory tracker (the key if none remain)."""
    serialised = store.store.get(sender)
    if serialised is None:
        return 0
    dialogue = json.loads(serialised)
    events = dialogue.get("events") or []
    kept = [event for event in events if float(event.get("timestamp") or 0) >= cutoff]
    if not kept:
        del store.store[sender]
    elif len(kept) != len(events):
        store.store[sender] = json.dumps({**dialogue, "events": kept})
    return len(events) - len(kept)


def _in_memory_senders_with_old_events(store: InMemoryTrackerStore, cutoff: float) -> list[str]:
    """Conversations of an in-memory store with events older than ``cutoff``."""
    senders = []
    for sender, serialised in store.store.items():
        events = json.loads(serialised).get("events") or []
        if any(float(event.get("timestamp") or 0) < cutoff for event in events):
            senders.append(sender)
    return senders


async def prune_events(
    tracker_store: TrackerStore, lock_store: LockStore | None, cutoff: float
) -> tuple[int, int]:
    """Delete events older than ``cutoff``: (events deleted, conversations touched).

    SQL and in-memory stores are pruned; others are left alone (Redis has ``record_exp``).
    Each conversation is pruned under its lock, like :func:`erase_conversation`.
    """
    deleted = 0
    touched = 0
    for store in concrete_stores(tracker_store):
        if isinstance(store, SQLTrackerStore):
            senders = await asyncio.to_thread(_sql_senders_with_old_events, store, cutoff)
        elif isinstance(store, InMemoryTrackerStore):
            senders = _in_memory_senders_with_old_events(store, cutoff)
        else:
            continue
        for sender in senders:
            if lock_store is None:
                count = await _prune_one(store, sender, cutoff)
            else:
                async with lock_store.lock(sender):
                    count = await _prune_one(store, sender, cutoff)
            deleted += count
            touched += 1 if count else 0
    return deleted, touched


async def _prune_one(store: TrackerStore, sender: str, cutoff: float) -> int:
    """Prune one conversation of a SQL or in-memory store."""
    if isinstance(store, SQLTrackerStore):
        return await asyncio.to_thread(_sql_delete_old, store, sender, cutoff)
    assert isinstance(store, InMemoryTrackerStore)
    return _prune_in_memory(store, sender, cutoff)


def unsupported_for_retention(tracker_store: TrackerStore) -> list[str]:
    """Names of the concrete stores that the retention task does not prune."""
    return [
        type(store).__name__
        for store in concrete_stores(tracker_store)
        if not isinstance(store, (SQLTrackerStore, InMemoryTrackerStore))
    ]
