"""Publishing the command menu and the bot's descriptions at start-up."""

from __future__ import annotations

import logging

from telegram import Bot, BotCommandScopeAllPrivateChats
from telegram.error import TelegramError

from bot.handlers.commands import MENU

logger = logging.getLogger(__name__)

DESCRIPTION = (
    "Asisten Prakerja menjawab pertanyaan seputar Kartu Prakerja: jadwal gelombang, syarat, cara "
    "daftar, insentif, pelatihan, dan status kepesertaan. Asisten tidak resmi; pendaftaran hanya "
    "di www.prakerja.go.id."
)
SHORT_DESCRIPTION = "Tanya jawab Kartu Prakerja: gelombang, syarat, daftar, insentif, status."


async def publish_menu(bot: Bot) -> None:
    """Set the command menu (default and private chats) and the descriptions."""
    try:
        await bot.set_my_commands(MENU)
        await bot.set_my_commands(MENU, scope=BotCommandScopeAllPrivateChats())
        await bot.set_my_description(DESCRIPTION)
        await bot.set_my_short_description(SHORT_DESCRIPTION)
    except TelegramError:
        # A menu that could not be set must not keep the assistant from answering.
        logger.warning("could not publish the command menu", exc_info=True)
