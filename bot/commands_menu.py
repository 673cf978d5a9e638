"""Publishing the command menu and the bot's descriptions at start-up."""

from __future__ import annotations

import logging

from telegram import Bot, BotCommandScopeAllPrivateChats
from telegram.error import TelegramError

from bot import texts
from bot.handlers.commands import MENU

logger = logging.getLogger(__name__)


async def publish_menu(bot: Bot) -> None:
    """Set the command menu (default and private chats) and the descriptions."""
    try:
        await bot.set_my_commands(MENU)
        await bot.set_my_commands(MENU, scope=BotCommandScopeAllPrivateChats())
        await bot.set_my_description(texts.BOT_DESCRIPTION)
        await bot.set_my_short_description(texts.BOT_SHORT_DESCRIPTION)
    except TelegramError:
        # A menu that could not be set must not keep the assistant from answering.
        logger.warning("could not publish the command menu", exc_info=True)
