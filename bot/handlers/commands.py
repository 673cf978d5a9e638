"""Slash commands: /start, /bantuan, /status, /langganan, /berhenti, /lupakan, /privasi."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot import texts
from bot.handlers.conversation import converse
from bot.rendering import escape
from bot.services import get_services


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet the applicant, say what the assistant can do and offer popular topics."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    await get_services(context).db.touch_user(user.id, user.language_code)
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
    """Explain what the bot stores and how to remove it."""
    if update.effective_message is not None:
        await update.effective_message.reply_text(texts.PRIVACY, parse_mode=ParseMode.HTML)


async def status(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Start a status check (the same path as asking "cek status saya")."""
    await converse(update, context, "/check_status")


async def subscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Subscribe to announcements of new gelombang."""
    await converse(update, context, "/subscribe_updates")


async def unsubscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stop announcements of new gelombang."""
    await converse(update, context, "/unsubscribe_updates")


async def forget(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Forget this account's status verification."""
    from bot.handlers.verification import forget_verification

    await forget_verification(update, context)


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
    "langganan": subscribe,
    "berhenti": unsubscribe,
    "lupakan": forget,
    "privasi": privacy,
}

# The menu shown by Telegram (set with setMyCommands at start-up).
MENU = [
    BotCommand("start", "Mulai dan lihat topik populer"),
    BotCommand("bantuan", "Apa saja yang bisa dibantu"),
    BotCommand("status", "Cek status kepesertaan (perlu verifikasi)"),
    BotCommand("langganan", "Kabari saya saat gelombang baru dibuka"),
    BotCommand("berhenti", "Berhenti langganan kabar gelombang"),
    BotCommand("lupakan", "Hapus verifikasi status dari bot ini"),
    BotCommand("privasi", "Cara bot ini menjaga datamu"),
]
