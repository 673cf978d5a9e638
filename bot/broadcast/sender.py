"""The broadcast sender: claims batches from the database and sends them at BROADCAST_RATE.

It runs inside the bot (and, to share a broadcast, in more processes: ``python -m
bot.broadcast``). It sends through its own lean HTTP client (``transport``), not PTB and
without PTB's rate limiter: its own pacing sets the rate, a 429 pauses every send
(``retry_after``), live replies take slots first, and senders that share a broadcast pace at
their share of the rate.
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
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from telegram import Bot
from telegram.error import BadRequest, TelegramError
from telegram.ext import ExtBot

from bot.bot_api import bot_arguments
from bot.broadcast import ui
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
from bot.broadcast.transport import Answer, SendClient
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
MAX_IN_FLIGHT = 16  # concurrent requests and kept-alive connections of the lean client
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


def join_seconds(rate: float, others: int) -> float:
    """How long a joining sender waits: until every other sender has counted it.

    The others re-read the number of live senders at their next heartbeat, which comes at
    the start of a batch at most HEARTBEAT_SECONDS after the last one; a batch lasts
    ``batch_size / rate`` at their share of the rate.
    """
    share = rate / max(1, others)
    return HEARTBEAT_SECONDS + batch_size(share) / share


class Sender:
    """Sends every running broadcast, batch by batch, and keeps the admin's progress current.

    Broadcast messages go out through :class:`SendClient` (lean JSON posts); the PTB ``bot`` only
    edits the admin's progress message and sends the summary.
    """

    def __init__(
        self,
        settings: Settings,
        db: Database,
        bot: Bot,
        payloads: PayloadStore,
        *,
        sender_id: str | None = None,
        client: SendClient | None = None,
    ) -> None:
        self.settings = settings
        self.store = BroadcastStore(db)
        self.bot = bot
        self.client = client or SendClient(bot.base_url, pool=MAX_IN_FLIGHT)
        self.payloads = payloads
        self.pacer = Pacer(settings.broadcast_rate)
        self.sender_id = sender_id or (
            f"{socket.gethostname()[:12]}-{os.getpid()}-{secrets.token_hex(3)}"
        )
        self.wake = asyncio.Event()
        self._stopped = asyncio.Event()
        self.rate_limited = 0  # 429 answers this process received
        self._stopping = False
        self._samples: dict[int, tuple[float, int]] = {}
        self._rates: dict[int, float] = {}
        self._throttle: dict[int, tuple[float, int]] = {}
        self._live_senders = 1
        self._beat_at = 0.0
        self._progress_at: dict[int, float] = {}
        self._in_flight = asyncio.Semaphore(MAX_IN_FLIGHT)

    @classmethod
    async def open(cls, settings: Settings, db: Database, payloads: PayloadStore) -> Sender:
        """A sender with its own Bot (progress edits) and HTTP pool (sends); close() ends them."""
        bot: ExtBot[None] = ExtBot(**bot_arguments(settings, pool=4))
        await bot.initialize()
        return cls(settings, db, bot, payloads)

    async def close(self) -> None:
        """Close the sender's connections (after :meth:`run` returned)."""
        await self.client.aclose()
        if isinstance(self.bot, ExtBot):
            with contextlib.suppress(Exception):
                await self.bot.shutdown()

    def kick(self) -> None:
        """Wake the loop now (a broadcast was started or resumed)."""
        self.wake.set()

    def stop(self) -> None:
        """Finish the batch in flight, then leave the loop."""
        self._stopping = True
        self._stopped.set()
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
        since_beat = time.monotonic() - self._beat_at
        if since_beat >= HEARTBEAT_SECONDS:
            self._live_senders = await self.store.heartbeat(self.sender_id, ALIVE)
            self._beat_at = time.monotonic()
            if since_beat > ALIVE.total_seconds() and self._live_senders > 1:
                # The others did not count this sender yet and still pace at their old share:
                # sending now would add this sender's share on top of the whole rate.
                wait = join_seconds(self.settings.broadcast_rate, self._live_senders - 1)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopped.wait(), wait)
                return True
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
        """Send to one recipient; every error becomes an outcome, never an exception.

        A 429 pauses every send and tries again; a group that became a supergroup
        (``migrate_to_chat_id``) is sent to at its new id once, and the new id is stored.
        """
        chat_id, moved = row.telegram_id, None
        async with self._in_flight:
            for _ in range(MAX_429_PER_SEND):
                try:
                    answer = await self.client.send(chat_id, b.html, b.photo, paid=row.paid)
                except Exception:
                    logger.exception("unexpected error sending broadcast %s", b.id)
                    return self._retry_or_fail(row, "error", moved)
                if answer.ok:
                    return Outcome(
                        row.id,
                        row.telegram_id,
                        SENT,
                        paid=row.paid,
                        message_id=answer.message_id,
                        new_telegram_id=moved,
                    )
                if answer.error_code == 429:
                    await self._rate_limited(b.id, token, answer.retry_after or 1.0)
                    await self.pacer.wait()
                    continue
                if answer.migrate_to_chat_id is not None and moved is None:
                    chat_id = moved = answer.migrate_to_chat_id
                    await self.pacer.wait()  # the re-send takes a slot of its own
                    continue
                return self._settle(row, answer, moved)
        # Telegram kept refusing: give the row back to the queue without spending an attempt.
        return Outcome(
            row.id,
            row.telegram_id,
            QUEUED,
            paid=row.paid,
            error="rate limited",
            counted_attempt=False,
            new_telegram_id=moved,
        )

    def _settle(self, row: Claimed, answer: Answer, moved: int | None) -> Outcome:
        """The outcome of an error answer: blocked, retried (no answer, 5xx) or failed."""
        if answer.network is not None:
            return self._retry_or_fail(row, answer.network, moved)
        if answer.error_code == 403:
            status, error = BLOCKED, "blocked"
        elif answer.chat_not_found:
            status, error = FAILED, "chat not found"
        else:
            status, error = FAILED, answer.description[:64]
        return Outcome(
            row.id, row.telegram_id, status, paid=row.paid, error=error, new_telegram_id=moved
        )

    def _retry_or_fail(self, row: Claimed, reason: str, moved: int | None = None) -> Outcome:
        """A timeout or network error: retry with backoff, up to MAX_ATTEMPTS in all."""
        attempts = row.attempts + 1
        if attempts >= MAX_ATTEMPTS:
            return Outcome(
                row.id, row.telegram_id, FAILED, paid=row.paid, error=reason, new_telegram_id=moved
            )
        return Outcome(
            row.id,
            row.telegram_id,
            QUEUED,
            paid=row.paid,
            error=reason,
            retry_at=utcnow() + timedelta(seconds=2**attempts),
            new_telegram_id=moved,
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
