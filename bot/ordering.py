"""Keeping each user's updates in order while different users are served concurrently."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Coroutine
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import BaseUpdateProcessor

from bot import texts
from bot.flood import FloodGate

if TYPE_CHECKING:
    from bot.metrics import BotMetrics

logger = logging.getLogger(__name__)
update_log = logging.getLogger("bot.updates")


async def _timed(
    update: object, coroutine: Awaitable[Any], began: float, metrics: BotMetrics | None = None
) -> None:
    """Await the update's handling; log its id and latency (since ``began``) once done."""
    try:
        if metrics is None:
            await coroutine
        else:
            with metrics.handling(began):  # replies sent meanwhile count for this update
                await coroutine
    finally:
        if isinstance(update, Update):
            latency_ms = round((time.monotonic() - began) * 1000)
            update_log.info(
                "update %s handled in %d ms",
                update.update_id,
                latency_ms,
                extra={"update_id": update.update_id, "latency_ms": latency_ms},
            )


def update_key(update: object) -> int | None:
    """The key whose updates must stay ordered: the user, else the chat; None for the rest."""
    if isinstance(update, Update):
        if update.effective_user is not None:
            return update.effective_user.id
        if update.effective_chat is not None:
            return update.effective_chat.id
    return None


def is_from_person(update: object) -> bool:
    """Updates a person sends (messages, edits, button presses); flood control applies to these."""
    return isinstance(update, Update) and (
        update.message is not None
        or update.edited_message is not None
        or update.callback_query is not None
    )


class PerUserUpdateProcessor(BaseUpdateProcessor):
    """Serialises updates per user; a user's lock is taken *before* a working slot.

    PTB's own semaphore (``process_update`` is final) only bounds how many updates may wait; the
    real limit is ``self._slots``, taken after the user's lock, so a user who floods the
    bot waits on their own lock and does not hold slots that other users' updates need.
    """

    def __init__(
        self,
        max_concurrent_updates: int = 64,
        max_waiting_updates: int = 4096,
        flood: FloodGate | None = None,
        exempt_chats: frozenset[int] = frozenset(),
        metrics: BotMetrics | None = None,
    ) -> None:
        super().__init__(max_waiting_updates)
        self._metrics = metrics
        self._slots = asyncio.Semaphore(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiters: dict[int, int] = {}
        self._flood = flood
        # Staff groups: staff answer many tickets quickly and are not throttled like applicants.
        self._exempt_chats = exempt_chats
        self._notices: set[asyncio.Task[None]] = set()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run the update after earlier updates of the same user have finished."""
        began = time.monotonic()  # latency includes waiting behind the user's earlier updates
        metrics = self._metrics
        if metrics is not None:
            metrics.update_received(update)
        key = update_key(update)
        if key is None:
            async with self._slots:
                await _timed(update, coroutine, began, metrics)
            return
        if self._flood is not None and is_from_person(update) and not self._is_exempt(update):
            if not self._flood.admit(key, self._waiters.get(key, 0)):
                if isinstance(coroutine, Coroutine):
                    coroutine.close()  # refused before it started: nothing to undo
                if metrics is not None:
                    metrics.flood_refused()
                if self._flood.should_warn(key):
                    self._warn(update)
                return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiters[key] = self._waiters.get(key, 0) + 1
        try:
            async with lock, self._slots:
                await _timed(update, coroutine, began, metrics)
        finally:
            self._waiters[key] -= 1
            if self._waiters[key] == 0:  # forget idle users so the maps stay small
                del self._waiters[key]
                del self._locks[key]

    def _is_exempt(self, update: object) -> bool:
        """Updates from the staff groups skip flood control."""
        chat = update.effective_chat if isinstance(update, Update) else None
        return chat is not None and chat.id in self._exempt_chats

    def _warn(self, update: object) -> None:
        """Tell a flooding user once, without holding up the updates of anyone else."""
        assert isinstance(update, Update)
        chat = update.effective_chat
        if chat is None or chat.type != "private":
            return
        logger.info("flood control refused updates of one user (update %s)", update.update_id)

        async def _notice() -> None:
            with contextlib.suppress(TelegramError):
                await update.get_bot().send_message(chat.id, texts.SLOW_DOWN)

        task = asyncio.create_task(_notice())
        self._notices.add(task)
        task.add_done_callback(self._notices.discard)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""
