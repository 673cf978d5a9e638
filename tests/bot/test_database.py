"""The bot database on SQLite and on the local PostgreSQL: migrations and every query."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect
from sqlalchemy.exc import OperationalError

from bot.db.database import Database, upgrade
from bot.db.models import utcnow
from bot.db.tickets import TicketStore


def test_migrations_create_the_tables_and_are_idempotent(database_url: str) -> None:
    upgrade(database_url)
    upgrade(database_url)
    engine = create_engine(database_url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {"users", "verification_attempts", "verified_sessions", "alembic_version"} <= tables


async def test_users_are_created_then_touched(db: Database) -> None:
    await db.touch_user(11, "id")
    first = await db.get_user(11)
    assert first is not None and first.language_code == "id"
    await db.touch_user(11, None)
    again = await db.get_user(11)
    assert again is not None
    assert again.language_code == "id"
    assert again.last_seen >= first.last_seen
    assert again.first_seen == first.first_seen
    assert again.first_seen.tzinfo is not None


async def test_a_busy_user_is_written_once_per_interval(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    writes: list[object] = []
    real_run = db.run

    async def counting_run(work):  # type: ignore[no-untyped-def]
        writes.append(work)
        return await real_run(work)

    monkeypatch.setattr(db, "run", counting_run)
    for _ in range(5):
        await db.touch_user(13, "id")
    assert len(writes) == 1  # the hot path skips the write while last_seen is fresh
    await db.touch_user(13, "en")  # a changed language is written at once
    assert len(writes) == 2
    monkeypatch.setattr("bot.db.database.TOUCH_INTERVAL_SECONDS", 0.0)
    await db.touch_user(13, "en")
    assert len(writes) == 3


async def test_consent_and_block_flags(db: Database) -> None:
    await db.touch_user(12, "id")
    await db.set_consent_updates(12, True)
    user = await db.get_user(12)
    assert user is not None and user.consent_updates and user.consent_updates_at is not None
    await db.set_blocked(12, True)
    user = await db.get_user(12)
    assert user is not None and user.blocked_bot
    await db.touch_user(12, "id")  # writing again means they unblocked the bot
    user = await db.get_user(12)
    assert user is not None and not user.blocked_bot


async def test_failed_verifications_are_counted_in_the_window(db: Database) -> None:
    await db.touch_user(13, "id")
    for _ in range(3):
        await db.record_verification(13, succeeded=False)
    await db.record_verification(13, succeeded=True)
    count, oldest = await db.failed_verifications_since(13, utcnow() - timedelta(hours=24))
    assert count == 3
    assert oldest is not None and oldest.tzinfo is not None
    count, _ = await db.failed_verifications_since(13, utcnow() + timedelta(seconds=1))
    assert count == 0


async def test_verified_sessions_expire_and_can_be_forgotten(db: Database) -> None:
    await db.touch_user(14, "id")
    await db.save_verified_session(14, "ref-abc", timedelta(minutes=5))
    assert await db.get_verified_ref(14) == "ref-abc"
    await db.save_verified_session(14, "ref-new", timedelta(minutes=5))
    assert await db.get_verified_ref(14) == "ref-new"
    assert await db.forget_verification(14) is True
    assert await db.get_verified_ref(14) is None
    assert await db.forget_verification(14) is False
    await db.save_verified_session(14, "ref-old", timedelta(seconds=-1))
    assert await db.get_verified_ref(14) is None


async def test_retention_deletes_old_records_but_keeps_subscribers(db: Database) -> None:
    from sqlalchemy import update

    from bot.db.models import User, VerificationAttempt

    for telegram_id in (1, 2, 3):
        await db.touch_user(telegram_id, "id")
    await db.set_consent_updates(2, True)
    await db.record_verification(1, succeeded=False)
    await db.record_verification(3, succeeded=True)
    await db.save_verified_session(3, "ref-3", timedelta(seconds=-1))  # already expired
    long_ago = utcnow() - timedelta(days=40)

    def age(session):  # type: ignore[no-untyped-def]
        session.execute(
            update(User).where(User.telegram_id.in_([1, 2])).values(last_seen=long_ago)
        )
        session.execute(
            update(VerificationAttempt)
            .where(VerificationAttempt.telegram_id == 1)
            .values(attempted_at=long_ago)
        )

    await db.run(age)
    counts = await db.purge_older_than(utcnow() - timedelta(days=30))
    assert counts == {
        "verification_attempts": 1,
        "verified_sessions": 1,
        "users": 1,
        "tickets": 0,
    }
    assert await db.get_user(1) is None  # inactive and not subscribed
    assert await db.get_user(2) is not None  # inactive but subscribed: their standing request
    assert await db.get_user(3) is not None  # active
    assert await db.failed_verifications_since(3, long_ago) == (0, None)


@pytest.fixture
def thread_hops(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """What the database runs on a worker thread, noted as it goes."""
    hops: list[object] = []
    real_to_thread = asyncio.to_thread

    async def counting_to_thread(work, /, *args):  # type: ignore[no-untyped-def]
        hops.append(work)
        return await real_to_thread(work, *args)

    monkeypatch.setattr("bot.db.database.asyncio.to_thread", counting_to_thread)
    return hops


async def test_any_pending_ticket_is_open_or_awaiting_its_comment(
    db: Database, thread_hops: list[object]
) -> None:
    tickets = TicketStore(db)
    now = utcnow()
    assert not await tickets.any_pending_of(501, now)
    ticket = await tickets.create(
        applicant_id=501,
        applicant_name="Sari",
        topic="lainnya",
        verified=False,
        staff_chat_id=-100,
        card_text="kartu",
    )
    assert ticket is not None
    assert await tickets.any_pending_of(501, now)
    assert not await tickets.any_pending_of(502, now)  # nobody else's
    await tickets.close(ticket.id, by="staff")
    assert not await tickets.any_pending_of(501, now)  # closed, no comment window
    await tickets.update(ticket.id, comment_until=now + timedelta(minutes=5))
    assert await tickets.any_pending_of(501, now)
    assert not await tickets.any_pending_of(501, now + timedelta(minutes=6))
    # each check saw the commit before it; on SQLite without a hop to a worker thread
    reads_on_threads = 0 if db.engine.dialect.name == "sqlite" else 6
    assert len(thread_hops) == 3 + reads_on_threads  # create, close, update and the reads


async def test_a_busy_sqlite_file_is_read_on_a_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, thread_hops: list[object]
) -> None:
    """When the loop's read finds the file locked (a recovery), it waits on a thread instead."""
    url = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    upgrade(url)
    db = Database(url)

    def locked(work, on_sqlite=None):  # type: ignore[no-untyped-def]
        raise OperationalError("SELECT", {}, sqlite3.OperationalError("database is locked"))

    try:
        monkeypatch.setattr(db, "_read_on_loop", locked)
        assert not await TicketStore(db).any_pending_of(22, utcnow())
        assert len(thread_hops) == 1
    finally:
        db.dispose()


async def test_a_driver_read_that_finds_sqlite_locked_moves_to_a_thread(
    tmp_path: Path, thread_hops: list[object]
) -> None:
    """The loop's plain-SQL read and SQLAlchemy's agree; a lock sends the read to a thread."""
    path = tmp_path / "bot.sqlite3"
    upgrade(f"sqlite:///{path}")
    db = Database(f"sqlite:///{path}")

    def locked(driver: sqlite3.Connection) -> int:
        raise sqlite3.OperationalError("database is locked")

    try:
        count = "SELECT count(*) FROM tickets"
        assert (
            await db.read(
                lambda c: c.exec_driver_sql(count).scalar_one(),
                lambda d: int(d.execute(count).fetchone()[0]),
            )
            == 0
        )
        assert thread_hops == []  # on the loop, through the driver
        assert await db.read(lambda c: c.exec_driver_sql(count).scalar_one(), locked) == 0
        assert len(thread_hops) == 1  # SQLAlchemy's query, on a worker thread
    finally:
        db.dispose()
