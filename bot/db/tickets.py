"""Queries on hand-off tickets and their message mapping (through ``Database.run``)."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.orm import Session

from bot.db.database import Database
from bot.db.models import Ticket, TicketMessage, utcnow

OPEN = "open"
CLOSED = "closed"

# Built once: SQLAlchemy memoises a statement's cache key, so reusing this object skips building
# and keying the expression on every applicant message (most of the check's cost).
_ANY_PENDING_OF = (
    select(Ticket.id)
    .where(
        Ticket.applicant_id == bindparam("applicant_id"),
        or_(
            Ticket.status == OPEN,
            and_(Ticket.status == CLOSED, Ticket.comment_until > bindparam("now")),
        ),
    )
    .limit(1)
)
# The same query in SQLite's own SQL, for a file read on the event loop (Database.read).
_ANY_PENDING_OF_SQLITE = (
    f"SELECT 1 FROM {Ticket.__tablename__} WHERE applicant_id = ?"
    f" AND (status = '{OPEN}' OR (status = '{CLOSED}' AND comment_until > ?)) LIMIT 1"
)


class TicketStore:
    """Ticket rows: one open ticket per applicant at most, numbers are the row ids."""

    def __init__(self, db: Database) -> None:
        self._db = db
        # how SQLAlchemy writes a comment_until to this database (SQLite: an ISO string in UTC)
        column_type = Ticket.__table__.c.comment_until.type
        dialect = db.engine.dialect
        self._sql_time = column_type.dialect_impl(dialect).bind_processor(dialect)

    async def any_pending_of(self, applicant_id: int, now: datetime) -> bool:
        """Whether the applicant has an open ticket or one awaiting its comment.

        Asked for every applicant message, and nearly always false: one indexed Core read
        instead of two ORM sessions (which were a quarter of the bot's CPU per message).
        """
        parameters = {"applicant_id": applicant_id, "now": now}
        sql_time = self._sql_time

        def on_sqlite(driver: sqlite3.Connection) -> bool:
            assert sql_time is not None
            row = (applicant_id, sql_time(now))
            return driver.execute(_ANY_PENDING_OF_SQLITE, row).fetchone() is not None

        return await self._db.read(
            lambda c: c.execute(_ANY_PENDING_OF, parameters).first() is not None,
            on_sqlite if sql_time is not None else None,
        )

    async def open_of(self, applicant_id: int) -> Ticket | None:
        """The applicant's open ticket, if any."""
        return await self._db.run(
            lambda s: s.scalars(
                select(Ticket).where(Ticket.applicant_id == applicant_id, Ticket.status == OPEN)
            ).first()
        )

    async def awaiting_comment_of(self, applicant_id: int, now: datetime) -> Ticket | None:
        """A just-rated ticket whose optional comment the applicant may still write."""
        return await self._db.run(
            lambda s: s.scalars(
                select(Ticket)
                .where(
                    Ticket.applicant_id == applicant_id,
                    Ticket.status == CLOSED,
                    Ticket.comment_until > now,
                )
                .order_by(Ticket.id.desc())
            ).first()
        )

    async def get(self, ticket_id: int) -> Ticket | None:
        """One ticket."""
        return await self._db.run(lambda s: s.get(Ticket, ticket_id))

    async def by_topic(self, chat_id: int, thread_id: int) -> Ticket | None:
        """The ticket a staff-group topic belongs to."""
        return await self._db.run(
            lambda s: s.scalars(
                select(Ticket)
                .where(Ticket.staff_chat_id == chat_id, Ticket.thread_id == thread_id)
                .order_by(Ticket.id.desc())
            ).first()
        )

    async def least_loaded(self, chat_ids: list[int]) -> int:
        """The staff group with the fewest open tickets (the first on a tie)."""

        def _pick(s: Session) -> int:
            rows = s.execute(
                select(Ticket.staff_chat_id, func.count())
                .where(Ticket.status == OPEN, Ticket.staff_chat_id.in_(chat_ids))
                .group_by(Ticket.staff_chat_id)
            ).all()
            load = {int(chat): int(n) for chat, n in rows}
            return min(chat_ids, key=lambda chat: (load.get(chat, 0), chat_ids.index(chat)))

        return await self._db.run(_pick)

    async def create(self, **fields: Any) -> Ticket | None:
        """A new open ticket; None when the applicant already has one (kept one per applicant)."""

        def _create(s: Session) -> Ticket | None:
            existing = s.scalars(
                select(Ticket).where(
                    Ticket.applicant_id == fields["applicant_id"], Ticket.status == OPEN
                )
            ).first()
            if existing is not None:
                return None
            now = utcnow()
            ticket = Ticket(status=OPEN, opened_at=now, last_applicant_at=now, **fields)
            s.add(ticket)
            s.flush()
            return ticket

        return await self._db.run(_create)

    async def update(self, ticket_id: int, **fields: Any) -> Ticket | None:
        """Set columns of one ticket; the updated row."""

        def _update(s: Session) -> Ticket | None:
            ticket = s.get(Ticket, ticket_id)
            if ticket is None:
                return None
            for name, value in fields.items():
                setattr(ticket, name, value)
            return ticket

        return await self._db.run(_update)

    async def delete(self, ticket_id: int) -> None:
        """Forget a ticket that could not be opened in any staff group."""

        def _delete(s: Session) -> None:
            ticket = s.get(Ticket, ticket_id)
            if ticket is not None:
                s.delete(ticket)

        await self._db.run(_delete)

    async def claim(self, ticket_id: int, user_id: int, name: str) -> tuple[Ticket | None, bool]:
        """Claim an open ticket; ``(ticket, True)`` when this call claimed it."""

        def _claim(s: Session) -> tuple[Ticket | None, bool]:
            ticket = s.get(Ticket, ticket_id)
            if ticket is None or ticket.status != OPEN or ticket.claimed_by is not None:
                return ticket, False
            ticket.claimed_by, ticket.claimed_by_name, ticket.claimed_at = user_id, name, utcnow()
            return ticket, True

        return await self._db.run(_claim)

    async def close(self, ticket_id: int, by: str) -> Ticket | None:
        """Close an open ticket; None when it was not open (closing happens once)."""

        def _close(s: Session) -> Ticket | None:
            ticket = s.get(Ticket, ticket_id)
            if ticket is None or ticket.status != OPEN:
                return None
            ticket.status, ticket.closed_at, ticket.closed_by = CLOSED, utcnow(), by
            return ticket

        return await self._db.run(_close)

    async def rate(self, ticket_id: int, applicant_id: int, score: int, until: datetime) -> bool:
        """Store the rating of a closed ticket once; True when stored."""

        def _rate(s: Session) -> bool:
            ticket = s.get(Ticket, ticket_id)
            if (
                ticket is None
                or ticket.applicant_id != applicant_id
                or ticket.status != CLOSED
                or ticket.rating is not None
            ):
                return False
            ticket.rating, ticket.comment_until = score, until
            return True

        return await self._db.run(_rate)

    async def queue_position(self, ticket_id: int) -> int:
        """1 + the open, unclaimed tickets opened before this one."""
        return await self._db.run(
            lambda s: int(
                s.scalar(
                    select(func.count()).where(
                        Ticket.status == OPEN,
                        Ticket.claimed_by.is_(None),
                        Ticket.id <= ticket_id,
                    )
                )
                or 0
            )
        )

    async def open_tickets(self) -> list[Ticket]:
        """Every open ticket, oldest first."""
        return await self._db.run(
            lambda s: list(
                s.scalars(select(Ticket).where(Ticket.status == OPEN).order_by(Ticket.id))
            )
        )

    async def opened_since(self, since: datetime) -> list[Ticket]:
        """Tickets opened since ``since`` (statistics)."""
        return await self._db.run(
            lambda s: list(s.scalars(select(Ticket).where(Ticket.opened_at >= since)))
        )

    async def record_message(
        self,
        ticket_id: int,
        direction: str,
        staff_chat_id: int,
        staff_message_id: int,
        applicant_message_id: int | None,
    ) -> None:
        """Remember which staff-group message stands for which applicant message."""
        await self._db.run(
            lambda s: s.add(
                TicketMessage(
                    ticket_id=ticket_id,
                    direction=direction,
                    staff_chat_id=staff_chat_id,
                    staff_message_id=staff_message_id,
                    applicant_message_id=applicant_message_id,
                )
            )
        )

    async def applicant_message_for(self, staff_chat_id: int, staff_message_id: int) -> int | None:
        """The applicant-side message a staff-group message mirrors, if any."""
        return await self._db.run(
            lambda s: s.scalar(
                select(TicketMessage.applicant_message_id).where(
                    TicketMessage.staff_chat_id == staff_chat_id,
                    TicketMessage.staff_message_id == staff_message_id,
                )
            )
        )

    async def staff_message_for(self, ticket_id: int, applicant_message_id: int) -> int | None:
        """The staff-group message that mirrors an applicant-side message, if any."""
        return await self._db.run(
            lambda s: s.scalar(
                select(TicketMessage.staff_message_id).where(
                    TicketMessage.ticket_id == ticket_id,
                    TicketMessage.applicant_message_id == applicant_message_id,
                )
            )
        )
