"""Bot API method implementations (``/bot{token}/{method}``).

Each handler takes the emulator state and the decoded parameters and returns the ``result`` value
or raises :class:`ApiError` with Telegram's own error wording, so the bot sees the same
exceptions (``BadRequest``, ``Forbidden``, ``RetryAfter``...) it would see in production.
"""

from __future__ import annotations

import bisect
import copy
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlparse

from .forum import FORUM_METHODS, bot_member, check_bot_can_post, quoted, resolve_thread
from .forum import thread_fields as _thread_fields
from .html_check import EntityParseError, ParsedText, parse_html
from .markdown_check import parse_markdown_legacy, parse_markdown_v2
from .state import (
    SERVICE_KEYS,
    ApiError,
    Chat,
    EmulatorState,
    StoredMessage,
    Webhook,
    bad_request,
    now,
)

Handler = Callable[[EmulatorState, dict[str, Any]], Awaitable[Any]]

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_POLL_TIMEOUT = 50.0
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
CONFLICT_POLL = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


# -- parameter helpers -----------------------------------------------------------------------


def _int_param(params: dict[str, Any], key: str, empty_error: str | None = None) -> int:
    value = params.get(key)
    if value is None or value == "":
        raise bad_request(empty_error or f"{key} is empty")
    if isinstance(value, bool):
        raise bad_request(f"invalid {key} specified")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad_request(f"invalid {key} specified") from None


def _bool(params: dict[str, Any], key: str) -> bool:
    value = params.get(key, False)
    return value is True or value in ("true", "True", "1", 1)


def _chat(state: EmulatorState, params: dict[str, Any], key: str = "chat_id") -> Chat:
    """Resolve the target chat like Telegram: unknown -> 400, blocked user -> 403."""
    raw = params.get(key)
    if raw is None or raw == "":
        raise bad_request("chat_id is empty")
    try:
        chat_id = int(raw)
    except (TypeError, ValueError):
        raise bad_request("chat not found") from None  # @usernames are never resolvable here
    moved_to = state.migrated.get(chat_id)
    if moved_to is not None:
        raise ApiError(
            400,
            "Bad Request: group chat was upgraded to a supergroup chat",
            {"migrate_to_chat_id": moved_to},
        )
    chat = state.chats.get(chat_id)
    if chat is None:
        if chat_id in state.users:
            # Telegram knows the user (e.g. from a group) but they never opened the bot.
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        raise bad_request("chat not found")
    if chat_id in state.blocked:
        raise ApiError(403, "Forbidden: bot was blocked by the user")
    check_bot_can_post(state, chat)
    return chat


def format_text(text: str, parse_mode: Any, entities: Any) -> ParsedText:
    """Apply ``parse_mode`` (or explicit ``entities``) and return plain text + entities."""
    mode = (parse_mode or "").strip()
    try:
        if mode.lower() == "html":
            return parse_html(text)
        if mode == "MarkdownV2" or mode.lower() == "markdownv2":
            return parse_markdown_v2(text)
        if mode.lower() == "markdown":
            return parse_markdown_legacy(text)
    except EntityParseError as exc:
        raise bad_request(f"can't parse entities: {exc}") from None
    if mode:
        raise bad_request(f"unsupported parse_mode {mode!r}")
    return ParsedText(text, list(entities) if isinstance(entities, list) else [])


def _validate_inline_button(button: Any) -> None:
    if not isinstance(button, dict) or not str(button.get("text", "")).strip():
        raise bad_request("BUTTON_TEXT_INVALID")
    if "callback_data" in button:
        data = button["callback_data"]
        size = len(str(data).encode("utf-8"))
        if not isinstance(data, str) or not 1 <= size <= 64:
            raise bad_request("BUTTON_DATA_INVALID")
    elif "url" in button:
        parsed = urlparse(str(button["url"]))
        if parsed.scheme not in ("http", "https", "tg") or not (parsed.netloc or parsed.path):
            raise bad_request("BUTTON_URL_INVALID")
    elif not any(
        key in button
        for key in (
            "web_app",
            "login_url",
            "switch_inline_query",
            "switch_inline_query_current_chat",
            "switch_inline_query_chosen_chat",
            "copy_text",
            "callback_game",
            "pay",
        )
    ):
        raise bad_request("text buttons are unallowed in the inline keyboard")


def validate_markup(markup: Any) -> dict[str, Any] | None:
    """Check reply_markup structure (Telegram rejects malformed keyboards) and return it."""
    if markup is None or markup == "":
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request(
                'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array'
            )
        for row in rows:
            for button in row:
                _validate_inline_button(button)
    elif "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request('field "keyboard" of the ReplyKeyboardMarkup must be an Array')
        for row in rows:
            for button in row:
                text = button if isinstance(button, str) else (button or {}).get("text", "")
                if not str(text).strip():
                    raise bad_request("BUTTON_TEXT_INVALID")
    elif not (markup.get("remove_keyboard") or markup.get("force_reply")):
        raise bad_request("can't parse reply keyboard markup JSON object")
    return markup


# -- message building ------------------------------------------------------------------------


def _new_bot_message(
    state: EmulatorState, chat: Chat, fields: dict[str, Any], params: dict[str, Any]
) -> dict[str, Any]:
    """A bot message in ``chat``, placed in the requested topic and reply, if any."""
    thread = _thread_fields(chat, resolve_thread(state, chat, params))
    reply = _reply_to(state, chat, params)
    api: dict[str, Any] = {
        "message_id": state.take_message_id(chat),
        "from": dict(state.bot_user),
        "chat": dict(chat.info),
        "date": now(),
    }
    if reply is not None:
        thread["reply_to_message"] = reply
    api.update(thread)
    api.update({key: value for key, value in fields.items() if value not in (None, [])})
    return api


def _reply_to(state: EmulatorState, chat: Chat, params: dict[str, Any]) -> dict[str, Any] | None:
    """Resolve reply_parameters / reply_to_message_id into the quoted message."""
    reply = params.get("reply_parameters")
    message_id = reply.get("message_id") if isinstance(reply, dict) else None
    message_id = message_id or params.get("reply_to_message_id")
    if not message_id:
        return None
    target = chat.find(int(message_id))
    if target is None or target.deleted:
        allow = _bool(params, "allow_sending_without_reply") or (
            isinstance(reply, dict) and reply.get("allow_sending_without_reply")
        )
        if allow:
            return None
        raise bad_request("message to be replied not found")
    return quoted(target)  # Telegram never nests replies more than one level


def _store_bot_message(
    state: EmulatorState,
    chat: Chat,
    api: dict[str, Any],
    kind: str,
    *,
    html: str | None = None,
    parse_mode: str | None = None,
    photo: str | None = None,
    markup: dict[str, Any] | None = None,
) -> dict[str, Any]:
    stored = StoredMessage(
        api=api, from_bot=True, kind=kind, html=html, parse_mode=parse_mode, photo=photo
    )
    if markup is not None:
        # Reply keyboards are not echoed by Telegram but the page must show them.
        stored.api["reply_markup"] = markup
    state.add_message(chat, stored)
    result = copy.deepcopy(stored.api)
    if markup is not None and "inline_keyboard" not in markup:
        result.pop("reply_markup", None)
    return result


def _caption(params: dict[str, Any]) -> ParsedText | None:
    caption = params.get("caption")
    if caption in (None, ""):
        return None
    parsed = format_text(str(caption), params.get("parse_mode"), params.get("caption_entities"))
    if len(parsed.text) > MAX_CAPTION:
        raise bad_request("message caption is too long")
    return parsed


# -- methods ---------------------------------------------------------------------------------


async def get_me(state: EmulatorState, params: dict[str, Any]) -> Any:
    return {
        **state.bot_user,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


def _confirm_updates(state: EmulatorState, offset: int) -> None:
    """Forget updates below ``offset`` (ids are ascending, so this is a bisect, not a scan)."""
    if offset > 0:
        del state.updates[: bisect.bisect_left(state.updates, offset, key=_update_id)]
    elif offset < 0:
        del state.updates[: max(len(state.updates) + offset, 0)]


def _update_id(update: dict[str, Any]) -> int:
    return int(update["update_id"])


def _deliverable(state: EmulatorState) -> list[dict[str, Any]]:
    """Pending updates (already filtered by allowed_updates when queued)."""
    return state.updates


async def get_updates(state: EmulatorState, params: dict[str, Any]) -> Any:
    if state.webhook is not None:
        raise ApiError(409, CONFLICT_WEBHOOK)
    offset = int(params.get("offset") or 0)
    limit = min(max(int(params.get("limit") or 100), 1), 100)
    timeout = min(max(float(params.get("timeout") or 0), 0.0), MAX_POLL_TIMEOUT)
    if isinstance(params.get("allowed_updates"), list):
        state.set_allowed_updates(list(params["allowed_updates"]))
    _confirm_updates(state, offset)
    state.poll_generation += 1
    generation = state.poll_generation
    await state.notify()  # an older pending poll now answers "Conflict", like Telegram

    def ready() -> bool:
        return generation != state.poll_generation or bool(_deliverable(state))

    await state.wait_until(ready, timeout)
    if generation != state.poll_generation:
        raise ApiError(409, CONFLICT_POLL)
    if state.webhook is not None:
        raise ApiError(409, CONFLICT_WEBHOOK)
    # the hand-over is noted as the answer is written (emulator.WireTimes)
    return copy.deepcopy(_deliverable(state)[:limit])


async def set_webhook(state: EmulatorState, params: dict[str, Any]) -> Any:
    url = str(params.get("url") or "")
    if _bool(params, "drop_pending_updates"):
        state.updates.clear()
    if not url:
        state.webhook = None
        return True
    if urlparse(url).scheme not in ("http", "https"):
        # Real Telegram demands https; plain http is allowed here for local testing.
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    allowed = params.get("allowed_updates")
    state.webhook = Webhook(
        url=url,
        secret_token=params.get("secret_token") or None,
        max_connections=int(params.get("max_connections") or 40),
        allowed_updates=allowed if isinstance(allowed, list) else None,
    )
    if isinstance(allowed, list):
        state.set_allowed_updates(allowed)
    state.poll_generation += 1  # a pending getUpdates must stop
    await state.notify()
    return True


async def delete_webhook(state: EmulatorState, params: dict[str, Any]) -> Any:
    if _bool(params, "drop_pending_updates"):
        state.updates.clear()
    state.webhook = None
    await state.notify()
    return True


async def get_webhook_info(state: EmulatorState, params: dict[str, Any]) -> Any:
    hook = state.webhook
    info: dict[str, Any] = {
        "url": hook.url if hook else "",
        "has_custom_certificate": False,
        "pending_update_count": len(state.updates),
    }
    if hook:
        info["max_connections"] = hook.max_connections
        if hook.allowed_updates:
            info["allowed_updates"] = hook.allowed_updates
        if hook.last_error_date:
            info["last_error_date"] = hook.last_error_date
            info["last_error_message"] = hook.last_error_message
    return info


def _scope_key(params: dict[str, Any]) -> str:
    scope = params.get("scope") or {"type": "default"}
    if not isinstance(scope, dict) or "type" not in scope:
        raise bad_request("can't parse BotCommandScope JSON object")
    key = str(scope["type"])
    for extra in ("chat_id", "user_id"):
        if extra in scope:
            key += f":{scope[extra]}"
    return f"{key}|{params.get('language_code') or ''}"


async def set_my_commands(state: EmulatorState, params: dict[str, Any]) -> Any:
    commands = params.get("commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("can't parse commands JSON object")
    for item in commands:
        if not isinstance(item, dict):
            raise bad_request("can't parse BotCommand JSON object")
        name = str(item.get("command", ""))
        if not (1 <= len(name) <= 32) or not all(
            c.islower() or c.isdigit() or c == "_" for c in name
        ):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(item.get("description", ""))) <= 256:
            raise bad_request("command description is empty")
    state.commands[_scope_key(params)] = [
        {"command": str(c["command"]), "description": str(c["description"])} for c in commands
    ]
    return True


async def get_my_commands(state: EmulatorState, params: dict[str, Any]) -> Any:
    return copy.deepcopy(state.commands.get(_scope_key(params), []))


async def delete_my_commands(state: EmulatorState, params: dict[str, Any]) -> Any:
    state.commands.pop(_scope_key(params), None)
    return True


def _describe(field: str, limit: int) -> tuple[Handler, Handler]:
    async def setter(state: EmulatorState, params: dict[str, Any]) -> Any:
        value = str(params.get(field) or "")
        if len(value) > limit:
            raise bad_request(f"{field.upper()}_INVALID")
        state.descriptions[field][str(params.get("language_code") or "")] = value
        return True

    async def getter(state: EmulatorState, params: dict[str, Any]) -> Any:
        return {field: state.descriptions[field].get(str(params.get("language_code") or ""), "")}

    return setter, getter


async def set_my_name(state: EmulatorState, params: dict[str, Any]) -> Any:
    state.names[str(params.get("language_code") or "")] = str(params.get("name") or "")
    return True


async def get_my_name(state: EmulatorState, params: dict[str, Any]) -> Any:
    lang = str(params.get("language_code") or "")
    return {"name": state.names.get(lang) or state.bot_user["first_name"]}


async def set_chat_menu_button(state: EmulatorState, params: dict[str, Any]) -> Any:
    button = params.get("menu_button") or {"type": "default"}
    state.menu_buttons[str(params.get("chat_id") or "")] = button
    return True


async def get_chat_menu_button(state: EmulatorState, params: dict[str, Any]) -> Any:
    key = str(params.get("chat_id") or "")
    return state.menu_buttons.get(key) or state.menu_buttons.get("") or {"type": "commands"}


async def send_message(state: EmulatorState, params: dict[str, Any]) -> Any:
    chat = _chat(state, params)
    text = params.get("text")
    if text is None or str(text).strip() == "":
        raise bad_request("message text is empty")
    parsed = format_text(str(text), params.get("parse_mode"), params.get("entities"))
    if not parsed.text.strip():
        raise bad_request("message text is empty")
    if len(parsed.text) > MAX_TEXT:
        raise bad_request("message is too long")
    markup = validate_markup(params.get("reply_markup"))
    fields = {
        "text": parsed.text,
        "entities": parsed.entities,
        "link_preview_options": params.get("link_preview_options"),
    }
    api = _new_bot_message(state, chat, fields, params)
    mode = params.get("parse_mode") or None
    html = str(text) if mode and str(mode).lower() == "html" else None
    result = _store_bot_message(
        state, chat, api, "text", html=html, parse_mode=mode, markup=markup
    )
    await state.notify()
    return result


def _file_ref(params: dict[str, Any], key: str) -> str:
    value = params.get(key)
    if isinstance(value, dict) and "upload" in value:
        return f"upload:{value['upload']}"
    if value is None or str(value).strip() == "":
        raise bad_request(f"there is no {key} in the request")
    return str(value)


def _known_file(state: EmulatorState, ref: str, kind: str) -> Any | None:
    """The stored object for a file_id of this kind; None for a fresh upload or URL.

    Telegram rejects a file_id it never issued, so an unknown one is a 400 here too.
    """
    if ref.startswith(("http://", "https://", "upload:")):
        return None
    known = state.files.get(ref)
    if known is None or known[0] != kind:
        raise bad_request("wrong file identifier/HTTP URL specified")
    return copy.deepcopy(known[1])


def _media_message(
    state: EmulatorState,
    chat: Chat,
    params: dict[str, Any],
    kind: str,
    media: Any,
    ref: str,
    *,
    captioned: bool = True,
) -> dict[str, Any]:
    """Send one media message (photo, document, voice, sticker) and return its API form."""
    caption = _caption(params) if captioned else None
    markup = validate_markup(params.get("reply_markup"))
    fields = {
        kind: media,
        "caption": caption.text if caption else None,
        "caption_entities": caption.entities if caption else None,
    }
    api = _new_bot_message(state, chat, fields, params)
    mode = params.get("parse_mode") or None
    html = str(params.get("caption")) if caption and mode and str(mode).lower() == "html" else None
    return _store_bot_message(
        state, chat, api, kind, html=html, parse_mode=mode, photo=ref, markup=markup
    )


def _new_file(state: EmulatorState, prefix: str, kind: str, extra: dict[str, Any]) -> Any:
    obj = {"file_id": state.unique(prefix), "file_unique_id": state.unique("AgAD"), **extra}
    state.register_file(obj["file_id"], kind, obj)
    return obj


async def send_photo(state: EmulatorState, params: dict[str, Any]) -> Any:
    """``sendPhoto`` by URL, upload or a known file_id (which keeps its sizes)."""
    chat = _chat(state, params)
    ref = _file_ref(params, "photo")
    sizes = _known_file(state, ref, "photo")
    if sizes is None:
        base = state.unique("AgAC")
        sizes = [
            {"file_id": f"{base}-{w}", "file_unique_id": f"{base}u{w}", "width": w, "height": w}
            for w in (90, 320, 800)
        ]
        for size in sizes:
            state.register_file(size["file_id"], "photo", sizes)
    result = _media_message(state, chat, params, "photo", sizes, ref)
    await state.notify()
    return result


async def send_document(state: EmulatorState, params: dict[str, Any]) -> Any:
    """``sendDocument`` by URL, upload or a known file_id."""
    chat = _chat(state, params)
    ref = _file_ref(params, "document")
    document = _known_file(state, ref, "document")
    if document is None:
        name = ref.rsplit("/", 1)[-1].removeprefix("upload:") or "dokumen"
        mime = "application/pdf" if name.lower().endswith(".pdf") else "application/octet-stream"
        document = _new_file(state, "BQAC", "document", {"file_name": name, "mime_type": mime})
    result = _media_message(state, chat, params, "document", document, ref)
    await state.notify()
    return result


async def send_voice(state: EmulatorState, params: dict[str, Any]) -> Any:
    """``sendVoice`` by URL, upload or a known file_id."""
    chat = _chat(state, params)
    ref = _file_ref(params, "voice")
    voice = _known_file(state, ref, "voice")
    if voice is None:
        voice = _new_file(state, "AwAC", "voice", {"duration": 3, "mime_type": "audio/ogg"})
    result = _media_message(state, chat, params, "voice", voice, ref)
    await state.notify()
    return result


async def send_sticker(state: EmulatorState, params: dict[str, Any]) -> Any:
    """``sendSticker`` by a known file_id, URL or upload (stickers have no caption)."""
    chat = _chat(state, params)
    ref = _file_ref(params, "sticker")
    sticker = _known_file(state, ref, "sticker")
    if sticker is None:
        sticker = _new_file(
            state,
            "CAAC",
            "sticker",
            {
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "emoji": str(params.get("emoji") or "🙂"),
            },
        )
    result = _media_message(state, chat, params, "sticker", sticker, ref, captioned=False)
    await state.notify()
    return result


async def send_chat_action(state: EmulatorState, params: dict[str, Any]) -> Any:
    chat = _chat(state, params)
    action = str(params.get("action") or "")
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    target = resolve_thread(state, chat, params, for_action=True)
    thread = target.thread_id if target is not None and not isinstance(target, int) else target
    chat.actions.append({"action": action, "ts": time.time(), "message_thread_id": thread})
    del chat.actions[:-50]  # only the latest actions matter (the page shows "typing")
    chat.version += 1
    await state.notify()
    return True


async def answer_callback_query(state: EmulatorState, params: dict[str, Any]) -> Any:
    query_id = str(params.get("callback_query_id") or "")
    record = state.callbacks.get(query_id)
    expired = record is not None and time.time() - record.created > state.callback_ttl
    if record is None or record.answered or expired:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    text = params.get("text")
    if text is not None and len(str(text)) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    record.answered = True
    record.text = str(text) if text is not None else None
    record.show_alert = _bool(params, "show_alert")
    record.url = params.get("url")
    chat = state.chats.get(record.chat_id)
    if chat is not None:
        chat.version += 1  # lets the page's long-poll pick up the answer text (toast)
    await state.notify()
    return True


def _target_message(
    state: EmulatorState, params: dict[str, Any], missing: str
) -> tuple[Chat, StoredMessage]:
    if params.get("inline_message_id"):
        raise bad_request("MESSAGE_ID_INVALID")  # no inline mode in this emulator
    chat = _chat(state, params)
    message_id = _int_param(params, "message_id", "message identifier is not specified")
    message = chat.find(message_id)
    if message is None or message.deleted:
        raise bad_request(missing)
    return chat, message


def _edit_result(chat: Chat, message: StoredMessage) -> dict[str, Any]:
    message.edited = True
    message.api["edit_date"] = now()
    chat.version += 1
    result = copy.deepcopy(message.api)
    markup = result.get("reply_markup")
    if isinstance(markup, dict) and "inline_keyboard" not in markup:
        result.pop("reply_markup", None)
    return result


async def edit_message_text(state: EmulatorState, params: dict[str, Any]) -> Any:
    chat, message = _target_message(state, params, "message to edit not found")
    if not message.from_bot:
        raise bad_request("message can't be edited")
    if "text" not in message.api:
        raise bad_request("there is no text in the message to edit")
    text = params.get("text")
    if text is None or str(text).strip() == "":
        raise bad_request("message text is empty")
    parsed = format_text(str(text), params.get("parse_mode"), params.get("entities"))
    if len(parsed.text) > MAX_TEXT:
        raise bad_request("message is too long")
    # Like Telegram, an edit without reply_markup drops the inline keyboard.
    markup = _edit_markup(params)
    old_markup = _inline_markup(message.api.get("reply_markup"))
    if (
        parsed.text == message.api["text"]
        and parsed.entities == message.api.get("entities", [])
        and markup == old_markup
    ):
        raise bad_request(NOT_MODIFIED)
    message.api["text"] = parsed.text
    message.api["entities"] = parsed.entities
    _set_markup(message, markup)
    mode = params.get("parse_mode") or None
    message.parse_mode = mode
    message.html = str(text) if mode and str(mode).lower() == "html" else None
    result = _edit_result(chat, message)
    await state.notify()
    return result


async def edit_message_caption(state: EmulatorState, params: dict[str, Any]) -> Any:
    chat, message = _target_message(state, params, "message to edit not found")
    if not message.from_bot or "text" in message.api:
        raise bad_request("there is no caption in the message to edit")
    caption = _caption(params)
    message.api["caption"] = caption.text if caption else None
    message.api["caption_entities"] = caption.entities if caption else []
    _set_markup(message, _edit_markup(params))
    result = _edit_result(chat, message)
    await state.notify()
    return result


def _inline_markup(markup: Any) -> dict[str, Any] | None:
    return markup if isinstance(markup, dict) and "inline_keyboard" in markup else None


def _edit_markup(params: dict[str, Any]) -> dict[str, Any] | None:
    markup = validate_markup(params.get("reply_markup"))
    if markup is not None and "inline_keyboard" not in markup:
        raise bad_request("inline keyboard expected")
    return markup


def _set_markup(message: StoredMessage, markup: dict[str, Any] | None) -> None:
    # A stored reply keyboard is chat state shown by the page, not part of the message in
    # Telegram, so edits only ever replace or drop an inline keyboard.
    current = message.api.get("reply_markup")
    if current is not None and _inline_markup(current) is None:
        return
    if markup is None:
        message.api.pop("reply_markup", None)
    else:
        message.api["reply_markup"] = markup


async def edit_message_reply_markup(state: EmulatorState, params: dict[str, Any]) -> Any:
    chat, message = _target_message(state, params, "message to edit not found")
    if not message.from_bot:
        raise bad_request("message can't be edited")
    markup = _edit_markup(params)
    if markup == _inline_markup(message.api.get("reply_markup")):
        raise bad_request(NOT_MODIFIED)
    _set_markup(message, markup)
    result = _edit_result(chat, message)
    await state.notify()
    return result


async def delete_message(state: EmulatorState, params: dict[str, Any]) -> Any:
    chat, message = _target_message(state, params, "message to delete not found")
    message.deleted = True
    chat.version += 1
    await state.notify()
    return True


_CONTENT_SKIP = frozenset(
    {
        "message_id",
        "from",
        "chat",
        "date",
        "edit_date",
        "reply_markup",
        "reply_to_message",
        "message_thread_id",
        "is_topic_message",
        "author_signature",
        "has_protected_content",
    }
)


def _source_message(state: EmulatorState, params: dict[str, Any], missing: str) -> StoredMessage:
    source_chat = state.chats.get(_int_param(params, "from_chat_id"))
    if source_chat is None:
        raise bad_request("chat not found")
    message = source_chat.find(_int_param(params, "message_id"))
    if message is None or message.deleted:
        raise bad_request(missing)
    return message


async def copy_message(state: EmulatorState, params: dict[str, Any]) -> Any:
    """``copyMessage``: a new bot message with the same content and no link to the original."""
    source = _source_message(state, params, "message to copy not found")
    chat = _chat(state, params)
    if any(key in source.api for key in SERVICE_KEYS):
        raise bad_request("the message can't be copied")
    fields = {
        key: copy.deepcopy(value)
        for key, value in source.api.items()
        if key not in _CONTENT_SKIP and key != "forward_origin"
    }
    if "caption" in params and "text" not in fields:
        # An explicit caption (even empty) replaces the original one.
        caption = _caption(params)
        fields.pop("caption", None)
        fields.pop("caption_entities", None)
        if caption is not None:
            fields["caption"] = caption.text
            fields["caption_entities"] = caption.entities
    markup = validate_markup(params.get("reply_markup"))
    api = _new_bot_message(state, chat, fields, params)
    _store_bot_message(state, chat, api, source.kind, photo=source.photo, markup=markup)
    await state.notify()
    return {"message_id": api["message_id"]}


async def forward_message(state: EmulatorState, params: dict[str, Any]) -> Any:
    """``forwardMessage``: the copy keeps a ``forward_origin`` pointing at the sender."""
    source = _source_message(state, params, "message to forward not found")
    chat = _chat(state, params)
    if any(key in source.api for key in SERVICE_KEYS):
        raise bad_request("the message can't be forwarded")
    fields = {
        key: copy.deepcopy(value) for key, value in source.api.items() if key not in _CONTENT_SKIP
    }
    fields.setdefault(
        "forward_origin",
        {"type": "user", "date": source.api["date"], "sender_user": source.api["from"]},
    )
    api = _new_bot_message(state, chat, fields, params)
    result = _store_bot_message(state, chat, api, source.kind, photo=source.photo)
    await state.notify()
    return result


async def get_chat(state: EmulatorState, params: dict[str, Any]) -> Any:
    raw = params.get("chat_id")
    try:
        chat = state.chats.get(int(raw))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        chat = None
    if chat is None or not bot_member(state, chat).present:
        raise bad_request("chat not found")
    extra: dict[str, Any] = {}
    if chat.info.get("type") in ("group", "supergroup"):
        extra["permissions"] = {
            "can_send_messages": True,
            "can_send_photos": True,
            "can_send_documents": True,
            "can_send_voice_notes": True,
            "can_send_other_messages": True,
            "can_invite_users": True,
            "can_pin_messages": False,
            "can_manage_topics": False,
        }
    return {
        **chat.info,
        **extra,
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        },
    }


async def always_true(state: EmulatorState, params: dict[str, Any]) -> Any:
    return True


_set_description, _get_description = _describe("description", 512)
_set_short_description, _get_short_description = _describe("short_description", 120)

# Telegram method names are case-insensitive, so the registry is keyed in lower case.
METHODS: dict[str, Handler] = {
    "getme": get_me,
    "getupdates": get_updates,
    "setwebhook": set_webhook,
    "deletewebhook": delete_webhook,
    "getwebhookinfo": get_webhook_info,
    "setmycommands": set_my_commands,
    "getmycommands": get_my_commands,
    "deletemycommands": delete_my_commands,
    "setmydescription": _set_description,
    "getmydescription": _get_description,
    "setmyshortdescription": _set_short_description,
    "getmyshortdescription": _get_short_description,
    "setmyname": set_my_name,
    "getmyname": get_my_name,
    "setchatmenubutton": set_chat_menu_button,
    "getchatmenubutton": get_chat_menu_button,
    "sendmessage": send_message,
    "sendphoto": send_photo,
    "senddocument": send_document,
    "sendvoice": send_voice,
    "sendsticker": send_sticker,
    "sendchataction": send_chat_action,
    "answercallbackquery": answer_callback_query,
    "editmessagetext": edit_message_text,
    "editmessagecaption": edit_message_caption,
    "editmessagereplymarkup": edit_message_reply_markup,
    "deletemessage": delete_message,
    "copymessage": copy_message,
    "forwardmessage": forward_message,
    "getchat": get_chat,
    "close": always_true,
    "logout": always_true,
    **FORUM_METHODS,
}
