"""Groups, members and forum topics: the model behind a staff forum supergroup.

A forum supergroup (``is_forum: true``) has a General topic (messages without
``message_thread_id``) and topics made by ``createForumTopic``. As on Telegram, a topic's
``message_thread_id`` is the id of its ``forum_topic_created`` service message, and a message in a
topic carries ``message_thread_id``, ``is_topic_message: true`` and, when it is not a reply to
anything else, ``reply_to_message`` = that service message.
"""

from __future__ import annotations

import copy
from typing import Any

from .state import (
    ApiError,
    Chat,
    EmulatorState,
    Member,
    StoredMessage,
    Topic,
    bad_request,
    now,
)

STAFF_GROUP_ID = -1001000000001
STAFF_GROUP_TITLE = "Staf Asisten Prakerja"
DEMO_STAFF = (
    {"user_id": 500000001, "first_name": "Rina", "last_name": "Wulandari", "status": "creator"},
    {"user_id": 500000002, "first_name": "Budi", "last_name": "Santoso", "status": "member"},
)
# ForumIconColor values: the only colours Telegram accepts for icon_color.
ICON_COLORS = (0x6FB9F0, 0xFFD67E, 0xCB86DB, 0x8EEE98, 0xFF93B2, 0xFB6F5F)
MAX_TOPIC_NAME = 128
ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_pin_messages",
    "can_manage_topics",
)
# A bot added as administrator with the usual defaults (no promoting, no video chats).
BOT_ADMIN_RIGHTS = {
    name: name not in ("can_promote_members", "can_manage_video_chats", "can_post_stories")
    for name in ADMIN_RIGHTS
}
PRESENT = ("creator", "administrator", "member", "restricted")


# -- ChatMember objects ----------------------------------------------------------------------


def member_api(member: Member, user: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ``ChatMember`` object (owner, administrator, member, left or banned)."""
    who = dict(user or member.user)
    if member.status == "creator":
        return {"status": "creator", "user": who, "is_anonymous": False}
    if member.status == "administrator":
        rights = {name: bool(member.rights.get(name)) for name in ADMIN_RIGHTS}
        return {
            "status": "administrator",
            "user": who,
            "can_be_edited": False,
            "is_anonymous": False,
            **rights,
        }
    if member.status == "kicked":
        return {"status": "kicked", "user": who, "until_date": member.until_date}
    return {"status": member.status, "user": who}


def bot_member(state: EmulatorState, chat: Chat) -> Member:
    """The bot's membership in ``chat`` (ad-hoc groups and private chats: a plain member)."""
    if chat.bot is not None:
        return chat.bot
    return Member(user=state.bot_user, status="member")


def find_member(state: EmulatorState, chat: Chat, user_id: int) -> Member | None:
    """A user's membership, the bot included; None if the user never was in the chat."""
    if user_id == int(state.bot_user["id"]):
        return bot_member(state, chat)
    if chat.members is None:
        return None
    return chat.members.get(user_id)


def member_update(
    state: EmulatorState,
    chat: Chat,
    actor: dict[str, Any],
    old: dict[str, Any],
    new: dict[str, Any],
    kind: str,
) -> None:
    """Queue a ``my_chat_member`` (about the bot) or ``chat_member`` update."""
    state.queue_update(
        {
            kind: {
                "chat": dict(chat.info),
                "from": dict(actor),
                "date": now(),
                "old_chat_member": old,
                "new_chat_member": new,
            }
        }
    )


# -- groups ------------------------------------------------------------------------------------


def create_group(
    state: EmulatorState,
    *,
    chat_id: int | None = None,
    title: str = "Grup Uji Prakerja",
    is_forum: bool = True,
    bot_status: str = "administrator",
    bot_rights: dict[str, bool] | None = None,
    members: list[dict[str, Any]] | tuple[dict[str, Any], ...] = (),
) -> Chat:
    """Create (or replace) a supergroup the bot is already in; no updates are sent."""
    if chat_id is None:
        chat_id = state.next_group_id
        state.next_group_id -= 1
    if chat_id >= 0:
        raise ValueError("group chat ids are negative (supergroups: -100...)")
    if bot_status not in ("administrator", "member", "left", "kicked"):
        raise ValueError("bot_status must be administrator, member, left or kicked")
    info: dict[str, Any] = {"id": chat_id, "title": title, "type": "supergroup"}
    if is_forum:
        info["is_forum"] = True
    roster: dict[int, Member] = {}
    chat = Chat(info=info, members=roster)
    rights = {**BOT_ADMIN_RIGHTS, **(bot_rights or {})} if bot_status == "administrator" else {}
    chat.bot = Member(user=state.bot_user, status=bot_status, rights=rights)
    # Ids below 2 are taken by General (topic id 1 in Telegram's apps).
    chat.next_message_id = 2
    state.chats[chat_id] = chat
    for spec in members:
        user = user_record(state, spec)
        status = str(spec.get("status") or "member")
        if status not in PRESENT:
            raise ValueError(f"member status must be one of {PRESENT}")
        member_rights = dict(spec.get("rights") or {})
        if status == "administrator" and not member_rights:
            member_rights = {name: True for name in ADMIN_RIGHTS}
        roster[int(user["id"])] = Member(user=user, status=status, rights=member_rights)
    return chat


def user_record(state: EmulatorState, spec: dict[str, Any]) -> dict[str, Any]:
    """A ``User`` from a sim spec ({user_id, first_name, last_name?, username?}), remembered."""
    try:
        user_id = int(spec["user_id"])
    except (KeyError, TypeError, ValueError):
        raise ValueError("user_id (integer) is required") from None
    known = state.users.get(user_id, {})
    user: dict[str, Any] = {
        "id": user_id,
        "is_bot": False,
        "first_name": str(spec.get("first_name") or known.get("first_name") or "Staf"),
        "language_code": str(spec.get("language_code") or known.get("language_code") or "id"),
    }
    for key in ("last_name", "username"):
        value = spec.get(key) or known.get(key)
        if value:
            user[key] = str(value)
    state.remember_user(user)
    return user


def seed_staff_group(state: EmulatorState) -> None:
    """The fixed demo staff forum (``--staff-group``): two staff members, the bot as admin."""
    create_group(
        state,
        chat_id=STAFF_GROUP_ID,
        title=STAFF_GROUP_TITLE,
        members=DEMO_STAFF,
    )


def group_chat(state: EmulatorState, chat_id: int) -> Chat:
    """A group made by the sim group API (ValueError otherwise)."""
    chat = state.chats.get(chat_id)
    if chat is None or chat.members is None:
        raise ValueError(f"no group {chat_id}; create it with POST /sim/groups")
    return chat


# -- threads -----------------------------------------------------------------------------------


def resolve_thread(
    state: EmulatorState, chat: Chat, params: dict[str, Any], *, for_action: bool = False
) -> Topic | int | None:
    """The target of ``message_thread_id``: a topic, a reply-thread root id, or None (General).

    Telegram answers ``message thread not found`` for a topic that is deleted or never
    existed, and also for ``message_thread_id=1`` (General) except in ``sendChatAction``.
    """
    raw = params.get("message_thread_id")
    if raw in (None, "", 0, "0"):
        return None
    try:
        thread_id = int(raw)
    except (TypeError, ValueError):
        raise bad_request("message thread not found") from None
    if chat.info.get("type") != "supergroup":
        raise bad_request("message thread not found")
    if chat.is_forum:
        if thread_id == 1 and for_action:
            return None
        topic = chat.topics.get(thread_id)
        if topic is None or topic.deleted:
            raise bad_request("message thread not found")
        if topic.closed and not bot_member(state, chat).right("can_manage_topics"):
            raise bad_request("TOPIC_CLOSED")
        return topic
    root = chat.find(thread_id)
    if root is None or root.deleted:
        raise bad_request("message thread not found")
    return thread_id


def thread_fields(chat: Chat, target: Topic | int | None) -> dict[str, Any]:
    """``message_thread_id``/``is_topic_message`` and the implicit reply for a thread."""
    if target is None:
        return {}
    if isinstance(target, Topic):
        fields: dict[str, Any] = {"message_thread_id": target.thread_id, "is_topic_message": True}
        root = chat.find(target.thread_id)
        if root is not None:
            fields["reply_to_message"] = quoted(root)
        return fields
    return {"message_thread_id": target}


def quoted(message: StoredMessage) -> dict[str, Any]:
    """A message as embedded in ``reply_to_message`` (never nested deeper)."""
    data = copy.deepcopy(message.api)
    data.pop("reply_to_message", None)
    return data


def topic_of(chat: Chat, thread_id: int) -> Topic:
    """A live topic for the topic-management methods (``TOPIC_ID_INVALID`` otherwise)."""
    topic = chat.topics.get(thread_id)
    if topic is None or topic.deleted:
        raise bad_request("TOPIC_ID_INVALID")
    return topic


def service_message(
    state: EmulatorState,
    chat: Chat,
    sender: dict[str, Any],
    payload: dict[str, Any],
    *,
    topic: Topic | None = None,
    message_id: int | None = None,
) -> dict[str, Any]:
    """Store a service message (topic created/closed, member joined...) and return its API form."""
    api: dict[str, Any] = {
        "message_id": message_id if message_id is not None else state.take_message_id(chat),
        "from": dict(sender),
        "chat": dict(chat.info),
        "date": now(),
    }
    if topic is not None:
        api["message_thread_id"] = topic.thread_id
        api["is_topic_message"] = True
        root = chat.find(topic.thread_id)
        if root is not None:
            api["reply_to_message"] = quoted(root)
    api.update(payload)
    from_bot = bool(sender.get("is_bot")) and sender.get("id") == state.bot_user["id"]
    state.add_message(chat, StoredMessage(api=api, from_bot=from_bot, kind="service"))
    return api


def new_topic(
    state: EmulatorState,
    chat: Chat,
    creator: dict[str, Any],
    name: str,
    icon_color: Any = None,
    icon_custom_emoji_id: str | None = None,
) -> tuple[Topic, dict[str, Any]]:
    """Create a topic and its ``forum_topic_created`` service message."""
    if not chat.is_forum:
        raise bad_request("the chat is not a forum")
    name = str(name or "").strip()
    if not name:
        raise bad_request("TOPIC_TITLE_EMPTY")
    if len(name) > MAX_TOPIC_NAME:
        raise bad_request("TOPIC_TITLE_INVALID")
    color = ICON_COLORS[0] if icon_color in (None, "") else _color(icon_color)
    thread_id = state.take_message_id(chat)
    topic = Topic(
        thread_id=thread_id,
        name=name,
        icon_color=color,
        created_by=int(creator["id"]),
        icon_custom_emoji_id=icon_custom_emoji_id or None,
    )
    chat.topics[thread_id] = topic
    created: dict[str, Any] = {"name": name, "icon_color": color}
    if topic.icon_custom_emoji_id:
        created["icon_custom_emoji_id"] = topic.icon_custom_emoji_id
    api = service_message(
        state,
        chat,
        creator,
        {"message_thread_id": thread_id, "is_topic_message": True, "forum_topic_created": created},
        message_id=thread_id,
    )
    return topic, api


def _color(value: Any) -> int:
    try:
        color = int(value)
    except (TypeError, ValueError):
        raise bad_request("invalid icon_color specified") from None
    if color not in ICON_COLORS:
        raise bad_request("invalid icon_color specified")
    return color


def delete_topic(chat: Chat, topic: Topic) -> None:
    """Delete a topic with all its messages (no update is sent, as on Telegram)."""
    topic.deleted = True
    for message in chat.by_thread.get(topic.thread_id, []):
        message.deleted = True
    chat.version += 1


# -- Bot API methods ---------------------------------------------------------------------------


def _group(state: EmulatorState, params: dict[str, Any]) -> Chat:
    raw = params.get("chat_id")
    if raw is None or raw == "":
        raise bad_request("chat_id is empty")
    try:
        chat = state.chats.get(int(raw))
    except (TypeError, ValueError):
        chat = None
    if chat is None or not bot_member(state, chat).present:
        raise bad_request("chat not found")
    return chat


def _thread_id(params: dict[str, Any]) -> int:
    raw = params.get("message_thread_id")
    if raw in (None, ""):
        raise bad_request("message_thread_id is empty")
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise bad_request("TOPIC_ID_INVALID") from None


def _require_topic_right(state: EmulatorState, chat: Chat, topic: Topic | None) -> None:
    """can_manage_topics is needed unless the bot created the topic itself."""
    me = bot_member(state, chat)
    if me.status != "administrator":
        raise bad_request("CHAT_ADMIN_REQUIRED")
    if topic is not None and topic.created_by == int(state.bot_user["id"]):
        return
    if not me.right("can_manage_topics"):
        raise bad_request("not enough rights to manage topics")


async def get_chat_member(state: EmulatorState, params: dict[str, Any]) -> Any:
    """``getChatMember``: creator/administrator/member/left/kicked."""
    chat = _group(state, params)
    raw = params.get("user_id")
    try:
        user_id = int(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise bad_request("invalid user_id specified") from None
    if chat.info.get("type") == "private":
        if user_id == chat.id:
            return member_api(Member(user=state.users.get(user_id, chat.info), status="member"))
        if user_id != int(state.bot_user["id"]):
            raise bad_request("user not found")
    member = find_member(state, chat, user_id)
    if user_id == int(state.bot_user["id"]):
        return member_api(bot_member(state, chat), state.bot_user)
    if member is not None:
        return member_api(member)
    user = state.users.get(user_id)
    if user is None:
        raise bad_request("user not found")
    return {"status": "left", "user": dict(user)}


async def get_chat_administrators(state: EmulatorState, params: dict[str, Any]) -> Any:
    """``getChatAdministrators``: the owner and administrators that are not bots."""
    chat = _group(state, params)
    if chat.info.get("type") == "private":
        raise bad_request("there are no administrators in the private chat")
    return [
        member_api(m)
        for m in (chat.members or {}).values()
        if m.status in ("creator", "administrator") and not m.user.get("is_bot")
    ]


async def get_chat_member_count(state: EmulatorState, params: dict[str, Any]) -> Any:
    """``getChatMemberCount`` (the bot included)."""
    chat = _group(state, params)
    if chat.info.get("type") == "private":
        return 2
    people = sum(1 for m in (chat.members or {}).values() if m.present)
    return people + (1 if bot_member(state, chat).present else 0)


async def create_forum_topic(state: EmulatorState, params: dict[str, Any]) -> Any:
    """``createForumTopic``: returns the ForumTopic and posts ``forum_topic_created``."""
    chat = _group(state, params)
    if not chat.is_forum:
        raise bad_request("the chat is not a forum")
    me = bot_member(state, chat)
    if not me.right("can_manage_topics"):
        raise bad_request("not enough rights to create a topic")
    topic, _ = new_topic(
        state,
        chat,
        state.bot_user,
        str(params.get("name") or ""),
        params.get("icon_color"),
        params.get("icon_custom_emoji_id"),
    )
    await state.notify()
    return topic.api()


async def edit_forum_topic(state: EmulatorState, params: dict[str, Any]) -> Any:
    """``editForumTopic``: new name and/or icon; posts ``forum_topic_edited``."""
    chat = _group(state, params)
    if not chat.is_forum:
        raise bad_request("the chat is not a forum")
    topic = topic_of(chat, _thread_id(params))
    _require_topic_right(state, chat, topic)
    edited: dict[str, Any] = {}
    name = params.get("name")
    if name is not None and str(name) != "":
        name = str(name).strip()
        if len(name) > MAX_TOPIC_NAME:
            raise bad_request("TOPIC_TITLE_INVALID")
        if name != topic.name:
            edited["name"] = name
    emoji = params.get("icon_custom_emoji_id")
    if emoji is not None and str(emoji) != (topic.icon_custom_emoji_id or ""):
        edited["icon_custom_emoji_id"] = str(emoji)
    if not edited:
        raise bad_request("TOPIC_NOT_MODIFIED")
    topic.name = edited.get("name", topic.name)
    if "icon_custom_emoji_id" in edited:
        topic.icon_custom_emoji_id = edited["icon_custom_emoji_id"] or None
    service_message(state, chat, state.bot_user, {"forum_topic_edited": edited}, topic=topic)
    await state.notify()
    return True


async def _set_closed(state: EmulatorState, params: dict[str, Any], closed: bool) -> Any:
    chat = _group(state, params)
    if not chat.is_forum:
        raise bad_request("the chat is not a forum")
    topic = topic_of(chat, _thread_id(params))
    _require_topic_right(state, chat, topic)
    if topic.closed == closed:
        raise bad_request("TOPIC_NOT_MODIFIED")
    topic.closed = closed
    key = "forum_topic_closed" if closed else "forum_topic_reopened"
    service_message(state, chat, state.bot_user, {key: {}}, topic=topic)
    await state.notify()
    return True


async def close_forum_topic(state: EmulatorState, params: dict[str, Any]) -> Any:
    """``closeForumTopic``: posts ``forum_topic_closed``."""
    return await _set_closed(state, params, True)


async def reopen_forum_topic(state: EmulatorState, params: dict[str, Any]) -> Any:
    """``reopenForumTopic``: posts ``forum_topic_reopened``."""
    return await _set_closed(state, params, False)


async def delete_forum_topic(state: EmulatorState, params: dict[str, Any]) -> Any:
    """``deleteForumTopic``: needs can_delete_messages; the topic and its messages go."""
    chat = _group(state, params)
    if not chat.is_forum:
        raise bad_request("the chat is not a forum")
    topic = topic_of(chat, _thread_id(params))
    me = bot_member(state, chat)
    if me.status != "administrator":
        raise bad_request("CHAT_ADMIN_REQUIRED")
    if not me.right("can_delete_messages"):
        raise bad_request("not enough rights to delete messages")
    delete_topic(chat, topic)
    await state.notify()
    return True


def check_bot_can_post(state: EmulatorState, chat: Chat) -> None:
    """403 when the bot is not (or no longer) in the group, with Telegram's wording."""
    if chat.bot is None or chat.bot.present:
        return
    kind = "supergroup" if chat.info.get("type") == "supergroup" else "group"
    if chat.bot.status == "kicked":
        raise ApiError(403, f"Forbidden: bot was kicked from the {kind} chat")
    raise ApiError(403, f"Forbidden: bot is not a member of the {kind} chat")


FORUM_METHODS = {
    "getchatmember": get_chat_member,
    "getchatadministrators": get_chat_administrators,
    "getchatmembercount": get_chat_member_count,
    "createforumtopic": create_forum_topic,
    "editforumtopic": edit_forum_topic,
    "closeforumtopic": close_forum_topic,
    "reopenforumtopic": reopen_forum_topic,
    "deleteforumtopic": delete_forum_topic,
}
