"""Strict parsers for Telegram's ``MarkdownV2`` and legacy ``Markdown`` parse modes.

Covers the rules bot authors trip over most: every reserved character outside an entity must be
escaped, and every entity must be closed. Returns the same :class:`ParsedText` as the HTML parser.
"""

from __future__ import annotations

from typing import Any

from .html_check import EntityParseError, ParsedText, utf16_len

_RESERVED_V2 = set("_*[]()~`>#+-=|{}.!")
_V2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "text_link": "TextUrl",
    "blockquote": "BlockQuote",
}


class _Builder:
    """Accumulates plain text while tracking the UTF-16 offset."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.parts: list[str] = []
        self.offset16 = 0
        self.entities: list[dict[str, Any]] = []

    def add(self, piece: str) -> None:
        self.parts.append(piece)
        self.offset16 += utf16_len(piece)

    def byte_offset(self, index: int) -> int:
        return len(self.source[:index].encode("utf-8"))

    def close(self, entity: dict[str, Any]) -> None:
        entity["length"] = self.offset16 - entity["offset"]
        if entity["length"] > 0:
            self.entities.append(entity)

    def result(self) -> ParsedText:
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return ParsedText("".join(self.parts), self.entities)


def _read_until(source: str, pos: int, stop: str, escapable: str) -> tuple[str, int]:
    """Read escaped text until ``stop``; returns (text, index of stop) or -1 if not found."""
    out: list[str] = []
    while pos < len(source):
        if source.startswith(stop, pos):
            return "".join(out), pos
        if source[pos] == "\\" and pos + 1 < len(source) and source[pos + 1] in escapable:
            out.append(source[pos + 1])
            pos += 2
            continue
        out.append(source[pos])
        pos += 1
    return "".join(out), -1


def parse_markdown_v2(source: str) -> ParsedText:
    """Parse MarkdownV2, raising :class:`EntityParseError` with Telegram-like messages."""
    b = _Builder(source)
    stack: list[tuple[str, dict[str, Any], int]] = []  # (kind, entity, source index)
    quote: dict[str, Any] | None = None
    pos = 0
    n = len(source)
    while pos < n:
        ch = source[pos]
        at_line_start = pos == 0 or source[pos - 1] == "\n"
        if at_line_start and ch == ">":
            if quote is None:
                quote = {"type": "blockquote", "offset": b.offset16}
            pos += 1
            continue
        if ch == "\n" and quote is not None and not source.startswith(">", pos + 1):
            b.close(quote)
            quote = None
        if ch == "\\":
            if pos + 1 >= n or ord(source[pos + 1]) > 126:
                raise EntityParseError(
                    f"Character '\\' is reserved and must be escaped with the preceding '\\'"
                    f" at byte offset {b.byte_offset(pos)}"
                )
            b.add(source[pos + 1])
            pos += 2
            continue
        if ch == "`":
            pos = _v2_code(source, pos, b)
            continue
        marker = _v2_marker(source, pos, stack)
        if marker is not None:
            kind, width = marker
            if stack and stack[-1][0] == kind:
                b.close(stack.pop()[1])
            elif any(item[0] == kind for item in stack):
                raise EntityParseError(
                    f"Can't find end of {_V2_NAMES[stack[-1][0]]} entity at byte offset "
                    f"{b.byte_offset(stack[-1][2])}"
                )
            else:
                stack.append((kind, {"type": kind, "offset": b.offset16}, pos))
            pos += width
            continue
        if ch == "[":
            stack.append(("text_link", {"type": "text_link", "offset": b.offset16}, pos))
            pos += 1
            continue
        if ch == "]" and stack and stack[-1][0] == "text_link":
            if not source.startswith("(", pos + 1):
                raise EntityParseError(
                    f"Can't find end of a URL at byte offset {b.byte_offset(pos)}"
                )
            url, end = _read_until(source, pos + 2, ")", ")\\")
            if end == -1:
                raise EntityParseError(
                    f"Can't find end of a URL at byte offset {b.byte_offset(pos)}"
                )
            _, entity, _ = stack.pop()
            entity["url"] = url
            b.close(entity)
            pos = end + 1
            continue
        if ch in _RESERVED_V2:
            raise EntityParseError(
                f"Character '{ch}' is reserved and must be escaped with the preceding '\\'"
            )
        b.add(ch)
        pos += 1
    if stack:
        kind, _, start = stack[-1]
        raise EntityParseError(
            f"Can't find end of {_V2_NAMES[kind]} entity at byte offset {b.byte_offset(start)}"
        )
    if quote is not None:
        b.close(quote)
    return b.result()


def _v2_marker(
    source: str, pos: int, stack: list[tuple[str, dict[str, Any], int]]
) -> tuple[str, int] | None:
    """Return (entity kind, marker width) if an emphasis marker starts at ``pos``."""
    if source.startswith("||", pos):
        return "spoiler", 2
    if source.startswith("__", pos):
        # "__" closes an open italic first only when underline is not the innermost entity.
        if stack and stack[-1][0] == "italic":
            return "italic", 1
        return "underline", 2
    simple = {"*": "bold", "_": "italic", "~": "strikethrough"}
    if source[pos] in simple:
        return simple[source[pos]], 1
    return None


def _v2_code(source: str, pos: int, b: _Builder) -> int:
    """Parse inline code or a ``` block starting at ``pos``; return the position after it."""
    if source.startswith("```", pos):
        newline = source.find("\n", pos + 3)
        language = ""
        start = pos + 3
        if (
            newline != -1
            and source[pos + 3 : newline].strip()
            and " " not in source[pos + 3 : newline].strip()
        ):
            language = source[pos + 3 : newline].strip()
            start = newline + 1
        body, end = _read_until(source, start, "```", "`\\")
        if end == -1:
            raise EntityParseError(
                f"Can't find end of Pre entity at byte offset {b.byte_offset(pos)}"
            )
        entity: dict[str, Any] = {"type": "pre", "offset": b.offset16}
        if language:
            entity["language"] = language
        b.add(body)
        b.close(entity)
        return end + 3
    body, end = _read_until(source, pos + 1, "`", "`\\")
    if end == -1:
        raise EntityParseError(
            f"Can't find end of Code entity at byte offset {b.byte_offset(pos)}"
        )
    entity = {"type": "code", "offset": b.offset16}
    b.add(body)
    b.close(entity)
    return end + 1


def parse_markdown_legacy(source: str) -> ParsedText:
    """Parse the legacy ``Markdown`` mode: *bold*, _italic_, `code`, ```pre```, [text](url)."""
    b = _Builder(source)
    pos = 0
    n = len(source)
    simple = {"*": "bold", "_": "italic"}
    while pos < n:
        ch = source[pos]
        if ch == "\\" and pos + 1 < n and source[pos + 1] in "_*`[":
            b.add(source[pos + 1])
            pos += 2
            continue
        if ch in simple or ch == "`" or ch == "[":
            stop = {"*": "*", "_": "_", "`": "`", "[": "]"}[ch]
            width = 1
            kind = simple.get(ch, "code")
            if source.startswith("```", pos):
                stop, width, kind = "```", 3, "pre"
            end = source.find(stop, pos + width)
            if end == -1:
                raise EntityParseError(
                    f"Can't find end of the entity starting at byte offset {b.byte_offset(pos)}"
                )
            entity: dict[str, Any] = {"type": kind, "offset": b.offset16}
            inner = source[pos + width : end]
            after = end + len(stop)
            if ch == "[":
                entity["type"] = "text_link"
                if not source.startswith("(", after) or source.find(")", after) == -1:
                    raise EntityParseError(
                        "Can't find end of the entity starting at byte offset "
                        f"{b.byte_offset(pos)}"
                    )
                close = source.find(")", after)
                entity["url"] = source[after + 1 : close]
                after = close + 1
            b.add(inner)
            b.close(entity)
            pos = after
            continue
        b.add(ch)
        pos += 1
    return b.result()
