"""Turning Rasa's messages into Telegram messages: escaping, splitting and keyboards."""

from __future__ import annotations

import hashlib
import html
from collections import OrderedDict
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import InlineKeyboardButtonLimit, MessageLimit

from bot.rasa_client import BotMessage, Button

TEXT_LIMIT = MessageLimit.MAX_TEXT_LENGTH  # 4096, counted on the text after entity parsing
CAPTION_LIMIT = MessageLimit.CAPTION_LENGTH  # 1024
CALLBACK_LIMIT = InlineKeyboardButtonLimit.MAX_CALLBACK_DATA  # 64 bytes
BUTTON_TITLE_LIMIT = 64
DEFAULT_BUTTON_PROMPT = "Silakan pilih:"

_DIRECT_PREFIX = "p:"
_HASHED_PREFIX = "h:"


class PayloadStore:
    """Maps button payloads to ``callback_data`` (max 64 bytes) and back.

    Short payloads travel inside the callback data; longer ones are replaced by a hash kept in a
    bounded in-memory map (an old button after a restart then counts as expired).
    """

    def __init__(self, capacity: int = 20_000) -> None:
        self._capacity = capacity
        self._long: OrderedDict[str, str] = OrderedDict()

    def encode(self, payload: str) -> str:
        """The callback data for a payload."""
        direct = _DIRECT_PREFIX + payload
        if len(direct.encode()) <= CALLBACK_LIMIT:
            return direct
        key = hashlib.sha256(payload.encode()).hexdigest()[:24]
        self._long[key] = payload
        self._long.move_to_end(key)
        while len(self._long) > self._capacity:
            self._long.popitem(last=False)
        return _HASHED_PREFIX + key

    def decode(self, data: str | None) -> str | None:
        """The payload for callback data, or None when it is malformed or expired."""
        if not data:
            return None
        if data.startswith(_DIRECT_PREFIX) and len(data) > len(_DIRECT_PREFIX):
            return data[len(_DIRECT_PREFIX) :]
        if data.startswith(_HASHED_PREFIX):
            return self._long.get(data[len(_HASHED_PREFIX) :])
        return None


@dataclass(frozen=True)
class OutgoingMessage:
    """One Telegram message to send: HTML text or a photo with an HTML caption."""

    html: str
    photo: str | None = None
    keyboard: InlineKeyboardMarkup | None = None


def escape(text: str) -> str:
    """Escape text for Telegram's HTML parse mode (only ``<``, ``>`` and ``&`` matter)."""
    return html.escape(text, quote=False)


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Split plain text into chunks of at most ``limit`` characters at natural boundaries.

    Splitting happens before escaping, because Telegram counts characters after parsing and a cut
    inside an escaped entity would break the markup.
    """
    text = text.strip()
    if not text:
        return []
    chunks: list[str] = []
    while len(text) > limit:
        window = text[:limit]
        cut = max(window.rfind("\n\n"), -1)
        if cut < limit // 2:
            cut = window.rfind("\n")
        if cut < limit // 2:
            cut = window.rfind(" ")
        if cut < limit // 2:
            cut = limit  # one huge word: a hard cut is the only option
        chunks.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        chunks.append(text)
    return chunks


def build_keyboard(buttons: tuple[Button, ...], store: PayloadStore) -> InlineKeyboardMarkup:
    """One button per row: titles are whole Indonesian phrases and need the width."""
    rows = [
        [
            InlineKeyboardButton(
                _shorten(button.title, BUTTON_TITLE_LIMIT),
                callback_data=store.encode(button.payload),
            )
        ]
        for button in buttons
    ]
    return InlineKeyboardMarkup(rows)


def render(messages: list[BotMessage], store: PayloadStore) -> list[OutgoingMessage]:
    """Render Rasa messages (text, buttons, images) into Telegram messages, in order."""
    outgoing: list[OutgoingMessage] = []
    for message in messages:
        keyboard = build_keyboard(message.buttons, store) if message.buttons else None
        if message.image:
            caption = message.text or ""
            if len(caption) <= CAPTION_LIMIT:
                outgoing.append(
                    OutgoingMessage(html=escape(caption), photo=message.image, keyboard=keyboard)
                )
                continue
            outgoing.append(OutgoingMessage(html="", photo=message.image))
        chunks = split_text(message.text or "")
        if not chunks and keyboard is not None:
            chunks = [DEFAULT_BUTTON_PROMPT]
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            outgoing.append(
                OutgoingMessage(html=escape(chunk), keyboard=keyboard if last else None)
            )
    return outgoing


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
