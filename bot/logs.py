"""The bot's logging: text or JSON lines, to stderr and optionally to rotating files."""

from __future__ import annotations

import logging

from pydantic import SecretStr

from bot.config import Settings
from core.logs import TEXT_FORMAT, JsonFormatter, LogSettings, configure_process_logging

PROCESS_NAME = "bot"
__all__ = ["TEXT_FORMAT", "JsonFormatter", "configure_logging", "describe_settings"]


def configure_logging(settings: Settings) -> None:
    """Log to stderr (and to ``LOG_DIR/bot.log``, rotated by size) with identifiers redacted.

    httpx would log URLs that contain the token, so the shared set-up also quiets it.
    """
    configure_process_logging(
        PROCESS_NAME,
        LogSettings(
            level=settings.log_level,
            format=settings.log_format,
            directory=settings.log_dir,
            max_bytes=settings.log_max_bytes,
            backup_count=settings.log_backup_count,
        ),
    )
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def describe_settings(settings: Settings) -> str:
    """Every setting as ``NAME=value`` (secrets only as set/unset, database password hidden)."""
    parts = []
    for name in sorted(Settings.model_fields):
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            shown = "(set)"
        elif value is None:
            shown = "(unset)"
        elif name == "database_url":
            from sqlalchemy import make_url

            shown = make_url(value).render_as_string(hide_password=True)
        else:
            shown = str(value)
        parts.append(f"{name.upper()}={shown}")
    return " ".join(parts)
