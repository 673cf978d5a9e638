"""Keeping applicants' identifiers out of logs, the bot database and Rasa's tracker store."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re

# A NIK is 16 digits; people type it with spaces, dots or dashes between groups.
_NIK_RE = re.compile(r"(?<!\d)(?:\d[\s.\-]?){15}\d(?!\d)")
# Indonesian mobile numbers: +62 / 62 / 0 followed by 8 and 7–11 more digits, loosely separated.
_PHONE_RE = re.compile(r"(?<![\d+])(?:\+?62|0)[\s.\-]?8(?:[\s.\-]?\d){7,11}(?!\d)")
# Anything else that looks like a long identifier (card numbers, KK numbers) in free text.
_LONG_DIGITS_RE = re.compile(r"(?<!\d)\d{10,}(?!\d)")

NIK_PLACEHOLDER = "[NIK disembunyikan]"
PHONE_PLACEHOLDER = "[nomor HP disembunyikan]"
NUMBER_PLACEHOLDER = "[angka disembunyikan]"


def redact(text: str) -> tuple[str, bool]:
    """Mask NIK-, phone- and long-number-like sequences; also say whether any was found."""
    redacted = _NIK_RE.sub(NIK_PLACEHOLDER, text)
    redacted = _PHONE_RE.sub(PHONE_PLACEHOLDER, redacted)
    redacted = _LONG_DIGITS_RE.sub(NUMBER_PLACEHOLDER, redacted)
    return redacted, redacted != text


def keyed_hash(key: bytes, value: str, *, purpose: str) -> str:
    """An HMAC-SHA256 of ``value``; ``purpose`` separates the hash spaces of different uses."""
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def rasa_sender_id(key: bytes, telegram_user_id: int) -> str:
    """A stable pseudonymous Rasa sender id for a Telegram user."""
    return "tg-" + keyed_hash(key, str(telegram_user_id), purpose="sender")[:32]


class RedactingFilter(logging.Filter):
    """Masks identifiers in every log record before any handler writes it."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Render the message once, redact it and drop the arguments."""
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not lose the record
            message = str(record.msg)
        record.msg, _ = redact(message)
        record.args = None
        return True
