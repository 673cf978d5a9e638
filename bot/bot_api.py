"""The one way a PTB Bot is set up: token, Bot API server, HTTP pool and the bot's defaults."""

from __future__ import annotations

from typing import Any

from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.ext import Defaults
from telegram.request import HTTPXRequest

from bot.config import Settings

READ_TIMEOUT = 15.0
CONNECT_TIMEOUT = 5.0


def bot_arguments(settings: Settings, *, pool: int) -> dict[str, Any]:
    """Keyword arguments for an ``ExtBot`` (or subclass) talking to ``TELEGRAM_BASE_URL``."""
    if settings.telegram_bot_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is required to talk to the Bot API")
    return {
        "token": settings.telegram_bot_token.get_secret_value(),
        "base_url": settings.telegram_base_url,
        "base_file_url": settings.telegram_base_file_url or "https://api.telegram.org/file/bot",
        "request": HTTPXRequest(
            connection_pool_size=pool, read_timeout=READ_TIMEOUT, connect_timeout=CONNECT_TIMEOUT
        ),
        "defaults": Defaults(
            parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)
        ),
    }
