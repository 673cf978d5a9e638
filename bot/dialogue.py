"""Talking to Rasa on an applicant's behalf and delivering its answers.

Handlers call :func:`converse`; Rasa's ``custom`` payloads are acted on by the effects registered
in ``Services.custom_effects`` (see ``bot/handlers/custom.py``), so this module depends on no
handler and the handlers do not depend on each other in a cycle.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import unicodedata
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import ContextTypes
from telegram.warnings import PTBUserWarning

from bot import texts
from bot.rasa_client import BotMessage, RasaUnavailable
from bot.rendering import OutgoingMessage, escape, render
from bot.resilient_bot import ResilientBot
from bot.services import get_services

logger = logging.getLogger(__name__)

# Long messages keep their beginning (context) and their end (usually the question).
MAX_FORWARDED_CHARS = 2000
# send() calls the raw sendMessage on purpose (see there); PTB suggests the wrapper each time
warnings.filterwarnings(
    "ignore", message=r"Please use 'Bot\.sendMessage'", category=PTBUserWarning
)

TYPING_REFRESH_SECONDS = 4.5
# "typing…" only when an answer is slow: most answers arrive well before this, and a chat action
# per message would double the requests to Telegram
TYPING_DELAY_SECONDS = 0.8

# Sentence boundaries: end punctuation followed by white space, or line breaks (never the dots
# inside "Rp3.500.000").
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|\s*\n\s*")

FollowUp = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class Instead:
    """An effect's follow-up sent instead of Rasa's messages of this turn.

    Rasa's channel sends an utterance's text and its custom payload as separate messages, so
    the replacement covers the whole answer (e.g. the official channels once a ticket opened).
    """

    send: FollowUp


# An effect applies a custom payload's state change and may return what to send after the text
# (or, wrapped in ``Instead``, in place of Rasa's text).
CustomEffect = Callable[
    [Update, ContextTypes.DEFAULT_TYPE, dict[str, Any]], Awaitable[FollowUp | Instead | None]
]


def sender_id(context: ContextTypes.DEFAULT_TYPE, telegram_user_id: int) -> str:
    """The pseudonymous Rasa sender id of a Telegram user."""
    return get_services(context).sender_id(telegram_user_id)


def text_for_nlu(text: str, limit: int = MAX_FORWARDED_CHARS) -> str:
    """User text as Rasa may see it: never intent syntax, and at most ``limit`` characters.

    Rasa reads a message that starts with ``/`` as an intent (``/status_verified{...}``), so the
    leading slashes are dropped (after NFKC, which turns a full-width slash into ``/``); only the
    bot itself sends intents.
    """
    text = unicodedata.normalize("NFKC", text).strip()
    while text.startswith("/"):
        text = text.lstrip("/").strip()
    text = _without_repeats(text)
    if len(text) <= limit:
        return text
    half = (limit - 3) // 2
    return f"{text[:half].rstrip()} … {text[-half:].lstrip()}"


def _without_repeats(text: str) -> str:
    """Drop sentences that repeat the one before them (pasted or stuck-key text drowns the NLU)."""
    kept: list[str] = []
    previous = None
    for sentence in _SENTENCE_BREAK.split(text):
        key = " ".join(sentence.lower().split()).rstrip(".!? ")
        if not key or key == previous:
            continue
        kept.append(sentence.strip())
        previous = key
    return " ".join(kept) if kept else text


async def record_activity(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Note that the user was seen; the conversation goes on even when the database hiccups."""
    user = update.effective_user
    if user is None:
        return
    try:
        await get_services(context).db.touch_user(user.id, user.language_code)
    except Exception:
        logger.exception("could not record user activity (update %s)", update.update_id)


async def converse(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    text: str,
    *,
    applicant_ref: str | None = None,
) -> None:
    """Send ``text`` to Rasa as this user and deliver every answer (the user is noted as seen)."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    services = get_services(context)
    metadata: dict[str, Any] = {
        "telegram": {"language_code": user.language_code, "chat_type": chat.type}
    }
    if applicant_ref is not None:
        metadata["applicant_ref"] = applicant_ref
    # The user row is written (first contact, then every few minutes) while Rasa works, not
    # before: nothing on the way to Rasa reads it, and the answer's effects (a subscription, a
    # ticket) run after the write, so they never race it for the row.
    recording = None
    if not services.db.seen_recently(user.id, user.language_code):
        recording = asyncio.create_task(record_activity(update, context))
    async with typing(context, chat.id):
        try:
            answers = await services.rasa.send_message(sender_id(context, user.id), text, metadata)
        except RasaUnavailable as exc:
            logger.warning("Rasa unavailable for update %s: %s", update.update_id, exc)
            await context.bot.send_message(chat.id, texts.RASA_DOWN)
            return
        finally:
            if recording is not None:
                await recording
    if not answers:
        # Rasa answers nothing when a custom action failed (e.g. the action server is down).
        await context.bot.send_message(chat.id, texts.NO_ANSWER)
        return
    await deliver(update, context, answers)


async def deliver(
    update: Update, context: ContextTypes.DEFAULT_TYPE, answers: list[BotMessage]
) -> None:
    """Apply Rasa's custom payloads, then send its messages, then the effects' follow-ups.

    A payload's state change happens before the text that announces it is sent; when it fails,
    that text is not sent and the applicant hears an apology instead.
    """
    chat = update.effective_chat
    if chat is None:
        return
    services = get_services(context)
    follow_ups: list[FollowUp] = []
    replaced = False
    for answer in answers:
        if answer.custom is None:
            continue
        kind = answer.custom.get("type")
        effect = services.custom_effects.get(kind) if isinstance(kind, str) else None
        if effect is None:
            logger.info("ignoring custom payload of type %r", kind)
            continue
        try:
            follow_up = await effect(update, context, answer.custom)
        except Exception:
            logger.exception("custom payload %r failed (update %s)", kind, update.update_id)
            await context.bot.send_message(chat.id, texts.UNEXPECTED_ERROR)
            return
        if isinstance(follow_up, Instead):
            replaced = True
            follow_ups.append(follow_up.send)
        elif follow_up is not None:
            follow_ups.append(follow_up)
    for outgoing in render([] if replaced else answers, services.payloads):
        await send(context, chat.id, outgoing)
    for follow_up in follow_ups:
        await follow_up()


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
                    api_kwargs={"reply_markup": outgoing.keyboard} if outgoing.keyboard else None,
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
        # the raw API call: nothing reads the sent Message, and building it (Message.de_json)
        # was about a tenth of the bot's CPU per answer; errors are raised exactly as before
        api_kwargs: dict[str, Any] = {
            "chat_id": chat_id,
            "text": outgoing.html,
            "parse_mode": ParseMode.HTML,
            "link_preview_options": {"is_disabled": True},
        }
        if outgoing.keyboard is not None:
            api_kwargs["reply_markup"] = outgoing.keyboard
        bot = context.bot
        if isinstance(bot, ResilientBot):
            await bot.call("sendMessage", api_kwargs)
        else:
            await bot.do_api_request("sendMessage", api_kwargs=api_kwargs)
    except Forbidden:
        logger.info("a chat blocked the bot")
        await get_services(context).db.set_blocked(chat_id, True)


@contextlib.asynccontextmanager
async def typing(context: ContextTypes.DEFAULT_TYPE, chat_id: int) -> AsyncIterator[None]:
    """Show "typing…" if the block takes longer than a moment, until it finishes."""

    async def _keep_typing() -> None:
        while True:
            with contextlib.suppress(TelegramError):
                await context.bot.send_chat_action(chat_id, ChatAction.TYPING)
            await asyncio.sleep(TYPING_REFRESH_SECONDS)

    # A timer, not a sleeping task: most answers come well before it fires, and cancelling a
    # timer costs nothing, while a cancelled task needs one more turn of the event loop.
    task: asyncio.Task[None] | None = None

    def _start() -> None:
        nonlocal task
        task = asyncio.create_task(_keep_typing())

    timer = asyncio.get_running_loop().call_later(TYPING_DELAY_SECONDS, _start)
    try:
        yield
    finally:
        timer.cancel()
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
