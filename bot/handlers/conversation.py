"""Relaying applicants' text and button presses to Rasa; the bot's own buttons act directly."""

from __future__ import annotations

import contextlib
import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot import texts
from bot.dialogue import converse, record_activity, text_for_nlu
from bot.handlers import broadcast, handoff, staff, subscription
from bot.privacy import redact
from bot.rendering import BOT_ACTION
from bot.services import get_services

logger = logging.getLogger(__name__)

# Bot actions with a ``prefix:`` are dispatched here (they check the chat type themselves);
# those without one are subscription confirmations.
BOT_ACTIONS = {
    handoff.RATING_PREFIX: handoff.on_rating_button,  # r:<ticket>:<score|skip>
    "t": staff.on_card_button,  # t:claim:<ticket> / t:close:<ticket> in a staff group
    "bc": broadcast.on_action,  # bc:<action>:<broadcast> for admins
}


async def relay_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Forward an applicant's text message to Rasa (identifiers masked) and send the answers."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    text, had_identifiers = redact(message.text)
    if had_identifiers:
        # The identifier should not linger in the chat history either.
        with contextlib.suppress(TelegramError):
            await message.delete()
        await context.bot.send_message(message.chat_id, texts.ID_REDACTED)
    text = text_for_nlu(text)
    if not text:
        await record_activity(update, context)
        await context.bot.send_message(message.chat_id, texts.EMPTY_MESSAGE)
        return
    await converse(update, context, text)  # which also records the activity


async def relay_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Act on a pressed button; forged, malformed or expired buttons get a polite notice."""
    query = update.callback_query
    if query is None:
        return
    decoded = get_services(context).payloads.decode(query.data)
    chat = update.effective_chat
    if decoded is not None and decoded[0] == BOT_ACTION:
        prefix, _, rest = decoded[1].partition(":")
        action = BOT_ACTIONS.get(prefix) if rest else None
        if action is not None:
            await action(update, context, rest)
            return
    if decoded is None or chat is None or chat.type != "private":
        await query.answer(texts.EXPIRED_BUTTON)
        return
    await query.answer()
    kind, payload = decoded
    if kind == BOT_ACTION:
        await record_activity(update, context)
        await subscription.on_button(update, context, payload)
        return
    if await handoff.busy_with_ticket(update, context):
        await record_activity(update, context)
        return  # during a ticket nothing goes to Rasa
    await converse(update, context, payload)  # which also records the activity


async def edited_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Explain that edits are not re-processed; an edit that added an identifier is deleted."""
    message = update.effective_message
    if message is None:
        return
    if message.text is not None and redact(message.text)[1]:
        with contextlib.suppress(TelegramError):
            await message.delete()
        await context.bot.send_message(message.chat_id, texts.ID_REDACTED)
        return
    await context.bot.send_message(message.chat_id, texts.EDITED_MESSAGE)
