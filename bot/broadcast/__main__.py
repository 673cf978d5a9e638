"""A sender process on its own: ``python -m bot.broadcast`` (extra senders, the benchmark).

It shares running broadcasts with the bot's own sender through the database (PostgreSQL for
more than one process) and stops cleanly on SIGINT/SIGTERM after the batch in flight.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from bot.broadcast.sender import Sender
from bot.config import Settings
from bot.db.database import Database, upgrade
from bot.rendering import PayloadStore
from core.redaction import install_log_redaction


def configure_logging(level: str) -> None:
    """Log to stderr with identifiers redacted (httpx would log URLs that contain the token)."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
    install_log_redaction()
    logging.getLogger("httpx").setLevel(logging.WARNING)


async def serve(settings: Settings) -> None:
    """Send until a signal arrives."""
    db = Database(settings.effective_database_url)
    sender = await Sender.open(settings, db, PayloadStore(settings.effective_privacy_key))
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, sender.stop)
    try:
        await sender.run()
    finally:
        await sender.close()
        db.dispose()


def main() -> None:
    """Apply migrations, then send."""
    settings = Settings()
    configure_logging(settings.log_level)
    upgrade(settings.effective_database_url)
    if settings.telegram_bot_token is None:
        logging.getLogger(__name__).error("TELEGRAM_BOT_TOKEN is not set")
        raise SystemExit(2)
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
