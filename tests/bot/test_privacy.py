"""Identifiers never leave the bot in plaintext: redaction, pseudonyms, log filtering."""

from __future__ import annotations

import logging
import re

import pytest

import core.redaction
from bot.privacy import RedactingFilter, keyed_hash, rasa_sender_id, redact


@pytest.mark.parametrize(
    "text",
    [
        "nik saya 3201014505900003 knp ga lolos",
        "NIK 3201 0145 0590 0003",
        "nik: 3201.0145.0590.0003",
        "nik 3201/0145/0590/0003",
        "nik ３２０１０１４５０５９００００３",
        "no hp 081234567890",
        "hp +62 812-3456-7890 ya",
        "hp (0812) 3456 7890",
        "62812345678901",
        "kk 3201010101010101",
    ],
)
def test_identifiers_are_redacted(text: str) -> None:
    redacted, found = redact(text)
    assert found
    assert sum(ch.isdigit() for ch in redacted) < 6


@pytest.mark.parametrize(
    "text", ["gelombang 72 kapan", "insentif 600rb", "saldo 3.500.000", "tgl 21-03-2025"]
)
def test_ordinary_numbers_stay(text: str) -> None:
    assert redact(text) == (text, False)


def test_the_bot_uses_the_shared_masking() -> None:
    assert redact is core.redaction.redact
    assert RedactingFilter is core.redaction.RedactingFilter


def test_sender_ids_are_stable_keyed_and_opaque() -> None:
    user_id = 5_123_456_789
    sender = rasa_sender_id(b"k1", user_id)
    assert sender == rasa_sender_id(b"k1", user_id)
    assert sender != rasa_sender_id(b"k2", user_id)
    assert sender != rasa_sender_id(b"k1", user_id + 1)
    assert re.fullmatch(r"tg-[0-9a-f]{32}", sender)
    assert str(user_id) not in sender
    assert keyed_hash(b"k", "x", purpose="a") != keyed_hash(b"k", "x", purpose="b")


def test_log_filter_masks_arguments(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.privacy")
    log_filter = RedactingFilter()
    logger.addFilter(log_filter)
    try:
        with caplog.at_level(logging.INFO, logger="test.privacy"):
            logger.info("verifying %s with %s", "3201014505900003", "+62 (812) 3456-7890")
    finally:
        logger.removeFilter(log_filter)
    assert "3201014505900003" not in caplog.text
    assert "3456" not in caplog.text
    assert "[NIK disembunyikan]" in caplog.text and "[nomor HP disembunyikan]" in caplog.text
