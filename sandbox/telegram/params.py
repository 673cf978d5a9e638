"""Decode Bot API request parameters the way Telegram does.

PTB 22 posts ``application/x-www-form-urlencoded`` (or multipart when uploading files) where every
value is a string: ints/bools/objects are JSON-encoded (``"123"``, ``"true"``,
``'{"inline_keyboard": ...}'``) and plain strings are sent verbatim. Other clients send JSON
bodies or query strings. All end up as one ``dict`` here.
"""

from __future__ import annotations

import json
from email import message_from_bytes
from email.message import Message
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request

# Parameters that are always plain strings: never JSON-decode them, or a message text such as
# "123" or "true" would turn into a number/bool.
STRING_FIELDS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "url",
        "secret_token",
        "description",
        "short_description",
        "name",
        "language_code",
        "callback_query_id",
        "inline_message_id",
        "action",
        "photo",
        "document",
        "ip_address",
        "business_connection_id",
        "message_effect_id",
    }
)
_JSON_START = (*'{["-0123456789', "true", "false", "null")


def decode_value(key: str, value: Any) -> Any:
    """JSON-decode a form value unless it is a known plain-string field."""
    if not isinstance(value, str) or key in STRING_FIELDS:
        return value
    stripped = value.strip()
    if not stripped.startswith(_JSON_START):
        return value
    try:
        return json.loads(stripped)
    except ValueError:
        return value


def _parse_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    """Minimal multipart/form-data parser (python-multipart is not installed)."""
    raw = b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    envelope = message_from_bytes(raw)
    fields: dict[str, Any] = {}
    if not envelope.is_multipart():
        return fields
    parts = envelope.get_payload()
    assert isinstance(parts, list)
    for part in parts:
        assert isinstance(part, Message)
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        if filename is not None:
            # Uploaded files are summarised, not stored: the emulator only needs to know.
            fields[name] = {"upload": filename, "size": len(data)}
        else:
            charset = part.get_content_charset() or "utf-8"
            fields[name] = data.decode(charset, errors="replace")
    return fields


async def read_params(request: Request) -> dict[str, Any]:
    """Merge query string and body (JSON, urlencoded or multipart) into decoded params."""
    raw: dict[str, Any] = dict(request.query_params)
    body = await request.body()
    content_type = request.headers.get("content-type", "")
    if body:
        if content_type.startswith("application/json"):
            loaded = json.loads(body)
            if not isinstance(loaded, dict):
                raise ValueError("JSON body must be an object")
            # Typed values pass through; JSON-encoded strings (e.g. reply_markup) are decoded.
            raw.update(loaded)
            return {key: decode_value(key, value) for key, value in raw.items()}
        if content_type.startswith("multipart/form-data"):
            raw.update(_parse_multipart(content_type, body))
        else:
            raw.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    return {key: decode_value(key, value) for key, value in raw.items()}
