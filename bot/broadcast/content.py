"""What subscribers receive: validation of an admin's HTML and the one way it is sent."""

from __future__ import annotations

import html
from html.parser import HTMLParser
from typing import Any

from telegram import Bot, Message
from telegram.constants import MessageLimit, ParseMode

from bot import texts

TEXT_LIMIT = MessageLimit.MAX_TEXT_LENGTH  # 4096 characters after entity parsing
CAPTION_LIMIT = MessageLimit.CAPTION_LENGTH  # 1024
# The tags Telegram's HTML parse mode accepts.
ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "tg-spoiler",
    "span",
    "blockquote",
    "tg-emoji",
}


class _TelegramHTML(HTMLParser):
    """Checks tags against Telegram's subset and counts the visible characters."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.error: str | None = None
        self.visible = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """An opening tag must be allowed (``a`` needs an href)."""
        if tag not in ALLOWED_TAGS:
            self.error = self.error or texts.BROADCAST_BAD_TAG.format(tag=html.escape(tag))
            return
        if tag == "a" and not dict(attrs).get("href"):
            self.error = self.error or texts.BROADCAST_BAD_LINK
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        """A closing tag must close the innermost open one."""
        if not self.stack or self.stack[-1] != tag:
            self.error = self.error or texts.BROADCAST_UNBALANCED.format(tag=html.escape(tag))
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        """Text counts towards the length limit (UTF-16 units, as Telegram counts)."""
        self.visible += len(data.encode("utf-16-le")) // 2


def with_footer(body_html: str) -> str:
    """The broadcast as subscribers see it: the admin's text and how to stop receiving them."""
    return f"{body_html.strip()}\n\n{texts.BROADCAST_FOOTER}"


def validate(body_html: str, *, caption: bool) -> str | None:
    """A polite reason why the content cannot be sent, or None when it is fine."""
    full = with_footer(body_html)
    if not body_html.strip():
        return texts.BROADCAST_EMPTY
    if "<" in body_html and body_html.count("<") != body_html.count(">"):
        return texts.BROADCAST_BAD_HTML
    parser = _TelegramHTML()
    try:
        parser.feed(full)
        parser.close()
    except Exception:  # HTMLParser is lenient, but never trust that
        return texts.BROADCAST_BAD_HTML
    if parser.error:
        return parser.error
    if parser.stack:
        return texts.BROADCAST_UNBALANCED.format(tag=html.escape(parser.stack[-1]))
    limit = CAPTION_LIMIT if caption else TEXT_LIMIT
    if parser.visible > limit:
        return texts.BROADCAST_TOO_LONG.format(length=parser.visible, limit=limit)
    return None


def bot_api_request(chat_id: int, body_html: str, photo: str | None) -> tuple[str, dict[str, Any]]:
    """The Bot API method and parameters of one broadcast send (the sender's lean path).

    The same message :func:`deliver` sends through PTB with the bot's defaults (HTML, no link
    preview), so the admin's preview shows exactly what subscribers get.
    """
    if photo:
        return "sendPhoto", {
            "chat_id": chat_id,
            "photo": photo,
            "caption": with_footer(body_html),
            "parse_mode": ParseMode.HTML.value,
        }
    return "sendMessage", {
        "chat_id": chat_id,
        "text": with_footer(body_html),
        "parse_mode": ParseMode.HTML.value,
        "link_preview_options": {"is_disabled": True},
    }


async def deliver(
    bot: Bot, chat_id: int, body_html: str, photo: str | None, **extra: Any
) -> Message:
    """Send the broadcast to one chat exactly as every subscriber receives it."""
    if photo:
        return await bot.send_photo(
            chat_id, photo, caption=with_footer(body_html), parse_mode=ParseMode.HTML, **extra
        )
    return await bot.send_message(
        chat_id, with_footer(body_html), parse_mode=ParseMode.HTML, **extra
    )
