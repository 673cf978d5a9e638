"""Announcement subscriptions: the bot's own database decides, never a classification alone."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot import texts
from bot.dialogue import FollowUp
from bot.rendering import BOT_ACTION
from bot.services import get_services

logger = logging.getLogger(__name__)

SUBSCRIBE = "subscribe"
UNSUBSCRIBE = "unsubscribe"
KEEP = "keep"


async def _store(update: Update, context: ContextTypes.DEFAULT_TYPE, subscribed: bool) -> None:
    """Write the choice, then confirm it; a failed write is reported, never confirmed."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    try:
        was = await get_services(context).db.set_consent_updates(user.id, subscribed)
    except Exception:
        logger.exception("could not store a subscription choice (update %s)", update.update_id)
        await context.bot.send_message(chat.id, texts.STORAGE_DOWN)
        return
    if subscribed:
        answer = texts.ALREADY_SUBSCRIBED if was else texts.SUBSCRIBED
    else:
        answer = texts.UNSUBSCRIBED if was else texts.NOT_SUBSCRIBED
    await context.bot.send_message(chat.id, answer)


async def subscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/langganan: subscribe to announcements of new gelombang."""
    await _store(update, context, True)


async def unsubscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/berhenti: stop announcements of new gelombang."""
    await _store(update, context, False)


async def on_rasa_request(
    update: Update, context: ContextTypes.DEFAULT_TYPE, payload: dict[str, Any]
) -> FollowUp | None:
    """Rasa recognised the wish in words: ask to confirm with one tap (a misread flips nothing)."""
    chat = update.effective_chat
    if chat is None:
        return None
    wants = bool(payload.get("subscribed"))
    store = get_services(context).payloads
    action = SUBSCRIBE if wants else UNSUBSCRIBE
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    texts.BUTTON_SUBSCRIBE if wants else texts.BUTTON_UNSUBSCRIBE,
                    callback_data=store.encode(action, kind=BOT_ACTION),
                ),
                InlineKeyboardButton(
                    texts.BUTTON_KEEP, callback_data=store.encode(KEEP, kind=BOT_ACTION)
                ),
            ]
        ]
    )
    question = texts.CONFIRM_SUBSCRIBE if wants else texts.CONFIRM_UNSUBSCRIBE

    async def ask() -> None:
        await context.bot.send_message(chat.id, question, reply_markup=keyboard)

    return ask


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE, action: str) -> None:
    """A confirmation button was pressed: store the choice (or nothing) and close the question."""
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None:
        return
    if query.message is not None:
        # One answer per question: a second tap on the same buttons does nothing.
        with contextlib.suppress(TelegramError):
            await query.edit_message_reply_markup(reply_markup=None)
    if action == SUBSCRIBE:
        await _store(update, context, True)
    elif action == UNSUBSCRIBE:
        await _store(update, context, False)
    elif action == KEEP:
        await context.bot.send_message(chat.id, texts.KEPT_AS_IS)
    else:
        await context.bot.send_message(chat.id, texts.EXPIRED_BUTTON)
