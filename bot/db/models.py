"""SQLAlchemy 2 typed ORM models of the bot database (no NIK or phone number is ever stored)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and returns aware datetimes on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Normalise to UTC before writing."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """SQLite drops the offset; everything stored is UTC."""
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    """Base class of all models."""


class User(Base):
    """A Telegram user who wrote to the bot."""

    __tablename__ = "users"

    telegram_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    language_code: Mapped[str | None] = mapped_column(String(16))
    # Consent to receive announcements of new gelombang (broadcasts).
    consent_updates: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_updates_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when Telegram reports that the user blocked the bot; broadcasts skip them.
    blocked_bot: Mapped[bool] = mapped_column(Boolean, default=False)


class VerificationAttempt(Base):
    """One NIK + phone check against the program API (only the outcome, never the inputs)."""

    __tablename__ = "verification_attempts"
    __table_args__ = (Index("ix_verification_attempts_user_time", "telegram_id", "attempted_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.telegram_id", ondelete="CASCADE")
    )
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    succeeded: Mapped[bool] = mapped_column(Boolean)


class VerifiedSession(Base):
    """A Telegram account's current verification: the opaque applicant reference and its expiry."""

    __tablename__ = "verified_sessions"

    telegram_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.telegram_id", ondelete="CASCADE"), primary_key=True
    )
    applicant_ref: Mapped[str] = mapped_column(String(128))
    verified_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Ticket(Base):
    """A hand-off to staff: one forum topic in a staff group; its id is the ticket number."""

    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_applicant_status", "applicant_id", "status"),
        Index("ix_tickets_topic", "staff_chat_id", "thread_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    applicant_id: Mapped[int] = mapped_column(BigInteger)  # the private chat id, too
    applicant_name: Mapped[str] = mapped_column(String(64))  # first name, for the topic name
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | closed
    topic: Mapped[str] = mapped_column(String(64))  # the applicant's last recognised intent
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    staff_chat_id: Mapped[int] = mapped_column(BigInteger)
    thread_id: Mapped[int | None] = mapped_column(Integer)
    card_message_id: Mapped[int | None] = mapped_column(Integer)
    # The card's transcript, masked (kept so the card can be re-rendered and re-posted).
    card_text: Mapped[str] = mapped_column(Text, default="")
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_by: Mapped[int | None] = mapped_column(BigInteger)
    claimed_by_name: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_reply_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_applicant_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_staff_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(16))  # staff | applicant
    sla_reminded: Mapped[bool] = mapped_column(Boolean, default=False)
    applicant_updated: Mapped[bool] = mapped_column(Boolean, default=False)
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str | None] = mapped_column(Text)  # masked
    # Until then, the applicant's next text is the rating's comment.
    comment_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TicketMessage(Base):
    """Which staff-group message corresponds to which applicant message (either direction)."""

    __tablename__ = "ticket_messages"
    __table_args__ = (Index("ix_ticket_messages_staff", "staff_chat_id", "staff_message_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(Integer, ForeignKey("tickets.id", ondelete="CASCADE"))
    direction: Mapped[str] = mapped_column(String(8))  # in (applicant) | out (staff) | note
    staff_chat_id: Mapped[int] = mapped_column(BigInteger)
    staff_message_id: Mapped[int] = mapped_column(Integer)
    applicant_message_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Broadcast(Base):
    """One announcement to subscribers: its content, state and exact counters."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(BigInteger)  # admin id; None for automatic
    origin: Mapped[str] = mapped_column(String(16), default="manual")  # manual | auto
    # draft -> running <-> paused -> done | cancelled (a draft may also be cancelled)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    html: Mapped[str] = mapped_column(Text, default="")
    photo: Mapped[str | None] = mapped_column(String(256))  # a Telegram file_id
    paid: Mapped[bool] = mapped_column(Boolean, default=False)
    star_budget: Mapped[float] = mapped_column(Float, default=0.0)
    paid_reserved: Mapped[int] = mapped_column(Integer, default=0)  # paid sends claimed or made
    total: Mapped[int] = mapped_column(Integer, default=0)
    sent: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    blocked: Mapped[int] = mapped_column(Integer, default=0)
    paid_sent: Mapped[int] = mapped_column(Integer, default=0)
    rate_limited: Mapped[int] = mapped_column(Integer, default=0)  # 429 answers received
    throttled_until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # shared 429 pause
    progress_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_message_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    summary_sent: Mapped[bool] = mapped_column(Boolean, default=False)


class BroadcastRecipient(Base):
    """One (broadcast, recipient) delivery with its status, attempts and message id."""

    __tablename__ = "broadcast_recipients"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "telegram_id", name="uq_broadcast_recipient"),
        Index("ix_broadcast_recipients_claim", "broadcast_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"))
    telegram_id: Mapped[int] = mapped_column(BigInteger)
    # queued -> sending (claimed, with a lease) -> sent | blocked | failed (or queued to retry)
    status: Mapped[str] = mapped_column(String(8), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime)  # retry backoff
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim: Mapped[str | None] = mapped_column(String(32))
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(String(64))


class AnnouncedEvent(Base):
    """A gelombang event (e.g. "gelombang:8:open") seen by the poller; announced at most once."""

    __tablename__ = "announced_events"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    broadcast_id: Mapped[int | None] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="SET NULL")
    )


class BroadcastSender(Base):
    """A running sender process's heartbeat: the global rate is shared among the live ones."""

    __tablename__ = "broadcast_senders"

    sender_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
