"""The bot's Prometheus metrics: one registry per process, cheap hooks that never raise.

Every hook here runs on the hot path of an update (or of a call to Rasa or the program API), so
each one is a few dictionary look-ups and never lets an exception out: a broken metric must not
break an applicant's answer. Labels are small fixed sets (update types, reply kinds, outcomes);
no text, identifier or user id ever becomes a label. Database-backed gauges (open tickets,
broadcast progress) are read at scrape time (:meth:`BotMetrics.refresh_from_db`), cached briefly.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import (
    gc_collector as _gc,
)
from prometheus_client import (
    platform_collector as _platform,
)
from prometheus_client import (
    process_collector as _process,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from telegram import Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.db.database import Database
from bot.db.models import Broadcast, Ticket
from core.program_api import (
    ApplicantNotFound,
    Gelombang,
    ProgramAPI,
    ProgramAPIAuthError,
    ProgramAPIBadResponse,
    ProgramAPIError,
    ProgramAPIInvalidRequest,
    ProgramAPIRateLimited,
    ProgramAPIUnavailable,
)
from core.program_api.models import ApplicantStatus

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

# From a 10 ms answer to the 10 s RASA_TIMEOUT; 0.25 s is the p95 target of issue 10.
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 0.75, 1.0, 1.5, 2.5, 5.0, 10.0)
# Scrape-time database gauges are read at most this often (a scrape storm costs one query).
DB_REFRESH_SECONDS = 2.0
# A scrape waits this long for them at most; a slower database shows the last values.
DB_REFRESH_TIMEOUT = 2.0

# Bot API methods that put (or change) something a person sees in a chat, by reply kind.
REPLY_KINDS = {
    "sendMessage": "text",
    "sendPhoto": "photo",
    "sendDocument": "document",
    "sendVideo": "video",
    "sendAnimation": "animation",
    "sendAudio": "audio",
    "sendVoice": "voice",
    "sendSticker": "sticker",
    "sendMediaGroup": "media_group",
    "sendLocation": "location",
    "sendContact": "contact",
    "copyMessage": "copy",
    "copyMessages": "copy",
    "forwardMessage": "forward",
    "forwardMessages": "forward",
    "editMessageText": "edit",
    "editMessageCaption": "edit",
    "editMessageMedia": "edit",
    "editMessageReplyMarkup": "edit",
}
UPDATE_TYPES = tuple(str(t) for t in Update.ALL_TYPES)
# Where the Application keeps its BotMetrics (``bot_data``).
METRICS_KEY = "metrics"
# Broadcast states shown as gauges: the counters of running (and paused) broadcasts.
BROADCAST_STATES = ("sent", "failed", "blocked", "queued")


def _never_raises(method: Callable[P, None]) -> Callable[P, None]:
    """A metrics hook that logs (once per hook) instead of raising into the caller."""
    failed = False

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        nonlocal failed
        try:
            method(*args, **kwargs)
        except Exception:
            if not failed:
                failed = True
                logger.exception("metrics hook %s failed; the update goes on", method.__name__)

    return wrapper


def update_type(update: object) -> str:
    """The update's kind as Telegram names it (``message``, ``callback_query`` …)."""
    if isinstance(update, Update):
        for name in UPDATE_TYPES:
            if getattr(update, name, None) is not None:
                return name
    return "unknown"


def telegram_error_kind(error: BaseException) -> str:
    """A small fixed label for a Bot API failure."""
    if isinstance(error, RetryAfter):
        return "rate_limited"
    if isinstance(error, Forbidden):
        return "forbidden"
    if isinstance(error, BadRequest):
        return "bad_request"
    if isinstance(error, TimedOut):
        return "timed_out"
    if isinstance(error, NetworkError):
        return "network"
    if isinstance(error, TelegramError):
        return "other"
    return "unexpected"


def program_api_outcome(error: BaseException | None) -> str:
    """``ok`` or the kind of program API failure (the public error classes, in that order)."""
    if error is None:
        return "ok"
    for cls, outcome in (
        (ApplicantNotFound, "not_found"),
        (ProgramAPIAuthError, "auth"),
        (ProgramAPIRateLimited, "rate_limited"),
        (ProgramAPIInvalidRequest, "invalid_request"),
        (ProgramAPIBadResponse, "bad_response"),
        (ProgramAPIUnavailable, "unavailable"),
        (ProgramAPIError, "error"),
    ):
        if isinstance(error, cls):
            return outcome
    if isinstance(error, asyncio.CancelledError):
        return "cancelled"
    return "unexpected"


# Outcomes that are answers, not failures (a NIK + phone that match nobody is a normal answer).
PROGRAM_API_NOT_ERRORS = frozenset({"ok", "not_found", "cancelled"})


@dataclass
class UpdateTrace:
    """What the hooks learn while one update is handled."""

    began: float
    last_reply: float | None = None


_current_update: contextvars.ContextVar[UpdateTrace | None] = contextvars.ContextVar(
    "prakerja_current_update", default=None
)


class BotMetrics:
    """Every metric of the bot process, on its own registry (tests build a fresh one each)."""

    def __init__(self, *, process_collectors: bool = True) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        if process_collectors:
            _process.ProcessCollector(registry=self.registry)
            _platform.PlatformCollector(registry=self.registry)
            _gc.GCCollector(registry=self.registry)
        r = self.registry
        self.updates = Counter(
            "prakerja_updates",
            "Updates received from Telegram, by update type.",
            ["type"],
            registry=r,
        )
        self.updates_in_progress = Gauge(
            "prakerja_updates_in_progress",
            "Updates being handled right now.",
            registry=r,
        )
        self.replies = Counter(
            "prakerja_replies",
            "Messages sent or edited in a chat while handling an update, by kind.",
            ["kind"],
            registry=r,
        )
        self.reply_latency = Histogram(
            "prakerja_reply_latency_seconds",
            "From an update's arrival at the bot to the last reply sent for it.",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.telegram_errors = Counter(
            "prakerja_telegram_errors",
            "Bot API requests that failed while handling updates, by error kind.",
            ["error"],
            registry=r,
        )
        self.handler_errors = Counter(
            "prakerja_handler_errors",
            "Updates whose handling raised an exception (the user got an apology).",
            registry=r,
        )
        self.flood_refusals = Counter(
            "prakerja_flood_refusals",
            "Updates dropped by flood control (FLOOD_MESSAGES_PER_MINUTE, FLOOD_BURST, …).",
            registry=r,
        )
        self.rasa_latency = Histogram(
            "prakerja_rasa_request_duration_seconds",
            "Requests to Rasa, by operation and outcome.",
            ["operation", "outcome"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.rasa_errors = Counter(
            "prakerja_rasa_errors",
            "Failed requests to Rasa (timeout, unreachable, http_error, bad_answer).",
            ["operation", "outcome"],
            registry=r,
        )
        self.program_api_latency = Histogram(
            "prakerja_program_api_request_duration_seconds",
            "Calls to the program API (retries and waits included), by operation and outcome.",
            ["operation", "outcome"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.program_api_errors = Counter(
            "prakerja_program_api_errors",
            "Failed program API calls, by operation and outcome.",
            ["operation", "outcome"],
            registry=r,
        )
        self.open_tickets = Gauge(
            "prakerja_open_tickets",
            "Hand-off tickets not yet closed (read at scrape time).",
            registry=r,
        )
        self.broadcasts_running = Gauge(
            "prakerja_broadcasts_running",
            "Broadcasts running or paused (read at scrape time).",
            registry=r,
        )
        self.broadcast_recipients = Gauge(
            "prakerja_broadcast_recipients",
            "Recipients of each running or paused broadcast, by state (read at scrape time).",
            ["broadcast", "state"],
            registry=r,
        )
        self.db_refresh_errors = Counter(
            "prakerja_metrics_db_refresh_errors",
            "Scrapes whose database gauges could not be read (the last values are kept).",
            registry=r,
        )
        # Hot-path label children, looked up once (prometheus_client's labels() takes a lock).
        self._update_children: dict[str, Any] = {}
        self._reply_children: dict[str, Any] = {}
        self._db_refreshed = 0.0
        self._db_refresh: asyncio.Task[None] | None = None
        self._shown_broadcasts: set[str] = set()

    # --- updates and replies (bot.ordering, bot.resilient_bot) ---------------------------

    @_never_raises
    def update_received(self, update: object) -> None:
        """Count one update by type."""
        kind = update_type(update)
        child = self._update_children.get(kind)
        if child is None:
            child = self._update_children[kind] = self.updates.labels(kind)
        child.inc()

    @contextmanager
    def handling(self, began: float) -> Iterator[None]:
        """Around one update's handling: replies are attributed to it, latency observed after."""
        trace = UpdateTrace(began)
        token = _current_update.set(trace)
        self._gauge_step(1)
        try:
            yield
        finally:
            _current_update.reset(token)
            self._gauge_step(-1)
            self._observe_latency(trace)

    @_never_raises
    def _gauge_step(self, step: int) -> None:
        self.updates_in_progress.inc(step)

    @_never_raises
    def _observe_latency(self, trace: UpdateTrace) -> None:
        if trace.last_reply is not None:
            self.reply_latency.observe(max(0.0, trace.last_reply - trace.began))

    @_never_raises
    def request_sent(self, endpoint: str) -> None:
        """A Bot API request succeeded: a reply if it shows something and an update is handled."""
        kind = REPLY_KINDS.get(endpoint)
        if kind is None:
            return
        trace = _current_update.get()
        if trace is None:
            return  # not a reply to an update (start-up, jobs, SLA reminders)
        trace.last_reply = time.monotonic()
        child = self._reply_children.get(kind)
        if child is None:
            child = self._reply_children[kind] = self.replies.labels(kind)
        child.inc()

    @_never_raises
    def request_failed(self, endpoint: str, error: BaseException) -> None:
        """A Bot API request failed while handling an update (getUpdates' own errors excluded)."""
        if endpoint == "getUpdates" or _current_update.get() is None:
            return
        self.telegram_errors.labels(telegram_error_kind(error)).inc()

    @_never_raises
    def flood_refused(self) -> None:
        """Flood control dropped one update."""
        self.flood_refusals.inc()

    @_never_raises
    def handler_failed(self) -> None:
        """A handler raised; the error handler apologised."""
        self.handler_errors.inc()

    # --- Rasa and the program API ----------------------------------------------------------

    @_never_raises
    def rasa_request(self, operation: str, outcome: str, seconds: float) -> None:
        """One request to Rasa finished with ``outcome`` (``ok`` or the kind of failure)."""
        self.rasa_latency.labels(operation, outcome).observe(seconds)
        if outcome != "ok":
            self.rasa_errors.labels(operation, outcome).inc()

    @_never_raises
    def program_api_call(self, operation: str, outcome: str, seconds: float) -> None:
        """One public program API call finished with ``outcome``."""
        self.program_api_latency.labels(operation, outcome).observe(seconds)
        if outcome not in PROGRAM_API_NOT_ERRORS:
            self.program_api_errors.labels(operation, outcome).inc()

    # --- scrape time -----------------------------------------------------------------------

    async def refresh_from_db(self, db: Database, *, max_age: float = DB_REFRESH_SECONDS) -> None:
        """Read the database gauges, at most once per ``max_age`` and never twice at once."""
        if time.monotonic() - self._db_refreshed < max_age:
            return
        if self._db_refresh is None or self._db_refresh.done():
            self._db_refresh = asyncio.create_task(self._read_db(db))
        try:
            # A slow database must not hold the scrape: the last values are shown meanwhile.
            await asyncio.wait_for(asyncio.shield(self._db_refresh), timeout=DB_REFRESH_TIMEOUT)
        except Exception:
            self.db_refresh_errors.inc()
            logger.warning("metrics: the database gauges could not be read", exc_info=True)

    async def _read_db(self, db: Database) -> None:
        open_tickets, broadcasts = await db.run(_db_gauges)
        self.open_tickets.set(open_tickets)
        self.broadcasts_running.set(len(broadcasts))
        shown: set[str] = set()
        for broadcast_id, counts in broadcasts.items():
            label = str(broadcast_id)
            shown.add(label)
            for state, value in counts.items():
                self.broadcast_recipients.labels(label, state).set(value)
        for gone in self._shown_broadcasts - shown:  # finished broadcasts leave the gauges
            for state in BROADCAST_STATES:
                self.broadcast_recipients.remove(gone, state)
        self._shown_broadcasts = shown
        self._db_refreshed = time.monotonic()

    def exposition(self) -> bytes:
        """The text format Prometheus scrapes."""
        return generate_latest(self.registry)


def _db_gauges(session: Session) -> tuple[int, dict[int, dict[str, int]]]:
    """Open tickets, and the counters of every running or paused broadcast (two small queries)."""
    open_tickets = int(
        session.scalar(select(func.count()).select_from(Ticket).where(Ticket.status == "open"))
        or 0
    )
    rows = session.execute(
        select(Broadcast.id, Broadcast.total, Broadcast.sent, Broadcast.failed, Broadcast.blocked)
        .where(Broadcast.status.in_(["running", "paused"]))
        .order_by(Broadcast.id)
    ).all()
    broadcasts = {
        row.id: {
            "sent": row.sent,
            "failed": row.failed,
            "blocked": row.blocked,
            "queued": max(0, row.total - row.sent - row.failed - row.blocked),
        }
        for row in rows
    }
    return open_tickets, broadcasts


class MeteredProgramAPI(ProgramAPI):
    """The program API client with each public call timed and its outcome counted.

    ``core`` stays free of Prometheus: the bot wraps the client from the outside.
    """

    def __init__(self, metrics: BotMetrics, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.metrics = metrics

    @contextmanager
    def _measured(self, operation: str) -> Iterator[None]:
        began = time.perf_counter()
        error: BaseException | None = None
        try:
            yield
        except BaseException as exc:
            error = exc
            raise
        finally:
            self.metrics.program_api_call(
                operation, program_api_outcome(error), time.perf_counter() - began
            )

    async def list_gelombang(self) -> list[Gelombang]:
        """All gelombang (timed as ``list_gelombang``)."""
        with self._measured("list_gelombang"):
            return await super().list_gelombang()

    async def get_gelombang(self, nomor: int) -> Gelombang | None:
        """One gelombang (timed as ``get_gelombang``)."""
        with self._measured("get_gelombang"):
            return await super().get_gelombang(nomor)

    async def verify_applicant(self, nik: str, phone: str) -> str:
        """NIK + phone → reference (timed as ``verify_applicant``; neither is ever a label)."""
        with self._measured("verify_applicant"):
            return await super().verify_applicant(nik, phone)

    async def get_status(self, applicant_ref: str) -> ApplicantStatus:
        """A verified applicant's status (timed as ``get_status``)."""
        with self._measured("get_status"):
            return await super().get_status(applicant_ref)
