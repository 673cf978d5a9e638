"""The broadcast sender: claims batches from the database and sends them at BROADCAST_RATE.

It runs inside the bot (and, to share a broadcast, in more processes: ``python -m
bot.broadcast``). It sends through its own Bot without PTB's rate limiter: its own pacing sets
the rate, a 429 pauses every send (``retry_after``), and live replies take slots first.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import logging
import os
import secrets
import socket
import sys
import time
import warnings
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import Defaults, ExtBot
from telegram.request import HTTPXRequest

from bot.broadcast import content, ui
from bot.broadcast.pacing import Pacer
from bot.broadcast.store import (
    BLOCKED,
    DONE,
    FAILED,
    QUEUED,
    RUNNING,
    SENDS_PER_STAR,
    SENT,
    BroadcastStore,
    Claimed,
    Outcome,
)
from bot.config import Settings
from bot.db.database import Database
from bot.db.models import Broadcast, utcnow
from bot.rendering import PayloadStore

logger = logging.getLogger(__name__)

if importlib.util.find_spec("sniffio") is None:
    # httpcore tries `import sniffio` on every request; without the package each failed import
    # walks sys.path again (milliseconds per send at 1000/s). None makes the miss instant.
    sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]

PAID_RATE = 1000.0  # Telegram's limit with allow_paid_broadcast
LEASE = timedelta(seconds=20)  # a claimed batch returns to the queue after this if not recorded
ALIVE = timedelta(seconds=10)  # senders seen within this share the rate
MAX_ATTEMPTS = 3  # timeouts and network errors are retried this many times in all
MAX_429_PER_SEND = 20
PROGRESS_EVERY = timedelta(seconds=5)
HEARTBEAT_SECONDS = 2.0
MAX_IN_FLIGHT = 16  # concurrent requests and connections (httpcore's pool cost grows with both)
IDLE_SECONDS = 2.0
SEND_ENDPOINTS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendVoice",
        "sendSticker",
        "sendVideo",
        "sendAnimation",
        "sendAudio",
        "sendMediaGroup",
        "copyMessage",
        "forwardMessage",
    }
)


def batch_size(rate: float) -> int:
    """Rows claimed at once: about one second of sends (10..200); it is the in-flight bound."""
    return max(10, min(int(rate), 200))


def make_sender_bot(settings: Settings) -> ExtBot[None]:
    """A Bot for broadcast sends only: its own connections, no PTB rate limiter."""
    if settings.telegram_bot_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is required to send broadcasts")
    return ExtBot(
        token=settings.telegram_bot_token.get_secret_value(),
        base_url=settings.telegram_base_url,
        request=HTTPXRequest(
            connection_pool_size=MAX_IN_FLIGHT, read_timeout=15, connect_timeout=5
        ),
        defaults=Defaults(
            parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)
        ),
    )


def _retry_after(exc: RetryAfter) -> float:
    """``retry_after`` in seconds (PTB 22 warns that it will become a timedelta)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value: object = exc.retry_after
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)  # type: ignore[arg-type]


class Sender:
    """Sends every running broadcast, batch by batch, and keeps the admin's progress current."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        bot: Bot,
        payloads: PayloadStore,
        *,
        sender_id: str | None = None,
    ) -> None:
        self.settings = settings
        self.store = BroadcastStore(db)
        self.bot = bot
        self.payloads = payloads
        self.pacer = Pacer(settings.broadcast_rate)
        self.sender_id = sender_id or (
            f"{socket.gethostname()[:12]}-{os.getpid()}-{secrets.token_hex(3)}"
        )
        self.wake = asyncio.Event()
        self.rate_limited = 0  # 429 answers this process received
        self._stopping = False
        self._samples: dict[int, tuple[float, int]] = {}
        self._rates: dict[int, float] = {}
        self._throttle: dict[int, tuple[float, int]] = {}
        self._live_senders = 1
        self._beat_at = 0.0
        self._progress_at: dict[int, float] = {}
        self._in_flight = asyncio.Semaphore(MAX_IN_FLIGHT)

    def kick(self) -> None:
        """Wake the loop now (a broadcast was started or resumed)."""
        self.wake.set()

    def stop(self) -> None:
        """Finish the batch in flight, then leave the loop."""
        self._stopping = True
        self.wake.set()

    async def run(self) -> None:
        """Send until stopped; a restart resumes every running broadcast from the database."""
        logger.info("broadcast sender %s up at %.1f/s", self.sender_id, self.pacer.rate)
        try:
            while not self._stopping:
                worked = False
                try:
                    for broadcast_id in await self.store.running_ids():
                        if self._stopping:
                            break
                        worked = await self.step(broadcast_id) or worked
                except Exception:
                    logger.exception("broadcast sender hiccup; trying again shortly")
                    await asyncio.sleep(IDLE_SECONDS)
                    continue
                if not worked:
                    self.wake.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self.wake.wait(), IDLE_SECONDS)
        finally:
            with contextlib.suppress(Exception):
                await self.store.leave(self.sender_id)

    async def step(self, broadcast_id: int) -> bool:
        """Send one batch of a broadcast; False when there was nothing to send."""
        b = await self.store.get(broadcast_id)
        if b is None or b.status != RUNNING:
            return False
        if time.monotonic() - self._beat_at >= HEARTBEAT_SECONDS:
            self._live_senders = await self.store.heartbeat(self.sender_id, ALIVE)
            self._beat_at = time.monotonic()
        live = self._live_senders
        if b.throttled_until is not None:
            left = (b.throttled_until - utcnow()).total_seconds()
            if left > 0:
                self.pacer.pause(left)  # another sender met a 429
        budget_left = b.paid and b.paid_reserved < int(b.star_budget * SENDS_PER_STAR + 1e-9)
        rate = (PAID_RATE if budget_left else self.settings.broadcast_rate) / live
        token, rows = await self.store.claim(broadcast_id, batch_size(rate), LEASE)
        if not rows:
            finished = await self.store.finish_if_complete(broadcast_id)
            if finished:
                await self.report(broadcast_id)
            return False
        paid = rows[0].paid
        self.pacer.rate = (PAID_RATE if paid else self.settings.broadcast_rate) / live
        outcomes = await self._send_batch(b, token, rows)
        await self.store.record(broadcast_id, token, outcomes)
        await self._flush_throttle(broadcast_id)
        if len(rows) < batch_size(rate) and await self.store.finish_if_complete(broadcast_id):
            await self.report(broadcast_id)
        elif await self._progress_due(broadcast_id):
            await self.report(broadcast_id)
        return True

    async def _progress_due(self, broadcast_id: int) -> bool:
        """At most one progress edit every PROGRESS_EVERY, across all senders."""
        now = time.monotonic()
        if now - self._progress_at.get(broadcast_id, 0.0) < PROGRESS_EVERY.total_seconds():
            return False
        self._progress_at[broadcast_id] = now
        return await self.store.take_progress_slot(broadcast_id, PROGRESS_EVERY)

    async def _send_batch(
        self, b: Broadcast, token: str, rows: Sequence[Claimed]
    ) -> list[Outcome]:
        """Send a claimed batch, each send at its own slot, all concurrently in flight."""
        tasks: list[asyncio.Task[Outcome]] = []
        for row in rows:
            await self.pacer.wait()
            tasks.append(asyncio.create_task(self._deliver(b, token, row)))
        return list(await asyncio.gather(*tasks))

    async def _deliver(self, b: Broadcast, token: str, row: Claimed) -> Outcome:
        """Send to one recipient; every error becomes an outcome, never an exception."""
        extra = {"allow_paid_broadcast": True} if row.paid else {}
        for _ in range(MAX_429_PER_SEND):
            try:
                message = await content.deliver(
                    self.bot, row.telegram_id, b.html, b.photo, **extra
                )
                return Outcome(
                    row.id, row.telegram_id, SENT, paid=row.paid, message_id=message.message_id
                )
            except RetryAfter as exc:
                await self._rate_limited(b.id, token, _retry_after(exc))
                await self.pacer.wait()
            except Forbidden:
                return Outcome(row.id, row.telegram_id, BLOCKED, paid=row.paid, error="blocked")
            except ChatMigrated as exc:
                return Outcome(
                    row.id,
                    row.telegram_id,
                    QUEUED,
                    paid=row.paid,
                    error="migrated",
                    counted_attempt=False,
                    new_telegram_id=exc.new_chat_id,
                )
            except BadRequest as exc:
                reason = (
                    "chat not found" if "chat not found" in exc.message.lower() else exc.message
                )
                return Outcome(row.id, row.telegram_id, FAILED, paid=row.paid, error=reason[:64])
            except (TimedOut, NetworkError) as exc:
                return self._retry_or_fail(row, type(exc).__name__)
            except TelegramError as exc:
                return Outcome(
                    row.id, row.telegram_id, FAILED, paid=row.paid, error=exc.message[:64]
                )
            except Exception:
                logger.exception("unexpected error sending broadcast %s", b.id)
                return self._retry_or_fail(row, "error")
        # Telegram kept refusing: give the row back to the queue without spending an attempt.
        return Outcome(
            row.id,
            row.telegram_id,
            QUEUED,
            paid=row.paid,
            error="rate limited",
            counted_attempt=False,
        )

    def _retry_or_fail(self, row: Claimed, reason: str) -> Outcome:
        """A timeout or network error: retry with backoff, up to MAX_ATTEMPTS in all."""
        attempts = row.attempts + 1
        if attempts >= MAX_ATTEMPTS:
            return Outcome(row.id, row.telegram_id, FAILED, paid=row.paid, error=reason)
        return Outcome(
            row.id,
            row.telegram_id,
            QUEUED,
            paid=row.paid,
            error=reason,
            retry_at=utcnow() + timedelta(seconds=2**attempts),
        )

    async def _rate_limited(self, broadcast_id: int, token: str, seconds: float) -> None:
        """A 429: pause every send for ``retry_after`` and tell the other senders."""
        self.rate_limited += 1
        self.pacer.pause(seconds)
        until, count = self._throttle.get(broadcast_id, (0.0, 0))
        self._throttle[broadcast_id] = (max(until, time.time() + seconds), count + 1)
        if seconds > LEASE.total_seconds() / 2:
            await self.store.renew(token, LEASE + timedelta(seconds=seconds))
        logger.info("429 from Telegram: all broadcast sends pause for %.1f s", seconds)

    async def _flush_throttle(self, broadcast_id: int) -> None:
        """Write the batch's 429s (and the pause) to the broadcast row."""
        pending = self._throttle.pop(broadcast_id, None)
        if pending is None:
            return
        until, count = pending
        await self.store.note_rate_limited(broadcast_id, datetime.fromtimestamp(until, UTC), count)

    def _rate(self, b: Broadcast) -> float | None:
        """Settled recipients per second over the last progress interval."""
        now, done = time.monotonic(), b.sent + b.failed + b.blocked
        previous = self._samples.get(b.id)
        if previous is None or now - previous[0] >= 1.0:
            if previous is not None and now > previous[0]:
                self._rates[b.id] = (done - previous[1]) / (now - previous[0])
            self._samples[b.id] = (now, done)
        return self._rates.get(b.id)

    async def report(self, broadcast_id: int) -> None:
        """Edit the progress message; when the broadcast is over, send the summary once."""
        b = await self.store.get(broadcast_id)
        if b is None:
            return
        await edit_progress(self.bot, self.payloads, b, self._rate(b))
        if b.status in (DONE, "cancelled") and await self.store.take_summary(broadcast_id):
            if b.progress_chat_id is not None:
                with contextlib.suppress(TelegramError):
                    await self.bot.send_message(b.progress_chat_id, ui.summary_text(b))
            logger.info(
                "broadcast %s %s: %s sent, %s failed, %s blocked of %s",
                b.id,
                b.status,
                b.sent,
                b.failed,
                b.blocked,
                b.total,
            )


async def edit_progress(
    bot: Bot, payloads: PayloadStore, b: Broadcast, rate: float | None
) -> None:
    """Show the current counts in the admin's progress message (buttons while active)."""
    if b.progress_chat_id is None or b.progress_message_id is None:
        return
    try:
        await bot.edit_message_text(
            ui.progress_text(b, rate),
            chat_id=b.progress_chat_id,
            message_id=b.progress_message_id,
            reply_markup=ui.control_keyboard(payloads, b),
        )
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            logger.warning("could not update broadcast progress: %s", exc.message)
    except TelegramError as exc:
        logger.warning("could not update broadcast progress: %s", exc.message)
