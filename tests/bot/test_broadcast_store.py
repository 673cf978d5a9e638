"""Broadcast rows on SQLite and on the local PostgreSQL: queue, claims, counters, events."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, inspect

from bot.broadcast.store import (
    BLOCKED,
    DONE,
    FAILED,
    QUEUED,
    SENT,
    BroadcastStore,
    Outcome,
)
from bot.db.database import Database, upgrade

LEASE = timedelta(seconds=30)


@pytest.fixture
def store(db: Database) -> BroadcastStore:
    return BroadcastStore(db)


async def subscribe(db: Database, ids: range, *, blocked: set[int] = frozenset()) -> None:  # type: ignore[assignment]
    for user_id in ids:
        await db.touch_user(user_id, "id")
        await db.set_consent_updates(user_id, True)
        if user_id in blocked:
            await db.set_blocked(user_id, True)


def test_migrations_create_the_broadcast_tables(database_url: str) -> None:
    upgrade(database_url)
    engine = create_engine(database_url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {
        "broadcasts",
        "broadcast_recipients",
        "announced_events",
        "broadcast_senders",
    } <= tables


async def test_blocking_unsubscribes_and_langganan_after_unblocking_subscribes_again(
    db: Database,
) -> None:
    await subscribe(db, range(1, 2))
    await db.set_blocked(1, True)
    user = await db.get_user(1)
    assert user is not None and user.blocked_bot and not user.consent_updates
    await db.set_blocked(1, False)
    assert await db.set_consent_updates(1, True) is False
    user = await db.get_user(1)
    assert user is not None and user.consent_updates and not user.blocked_bot


async def test_only_subscribers_are_materialised_once(db: Database, store: BroadcastStore) -> None:
    await subscribe(db, range(100, 110), blocked={101})
    await db.set_consent_updates(102, False)
    await db.touch_user(200, "id")  # never subscribed
    assert await store.count_subscribers() == 8
    bid = await store.create("<b>Halo</b>", None, created_by=1)
    assert await store.start(bid, 1) == 8
    assert await store.start(bid, 1) is None  # a second Kirim sends nothing more
    rows = await store.recipient_rows(bid)
    assert sorted(r.telegram_id for r in rows) == [100, 103, 104, 105, 106, 107, 108, 109]
    assert {r.status for r in rows} == {QUEUED}


async def test_claims_are_disjoint_and_counters_match_the_rows(
    db: Database, store: BroadcastStore
) -> None:
    await subscribe(db, range(1, 26))
    bid = await store.create("x", None, created_by=1)
    await store.start(bid, None)
    token_a, first = await store.claim(bid, 10, LEASE)
    token_b, second = await store.claim(bid, 10, LEASE)
    assert len(first) == len(second) == 10
    assert not {r.id for r in first} & {r.id for r in second}
    outcomes = [Outcome(r.id, r.telegram_id, SENT, message_id=r.id) for r in first[:8]]
    outcomes += [Outcome(first[8].id, first[8].telegram_id, BLOCKED)]
    outcomes += [Outcome(first[9].id, first[9].telegram_id, FAILED, error="chat not found")]
    await store.record(bid, token_a, outcomes)
    # A stale token (its lease was taken over) changes nothing.
    await store.record(bid, "stale", [Outcome(second[0].id, second[0].telegram_id, SENT)])
    b = await store.get(bid)
    assert b is not None and (b.sent, b.blocked, b.failed, b.total) == (8, 1, 1, 25)
    blocked_user = await db.get_user(first[8].telegram_id)
    assert blocked_user is not None and blocked_user.blocked_bot
    assert not blocked_user.consent_updates
    assert not await store.finish_if_complete(bid)
    await store.record(bid, token_b, [Outcome(r.id, r.telegram_id, SENT) for r in second])
    _, rest = await store.claim(bid, 100, LEASE)
    assert len(rest) == 5
    assert (await store.claim(bid, 100, LEASE))[1] == []


async def test_an_expired_lease_returns_rows_to_the_queue(
    store: BroadcastStore, db: Database
) -> None:
    await subscribe(db, range(1, 6))
    bid = await store.create("x", None, created_by=1)
    await store.start(bid, None)
    dead_token, dead = await store.claim(bid, 5, timedelta(seconds=-1))  # already expired
    token, again = await store.claim(bid, 5, LEASE)
    assert [r.id for r in again] == [r.id for r in dead]
    await store.record(bid, dead_token, [Outcome(r.id, r.telegram_id, SENT) for r in dead])
    await store.record(bid, token, [Outcome(r.id, r.telegram_id, SENT) for r in again])
    b = await store.get(bid)
    assert b is not None and b.sent == 5  # counted once, by the owner of the lease
    assert await store.finish_if_complete(bid)
    b = await store.get(bid)
    assert b is not None and b.status == DONE
    assert await store.take_summary(bid) and not await store.take_summary(bid)


async def test_retries_wait_for_their_backoff(store: BroadcastStore, db: Database) -> None:
    from bot.db.models import utcnow

    await subscribe(db, range(1, 2))
    bid = await store.create("x", None, created_by=1)
    await store.start(bid, None)
    token, rows = await store.claim(bid, 5, LEASE)
    later = utcnow() + timedelta(hours=1)
    await store.record(bid, token, [Outcome(rows[0].id, 1, QUEUED, retry_at=later)])
    assert (await store.claim(bid, 5, LEASE))[1] == []
    assert not await store.finish_if_complete(bid)
    (row,) = await store.recipient_rows(bid)
    assert row.attempts == 1 and row.status == QUEUED


async def test_paid_sends_never_exceed_the_star_budget(
    store: BroadcastStore, db: Database
) -> None:
    await subscribe(db, range(1, 31))
    bid = await store.create("x", None, created_by=1, paid=True, star_budget=2.5)  # 25 sends
    await store.start(bid, None)
    token, first = await store.claim(bid, 20, LEASE)
    assert all(r.paid for r in first)
    _, second = await store.claim(bid, 10, LEASE)  # 20 + 10 > 25: this batch goes unpaid
    assert not any(r.paid for r in second)
    # Unsent paid rows give their reservation back.
    await store.record(
        bid, token, [Outcome(r.id, r.telegram_id, BLOCKED, paid=True) for r in first[:5]]
    )
    b = await store.get(bid)
    assert b is not None and b.paid_reserved == 15 and b.paid_sent == 0


async def test_gelombang_events_are_announced_at_most_once(store: BroadcastStore) -> None:
    assert await store.new_events(["gelombang:7:open"]) == []  # the first poll is a baseline
    assert await store.new_events(["gelombang:7:open", "gelombang:8:upcoming"]) == [
        "gelombang:8:upcoming"
    ]
    first = await store.draft_for_event("gelombang:8:upcoming", "x", paid=False, star_budget=0)
    again = await store.draft_for_event("gelombang:8:upcoming", "x", paid=False, star_budget=0)
    assert first is not None and again is None
    assert await store.new_events(["gelombang:8:upcoming"]) == []


async def test_concurrent_senders_never_claim_the_same_row(database_url: str) -> None:
    upgrade(database_url)
    dbs = [Database(database_url) for _ in range(3)]
    try:
        await subscribe(dbs[0], range(1, 301))
        stores = [BroadcastStore(d) for d in dbs]
        bid = await stores[0].create("x", None, created_by=1)
        await stores[0].start(bid, None)

        async def drain(store: BroadcastStore) -> list[int]:
            mine: list[int] = []
            while True:
                token, rows = await store.claim(bid, 7, LEASE)
                if not rows:
                    return mine
                mine += [r.telegram_id for r in rows]
                await store.record(bid, token, [Outcome(r.id, r.telegram_id, SENT) for r in rows])

        results = await asyncio.gather(*(drain(s) for s in stores))
        everyone = [user for part in results for user in part]
        assert sorted(everyone) == list(range(1, 301))
        b = await stores[0].get(bid)
        assert b is not None and b.sent == 300
    finally:
        for d in dbs:
            d.dispose()


async def test_recipient_rows_go_after_the_retention_period(
    store: BroadcastStore, db: Database
) -> None:
    from bot.db.models import utcnow

    await subscribe(db, range(1, 4))
    bid = await store.create("x", None, created_by=1)
    await store.start(bid, None)
    assert await store.purge_recipients(utcnow()) == 0  # still running: kept
    await store.transition(bid, ["running"], "cancelled")
    assert await store.purge_recipients(utcnow() - timedelta(days=1)) == 0
    assert await store.purge_recipients(utcnow() + timedelta(seconds=1)) == 3
    b = await store.get(bid)
    assert b is not None and b.total == 3  # the counts stay
