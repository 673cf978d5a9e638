"""Engine, migrations and the small set of queries the bot needs."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, delete, event, func, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.db.models import Ticket, User, VerificationAttempt, VerifiedSession, utcnow

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
T = TypeVar("T")
TOUCH_INTERVAL_SECONDS = 600.0
_MAX_RECENTLY_SEEN = 200_000
LOOP_READ_BUSY_MS = 20
logger = logging.getLogger(__name__)


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets its folder, foreign keys and a busy timeout."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 15})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def upgrade(url: str) -> None:
    """Apply the Alembic migrations up to the newest revision."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(config, "head")


class Database:
    """Synchronous SQLAlchemy sessions, called from async handlers through a worker thread
    (and the hot path's reads of a SQLite file on the event loop, see ``read``)."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite files are read on the event loop itself, on a connection of their own (read)
        self._reads_on_loop = url.startswith("sqlite:///")
        self._loop_connection: Connection | None = None
        # user id -> (monotonic time of the last write, language): skips the hot-path write
        self._recently_seen: dict[int, tuple[float, str | None]] = {}

    async def run(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in a transaction on a worker thread so the event loop never blocks."""

        def _in_transaction() -> T:
            with self._sessions.begin() as session:
                return work(session)

        return await asyncio.to_thread(_in_transaction)

    async def read(
        self,
        work: Callable[[Connection], T],
        on_sqlite: Callable[[sqlite3.Connection], T] | None = None,
    ) -> T:
        """Run a short read-only Core query (no ORM session: the hot path's ticket check).

        A SQLite file is read on the event loop: in WAL mode a reader never waits for a writer,
        and the hop to a worker thread and back took longer than the indexed read itself (0.7 of
        the bot's 2 ms per message at low load). There ``on_sqlite``, the same query in plain
        SQL, runs on the driver's connection if given: SQLAlchemy's execution and result objects
        cost ten times the indexed read. Should the file still be locked (a migration, a
        recovery), ``work`` runs on a worker thread. Other databases answer over the network,
        which must not hold the loop, so they are always read on a worker thread.
        """
        if self._reads_on_loop:
            try:
                return self._read_on_loop(work, on_sqlite)
            except (OperationalError, sqlite3.OperationalError):
                logger.info("SQLite busy for a read on the event loop; reading on a thread")

        def _on_connection() -> T:
            with self.engine.connect() as connection:
                return work(connection)

        return await asyncio.to_thread(_on_connection)

    def _read_on_loop(
        self,
        work: Callable[[Connection], T],
        on_sqlite: Callable[[sqlite3.Connection], T] | None = None,
    ) -> T:
        connection = self._loop_connection
        if connection is None:
            connection = self.engine.connect()
            # fail fast instead of the engine's 15 s wait: the whole bot waits meanwhile
            connection.exec_driver_sql(f"PRAGMA busy_timeout={LOOP_READ_BUSY_MS}")
            connection.commit()
            self._loop_connection = connection
        if on_sqlite is not None:
            # pysqlite opens no transaction for a SELECT: each read sees every earlier commit
            driver = connection.connection.driver_connection
            assert isinstance(driver, sqlite3.Connection)
            return on_sqlite(driver)
        try:
            return work(connection)
        finally:
            connection.rollback()  # ends the read: the next one sees every later commit

    def dispose(self) -> None:
        """Close pooled connections."""
        if self._loop_connection is not None:
            self._loop_connection.close()
            self._loop_connection = None
        self.engine.dispose()

    async def touch_user(self, telegram_id: int, language_code: str | None) -> None:
        """Record that a user was seen (creating them on first contact).

        Written at most once per ``TOUCH_INTERVAL_SECONDS`` per user: ``last_seen`` only feeds the
        retention purge (days), and a write per message was the hot path's only database work.
        """
        if self.seen_recently(telegram_id, language_code):
            return
        now_mono = time.monotonic()
        if len(self._recently_seen) >= _MAX_RECENTLY_SEEN:
            self._recently_seen.clear()

        def _touch(session: Session) -> None:
            user = session.get(User, telegram_id)
            now = utcnow()
            if user is None:
                session.add(
                    User(
                        telegram_id=telegram_id,
                        first_seen=now,
                        last_seen=now,
                        language_code=language_code,
                    )
                )
            else:
                user.last_seen = now
                user.language_code = language_code or user.language_code
                user.blocked_bot = False

        await self.run(_touch)
        self._recently_seen[telegram_id] = (now_mono, language_code)

    def seen_recently(self, telegram_id: int, language_code: str | None) -> bool:
        """Whether :meth:`touch_user` would write nothing now."""
        seen = self._recently_seen.get(telegram_id)
        return (
            seen is not None
            and time.monotonic() - seen[0] < TOUCH_INTERVAL_SECONDS
            and seen[1] == language_code
        )

    async def set_consent_updates(self, telegram_id: int, subscribed: bool) -> bool:
        """Store whether the user wants announcements of new gelombang; return the old choice."""

        def _set(session: Session) -> bool:
            user = session.get(User, telegram_id)
            if user is None:
                user = User(telegram_id=telegram_id, consent_updates=False)
                session.add(user)
            was = bool(user.consent_updates)
            user.consent_updates = subscribed
            user.consent_updates_at = utcnow()
            return was

        return await self.run(_set)

    async def get_user(self, telegram_id: int) -> User | None:
        """The user row, if any."""
        return await self.run(lambda session: session.get(User, telegram_id))

    async def set_blocked(self, telegram_id: int, blocked: bool) -> None:
        """Remember that the user blocked (or unblocked) the bot; blocking also unsubscribes."""

        self._recently_seen.pop(telegram_id, None)  # the next message must clear the flag again

        def _set(session: Session) -> None:
            user = session.get(User, telegram_id)
            if user is not None:
                user.blocked_bot = blocked
                if blocked and user.consent_updates:
                    # After unblocking, /langganan subscribes again.
                    user.consent_updates = False
                    user.consent_updates_at = utcnow()

        await self.run(_set)

    async def record_verification(self, telegram_id: int, succeeded: bool) -> None:
        """Log one verification attempt's outcome."""
        await self.run(
            lambda session: session.add(
                VerificationAttempt(telegram_id=telegram_id, succeeded=succeeded)
            )
        )

    async def failed_verifications_since(
        self, telegram_id: int, since: datetime
    ) -> tuple[int, datetime | None]:
        """How many failed attempts since ``since`` and when the oldest of them happened."""

        def _count(session: Session) -> tuple[int, datetime | None]:
            row = session.execute(
                select(func.count(), func.min(VerificationAttempt.attempted_at)).where(
                    VerificationAttempt.telegram_id == telegram_id,
                    VerificationAttempt.succeeded.is_(False),
                    VerificationAttempt.attempted_at >= since,
                )
            ).one()
            oldest = row[1]
            if oldest is not None and oldest.tzinfo is None:
                from datetime import UTC

                oldest = oldest.replace(tzinfo=UTC)
            return int(row[0]), oldest

        return await self.run(_count)

    async def save_verified_session(
        self, telegram_id: int, applicant_ref: str, window: timedelta
    ) -> None:
        """Remember the applicant reference for ``window`` so re-checks skip the NIK."""

        def _save(session: Session) -> None:
            now = utcnow()
            current = session.get(VerifiedSession, telegram_id)
            if current is None:
                session.add(
                    VerifiedSession(
                        telegram_id=telegram_id,
                        applicant_ref=applicant_ref,
                        verified_at=now,
                        expires_at=now + window,
                    )
                )
            else:
                current.applicant_ref = applicant_ref
                current.verified_at = now
                current.expires_at = now + window

        await self.run(_save)

    async def get_verified_ref(self, telegram_id: int) -> str | None:
        """The applicant reference of a still-valid verification, if any."""

        def _get(session: Session) -> str | None:
            current = session.get(VerifiedSession, telegram_id)
            if current is None:
                return None
            if current.expires_at <= utcnow():
                session.delete(current)
                return None
            return current.applicant_ref

        return await self.run(_get)

    async def forget_verification(self, telegram_id: int) -> bool:
        """Delete the user's verified session; True when there was one."""

        def _forget(session: Session) -> bool:
            result = session.execute(
                delete(VerifiedSession).where(VerifiedSession.telegram_id == telegram_id)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

        return await self.run(_forget)

    async def purge_older_than(self, cutoff: datetime) -> dict[str, int]:
        """Delete what the retention period no longer allows; counts per kind of record.

        Verification attempts and expired verified sessions go after ``cutoff``; users go when
        they have not written since ``cutoff`` and are not subscribed (a subscription is the
        user's own standing request, kept until they end it).
        """

        self._recently_seen.clear()  # a purged user must be written again on their next message

        def _purge(session: Session) -> dict[str, int]:
            attempts = session.execute(
                delete(VerificationAttempt).where(VerificationAttempt.attempted_at < cutoff)
            )
            sessions = session.execute(
                delete(VerifiedSession).where(VerifiedSession.expires_at < utcnow())
            )
            users = session.execute(
                delete(User).where(User.last_seen < cutoff, User.consent_updates.is_(False))
            )
            tickets = session.execute(
                delete(Ticket).where(Ticket.status == "closed", Ticket.closed_at < cutoff)
            )
            return {
                "verification_attempts": int(attempts.rowcount),  # type: ignore[attr-defined]
                "verified_sessions": int(sessions.rowcount),  # type: ignore[attr-defined]
                "users": int(users.rowcount),  # type: ignore[attr-defined]
                "tickets": int(tickets.rowcount),  # type: ignore[attr-defined]
            }

        return await self.run(_purge)
