"""Sim API for groups, forum topics, staff posts, blocking, flood limits and counters.

Staff members act through these endpoints as people in the staff forum would in a Telegram
client; each post becomes the update Telegram would deliver to the bot.
"""

from __future__ import annotations

import copy
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .forum import (
    PRESENT,
    bot_member,
    create_group,
    delete_topic,
    group_chat,
    member_api,
    member_update,
    new_topic,
    quoted,
    service_message,
    user_record,
)
from .limits import TELEGRAM_PRESET, LimitConfig
from .sim import MAX_WAIT, TYPING_WINDOW, _json, _num, _state
from .state import ApiError, Chat, EmulatorState, Member, StoredMessage, Topic, now
from .updates import MESSAGE_KINDS, SimError, command_entities, message_content


def _chat_id(request: Request) -> int:
    try:
        return int(request.path_params["chat_id"])
    except ValueError:
        raise SimError("chat_id must be an integer") from None


def _group(request: Request) -> Chat:
    try:
        return group_chat(_state(request), _chat_id(request))
    except ValueError as exc:
        raise SimError(str(exc)) from None


def _thread(raw: Any) -> int | None:
    """Path/payload thread: ``general`` (or empty/1) is the General topic."""
    if raw in (None, "", "general", "General", 0, "0", 1, "1"):
        return None
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise SimError("message_thread_id must be an integer or 'general'") from None


def _live_topic(chat: Chat, thread_id: int) -> Topic:
    topic = chat.topics.get(thread_id)
    if topic is None or topic.deleted:
        raise SimError(f"no topic {thread_id} in this group")
    return topic


def _member(state: EmulatorState, chat: Chat, payload: dict[str, Any]) -> Member:
    """The acting staff member, who must be in the group."""
    try:
        user_id = int(payload["user_id"])
    except (KeyError, TypeError, ValueError):
        raise SimError("user_id (integer) is required") from None
    member = (chat.members or {}).get(user_id)
    if member is None or not member.present:
        raise SimError(f"user {user_id} is not a member of this group")
    return member


def _topic_view(chat: Chat, topic: Topic) -> dict[str, Any]:
    messages = [
        m for m in chat.by_thread.get(topic.thread_id, []) if not m.deleted and m.kind != "service"
    ]
    return {
        **topic.api(),
        "is_closed": topic.closed,
        "is_deleted": topic.deleted,
        "created_by": topic.created_by,
        "message_count": len(messages),
        "last_message_date": messages[-1].api["date"] if messages else None,
    }


def _topics(chat: Chat, include_deleted: bool = False) -> list[dict[str, Any]]:
    return [_topic_view(chat, t) for t in chat.topics.values() if include_deleted or not t.deleted]


def _thread_messages(chat: Chat, thread_id: int | None) -> list[StoredMessage]:
    return [m for m in chat.by_thread.get(thread_id, []) if not m.deleted]


def _members(state: EmulatorState, chat: Chat) -> list[dict[str, Any]]:
    people = [member_api(m) for m in (chat.members or {}).values() if m.present]
    return [*people, member_api(bot_member(state, chat), state.bot_user)]


def _group_view(state: EmulatorState, chat: Chat) -> dict[str, Any]:
    return {"chat": dict(chat.info), "members": _members(state, chat), "topics": _topics(chat)}


# -- groups and members -----------------------------------------------------------------------


async def groups(request: Request) -> JSONResponse:
    """``GET`` lists sim groups; ``POST`` creates one (forum or not, bot admin or not)."""
    state = _state(request)
    if request.method == "GET":
        listing = [_group_view(state, c) for c in state.chats.values() if c.members is not None]
        return JSONResponse({"groups": listing})
    spec = await _json(request)
    rights = dict(spec.get("bot_rights") or {})
    if "bot_can_manage_topics" in spec:
        rights["can_manage_topics"] = bool(spec["bot_can_manage_topics"])
    try:
        chat = create_group(
            state,
            chat_id=int(spec["chat_id"]) if spec.get("chat_id") is not None else None,
            title=str(spec.get("title") or "Grup Uji Prakerja"),
            is_forum=bool(spec.get("is_forum", True)),
            bot_status=str(spec.get("bot_status") or "administrator"),
            bot_rights=rights,
            members=list(spec.get("members") or []),
        )
    except ValueError as exc:
        raise SimError(str(exc)) from None
    await state.notify()
    return JSONResponse({"ok": True, **_group_view(state, chat)})


async def group_detail(request: Request) -> JSONResponse:
    """One group: chat info, members (bot included) and live topics."""
    return JSONResponse(_group_view(_state(request), _group(request)))


async def add_member(request: Request) -> JSONResponse:
    """Add a member or change their status/rights (``"user_id": "bot"`` changes the bot).

    Joining posts a ``new_chat_members`` service message; the bot receives it as a message
    update, plus ``my_chat_member`` for its own changes or ``chat_member`` (opt-in) for others.
    """
    state = _state(request)
    chat = _group(request)
    spec = await _json(request)
    status = str(spec.get("status") or "member")
    if status not in (*PRESENT, "left", "kicked"):
        raise SimError("status must be creator, administrator, member, left or kicked")
    rights = {str(k): bool(v) for k, v in dict(spec.get("rights") or {}).items()}
    if spec.get("user_id") == "bot":
        await _change_bot(state, chat, spec, status, rights)
        return JSONResponse({"ok": True, **_group_view(state, chat)})
    try:
        user = user_record(state, spec)
    except ValueError as exc:
        raise SimError(str(exc)) from None
    if status == "administrator" and not rights:
        rights = {"can_manage_topics": True, "can_delete_messages": True, "can_pin_messages": True}
    _set_member(state, chat, user, Member(user=user, status=status, rights=rights), user)
    await state.notify()
    return JSONResponse({"ok": True, **_group_view(state, chat)})


async def remove_member(request: Request) -> JSONResponse:
    """``DELETE``: the member leaves (``?ban=1``: is banned, status kicked)."""
    state = _state(request)
    chat = _group(request)
    status = "kicked" if request.query_params.get("ban") in ("1", "true") else "left"
    raw = request.path_params["user_id"]
    if raw == "bot":
        await _change_bot(state, chat, {}, status, {})
        return JSONResponse({"ok": True, **_group_view(state, chat)})
    try:
        user_id = int(raw)
    except ValueError:
        raise SimError("user_id must be an integer or 'bot'") from None
    current = (chat.members or {}).get(user_id)
    if current is None:
        raise SimError(f"user {user_id} was never in this group")
    user = current.user
    _set_member(state, chat, user, Member(user=user, status=status), user)
    await state.notify()
    return JSONResponse({"ok": True, **_group_view(state, chat)})


def _set_member(
    state: EmulatorState,
    chat: Chat,
    user: dict[str, Any],
    new: Member,
    actor: dict[str, Any],
) -> None:
    assert chat.members is not None
    old = chat.members.get(int(user["id"])) or Member(user=user, status="left")
    chat.members[int(user["id"])] = new
    if old.present and not new.present:
        _service_update(state, chat, actor, {"left_chat_member": dict(user)})
    elif new.present and not old.present:
        _service_update(state, chat, actor, {"new_chat_members": [dict(user)]})
    member_update(state, chat, actor, member_api(old), member_api(new), "chat_member")


async def _change_bot(
    state: EmulatorState, chat: Chat, spec: dict[str, Any], status: str, rights: dict[str, bool]
) -> None:
    """Change the bot's own membership (admin rights, removal): a ``my_chat_member`` update."""
    if status == "creator":
        raise SimError("the bot cannot own the group")
    old = bot_member(state, chat)
    if status == "administrator":
        rights = {**old.rights, **rights} if old.status == "administrator" else rights
    new = Member(user=state.bot_user, status=status, rights=rights)
    actor = _any_owner(state, chat)
    chat.bot = new
    member_update(
        state,
        chat,
        actor,
        member_api(old, state.bot_user),
        member_api(new, state.bot_user),
        "my_chat_member",
    )
    await state.notify()


def _any_owner(state: EmulatorState, chat: Chat) -> dict[str, Any]:
    for member in (chat.members or {}).values():
        if member.status == "creator":
            return member.user
    return {"id": 777000, "is_bot": False, "first_name": "Telegram"}


def _service_update(
    state: EmulatorState, chat: Chat, actor: dict[str, Any], payload: dict[str, Any]
) -> None:
    api = service_message(state, chat, actor, payload)
    if bot_member(state, chat).present:
        state.queue_update({"message": copy.deepcopy(api)})


# -- topics ------------------------------------------------------------------------------------


async def topics(request: Request) -> JSONResponse:
    """``GET`` lists topics (``?include_deleted=1``); ``POST`` lets a staff member create one."""
    state = _state(request)
    chat = _group(request)
    if request.method == "GET":
        include = request.query_params.get("include_deleted") in ("1", "true")
        return JSONResponse({"topics": _topics(chat, include)})
    payload = await _json(request)
    member = _member(state, chat, payload)
    try:
        topic, api = new_topic(state, chat, member.user, str(payload.get("name") or ""))
    except ApiError as exc:
        raise SimError(exc.description) from None
    state.queue_update({"message": copy.deepcopy(api)})
    await state.notify()
    return JSONResponse({"ok": True, "topic": _topic_view(chat, topic)})


async def topic_state(request: Request) -> JSONResponse:
    """A staff member closes or reopens a topic (service message update to the bot)."""
    state = _state(request)
    chat = _group(request)
    topic = _live_topic(chat, int(request.path_params["thread_id"]))
    member = _member(state, chat, await _json(request))
    action = request.path_params["action"]
    if action not in ("close", "reopen"):
        raise SimError("action must be close or reopen")
    closed = action == "close"
    if topic.closed != closed:
        topic.closed = closed
        key = "forum_topic_closed" if closed else "forum_topic_reopened"
        api = service_message(state, chat, member.user, {key: {}}, topic=topic)
        state.queue_update({"message": copy.deepcopy(api)})
        await state.notify()
    return JSONResponse({"ok": True, "topic": _topic_view(chat, topic)})


async def topic_delete(request: Request) -> JSONResponse:
    """A staff member deletes a topic with all its messages (Telegram sends no update)."""
    state = _state(request)
    chat = _group(request)
    topic = _live_topic(chat, int(request.path_params["thread_id"]))
    delete_topic(chat, topic)
    await state.notify()
    return JSONResponse({"ok": True, "topic": _topic_view(chat, topic)})


async def thread_messages(request: Request) -> JSONResponse:
    """Messages of one topic (``general`` = General topic) newer than ``after_id``."""
    chat = _group(request)
    thread_id = _thread(request.path_params["thread"])
    after = int(_num(request, "after_id", 0))
    messages = [m for m in _thread_messages(chat, thread_id) if m.message_id > after]
    return JSONResponse({"messages": [m.sim_view() for m in messages]})


async def thread_wait(request: Request) -> JSONResponse:
    """Long-poll until ``count`` bot messages (``from_bot=0``: any) newer than ``after_id``."""
    state = _state(request)
    chat = _group(request)
    thread_id = _thread(request.path_params["thread"])
    after = int(_num(request, "after_id", 0))
    count = max(1, int(_num(request, "count", 1)))
    timeout = min(max(_num(request, "timeout", 20), 0.0), MAX_WAIT)
    only_bot = request.query_params.get("from_bot", "1") not in ("0", "false")

    def found() -> list[StoredMessage]:
        return [
            m
            for m in chat.by_thread.get(thread_id, [])
            if m.message_id > after and (m.from_bot or not only_bot) and not m.deleted
        ]

    ok = await state.wait_until(lambda: len(found()) >= count, timeout)
    return JSONResponse({"messages": [m.sim_view() for m in found()], "timed_out": not ok})


async def group_changes(request: Request) -> JSONResponse:
    """Long-poll for any change in a group; returns topics and one thread (for ``/staff``)."""
    state = _state(request)
    chat_id = _chat_id(request)
    since = int(_num(request, "since_version", -1))
    timeout = min(max(_num(request, "timeout", 25), 0.0), MAX_WAIT)
    thread_id = _thread(request.query_params.get("thread"))

    def version() -> int:
        chat = state.chats.get(chat_id)
        return chat.version if chat is not None else 0

    ok = await state.wait_until(lambda: version() > since, timeout)
    chat = _group(request)
    last = chat.actions[-1] if chat.actions else None
    typing = bool(
        last
        and last["action"] == "typing"
        and last.get("message_thread_id") == thread_id
        and time.time() - last["ts"] < TYPING_WINDOW
    )
    return JSONResponse(
        {
            "version": version(),
            "timed_out": not ok,
            **_group_view(state, chat),
            "thread": thread_id,
            "messages": [m.sim_view() for m in _thread_messages(chat, thread_id)],
            "typing": typing,
        }
    )


# -- staff posts -------------------------------------------------------------------------------


def _privacy_hides(state: EmulatorState, chat: Chat, message: dict[str, Any]) -> bool:
    """Privacy mode: a bot that is not an admin only sees commands and replies to itself."""
    if bot_member(state, chat).status == "administrator":
        return False
    if str(message.get("text", "")).startswith("/"):
        return False
    reply = message.get("reply_to_message") or {}
    is_thread_root = reply.get("message_id") == message.get("message_thread_id")
    return not (reply.get("from", {}).get("id") == state.bot_user["id"] and not is_thread_root)


async def post_group_message(request: Request) -> JSONResponse:
    """A staff member posts into a topic or General: text, command, photo, document, reply..."""
    state = _state(request)
    chat = _group(request)
    payload = await _json(request)
    member = _member(state, chat, payload)
    kind = str(payload.get("kind") or "text")
    if kind not in MESSAGE_KINDS:
        raise SimError(f"unknown kind {kind!r}; expected one of {sorted(MESSAGE_KINDS)}")
    text = str(payload.get("text") or "")
    if kind == "text" and text.startswith("/"):
        kind = "command"
    thread_id = _thread(payload.get("message_thread_id"))
    topic = _live_topic(chat, thread_id) if thread_id is not None else None
    if topic is not None and topic.closed and member.status not in ("creator", "administrator"):
        raise SimError("the topic is closed; only administrators may write in it")
    message: dict[str, Any] = {
        "message_id": state.take_message_id(chat),
        "from": dict(member.user),
        "chat": dict(chat.info),
        "date": now(),
    }
    if topic is not None:
        message["message_thread_id"] = topic.thread_id
        message["is_topic_message"] = True
        root = chat.find(topic.thread_id)
        if root is not None:
            message["reply_to_message"] = quoted(root)
    if payload.get("reply_to_message_id") is not None:
        target = chat.find(int(payload["reply_to_message_id"]))
        if target is None or target.deleted or target.thread_key != thread_id:
            raise SimError("reply_to_message_id not found in this topic")
        message["reply_to_message"] = quoted(target)
    message.update(message_content(state, kind, payload))
    if kind == "command" and "entities" not in message:
        message["entities"] = command_entities(message["text"])
    state.add_message(chat, StoredMessage(api=message, from_bot=False, kind=kind))
    delivered = not _privacy_hides(state, chat, message)
    update_id = None
    if delivered:
        update_id = state.queue_update({"message": copy.deepcopy(message)})["update_id"]
    await state.notify()
    return JSONResponse(
        {
            "update_id": update_id,
            "message_id": message["message_id"],
            "chat_id": chat.id,
            "message_thread_id": message.get("message_thread_id"),
            "delivered": delivered,
        }
    )


# -- blocking, bulk users, limits and stats ----------------------------------------------------


def set_blocked(state: EmulatorState, user_id: int, blocked: bool) -> bool:
    """Block or unblock the bot for a user; on a change the bot gets ``my_chat_member``."""
    if blocked == (user_id in state.blocked):
        return False
    if blocked:
        state.blocked.add(user_id)
    else:
        state.blocked.discard(user_id)
    user = state.users.get(user_id) or {"id": user_id, "is_bot": False, "first_name": "Pelamar"}
    chat = state.chats.get(user_id)
    info = (
        dict(chat.info)
        if chat is not None
        else {
            "id": user_id,
            "type": "private",
            "first_name": user.get("first_name", "Pelamar"),
        }
    )
    bot = dict(state.bot_user)
    member = {"user": bot, "status": "member"}
    kicked = {"user": bot, "status": "kicked", "until_date": 0}
    state.queue_update(
        {
            "my_chat_member": {
                "chat": info,
                "from": dict(user),
                "date": now(),
                "old_chat_member": member if blocked else kicked,
                "new_chat_member": kicked if blocked else member,
            }
        }
    )
    return True


async def block(request: Request) -> JSONResponse:
    """``/block`` (body ``{"blocked": false}`` unblocks) and ``/unblock`` for a user."""
    state = _state(request)
    try:
        user_id = int(request.path_params["user_id"])
    except ValueError:
        raise SimError("user_id must be an integer") from None
    if request.url.path.endswith("/unblock"):
        blocked = False
    else:
        blocked = bool((await _json(request)).get("blocked", True))
    changed = set_blocked(state, user_id, blocked)
    await state.notify()
    return JSONResponse({"ok": True, "user_id": user_id, "blocked": blocked, "changed": changed})


async def bulk_users(request: Request) -> JSONResponse:
    """Register many applicants: ``{"first_id": N, "count": K}`` or ``{"user_ids": [...]}``."""
    state = _state(request)
    spec = await _json(request)
    if isinstance(spec.get("user_ids"), list):
        ids = [int(i) for i in spec["user_ids"]]
    else:
        try:
            first, count = int(spec["first_id"]), int(spec["count"])
        except (KeyError, TypeError, ValueError):
            raise SimError('{"first_id": int, "count": int} or {"user_ids": [...]}') from None
        if not 0 < count <= 200_000:
            raise SimError("count must be between 1 and 200000")
        ids = list(range(first, first + count))
    name = str(spec.get("first_name") or "Pelamar")
    for user_id in ids:
        user = {"id": user_id, "is_bot": False, "first_name": name, "language_code": "id"}
        state.remember_user(user)
        state.ensure_chat({"id": user_id, "type": "private", "first_name": name})
    return JSONResponse({"ok": True, "count": len(ids)})


async def migrate(request: Request) -> JSONResponse:
    """``POST /sim/chats/{chat_id}/migrate``: a basic group becomes a supergroup.

    Body ``{"to_chat_id"?: -100..., "title"?}``; a group not seen before is created first (the
    bot a member). As on Telegram, every later Bot API call to the old id answers 400 ``group
    chat was upgraded to a supergroup chat`` with ``parameters.migrate_to_chat_id``. No updates.
    """
    state = _state(request)
    try:
        old_id = int(request.path_params["chat_id"])
    except ValueError:
        raise SimError("chat_id must be an integer") from None
    spec = await _json(request)
    if old_id >= 0 or old_id in state.migrated:
        raise SimError("only a group (negative id) that was not migrated yet can migrate")
    old = state.chats.get(old_id)
    title = str(spec.get("title") or (old.info.get("title") if old else None) or "Grup Uji")
    new_id = int(spec.get("to_chat_id") or state.next_group_id)
    if new_id == state.next_group_id:
        state.next_group_id -= 1
    if new_id in state.chats or new_id == old_id:
        raise SimError(f"chat {new_id} exists already")
    create_group(state, chat_id=new_id, title=title, is_forum=False, bot_status="member")
    state.migrated[old_id] = new_id
    await state.notify()
    return JSONResponse({"ok": True, "chat_id": old_id, "migrate_to_chat_id": new_id})


async def limits(request: Request) -> JSONResponse:
    """``GET`` the flood caps; ``POST`` changes them (``{"preset": "telegram"|"off"}`` too)."""
    state = _state(request)
    if request.method == "POST":
        spec = await _json(request)
        preset = spec.pop("preset", None)
        if preset == "telegram":
            base = LimitConfig(**TELEGRAM_PRESET)
        elif preset == "off":
            base = LimitConfig()
        elif preset is None:
            base = state.limiter.config
        else:
            raise SimError("preset must be 'telegram' or 'off'")
        state.limiter.configure(base.updated(spec))
    return JSONResponse({"limits": vars(state.limiter.config)})


async def stats(request: Request) -> JSONResponse:
    """``GET`` the send/429/error counters; ``DELETE`` zeroes them."""
    state = _state(request)
    if request.method == "DELETE":
        from .limits import Stats

        state.stats = Stats()
    return JSONResponse(
        {
            "stats": state.stats.view(),
            "limits": vars(state.limiter.config),
            "chats": len(state.chats),
            "blocked_users": len(state.blocked),
            "pending_updates": len(state.updates),
        }
    )


ROUTES = [
    Route("/sim/groups", groups, methods=["GET", "POST"]),
    Route("/sim/groups/{chat_id}", group_detail),
    Route("/sim/groups/{chat_id}/members", add_member, methods=["POST"]),
    Route("/sim/groups/{chat_id}/members/{user_id}", remove_member, methods=["DELETE"]),
    Route("/sim/groups/{chat_id}/topics", topics, methods=["GET", "POST"]),
    Route(
        "/sim/groups/{chat_id}/topics/{thread_id:int}/{action:str}",
        topic_state,
        methods=["POST"],
    ),
    Route("/sim/groups/{chat_id}/topics/{thread_id:int}", topic_delete, methods=["DELETE"]),
    Route("/sim/groups/{chat_id}/topics/{thread}/messages", thread_messages),
    Route("/sim/groups/{chat_id}/topics/{thread}/wait", thread_wait),
    Route("/sim/groups/{chat_id}/changes", group_changes),
    Route("/sim/groups/{chat_id}/messages", post_group_message, methods=["POST"]),
    Route("/sim/users/bulk", bulk_users, methods=["POST"]),
    Route("/sim/users/{user_id}/block", block, methods=["POST"]),
    Route("/sim/users/{user_id}/unblock", block, methods=["POST"]),
    Route("/sim/chats/{chat_id}/migrate", migrate, methods=["POST"]),
    Route("/sim/limits", limits, methods=["GET", "POST"]),
    Route("/sim/stats", stats, methods=["GET", "DELETE"]),
]
