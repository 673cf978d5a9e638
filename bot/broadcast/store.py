"""Broadcast rows in the bot database: drafts, the recipient queue, claims and exact counters.

Recipients are materialised with one ``INSERT ... SELECT`` and read in claimed batches, so the
bot's memory does not grow with the number of subscribers. A claim marks rows ``sending`` with a
lease; results are written in one transaction per batch together with the broadcast's counters,
so the counters always equal the rows. On PostgreSQL several senders claim disjoint batches with
``FOR UPDATE SKIP LOCKED``.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    Table,
    and_,
    bindparam,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.db.database import Database
from bot.db.models import (
    AnnouncedEvent,
    Broadcast,
    BroadcastRecipient,
    BroadcastSender,
    User,
    utcnow,
)

R = BroadcastRecipient
QUEUED, SENDING, SENT, BLOCKED, FAILED = "queued", "sending", "sent", "blocked", "failed"
DRAFT, RUNNING, PAUSED, DONE, CANCELLED = "draft", "running", "paused", "done", "cancelled"
# A star buys ten paid sends (0.1 Star each).
SENDS_PER_STAR = 10
BASELINE = "baseline"  # marks that the poller has seen the program API once


@dataclass(frozen=True)
class Claimed:
    """One recipient row claimed for sending."""

    id: int
    telegram_id: int
    attempts: int
    paid: bool


@dataclass(frozen=True)
class Outcome:
    """What happened to one claimed row."""

    id: int
    telegram_id: int
    status: str  # sent | blocked | failed | queued (retry later)
    paid: bool = False
    message_id: int | None = None
    error: str | None = None
    retry_at: datetime | None = None
    counted_attempt: bool = True
    new_telegram_id: int | None = None  # a migrated chat


@dataclass(frozen=True)
class Counts:
    """A broadcast's counters."""

    id: int
    status: str
    total: int
    sent: int
    failed: int
    blocked: int
    paid_sent: int
    rate_limited: int

    @property
    def remaining(self) -> int:
        """Recipients not yet settled (queued or in flight)."""
        return max(0, self.total - self.sent - self.failed - self.blocked)


def subscribers_filter() -> list[ColumnElement[bool]]:
    """Who receives a broadcast: subscribed and not blocked."""
    return [User.consent_updates.is_(True), User.blocked_bot.is_(False)]


def counts_of(b: Broadcast) -> Counts:
    """The counters of a broadcast row."""
    return Counts(
        b.id, b.status, b.total, b.sent, b.failed, b.blocked, b.paid_sent, b.rate_limited
    )


class BroadcastStore:
    """Every database operation of broadcasts, each in its own transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @property
    def is_postgres(self) -> bool:
        """Whether row locks with SKIP LOCKED are available."""
        return self.db.engine.dialect.name == "postgresql"

    async def count_subscribers(self) -> int:
        """How many users would receive a broadcast now."""

        def _count(session: Session) -> int:
            return int(session.scalar(select(func.count()).where(*subscribers_filter())) or 0)

        return await self.db.run(_count)

    async def create(
        self,
        html: str,
        photo: str | None,
        *,
        created_by: int | None,
        origin: str = "manual",
        paid: bool = False,
        star_budget: float = 0.0,
    ) -> int:
        """Store a draft; nothing is sent until it is started."""

        def _create(session: Session) -> int:
            row = Broadcast(
                html=html,
                photo=photo,
                created_by=created_by,
                origin=origin,
                status=DRAFT,
                paid=paid,
                star_budget=star_budget,
            )
            session.add(row)
            session.flush()
            return row.id

        return await self.db.run(_create)

    async def get(self, broadcast_id: int) -> Broadcast | None:
        """The broadcast row, if any."""
        return await self.db.run(lambda session: session.get(Broadcast, broadcast_id))

    async def start(self, broadcast_id: int, progress_chat_id: int | None) -> int | None:
        """Draft -> running: materialise the recipients; their number, or None if not a draft."""

        def _start(session: Session) -> int | None:
            now = utcnow()
            moved = session.execute(
                update(Broadcast)
                .where(Broadcast.id == broadcast_id, Broadcast.status == DRAFT)
                .values(status=RUNNING, started_at=now, progress_chat_id=progress_chat_id)
            )
            if moved.rowcount != 1:  # type: ignore[attr-defined]
                return None
            chosen = select(
                literal(broadcast_id, Integer),
                User.telegram_id,
                literal(QUEUED, String),
                literal(0, Integer),
            ).where(*subscribers_filter())
            session.execute(
                insert(R).from_select(
                    ["broadcast_id", "telegram_id", "status", "attempts"], chosen
                )
            )
            total = int(
                session.scalar(select(func.count()).where(R.broadcast_id == broadcast_id)) or 0
            )
            session.execute(
                update(Broadcast).where(Broadcast.id == broadcast_id).values(total=total)
            )
            return total

        return await self.db.run(_start)

    async def set_progress_message(self, broadcast_id: int, message_id: int) -> None:
        """Remember the admin's progress message."""
        await self.db.run(
            lambda session: session.execute(
                update(Broadcast)
                .where(Broadcast.id == broadcast_id)
                .values(progress_message_id=message_id)
            )
        )

    async def transition(self, broadcast_id: int, sources: Sequence[str], target: str) -> bool:
        """Change the status if it is one of ``sources``; True when it changed."""

        def _move(session: Session) -> bool:
            values: dict[str, object] = {"status": target}
            if target in (DONE, CANCELLED):
                values["finished_at"] = utcnow()
            result = session.execute(
                update(Broadcast)
                .where(Broadcast.id == broadcast_id, Broadcast.status.in_(list(sources)))
                .values(**values)
            )
            return bool(result.rowcount == 1)  # type: ignore[attr-defined]

        return await self.db.run(_move)

    async def running_ids(self) -> list[int]:
        """Broadcasts that are sending (a restart continues them from here)."""
        return await self.db.run(
            lambda session: list(
                session.scalars(
                    select(Broadcast.id).where(Broadcast.status == RUNNING).order_by(Broadcast.id)
                )
            )
        )

    async def heartbeat(self, sender_id: str, alive_within: timedelta) -> int:
        """Record this sender as alive; the number of live senders (this one included)."""

        def _beat(session: Session) -> int:
            now = utcnow()
            row = session.get(BroadcastSender, sender_id)
            if row is None:
                session.add(BroadcastSender(sender_id=sender_id, seen_at=now))
            else:
                row.seen_at = now
            session.execute(
                delete(BroadcastSender).where(BroadcastSender.seen_at < now - 10 * alive_within)
            )
            session.flush()
            live = session.scalar(
                select(func.count()).where(BroadcastSender.seen_at >= now - alive_within)
            )
            return max(1, int(live or 0))

        return await self.db.run(_beat)

    async def leave(self, sender_id: str) -> None:
        """Remove this sender's heartbeat (a clean stop)."""
        await self.db.run(
            lambda session: session.execute(
                delete(BroadcastSender).where(BroadcastSender.sender_id == sender_id)
            )
        )

    async def claim(
        self, broadcast_id: int, limit: int, lease: timedelta
    ) -> tuple[str, list[Claimed]]:
        """Claim up to ``limit`` due rows (and rows whose lease ran out) for this sender."""
        token = secrets.token_hex(8)
        skip_locked = self.is_postgres

        def _claim(session: Session) -> list[Claimed]:
            now = utcnow()
            # Rows a dead sender left in flight go back to the queue once their lease is over.
            session.execute(
                update(R)
                .where(R.broadcast_id == broadcast_id, R.status == SENDING, R.lease_until < now)
                .values(status=QUEUED, claim=None, lease_until=None)
                .execution_options(synchronize_session=False)
            )
            due = (
                select(R.id)
                .where(
                    R.broadcast_id == broadcast_id,
                    R.status == QUEUED,
                    or_(R.not_before.is_(None), R.not_before <= now),
                )
                .order_by(R.id)
                .limit(limit)
            )
            if skip_locked:
                due = due.with_for_update(skip_locked=True)
            rows = session.execute(
                update(R)
                .where(R.id.in_(due.scalar_subquery()))
                .values(status=SENDING, claim=token, lease_until=now + lease)
                .returning(R.id, R.telegram_id, R.attempts)
                .execution_options(synchronize_session=False)
            ).all()
            if not rows:
                return []
            paid = _reserve_paid(session, broadcast_id, len(rows))
            return [Claimed(int(i), int(t), int(a), paid) for i, t, a in sorted(rows)]

        return token, await self.db.run(_claim)

    async def renew(self, token: str, lease: timedelta) -> None:
        """Extend the lease of a claimed batch (e.g. while waiting out a long 429)."""
        await self.db.run(
            lambda session: session.execute(
                update(R)
                .where(R.claim == token, R.status == SENDING)
                .values(lease_until=utcnow() + lease)
                .execution_options(synchronize_session=False)
            )
        )

    async def record(self, broadcast_id: int, token: str, outcomes: Sequence[Outcome]) -> None:
        """Write a batch's results and the counters in one transaction (one executemany)."""

        def _record(session: Session) -> None:
            # Rows whose lease ran out belong to another sender now: theirs to record.
            owned = set(
                session.scalars(
                    select(R.id)
                    .where(
                        R.id.in_([o.id for o in outcomes]), R.claim == token, R.status == SENDING
                    )
                    .with_for_update()
                )
            )
            mine = [o for o in outcomes if o.id in owned]
            if not mine:
                return
            session.connection().execute(_RECORD_ROW, [_record_params(o) for o in mine])
            counts = {SENT: 0, BLOCKED: 0, FAILED: 0}
            paid_sent = paid_unused = 0
            for outcome in mine:
                if outcome.status in counts:
                    counts[outcome.status] += 1
                if outcome.paid:
                    if outcome.status == SENT:
                        paid_sent += 1
                    else:
                        paid_unused += 1
                if outcome.new_telegram_id is not None:
                    _move_subscriber(session, outcome.telegram_id, outcome.new_telegram_id)
            session.execute(
                update(Broadcast)
                .where(Broadcast.id == broadcast_id)
                .values(
                    sent=Broadcast.sent + counts[SENT],
                    blocked=Broadcast.blocked + counts[BLOCKED],
                    failed=Broadcast.failed + counts[FAILED],
                    paid_sent=Broadcast.paid_sent + paid_sent,
                    paid_reserved=Broadcast.paid_reserved - paid_unused,
                )
            )
            blocked = [o.new_telegram_id or o.telegram_id for o in mine if o.status == BLOCKED]
            if blocked:
                # Blocking unsubscribes; after unblocking, /langganan subscribes again.
                session.execute(
                    update(User)
                    .where(User.telegram_id.in_(blocked))
                    .values(blocked_bot=True, consent_updates=False, consent_updates_at=utcnow())
                )

        await self.db.run(_record)

    async def note_rate_limited(self, broadcast_id: int, until: datetime, count: int) -> None:
        """Share a 429 pause with every sender of this broadcast and count the 429s."""

        def _note(session: Session) -> None:
            b = session.get(Broadcast, broadcast_id, with_for_update=True)
            if b is None:
                return
            b.rate_limited += count
            if b.throttled_until is None or b.throttled_until < until:
                b.throttled_until = until

        await self.db.run(_note)

    async def finish_if_complete(self, broadcast_id: int) -> bool:
        """Running -> done when no row is queued or in flight; True when it finished now."""

        def _finish(session: Session) -> bool:
            open_rows = session.scalar(
                select(R.id)
                .where(R.broadcast_id == broadcast_id, R.status.in_([QUEUED, SENDING]))
                .limit(1)
            )
            if open_rows is not None:
                return False
            result = session.execute(
                update(Broadcast)
                .where(Broadcast.id == broadcast_id, Broadcast.status == RUNNING)
                .values(status=DONE, finished_at=utcnow())
            )
            return bool(result.rowcount == 1)  # type: ignore[attr-defined]

        return await self.db.run(_finish)

    async def take_progress_slot(self, broadcast_id: int, every: timedelta) -> bool:
        """True for at most one sender every ``every``: it may edit the progress message."""

        def _take(session: Session) -> bool:
            now = utcnow()
            result = session.execute(
                update(Broadcast)
                .where(
                    Broadcast.id == broadcast_id,
                    or_(Broadcast.progress_at.is_(None), Broadcast.progress_at <= now - every),
                )
                .values(progress_at=now)
            )
            return bool(result.rowcount == 1)  # type: ignore[attr-defined]

        return await self.db.run(_take)

    async def take_summary(self, broadcast_id: int) -> bool:
        """True exactly once per finished broadcast: that caller sends the summary."""

        def _take(session: Session) -> bool:
            result = session.execute(
                update(Broadcast)
                .where(
                    Broadcast.id == broadcast_id,
                    Broadcast.status.in_([DONE, CANCELLED]),
                    Broadcast.summary_sent.is_(False),
                )
                .values(summary_sent=True)
            )
            return bool(result.rowcount == 1)  # type: ignore[attr-defined]

        return await self.db.run(_take)

    async def recent(self, limit: int = 5) -> list[Broadcast]:
        """The newest broadcasts first."""
        return await self.db.run(
            lambda session: list(
                session.scalars(select(Broadcast).order_by(Broadcast.id.desc()).limit(limit))
            )
        )

    async def recipient_rows(self, broadcast_id: int) -> list[BroadcastRecipient]:
        """Every recipient row of a broadcast (tests and small tools only)."""
        return await self.db.run(
            lambda session: list(
                session.scalars(select(R).where(R.broadcast_id == broadcast_id).order_by(R.id))
            )
        )

    async def purge_recipients(self, cutoff: datetime) -> int:
        """Delete the recipient rows of broadcasts that ended before ``cutoff`` (retention)."""

        def _purge(session: Session) -> int:
            ended = select(Broadcast.id).where(
                Broadcast.status.in_([DONE, CANCELLED]), Broadcast.finished_at < cutoff
            )
            result = session.execute(
                delete(R)
                .where(R.broadcast_id.in_(ended.scalar_subquery()))
                .execution_options(synchronize_session=False)
            )
            return int(result.rowcount)  # type: ignore[attr-defined]

        return await self.db.run(_purge)

    async def new_events(self, keys: Sequence[str]) -> list[str]:
        """The events not seen before; the very first poll only stores a silent baseline."""

        def _new(session: Session) -> list[str]:
            if session.get(AnnouncedEvent, BASELINE) is None:
                session.add(AnnouncedEvent(key=BASELINE, seen_at=utcnow()))
                for key in dict.fromkeys(keys):
                    session.merge(AnnouncedEvent(key=key, seen_at=utcnow()))
                return []
            known = set(
                session.scalars(select(AnnouncedEvent.key).where(AnnouncedEvent.key.in_(keys)))
            )
            return [key for key in dict.fromkeys(keys) if key not in known]

        return await self.db.run(_new)

    async def draft_for_event(
        self, key: str, html: str, *, paid: bool, star_budget: float
    ) -> int | None:
        """Store the event and its draft together; None when the event was already taken."""

        def _draft(session: Session) -> int | None:
            row = Broadcast(
                html=html,
                photo=None,
                created_by=None,
                origin="auto",
                status=DRAFT,
                paid=paid,
                star_budget=star_budget,
            )
            session.add(row)
            session.flush()
            session.add(AnnouncedEvent(key=key, seen_at=utcnow(), broadcast_id=row.id))
            session.flush()  # a concurrent poller that stored the key first makes this fail
            return row.id

        try:
            return await self.db.run(_draft)
        except IntegrityError:
            return None


_TABLE = cast(Table, R.__table__)
_T = _TABLE.c
# One statement for every row of a batch (executemany): status, message id, error, backoff,
# attempts and, for a migrated chat, the new id.
_RECORD_ROW = (
    update(_TABLE)
    .where(_T.id == bindparam("row_id"))
    .values(
        status=bindparam("new_status", type_=_T.status.type),
        message_id=bindparam("new_message_id", type_=_T.message_id.type),
        error=bindparam("new_error", type_=_T.error.type),
        claim=None,
        lease_until=None,
        not_before=bindparam("new_not_before", type_=_T.not_before.type),
        attempts=_T.attempts + bindparam("attempt", type_=Integer),
        telegram_id=func.coalesce(
            bindparam("new_telegram_id", type_=_T.telegram_id.type), _T.telegram_id
        ),
    )
)


def _record_params(outcome: Outcome) -> dict[str, object]:
    """The parameters of :data:`_RECORD_ROW` for one outcome."""
    return {
        "row_id": outcome.id,
        "new_status": outcome.status,
        "new_message_id": outcome.message_id,
        "new_error": outcome.error,
        "new_not_before": outcome.retry_at,
        "attempt": 1 if outcome.counted_attempt else 0,
        "new_telegram_id": outcome.new_telegram_id,
    }


def _move_subscriber(session: Session, old_id: int, new_id: int) -> None:
    """A group became a supergroup: the subscription moves to the new chat id."""
    old = session.get(User, old_id)
    if old is None:
        return
    new = session.get(User, new_id)
    if new is None:
        session.add(
            User(
                telegram_id=new_id,
                first_seen=old.first_seen,
                last_seen=old.last_seen,
                language_code=old.language_code,
                consent_updates=old.consent_updates,
                consent_updates_at=old.consent_updates_at,
                blocked_bot=False,
            )
        )
    else:
        new.consent_updates = old.consent_updates or new.consent_updates
        new.consent_updates_at = old.consent_updates_at
    # The old id is a dead chat (Telegram refuses it for good); the row goes with retention.
    old.consent_updates = False
    session.flush()


def _reserve_paid(session: Session, broadcast_id: int, count: int) -> bool:
    """Reserve ``count`` paid sends within the Star budget (all or none, atomically)."""
    b = session.get(Broadcast, broadcast_id)
    if b is None or not b.paid:
        return False
    cap = int(b.star_budget * SENDS_PER_STAR + 1e-9)
    result = session.execute(
        update(Broadcast)
        .where(
            and_(
                Broadcast.id == broadcast_id,
                Broadcast.paid_reserved + count <= cap,
            )
        )
        .values(paid_reserved=Broadcast.paid_reserved + count)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]
