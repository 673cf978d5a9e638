"""Slash commands: /start, /bantuan, /status, /langganan, /berhenti, /lupakan, /privasi."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot import texts
from bot.dialogue import record_activity
from bot.handlers import forget, subscription, verification
from bot.rendering import escape
from bot.services import get_services


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet the applicant, say what the assistant can do and offer popular topics."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    await record_activity(update, context)
    name = f", {escape(user.first_name)}" if user.first_name else ""
    store = get_services(context).payloads
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(title, callback_data=store.encode(payload))]
            for title, payload in texts.TOPIC_BUTTONS
        ]
    )
    await message.reply_text(
        texts.START.format(name=name), parse_mode=ParseMode.HTML, reply_markup=keyboard
    )


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List what the assistant can do and its commands."""
    if update.effective_message is not None:
        await update.effective_message.reply_text(texts.HELP, parse_mode=ParseMode.HTML)


async def privacy(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Explain what the bot stores, for how long, and how to remove it."""
    if update.effective_message is not None:
        settings = get_services(context).settings
        await update.effective_message.reply_text(
            texts.PRIVACY.format(
                window=settings.verification_window_minutes, days=settings.retention_days
            ),
            parse_mode=ParseMode.HTML,
        )


async def status(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Start a status check (the bot's own identity check, then Rasa shows the status)."""
    await record_activity(update, context)
    await verification.start(update, context)


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer commands the bot does not know (and keep them away from Rasa)."""
    if update.effective_message is not None:
        await update.effective_message.reply_text(texts.UNKNOWN_COMMAND)


Callback = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]

COMMANDS: dict[str, Callback] = {
    "start": start,
    "bantuan": help_command,
    "help": help_command,
    "status": status,
    "langganan": subscription.subscribe,
    "berhenti": subscription.unsubscribe,
    "lupakan": forget.forget,
    "privasi": privacy,
}

# The menu shown by Telegram (set with setMyCommands at start-up).
MENU = [BotCommand(name, description) for name, description in texts.MENU_COMMANDS]
