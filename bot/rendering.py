"""Turning Rasa's messages into Telegram messages: escaping, splitting and keyboards."""

from __future__ import annotations

import hashlib
import hmac
import html
from collections import OrderedDict
from dataclasses import dataclass

from telegram.constants import InlineKeyboardButtonLimit, MessageLimit

from bot.rasa_client import BotMessage, Button

TEXT_LIMIT = MessageLimit.MAX_TEXT_LENGTH  # 4096, counted on the text after entity parsing
CAPTION_LIMIT = MessageLimit.CAPTION_LENGTH  # 1024
CALLBACK_LIMIT = InlineKeyboardButtonLimit.MAX_CALLBACK_DATA  # 64 bytes
BUTTON_TITLE_LIMIT = 64
DEFAULT_BUTTON_PROMPT = "Silakan pilih:"

# Callback data: a kind letter, ":", a signature, then the payload (or the key of a long one).
RASA_PAYLOAD = "p"  # a Rasa button payload, sent back to Rasa when pressed
BOT_ACTION = "b"  # one of the bot's own actions (e.g. confirming a subscription)
_HASHED = "h"  # a long Rasa payload kept in memory under a hash
_SIGNATURE_CHARS = 12  # hex digits of an HMAC: 48 bits, checked before anything else
_SIGNED_CACHE = 4096  # signed callback data of short payloads kept (emptied when full)

# An inline keyboard as the Bot API takes it (``reply_markup``), rows of text and callback data.
InlineKeyboard = dict[str, list[list[dict[str, str]]]]


class PayloadStore:
    """Maps button payloads to signed ``callback_data`` (max 64 bytes) and back.

    Every callback data the bot hands out carries an HMAC, so a client cannot forge a button that
    sends its own intent to Rasa. Short payloads travel inside the callback data; longer ones are
    replaced by a hash kept in a bounded in-memory map (an old one after a restart counts as
    expired).
    """

    def __init__(self, key: bytes, capacity: int = 20_000) -> None:
        self._key = key
        self._capacity = capacity
        self._long: OrderedDict[str, str] = OrderedDict()
        # Answers repeat the same few buttons, and an HMAC is a few percent of the bot's work
        # per answer: the callback data of short payloads is signed once.
        self._signed: dict[tuple[str, str], str] = {}

    def _sign(self, kind: str, body: str) -> str:
        digest = hmac.new(self._key, f"button:{kind}:{body}".encode(), hashlib.sha256)
        return digest.hexdigest()[:_SIGNATURE_CHARS]

    def _pack(self, kind: str, body: str) -> str:
        return f"{kind}:{self._sign(kind, body)}{body}"

    def encode(self, payload: str, kind: str = RASA_PAYLOAD) -> str:
        """The callback data for a payload of the given kind."""
        signed = self._signed.get((kind, payload))
        if signed is not None:
            return signed
        direct = self._pack(kind, payload)
        if len(direct.encode()) <= CALLBACK_LIMIT:
            if len(self._signed) >= _SIGNED_CACHE:
                self._signed.clear()
            self._signed[(kind, payload)] = direct
            return direct
        if kind != RASA_PAYLOAD:
            raise ValueError("bot action payloads must fit in the callback data")
        key = hashlib.sha256(payload.encode()).hexdigest()[:24]
        self._long[key] = payload
        self._long.move_to_end(key)
        while len(self._long) > self._capacity:
            self._long.popitem(last=False)
        return self._pack(_HASHED, key)

    def decode(self, data: str | None) -> tuple[str, str] | None:
        """``(kind, payload)`` for callback data, or None when forged, malformed or expired."""
        if not data or len(data) < 2 + _SIGNATURE_CHARS + 1 or data[1] != ":":
            return None
        kind, signature = data[0], data[2 : 2 + _SIGNATURE_CHARS]
        body = data[2 + _SIGNATURE_CHARS :]
        if kind not in (RASA_PAYLOAD, BOT_ACTION, _HASHED):
            return None
        if not hmac.compare_digest(signature, self._sign(kind, body)):
            return None
        if kind == _HASHED:
            payload = self._long.get(body)
            return None if payload is None else (RASA_PAYLOAD, payload)
        return kind, body


@dataclass(frozen=True)
class OutgoingMessage:
    """One Telegram message to send: HTML text or a photo with an HTML caption."""

    html: str
    photo: str | None = None
    # JSON, not PTB's InlineKeyboardMarkup: building those objects and serialising them again
    # for each answer (most answers have buttons) was a tenth of the bot's time per answer
    keyboard: InlineKeyboard | None = None


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


def build_keyboard(buttons: tuple[Button, ...], store: PayloadStore) -> InlineKeyboard:
    """One button per row: titles are whole Indonesian phrases and need the width."""
    rows = [
        [
            {
                "text": _shorten(button.title, BUTTON_TITLE_LIMIT),
                "callback_data": store.encode(button.payload),
            }
        ]
        for button in buttons
    ]
    return {"inline_keyboard": rows}


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
