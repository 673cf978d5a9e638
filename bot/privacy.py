"""Keeping applicants' identifiers out of logs, the bot database and Rasa's tracker store."""

from __future__ import annotations

import hashlib
import hmac

# The masking itself lives in the shared core (the action server needs it too); re-exported here
# so that the bot's callers keep importing it from bot.privacy.
from core.redaction import (
    NIK_PLACEHOLDER,
    NUMBER_PLACEHOLDER,
    PHONE_PLACEHOLDER,
    RedactingFilter,
    install_log_redaction,
    redact,
)

__all__ = [
    "NIK_PLACEHOLDER",
    "NUMBER_PLACEHOLDER",
    "PHONE_PLACEHOLDER",
    "RedactingFilter",
    "install_log_redaction",
    "keyed_hash",
    "rasa_sender_id",
    "redact",
]


def keyed_hash(key: bytes, value: str, *, purpose: str) -> str:
    """An HMAC-SHA256 of ``value``; ``purpose`` separates the hash spaces of different uses."""
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def rasa_sender_id(key: bytes, telegram_user_id: int) -> str:
    """A stable pseudonymous Rasa sender id for a Telegram user."""
    return "tg-" + keyed_hash(key, str(telegram_user_id), purpose="sender")[:32]
