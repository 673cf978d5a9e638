"""The broadcast machinery inside the bot: the sender task, the gelombang poller, start/stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from telegram import Bot
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes

from bot.broadcast import drafts, ui
from bot.broadcast.sender import SEND_ENDPOINTS, Sender
from bot.broadcast.store import BroadcastStore
from bot.config import Settings
from bot.db.database import Database
from bot.rendering import PayloadStore
from core.program_api import ProgramAPI

if TYPE_CHECKING:
    from bot.metrics import BotMetrics

logger = logging.getLogger(__name__)

BROADCASTER_KEY = "broadcaster"


@dataclass
class Broadcaster:
    """The sender (with its own Bot and HTTP pool) and the poller's program API client."""

    settings: Settings
    store: BroadcastStore
    sender: Sender
    live_bot: Bot
    payloads: PayloadStore
    program_api: ProgramAPI
    task: asyncio.Task[None] | None = None
    poll_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def start_broadcast(self, broadcast_id: int, progress_chat_id: int | None) -> int | None:
        """Materialise the recipients, post the progress message and wake the sender."""
        total = await self.store.start(broadcast_id, progress_chat_id)
        if total is None:
            return None
        b = await self.store.get(broadcast_id)
        if b is not None and progress_chat_id is not None:
            try:
                message = await self.live_bot.send_message(
                    progress_chat_id,
                    ui.progress_text(b, None),
                    reply_markup=ui.control_keyboard(self.payloads, b),
                )
                await self.store.set_progress_message(broadcast_id, message.message_id)
            except TelegramError as exc:
                logger.warning("could not post broadcast progress: %s", exc.message)
        self.sender.kick()
        logger.info("broadcast %s started for %s recipients", broadcast_id, total)
        return total

    async def auto_start(self, broadcast_id: int) -> None:
        """AUTO_ANNOUNCE: start a draft with its progress shown to the first admin."""
        admins = self.settings.admin_user_ids
        await self.start_broadcast(broadcast_id, admins[0] if admins else None)

    async def poll(self) -> list[int]:
        """One look at the program API's gelombang (never two at once)."""
        async with self.poll_lock:
            return await drafts.poll_once(
                self.settings,
                self.store,
                self.program_api,
                self.live_bot,
                self.payloads,
                start=self.auto_start,
            )


def get_broadcaster(context: ContextTypes.DEFAULT_TYPE) -> Broadcaster:
    """The broadcaster stored in ``bot_data``."""
    broadcaster = context.bot_data[BROADCASTER_KEY]
    assert isinstance(broadcaster, Broadcaster)
    return broadcaster


async def poll_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The repeating job: every BATCH_POLL_SECONDS."""
    try:
        await get_broadcaster(context).poll()
    except Exception:
        logger.exception("gelombang poll failed; it runs again at the next interval")


async def start_broadcasting(
    application: Application[Any, Any, Any, Any, Any, Any],
    settings: Settings,
    db: Database,
    payloads: PayloadStore,
    metrics: BotMetrics | None = None,
) -> Broadcaster:
    """Start the sender (it resumes running broadcasts) and the poller (after a first poll)."""
    sender = await Sender.open(settings, db, payloads)
    api_args = (settings.program_api_url, settings.program_api_token.get_secret_value())
    api_options: dict[str, Any] = {"timeout": settings.program_api_timeout, "cache_ttl": 0}
    program_api: ProgramAPI
    if metrics is None:
        program_api = ProgramAPI(*api_args, **api_options)
    else:
        from bot.metrics import MeteredProgramAPI

        program_api = MeteredProgramAPI(metrics, *api_args, **api_options)
    broadcaster = Broadcaster(
        settings=settings,
        store=BroadcastStore(db),
        sender=sender,
        live_bot=application.bot,
        payloads=payloads,
        program_api=program_api,
    )
    application.bot_data[BROADCASTER_KEY] = broadcaster
    observers = getattr(application.bot, "send_observers", None)
    if isinstance(observers, list):
        # Live replies take broadcast slots, so they never wait behind a broadcast.
        observers.append(
            lambda endpoint: sender.pacer.note_live_send() if endpoint in SEND_ENDPOINTS else None
        )
    broadcaster.task = asyncio.create_task(sender.run(), name="broadcast-sender")
    try:
        await broadcaster.poll()  # the first poll stores the baseline before anyone can act
    except Exception:
        logger.exception("first gelombang poll failed")
    if application.job_queue is not None:
        interval = timedelta(seconds=settings.batch_poll_seconds)
        application.job_queue.run_repeating(poll_job, interval=interval, first=interval)
    return broadcaster


async def stop_broadcasting(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Let the batch in flight finish (briefly), then close the sender's connections."""
    broadcaster = application.bot_data.get(BROADCASTER_KEY)
    if not isinstance(broadcaster, Broadcaster):
        return
    broadcaster.sender.stop()
    if broadcaster.task is not None:
        try:
            await asyncio.wait_for(asyncio.shield(broadcaster.task), 10)
        except (TimeoutError, Exception):
            broadcaster.task.cancel()
            with contextlib.suppress(BaseException):
                await broadcaster.task
    await broadcaster.program_api.aclose()
    await broadcaster.sender.close()
