"""Build realistic incoming updates (what Telegram would send the bot) for the sim API."""

from __future__ import annotations

import copy
import random
import re
import time
from typing import Any

from .html_check import utf16_len
from .state import CallbackRecord, Chat, EmulatorState, StoredMessage, now

MESSAGE_KINDS = frozenset(
    {
        "text",
        "command",
        "sticker",
        "photo",
        "voice",
        "video",
        "audio",
        "location",
        "document",
        "contact",
        "animation",
        "video_note",
        "poll",
        "dice",
    }
)
# Kinds whose ``text`` becomes a caption.
_CAPTIONED = frozenset({"photo", "video", "audio", "voice", "document", "animation"})
_FILE_KINDS = (
    "photo",
    "document",
    "voice",
    "sticker",
    "video",
    "audio",
    "animation",
    "video_note",
)
# Telegram marks "/command" (optionally "@botname") at a word start as bot_command.
_COMMAND_RE = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")


class SimError(ValueError):
    """Invalid sim request; reported as 400 ``{"ok": false, "error": ...}``."""


def command_entities(text: str) -> list[dict[str, Any]]:
    """bot_command entities with UTF-16 offsets, as Telegram adds them."""
    return [
        {"type": "bot_command", "offset": utf16_len(text[: m.start()]), "length": utf16_len(m[0])}
        for m in _COMMAND_RE.finditer(text)
    ]


def user_from(state: EmulatorState, payload: dict[str, Any]) -> dict[str, Any]:
    """Build (and remember) the sender's ``User`` object from the sim payload."""
    try:
        user_id = int(payload["user_id"])
    except (KeyError, TypeError, ValueError):
        raise SimError("user_id (integer) is required") from None
    known = state.users.get(user_id, {})
    user: dict[str, Any] = {
        "id": user_id,
        "is_bot": False,
        "first_name": payload.get("first_name") or known.get("first_name") or "Pelamar",
        "language_code": payload.get("language_code") or known.get("language_code") or "id",
    }
    for key in ("last_name", "username"):
        value = payload.get(key) or known.get(key)
        if value:
            user[key] = value
    state.remember_user(user)
    return user


def _chat_for(state: EmulatorState, payload: dict[str, Any], user: dict[str, Any]) -> Chat:
    chat_type = payload.get("chat_type") or "private"
    if chat_type == "private":
        info = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        for key in ("last_name", "username"):
            if key in user:
                info[key] = user[key]
        return state.ensure_chat(info)
    if chat_type not in ("group", "supergroup"):
        raise SimError("chat_type must be private, group or supergroup")
    if "chat_id" not in payload:
        raise SimError("chat_id is required for group chats")
    title = payload.get("chat_title") or "Grup Uji Prakerja"
    return state.ensure_chat({"id": int(payload["chat_id"]), "type": chat_type, "title": title})


def _file(state: EmulatorState, prefix: str) -> dict[str, str]:
    return {"file_id": state.unique(prefix), "file_unique_id": state.unique("AQAD")}


def message_content(state: EmulatorState, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The kind-specific part of the Message object."""
    text = payload.get("text")
    if kind in ("text", "command"):
        if not text:
            raise SimError("text is required for text messages")
        if kind == "command" and not str(text).startswith("/"):
            text = "/" + str(text)
        fields: dict[str, Any] = {"text": str(text)}
        entities = command_entities(str(text))
        if entities:
            fields["entities"] = entities
        return fields
    builders: dict[str, Any] = {
        "sticker": lambda: {
            "sticker": {
                **_file(state, "CAACAgIAAxk"),
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "emoji": payload.get("emoji") or "👍",
                "set_name": "UjiPrakerja",
            }
        },
        "photo": lambda: {
            "photo": [
                {**_file(state, "AgACAgUAAxk"), "width": w, "height": w, "file_size": w * 40}
                for w in (90, 320, 1280)
            ]
        },
        "voice": lambda: {
            "voice": {**_file(state, "AwACAgUAAxk"), "duration": 3, "mime_type": "audio/ogg"}
        },
        "video": lambda: {
            "video": {**_file(state, "BAACAgUAAxk"), "width": 640, "height": 360, "duration": 5}
        },
        "audio": lambda: {
            "audio": {**_file(state, "CQACAgUAAxk"), "duration": 30, "mime_type": "audio/mpeg"}
        },
        "location": lambda: {"location": _location(payload)},
        "document": lambda: {
            "document": {
                **_file(state, "BQACAgUAAxk"),
                "file_name": payload.get("file_name") or "dokumen.pdf",
                "mime_type": payload.get("mime_type") or "application/pdf",
            }
        },
        "contact": lambda: {"contact": _contact(payload)},
        "animation": lambda: _animation(state),
        "video_note": lambda: {
            "video_note": {**_file(state, "DQACAgUAAxk"), "length": 240, "duration": 4}
        },
        "poll": lambda: {"poll": _poll(state, payload)},
        "dice": lambda: {"dice": {"emoji": "🎲", "value": int(payload.get("value") or 4)}},
    }
    fields = builders[kind]()
    for key in _FILE_KINDS:
        if key in fields:
            obj = fields[key]
            # Photos are registered per size: any size's file_id re-sends the whole photo.
            for item in obj if isinstance(obj, list) else [obj]:
                state.register_file(item["file_id"], key, obj)
    if text and kind in _CAPTIONED:
        fields["caption"] = str(text)
    return fields


def _location(payload: dict[str, Any]) -> dict[str, float]:
    loc = payload.get("location") or {}
    # Default: Jakarta (Monas), a plausible place for an applicant.
    return {
        "latitude": float(loc.get("latitude", -6.175392)),
        "longitude": float(loc.get("longitude", 106.827153)),
    }


def _contact(payload: dict[str, Any]) -> dict[str, Any]:
    contact = payload.get("contact")
    if not isinstance(contact, dict) or not contact.get("phone_number"):
        raise SimError("contact.phone_number is required for contact messages")
    result: dict[str, Any] = {
        "phone_number": str(contact["phone_number"]),
        "first_name": str(contact.get("first_name") or payload.get("first_name") or "Pelamar"),
    }
    if contact.get("last_name"):
        result["last_name"] = str(contact["last_name"])
    if contact.get("user_id") is not None:
        result["user_id"] = int(contact["user_id"])
    return result


def _animation(state: EmulatorState) -> dict[str, Any]:
    file = _file(state, "CgACAgUAAxk")
    meta = {"file_name": "animasi.mp4", "mime_type": "video/mp4"}
    # Telegram sends animations with a duplicate ``document`` field for old clients.
    return {
        "animation": {**file, "width": 320, "height": 240, "duration": 2, **meta},
        "document": {**file, **meta},
    }


def _poll(state: EmulatorState, payload: dict[str, Any]) -> dict[str, Any]:
    options = payload.get("options") or ["Ya", "Tidak"]
    return {
        "id": state.unique("5"),
        "question": payload.get("text") or "Apakah Anda sudah mendaftar?",
        "options": [
            {"text": str(o), "voter_count": 0, "persistent_id": str(i)}
            for i, o in enumerate(options)
        ],
        "total_voter_count": 0,
        "is_closed": False,
        "is_anonymous": True,
        "type": "regular",
        "allows_multiple_answers": False,
        # Required since Bot API 9.6/10.0; PTB 22.8 refuses polls without them.
        "allows_revoting": False,
        "members_only": False,
    }


def build_message_update(state: EmulatorState, payload: dict[str, Any]) -> dict[str, Any]:
    """Create a user message, store it in the chat history and queue its update."""
    kind = payload.get("kind") or "text"
    if kind not in MESSAGE_KINDS:
        raise SimError(f"unknown kind {kind!r}; expected one of {sorted(MESSAGE_KINDS)}")
    user = user_from(state, payload)
    chat = _chat_for(state, payload, user)
    content = message_content(state, kind, payload)
    message: dict[str, Any] = {
        "message_id": state.take_message_id(chat),
        "from": user,
        "chat": dict(chat.info),
        "date": now(),
        **content,
    }
    if payload.get("forward_from_user_id") is not None:
        message["forward_origin"] = _forward_origin(state, int(payload["forward_from_user_id"]))
    if payload.get("reply_to_message_id") is not None:
        target = chat.find(int(payload["reply_to_message_id"]))
        if target is None:
            raise SimError("reply_to_message_id not found in this chat")
        message["reply_to_message"] = copy.deepcopy(target.api)
        message["reply_to_message"].pop("reply_to_message", None)
    stored = StoredMessage(api=message, from_bot=False, kind=kind)
    state.add_message(chat, stored)
    update = state.queue_update({"message": copy.deepcopy(message)})
    return {
        "update_id": update["update_id"],
        "message_id": message["message_id"],
        "chat_id": chat.id,
        "stored_at": round(stored.stored_at, 4),
    }


def _forward_origin(state: EmulatorState, user_id: int) -> dict[str, Any]:
    sender = state.users.get(user_id) or {
        "id": user_id,
        "is_bot": False,
        "first_name": "Pengguna Lain",
    }
    return {"type": "user", "date": now() - 60, "sender_user": sender}


def build_callback_update(state: EmulatorState, payload: dict[str, Any]) -> dict[str, Any]:
    """A callback_query for a button press on a stored bot message (data may be arbitrary)."""
    user = user_from(state, payload)
    chat_id = int(payload.get("chat_id") or user["id"])
    chat = state.chats.get(chat_id)
    try:
        message_id = int(payload["message_id"])
    except (KeyError, TypeError, ValueError):
        raise SimError("message_id (integer) is required") from None
    message = chat.find(message_id) if chat else None
    if chat is None or message is None or message.deleted or not message.from_bot:
        raise SimError("no bot message with that message_id in this chat")
    data = payload.get("data")
    if data is None:
        raise SimError("data is required")
    query_id = str(random.randrange(10**17, 10**18))
    api = copy.deepcopy(message.api)
    if "inline_keyboard" not in (api.get("reply_markup") or {}):
        api.pop("reply_markup", None)
    callback = {
        "id": query_id,
        "from": user,
        "message": api,
        # Stable per chat, like Telegram's opaque chat_instance.
        "chat_instance": str(abs(chat_id) * 2654435761 % 10**18),
        "data": str(data),
    }
    state.callbacks[query_id] = CallbackRecord(
        chat_id=chat_id, message_id=message_id, data=str(data), created=time.time()
    )
    update = state.queue_update({"callback_query": callback})
    return {"update_id": update["update_id"], "callback_query_id": query_id}
