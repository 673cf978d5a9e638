"""Admins' broadcasts: /siaran with a preview and Kirim/Batal, controls, /siaran_status."""

from __future__ import annotations

import contextlib
import logging

from telegram import Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot import texts
from bot.broadcast import content, ui
from bot.broadcast.runtime import get_broadcaster
from bot.broadcast.sender import edit_progress
from bot.broadcast.store import CANCELLED, DRAFT, PAUSED, RUNNING
from bot.services import get_services

logger = logging.getLogger(__name__)

COMPOSING = "broadcast_composing"  # user_data flag: the admin's next message is the broadcast


def is_admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Whether the sender is in ADMIN_USER_IDS."""
    user = update.effective_user
    return user is not None and user.id in get_services(context).settings.admin_user_ids


async def siaran(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/siaran <teks>: preview a broadcast; /siaran alone: the next message is the broadcast."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None:
        return
    if not is_admin(update, context):
        await context.bot.send_message(chat.id, texts.BROADCAST_NOT_ADMIN)
        return
    parts = (message.text or "").split(maxsplit=1)
    if len(parts) < 2:
        if context.user_data is not None:
            context.user_data[COMPOSING] = True
        await context.bot.send_message(chat.id, texts.BROADCAST_ASK)
        return
    await preview(update, context, parts[1], None)


async def on_composed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """After a bare /siaran, the admin's next text or photo becomes the broadcast."""
    message = update.effective_message
    data = context.user_data
    if message is None or data is None or not data.get(COMPOSING) or not is_admin(update, context):
        return
    data.pop(COMPOSING, None)
    if message.photo:
        await preview(update, context, message.caption or "", message.photo[-1].file_id)
    else:
        await preview(update, context, message.text or "", None)
    raise ApplicationHandlerStop  # the content is not a question for Rasa


async def preview(
    update: Update, context: ContextTypes.DEFAULT_TYPE, body_html: str, photo: str | None
) -> None:
    """Validate, store a draft and show it exactly as subscribers will see it."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return
    problem = content.validate(body_html, caption=photo is not None)
    if problem is not None:
        await context.bot.send_message(chat.id, problem)
        return
    broadcaster = get_broadcaster(context)
    settings = broadcaster.settings
    broadcast_id = await broadcaster.store.create(
        body_html.strip(),
        photo,
        created_by=user.id,
        paid=settings.broadcast_paid,
        star_budget=settings.broadcast_star_budget,
    )
    b = await broadcaster.store.get(broadcast_id)
    assert b is not None
    recipients = await broadcaster.store.count_subscribers()
    try:
        await ui.send_preview(context.bot, chat.id, b, recipients, broadcaster.payloads)
    except BadRequest as exc:
        # Telegram is the final judge of the HTML: a refused preview is never sent to anyone.
        await broadcaster.store.transition(broadcast_id, [DRAFT], CANCELLED)
        await context.bot.send_message(
            chat.id, texts.BROADCAST_PREVIEW_FAILED.format(reason=exc.message)
        )


async def siaran_status(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/siaran_status: the recent broadcasts and their counts."""
    chat = update.effective_chat
    if chat is None:
        return
    if not is_admin(update, context):
        await context.bot.send_message(chat.id, texts.BROADCAST_NOT_ADMIN)
        return
    recent = await get_broadcaster(context).store.recent(10)
    if not recent:
        await context.bot.send_message(chat.id, texts.BROADCAST_STATUS_EMPTY)
        return
    lines = [texts.BROADCAST_STATUS_TITLE, *(ui.status_line(b) for b in recent)]
    await context.bot.send_message(chat.id, "\n".join(lines))


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE, payload: str) -> None:
    """Kirim / Batal under a preview; Jeda / Lanjutkan / Hentikan under the progress."""
    query, chat = update.callback_query, update.effective_chat
    parsed = ui.parse_action(payload)
    if query is None or chat is None or parsed is None:
        return
    if not is_admin(update, context):
        await context.bot.send_message(chat.id, texts.BROADCAST_NOT_ADMIN)
        return
    verb, broadcast_id = parsed
    broadcaster = get_broadcaster(context)
    store = broadcaster.store
    if verb in (ui.SEND, ui.DROP):
        with contextlib.suppress(TelegramError):
            await query.edit_message_reply_markup(reply_markup=None)
        if verb == ui.SEND:
            started = await broadcaster.start_broadcast(broadcast_id, chat.id)
        else:
            started = None
            if await store.transition(broadcast_id, [DRAFT], CANCELLED):
                await context.bot.send_message(
                    chat.id, texts.BROADCAST_DROPPED.format(id=broadcast_id)
                )
                return
        if started is None:
            b = await store.get(broadcast_id)
            state = ui.STATE_NAMES.get(b.status, b.status) if b else "-"
            await context.bot.send_message(
                chat.id, texts.BROADCAST_ALREADY_HANDLED.format(id=broadcast_id, state=state)
            )
        return
    moves = {ui.PAUSE: ([RUNNING], PAUSED), ui.RESUME: ([PAUSED], RUNNING)}
    moves[ui.STOP] = ([RUNNING, PAUSED], CANCELLED)
    sources, target = moves[verb]
    if await store.transition(broadcast_id, sources, target):
        logger.info("broadcast %s: %s by an admin", broadcast_id, target)
        if target == RUNNING:
            broadcaster.sender.kick()
        if target == CANCELLED:
            await broadcaster.sender.report(broadcast_id)
            return
    b = await store.get(broadcast_id)
    if b is not None:
        await edit_progress(context.bot, broadcaster.payloads, b, None)


async def on_action(update: Update, context: ContextTypes.DEFAULT_TYPE, rest: str) -> None:
    """A ``bc:<rest>`` bot action from a prefix table: private chats only, then ``on_button``."""
    query, chat = update.callback_query, update.effective_chat
    if query is None:
        return
    if chat is None or chat.type != "private":
        await query.answer(texts.EXPIRED_BUTTON)
        return
    await query.answer()
    await on_button(update, context, ui.PREFIX + rest)
