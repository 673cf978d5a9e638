"""The ``/sim`` JSON API: act as applicants and inspect what the bot did."""

from __future__ import annotations

import copy
import json
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .state import EmulatorState, Fault, StoredMessage
from .updates import SimError, build_callback_update, build_message_update, user_from

MAX_WAIT = 60.0
TYPING_WINDOW = 5.0


def _state(request: Request) -> EmulatorState:
    state: EmulatorState = request.app.state.emulator
    return state


def _error(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"ok": False, "error": message}, status_code=status)


async def _json(request: Request) -> dict[str, Any]:
    body = await request.body()
    if not body:
        return {}
    data = json.loads(body)
    if not isinstance(data, dict):
        raise SimError("JSON object expected")
    return data


def _num(request: Request, key: str, default: float) -> float:
    try:
        return float(request.query_params.get(key, default))
    except ValueError:
        raise SimError(f"{key} must be a number") from None


def _chat_id(request: Request) -> int:
    try:
        return int(request.path_params["chat_id"])
    except ValueError:
        raise SimError("chat_id must be an integer") from None


def _views(messages: list[StoredMessage]) -> list[dict[str, Any]]:
    return [m.sim_view() for m in messages]


async def post_message(request: Request) -> JSONResponse:
    state = _state(request)
    result = build_message_update(state, await _json(request))
    await state.notify()
    return JSONResponse(result)


async def post_callback(request: Request) -> JSONResponse:
    state = _state(request)
    result = build_callback_update(state, await _json(request))
    await state.notify()
    return JSONResponse(result)


async def post_raw(request: Request) -> JSONResponse:
    state = _state(request)
    update = (await _json(request)).get("update")
    if not isinstance(update, dict):
        raise SimError('{"update": {...}} expected')
    update = copy.deepcopy(update)
    message = update.get("message")
    if isinstance(message, dict) and isinstance(message.get("chat"), dict):
        # Make the chat known so the bot may answer, and keep the message in the history.
        chat = state.ensure_chat(message["chat"])
        if isinstance(message.get("from"), dict):
            state.remember_user(message["from"])
        if "message_id" not in message:
            message["message_id"] = state.take_message_id(chat)
        else:
            chat.next_message_id = max(chat.next_message_id, int(message["message_id"]) + 1)
        message.setdefault("date", int(time.time()))
        state.add_message(
            chat, StoredMessage(api=copy.deepcopy(message), from_bot=False, kind="raw")
        )
    queued = state.queue_update(update)
    await state.notify()
    return JSONResponse({"update_id": queued["update_id"]})


async def chat_messages(request: Request) -> JSONResponse:
    state = _state(request)
    chat = state.chats.get(_chat_id(request))
    after = int(_num(request, "after_id", 0))
    messages = [m for m in chat.messages if m.message_id > after] if chat else []
    return JSONResponse({"messages": _views(messages)})


async def chat_wait(request: Request) -> JSONResponse:
    """Long-poll until ``count`` bot messages newer than ``after_id`` exist."""
    state = _state(request)
    chat_id = _chat_id(request)
    after = int(_num(request, "after_id", 0))
    count = max(1, int(_num(request, "count", 1)))
    timeout = min(max(_num(request, "timeout", 20), 0.0), MAX_WAIT)

    def bot_messages() -> list[StoredMessage]:
        chat = state.chats.get(chat_id)
        if chat is None:
            return []
        return [m for m in chat.messages if m.from_bot and m.message_id > after]

    ok = await state.wait_until(lambda: len(bot_messages()) >= count, timeout)
    return JSONResponse({"messages": _views(bot_messages()), "timed_out": not ok})


async def chat_changes(request: Request) -> JSONResponse:
    """Long-poll for any change in a chat (new/edited/deleted messages, actions, callbacks).

    Used by the web page, which re-renders from the full snapshot.
    """
    state = _state(request)
    chat_id = _chat_id(request)
    since = int(_num(request, "since_version", -1))
    timeout = min(max(_num(request, "timeout", 25), 0.0), MAX_WAIT)

    def version() -> int:
        chat = state.chats.get(chat_id)
        return chat.version if chat else 0

    ok = await state.wait_until(lambda: version() > since, timeout)
    chat = state.chats.get(chat_id)
    last_action = chat.actions[-1] if chat and chat.actions else None
    typing = bool(
        last_action
        and last_action["action"] == "typing"
        and time.time() - last_action["ts"] < TYPING_WINDOW
    )
    callbacks = [
        {"id": qid, "text": rec.text, "show_alert": rec.show_alert, "url": rec.url}
        for qid, rec in state.callbacks.items()
        if rec.chat_id == chat_id and rec.answered
    ]
    return JSONResponse(
        {
            "version": version(),
            "timed_out": not ok,
            "messages": _views(chat.messages) if chat else [],
            "typing": typing,
            "last_action": last_action,
            "callbacks": callbacks,
        }
    )


async def chat_actions(request: Request) -> JSONResponse:
    chat = _state(request).chats.get(_chat_id(request))
    return JSONResponse({"actions": list(chat.actions) if chat else []})


async def callback_status(request: Request) -> JSONResponse:
    record = _state(request).callbacks.get(request.path_params["query_id"])
    if record is None:
        return _error("unknown callback_query_id", 404)
    return JSONResponse(
        {
            "answered": record.answered,
            "text": record.text,
            "show_alert": record.show_alert,
            "url": record.url,
            "data": record.data,
        }
    )


async def calls(request: Request) -> JSONResponse:
    state = _state(request)
    method = request.query_params.get("method")
    since = max(int(_num(request, "since", 0)), 0)
    # seq is the 1-based outbox position, so "newer than since" is a slice, not a scan.
    items = [
        c for c in state.outbox[since:] if not method or c["method"].lower() == method.lower()
    ]
    return JSONResponse({"calls": items, "total": len(state.outbox)})


async def handed_over(request: Request) -> JSONResponse:
    """When each update (``update_id`` above ``since``) first went to the bot, epoch seconds."""
    state = _state(request)
    since = int(_num(request, "since", 0))
    return JSONResponse(
        {"handed_over": {str(k): round(v, 4) for k, v in state.handed_over.items() if k > since}}
    )


async def faults(request: Request) -> JSONResponse:
    state = _state(request)
    if request.method == "DELETE":
        state.faults.clear()
    elif request.method == "POST":
        spec = await _json(request)
        method = str(spec.get("method") or "")
        if not method:
            raise SimError("method is required")
        code = spec.get("error_code")
        retry_after = spec.get("retry_after")
        parameters = spec.get("parameters")
        if code == 429 and retry_after is not None:
            parameters = {**(parameters or {}), "retry_after": int(retry_after)}
        fault = Fault(
            error_code=int(code) if code is not None else None,
            description=str(spec.get("description") or _default_description(code)),
            retry_after=int(retry_after) if retry_after is not None else None,
            delay=float(spec.get("delay") or 0),
            times=int(spec.get("times", 1)),
            parameters=parameters,
        )
        state.faults.setdefault(method.lower(), []).append(fault)
    listing = {m: [vars(f) for f in fs] for m, fs in state.faults.items()}
    return JSONResponse({"faults": listing})


def _default_description(code: Any) -> str:
    return {
        400: "Bad Request: injected fault",
        403: "Forbidden: bot was blocked by the user",
        429: "Too Many Requests: retry after 1",
        500: "Internal Server Error",
        502: "Bad Gateway",
    }.get(int(code) if code is not None else 0, "Injected fault")


async def commands(request: Request) -> JSONResponse:
    state = _state(request)
    scoped: dict[str, Any] = {}
    for key, value in state.commands.items():
        scope, language = key.split("|", 1)
        scoped.setdefault(scope, {})[language] = value
    return JSONResponse({"commands": scoped, "menu_buttons": state.menu_buttons})


async def descriptions(request: Request) -> JSONResponse:
    state = _state(request)
    return JSONResponse({**state.descriptions, "name": state.names})


async def webhook(request: Request) -> JSONResponse:
    hook = _state(request).webhook
    return JSONResponse({"webhook": vars(hook) if hook else None})


async def reset(request: Request) -> JSONResponse:
    state = _state(request)
    state.reset()
    await state.notify()
    return JSONResponse({"ok": True})


async def register_user(request: Request) -> JSONResponse:
    """Make a user known (as if they had opened the bot) without sending an update."""
    state = _state(request)
    user = user_from(state, await _json(request))
    state.ensure_chat({"id": user["id"], "type": "private", "first_name": user["first_name"]})
    return JSONResponse({"ok": True, "user": user})


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"ok": True})


ROUTES = [
    Route("/healthz", healthz),
    Route("/sim/updates/message", post_message, methods=["POST"]),
    Route("/sim/updates/callback", post_callback, methods=["POST"]),
    Route("/sim/updates/raw", post_raw, methods=["POST"]),
    Route("/sim/users", register_user, methods=["POST"]),
    Route("/sim/chats/{chat_id}/messages", chat_messages),
    Route("/sim/chats/{chat_id}/wait", chat_wait),
    Route("/sim/chats/{chat_id}/changes", chat_changes),
    Route("/sim/chats/{chat_id}/actions", chat_actions),
    Route("/sim/callbacks/{query_id}", callback_status),
    Route("/sim/calls", calls),
    Route("/sim/handed-over", handed_over),
    Route("/sim/faults", faults, methods=["GET", "POST", "DELETE"]),
    Route("/sim/commands", commands),
    Route("/sim/descriptions", descriptions),
    Route("/sim/webhook", webhook),
    Route("/sim/reset", reset, methods=["POST"]),
]
