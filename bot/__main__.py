"""Run the bot: ``python -m bot`` (polling, or webhook mode when TELEGRAM_WEBHOOK_URL is set)."""

from __future__ import annotations

import asyncio
import logging
import secrets
import sys
from urllib.parse import urlsplit

from bot.app import build_application
from bot.db.database import upgrade
from bot.handlers import ALLOWED_UPDATES
from bot.logs import configure_logging, describe_settings
from bot.startup import (
    EXIT_INVALID_SETTINGS,
    SettingsError,
    check_settings,
    load_settings,
    wait_for_dependencies,
)

logger = logging.getLogger("bot")


def use_uvloop() -> None:
    """Run on uvloop where it is installed: the event loop's own work per request is about a
    third of asyncio's, and the bot's CPU per message is mostly event-loop and socket work."""
    try:
        import uvloop
    except ImportError:  # not on every platform (Windows): the standard loop works the same
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


def main() -> None:
    """Check settings, wait for the Bot API and Rasa, migrate, then poll (or serve the webhook).

    On SIGINT/SIGTERM python-telegram-bot stops fetching, confirms what it fetched, finishes
    every update already accepted (each gets its answer) and only then exits.
    """
    try:
        settings = load_settings()
        configure_logging(settings)
        if settings.telegram_bot_token is None:
            raise SettingsError(
                "TELEGRAM_BOT_TOKEN is not set; use `make run` to start the local sandbox instead."
            )
        check_settings(settings)
        logger.info("settings: %s", describe_settings(settings))
        wait_for_dependencies(settings)
    except SettingsError as exc:
        print(exc, file=sys.stderr, flush=True)
        sys.exit(EXIT_INVALID_SETTINGS)
    upgrade(settings.effective_database_url)
    use_uvloop()
    application = build_application(settings)
    if settings.telegram_webhook_url:
        # The secret makes the webhook endpoint refuse requests that did not come from Telegram.
        secret = (
            settings.telegram_webhook_secret.get_secret_value()
            if settings.telegram_webhook_secret
            else secrets.token_urlsafe(32)
        )
        application.run_webhook(
            listen=settings.telegram_webhook_listen,
            port=settings.telegram_webhook_port,
            url_path=urlsplit(settings.telegram_webhook_url).path.lstrip("/"),
            webhook_url=settings.telegram_webhook_url,
            secret_token=secret,
            allowed_updates=ALLOWED_UPDATES,
        )
    else:
        application.run_polling(allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False)


if __name__ == "__main__":
    main()
