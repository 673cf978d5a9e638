"""The bot's logging: text or JSON lines, to stderr and optionally to rotating files."""

from __future__ import annotations

import json
import logging
import logging.handlers
from datetime import UTC, datetime
from typing import Any

from pydantic import SecretStr

from bot.config import Settings
from core.redaction import install_log_redaction

PROCESS_NAME = "bot"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, process, logger, event (+ update id, latency)."""

    def __init__(self, process: str = PROCESS_NAME) -> None:
        super().__init__()
        self.process = process

    def format(self, record: logging.LogRecord) -> str:
        """Serialise the (already redacted) record; extra ``update_id``/``latency_ms`` kept."""
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "process": self.process,
            "logger": record.name,
            "event": record.getMessage(),
        }
        for key in ("update_id", "latency_ms"):
            value = getattr(record, key, None)
            if value is not None:
                entry[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(settings: Settings) -> None:
    """Log to stderr (and to ``LOG_DIR/bot.log``, rotated by size) with identifiers redacted.

    httpx would log URLs that contain the token, so install_log_redaction also quiets it.
    """
    formatter: logging.Formatter = (
        JsonFormatter() if settings.log_format == "json" else logging.Formatter(TEXT_FORMAT)
    )
    handlers: list[logging.Handler] = [logging.StreamHandler()]
    if settings.log_dir is not None:
        settings.log_dir.mkdir(parents=True, exist_ok=True)
        handlers.append(
            logging.handlers.RotatingFileHandler(
                settings.log_dir / f"{PROCESS_NAME}.log",
                maxBytes=settings.log_max_bytes,
                backupCount=settings.log_backup_count,
                encoding="utf-8",
            )
        )
    for handler in handlers:
        handler.setFormatter(formatter)
    logging.basicConfig(level=settings.log_level, handlers=handlers, force=True)
    install_log_redaction()  # after basicConfig, so the new handlers get the filter too
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
