"""Relaying applicants' text and button presses to Rasa and delivering its answers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from telegram import Update
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import ContextTypes

from bot import texts
from bot.privacy import rasa_sender_id, redact
from bot.rasa_client import BotMessage, RasaUnavailable
from bot.rendering import OutgoingMessage, escape, render
from bot.services import get_services

logger = logging.getLogger(__name__)

# Long messages keep their beginning (context) and their end (usually the question).
MAX_FORWARDED_CHARS = 2000
TYPING_REFRESH_SECONDS = 4.5


async def relay_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Forward an applicant's text message to Rasa and send the answers."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    text, had_identifiers = redact(message.text)
    if had_identifiers:
        await message.reply_text(texts.ID_REDACTED)
        # The identifier should not linger in the chat history either (after the reply, which
        # may quote the message).
        with contextlib.suppress(TelegramError):
            await message.delete()
    await converse(update, context, shorten_for_nlu(text))


async def relay_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send a pressed button's payload to Rasa; expired or forged buttons get a polite notice."""
    query = update.callback_query
    if query is None:
        return
    payload = get_services(context).payloads.decode(query.data)
    if payload is None or update.effective_chat is None:
        await query.answer(texts.EXPIRED_BUTTON)
        return
    await query.answer()
    if update.effective_chat.type != "private":
        return
    await converse(update, context, payload)


async def edited_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Explain that edits are not re-processed."""
    if update.effective_chat is not None:
        await context.bot.send_message(update.effective_chat.id, texts.EDITED_MESSAGE)


async def converse(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    text: str,
    *,
    applicant_ref: str | None = None,
) -> None:
    """Send ``text`` to Rasa as this user and deliver every answer."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    services = get_services(context)
    try:
        await services.db.touch_user(user.id, user.language_code)
    except Exception:  # the conversation must go on even when the database hiccups
        logger.exception("could not record user activity (update %s)", update.update_id)

    metadata: dict[str, Any] = {
        "telegram": {"language_code": user.language_code, "chat_type": chat.type}
    }
    if applicant_ref is not None:
        metadata["applicant_ref"] = applicant_ref
    sender = rasa_sender_id(services.settings.effective_privacy_key, user.id)
    async with typing(context, chat.id):
        try:
            answers = await services.rasa.send_message(sender, text, metadata)
        except RasaUnavailable as exc:
            logger.warning("Rasa unavailable for update %s: %s", update.update_id, exc)
            await context.bot.send_message(chat.id, texts.RASA_DOWN)
            return
    if not answers:
        # Rasa answers nothing when a custom action failed (e.g. the action server is down).
        await context.bot.send_message(chat.id, texts.NO_ANSWER)
        return
    await deliver(update, context, answers)


async def deliver(
    update: Update, context: ContextTypes.DEFAULT_TYPE, answers: list[BotMessage]
) -> None:
    """Send Rasa's answers in order, acting on custom payloads where they appear."""
    from bot.handlers.custom import handle_custom  # late import: custom flows call converse()

    chat = update.effective_chat
    if chat is None:
        return
    services = get_services(context)
    for answer in answers:
        for outgoing in render([answer], services.payloads):
            await send(context, chat.id, outgoing)
        if answer.custom is not None:
            await handle_custom(update, context, answer.custom)


async def send(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, outgoing: OutgoingMessage
) -> None:
    """Send one rendered message; a broken image falls back to its caption as text."""
    try:
        if outgoing.photo:
            try:
                await context.bot.send_photo(
                    chat_id,
                    outgoing.photo,
                    caption=outgoing.html or None,
                    parse_mode=ParseMode.HTML,
                    reply_markup=outgoing.keyboard,
                )
                return
            except BadRequest:
                logger.warning("image could not be sent; sending its caption as text")
                if not outgoing.html and outgoing.keyboard is None:
                    return
                outgoing = OutgoingMessage(
                    html=outgoing.html or escape(texts.UNEXPECTED_ERROR),
                    keyboard=outgoing.keyboard,
                )
        await context.bot.send_message(
            chat_id, outgoing.html, parse_mode=ParseMode.HTML, reply_markup=outgoing.keyboard
        )
    except Forbidden:
        logger.info("chat %s blocked the bot", chat_id)
        await get_services(context).db.set_blocked(chat_id, True)


@contextlib.asynccontextmanager
async def typing(context: ContextTypes.DEFAULT_TYPE, chat_id: int) -> AsyncIterator[None]:
    """Show "typing…" until the block finishes (Telegram clears it after about 5 s)."""

    async def _keep_typing() -> None:
        while True:
            with contextlib.suppress(TelegramError):
                await context.bot.send_chat_action(chat_id, ChatAction.TYPING)
            await asyncio.sleep(TYPING_REFRESH_SECONDS)

    task = asyncio.create_task(_keep_typing())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def shorten_for_nlu(text: str, limit: int = MAX_FORWARDED_CHARS) -> str:
    """Keep the head and the tail of a very long message within ``limit`` characters."""
    text = text.strip()
    if len(text) <= limit:
        return text
    half = (limit - 3) // 2
    return f"{text[:half].rstrip()} … {text[-half:].lstrip()}"
