"""Automatic drafts: new or newly open gelombang in the program API become announcements."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from telegram import Bot
from telegram.error import TelegramError

from bot import texts
from bot.broadcast import ui
from bot.broadcast.store import BroadcastStore
from bot.config import Settings
from bot.rendering import PayloadStore
from core.formatting import format_datetime_wib
from core.program_api import Gelombang, ProgramAPI, ProgramAPIError

logger = logging.getLogger(__name__)


def event_key(g: Gelombang) -> str | None:
    """The announceable event of a gelombang: it opened, or it was announced with dates."""
    if g.status == "open":
        return f"gelombang:{g.nomor}:open"
    if g.status == "upcoming" and g.dibuka is not None and g.ditutup is not None:
        return f"gelombang:{g.nomor}:upcoming"
    return None


def draft_html(g: Gelombang) -> str:
    """The announcement in Indonesian: number, dates in WIB, how to join, the official link."""
    title = texts.GELOMBANG_OPEN_TITLE if g.status == "open" else texts.GELOMBANG_UPCOMING_TITLE
    return "\n\n".join(
        [
            title.format(nomor=g.nomor),
            texts.GELOMBANG_DATES.format(
                dibuka=format_datetime_wib(g.dibuka), ditutup=format_datetime_wib(g.ditutup)
            ),
            texts.GELOMBANG_HOW_TO_JOIN.format(nomor=g.nomor),
            texts.GELOMBANG_OFFICIAL_LINK,
        ]
    )


async def poll_once(
    settings: Settings,
    store: BroadcastStore,
    program_api: ProgramAPI,
    bot: Bot,
    payloads: PayloadStore,
    start: Callable[[int], Awaitable[None]] | None = None,
) -> list[int]:
    """Look at the gelombang list once; draft (or, with AUTO_ANNOUNCE, start) what is new.

    ``start`` starts a broadcast (AUTO_ANNOUNCE); the ids of the drafts created are returned.
    """
    program_api.invalidate_cache()  # the poller needs fresh data, not the 60 s cache
    try:
        items = await program_api.list_gelombang()
    except ProgramAPIError as exc:
        logger.warning("gelombang poll failed: %s", type(exc).__name__)
        return []
    events = {key: g for g in items if (key := event_key(g)) is not None}
    created: list[int] = []
    for key in await store.new_events(list(events)):
        g = events[key]
        broadcast_id = await store.draft_for_event(
            key,
            draft_html(g),
            paid=settings.broadcast_paid,
            star_budget=settings.broadcast_star_budget,
        )
        if broadcast_id is None:
            continue  # another process took this event
        created.append(broadcast_id)
        logger.info("drafted broadcast %s for %s", broadcast_id, key)
        if settings.auto_announce and start is not None:
            await start(broadcast_id)
            continue
        await offer_to_admins(settings, store, bot, payloads, broadcast_id)
    return created


async def offer_to_admins(
    settings: Settings, store: BroadcastStore, bot: Bot, payloads: PayloadStore, broadcast_id: int
) -> None:
    """Send the draft's preview with Kirim / Batal to every admin."""
    b = await store.get(broadcast_id)
    if b is None:
        return
    recipients = await store.count_subscribers()
    for admin in settings.admin_user_ids:
        try:
            await ui.send_preview(bot, admin, b, recipients, payloads)
        except TelegramError as exc:
            logger.warning("could not offer draft %s to an admin: %s", broadcast_id, exc.message)
