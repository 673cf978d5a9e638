"""Run the bot: ``python -m bot`` (polling, or webhook mode when TELEGRAM_WEBHOOK_URL is set)."""

from __future__ import annotations

import logging
import secrets
import sys
from urllib.parse import urlsplit

from pydantic import ValidationError

from bot.app import build_application
from bot.config import Settings
from bot.db.database import upgrade
from bot.handlers import ALLOWED_UPDATES
from core.redaction import install_log_redaction


def configure_logging(level: str) -> None:
    """Log to stderr with identifiers redacted; httpx would log URLs that contain the token."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
    install_log_redaction()  # after basicConfig, so the new handler gets the filter too
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def main() -> None:
    """Apply migrations, then poll (or serve the webhook) until SIGINT/SIGTERM."""
    try:
        settings = Settings()
    except ValidationError as exc:
        # One sentence per bad setting, naming the variable, instead of a traceback.
        for error in exc.errors():
            message = str(error.get("msg", "")).removeprefix("Value error, ")
            if not any(str(part).upper() in message for part in error.get("loc", ())):
                name = "_".join(str(part) for part in error.get("loc", ())).upper()
                message = f"{name}: {message}"
            print(f"Configuration error: {message}.", file=sys.stderr)
        sys.exit(2)
    configure_logging(settings.log_level)
    if settings.telegram_bot_token is None:
        logging.getLogger(__name__).error(
            "TELEGRAM_BOT_TOKEN is not set; use `make run` to start the local sandbox instead"
        )
        sys.exit(2)
    upgrade(settings.effective_database_url)
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
