"""Strict parser for Telegram's ``parse_mode=HTML`` markup.

Telegram rejects a message whose HTML it cannot parse with
``400 Bad Request: can't parse entities: ...``. This parser is deliberately at least as strict as
Telegram (bare ``<``, ``>`` and ``&`` are errors, ``<br>`` is not a tag), so text that passes here
also passes in production. It returns the plain text plus Telegram-style entities whose offsets
are counted in UTF-16 code units, as the Bot API does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# Tag name -> entity type. span/a/pre/code/blockquote/tg-emoji get extra handling below.
_SIMPLE_TAGS: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(?:(lt|gt|amp|quot)|#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6}));")
_TAG_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9-]*")
_ATTR_RE = re.compile(
    r"""\s*([A-Za-z_:][A-Za-z0-9_:.-]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?"""
)


class EntityParseError(ValueError):
    """Raised with Telegram's wording (the part after ``can't parse entities: ``)."""


@dataclass
class ParsedText:
    """Plain text and the entities Telegram would attach to it."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Bot API entity offsets."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _Open:
    tag: str
    entity: dict[str, Any]
    byte_offset: int


def _byte_offset(source: str, index: int) -> int:
    # Telegram reports positions in UTF-8 bytes of the original message.
    return len(source[:index].encode("utf-8"))


def _unescape_entity(source: str, pos: int) -> tuple[str, int]:
    match = _ENTITY_RE.match(source, pos)
    if match is None:
        raise EntityParseError(
            f'Unsupported HTML entity or unescaped "&" at byte offset {_byte_offset(source, pos)}'
        )
    named, dec, hexa = match.groups()
    if named:
        return _NAMED_ENTITIES[named], match.end()
    code = int(dec) if dec else int(hexa, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        raise EntityParseError(
            f"Invalid character code at byte offset {_byte_offset(source, pos)}"
        )
    return chr(code), match.end()


def _parse_attrs(raw: str, source: str, pos: int) -> dict[str, str]:
    attrs: dict[str, str] = {}
    rest = raw
    while rest.strip():
        match = _ATTR_RE.match(rest)
        if match is None or match.end() == 0:
            raise EntityParseError(
                f"Can't parse tag attributes at byte offset {_byte_offset(source, pos)}"
            )
        name = match.group(1).lower()
        value = next((g for g in match.groups()[1:] if g is not None), "")
        # Attribute values may themselves contain entities (e.g. &amp; in URLs).
        attrs[name] = _ENTITY_RE.sub(lambda m: _unescape_entity(m.group(0), 0)[0], value)
        rest = rest[match.end() :]
    return attrs


def _open_entity(tag: str, attrs: dict[str, str], source: str, pos: int) -> dict[str, Any]:
    entity: dict[str, Any] = {"type": _SIMPLE_TAGS[tag]}
    if tag == "span" and attrs.get("class") != "tg-spoiler":
        raise EntityParseError('Tag "span" must have class "tg-spoiler"')
    if tag == "a":
        href = attrs.get("href", "")
        if not href:
            raise EntityParseError(
                f'Tag "a" must have attribute "href" at byte offset {_byte_offset(source, pos)}'
            )
        entity["url"] = href
    if tag == "code" and attrs.get("class", "").startswith("language-"):
        entity["language"] = attrs["class"][len("language-") :]
    if tag == "blockquote" and "expandable" in attrs:
        entity["type"] = "expandable_blockquote"
    if tag == "tg-emoji":
        if not attrs.get("emoji-id"):
            raise EntityParseError('Tag "tg-emoji" must have attribute "emoji-id"')
        entity["custom_emoji_id"] = attrs["emoji-id"]
    return entity


def parse_html(source: str) -> ParsedText:
    """Parse Telegram HTML into plain text + entities, or raise :class:`EntityParseError`."""
    out: list[str] = []
    offset16 = 0  # running UTF-16 length of ``out``
    stack: list[_Open] = []
    entities: list[dict[str, Any]] = []
    pos = 0
    n = len(source)
    while pos < n:
        char = source[pos]
        if char == "&":
            piece, pos = _unescape_entity(source, pos)
        elif char == ">":
            raise EntityParseError(
                f'Unescaped ">" at byte offset {_byte_offset(source, pos)}; use "&gt;"'
            )
        elif char == "<":
            pos = _handle_tag(source, pos, stack, entities, offset16)
            continue
        else:
            piece = char
            pos += 1
        out.append(piece)
        offset16 += utf16_len(piece)
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return ParsedText("".join(out), entities)


def _handle_tag(
    source: str,
    pos: int,
    stack: list[_Open],
    entities: list[dict[str, Any]],
    offset16: int,
) -> int:
    """Consume the tag starting at ``source[pos] == '<'`` and return the position after it."""
    end = source.find(">", pos)
    lt_inside = source.find("<", pos + 1)
    if end == -1 or (lt_inside != -1 and lt_inside < end):
        raise EntityParseError(
            f'Unescaped "<" or unclosed tag at byte offset {_byte_offset(source, pos)}; use "&lt;"'
        )
    body = source[pos + 1 : end]
    closing = body.startswith("/")
    if closing:
        body = body[1:]
    name_match = _TAG_NAME_RE.match(body)
    if name_match is None:
        raise EntityParseError(
            f'Unescaped "<" or empty tag name at byte offset {_byte_offset(source, pos)}; '
            'use "&lt;"'
        )
    tag = name_match.group(0).lower()
    if tag not in _SIMPLE_TAGS:
        kind = "end" if closing else "start"
        raise EntityParseError(
            f'Unsupported {kind} tag "{tag}" at byte offset {_byte_offset(source, pos)}'
        )
    if closing:
        if body[name_match.end() :].strip():
            raise EntityParseError(
                f"Unexpected end tag attributes at byte offset {_byte_offset(source, pos)}"
            )
        if not stack:
            raise EntityParseError(
                f"Unexpected end tag at byte offset {_byte_offset(source, pos)}"
            )
        top = stack.pop()
        if top.tag != tag:
            raise EntityParseError(
                f"Unmatched end tag at byte offset {_byte_offset(source, pos)}, "
                f'expected "</{top.tag}>", found "</{tag}>"'
            )
        length = offset16 - top.entity["offset"]
        if length > 0:
            top.entity["length"] = length
            _merge_pre_code(top, stack, entities)
        return end + 1
    attrs = _parse_attrs(body[name_match.end() :].rstrip("/"), source, pos)
    entity = _open_entity(tag, attrs, source, pos)
    entity["offset"] = offset16
    stack.append(_Open(tag, entity, _byte_offset(source, pos)))
    return end + 1


def _merge_pre_code(closed: _Open, stack: list[_Open], entities: list[dict[str, Any]]) -> None:
    """``<pre><code class="language-x">`` is one ``pre`` entity with a language in Telegram."""
    entity = closed.entity
    if closed.tag == "code" and stack and stack[-1].tag == "pre":
        if "language" in entity:
            stack[-1].entity["language"] = entity["language"]
        return
    entities.append(entity)
