"""In-memory state of the emulated Telegram world: chats, messages, updates and the outbox.

Everything runs on one event loop and no handler awaits in the middle of a mutation, so plain
data structures are safe. The single :class:`asyncio.Condition` wakes every long-poll (bot
``getUpdates``, sim ``/wait``, the webhook deliverer) whenever anything changes; waiters re-check
their own predicate, which keeps the logic simple and never busy-waits.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .limits import LimitConfig, Limiter, Stats

BOT_FIRST_NAME = "Asisten Prakerja"
BOT_USERNAME = "AsistenPrakerjaBot"
HANDED_OVER_KEPT = 100_000


def now() -> int:
    """Unix time in whole seconds, as Telegram sends ``date``."""
    return int(time.time())


class ApiError(Exception):
    """A Bot API error reply: ``{"ok": false, "error_code": ..., "description": ...}``."""

    def __init__(
        self, code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict[str, Any]:
        """JSON body in Telegram's error format."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(detail: str) -> ApiError:
    """400 with Telegram's ``Bad Request: `` prefix."""
    return ApiError(400, f"Bad Request: {detail}")


@dataclass
class StoredMessage:
    """One message in a chat, from either side, kept in the Bot API shape plus sim metadata."""

    api: dict[str, Any]
    from_bot: bool
    kind: str
    html: str | None = None
    parse_mode: str | None = None
    photo: str | None = None
    deleted: bool = False
    edited: bool = False
    # wall-clock time the emulator stored it, in ms precision (``date`` is whole seconds): what
    # the load benchmark measures latency with
    stored_at: float = field(default_factory=time.time)

    @property
    def message_id(self) -> int:
        """The message's id within its chat."""
        return int(self.api["message_id"])

    @property
    def thread_key(self) -> int | None:
        """Forum topic the message belongs to (None = General topic or no topics)."""
        if self.api.get("is_topic_message"):
            return int(self.api["message_thread_id"])
        return None

    def sim_view(self) -> dict[str, Any]:
        """The flattened form returned by the ``/sim`` API and used by the web page."""
        api = self.api
        return {
            "message_id": self.message_id,
            "date": api["date"],
            "from_bot": self.from_bot,
            "kind": self.kind,
            "text": api.get("text", api.get("caption")),
            "entities": api.get("entities", api.get("caption_entities", [])),
            "html": self.html,
            "parse_mode": self.parse_mode,
            "reply_markup": api.get("reply_markup"),
            "photo": self.photo,
            "caption": api.get("caption"),
            "deleted": self.deleted,
            "edited": self.edited,
            "stored_at": round(self.stored_at, 4),
            "contact": api.get("contact"),
            "location": api.get("location"),
            "document": api.get("document"),
            "sticker": api.get("sticker"),
            "voice": api.get("voice"),
            "forward_origin": api.get("forward_origin"),
            "message_thread_id": api.get("message_thread_id"),
            "is_topic_message": bool(api.get("is_topic_message")),
            "from": _sender(api.get("from")),
            "service": _service(api),
            "reply_to_message_id": (api.get("reply_to_message") or {}).get("message_id"),
        }


# Service-message payload keys: such messages cannot be copied and are shown as notices.
SERVICE_KEYS = (
    "forum_topic_created",
    "forum_topic_edited",
    "forum_topic_closed",
    "forum_topic_reopened",
    "general_forum_topic_hidden",
    "general_forum_topic_unhidden",
    "new_chat_members",
    "left_chat_member",
    "new_chat_title",
    "group_chat_created",
    "supergroup_chat_created",
    "pinned_message",
)


def _sender(user: Any) -> dict[str, Any] | None:
    if not isinstance(user, dict):
        return None
    return {key: user[key] for key in ("id", "is_bot", "first_name", "username") if key in user}


def _service(api: dict[str, Any]) -> dict[str, Any] | None:
    for key in SERVICE_KEYS:
        if key in api:
            return {"type": key, "data": api[key]}
    return None


@dataclass
class Member:
    """One user's membership in a group: ``ChatMember`` status plus administrator rights."""

    user: dict[str, Any]
    status: str  # creator | administrator | member | restricted | left | kicked
    rights: dict[str, bool] = field(default_factory=dict)
    until_date: int = 0

    @property
    def present(self) -> bool:
        """True while the user is in the chat (may read and write)."""
        return self.status in ("creator", "administrator", "member", "restricted")

    def right(self, name: str) -> bool:
        """Whether this member holds an administrator right (the creator holds all)."""
        return self.status == "creator" or (
            self.status == "administrator" and bool(self.rights.get(name))
        )


@dataclass
class Topic:
    """A forum topic; its id is the id of the ``forum_topic_created`` service message."""

    thread_id: int
    name: str
    icon_color: int
    created_by: int
    icon_custom_emoji_id: str | None = None
    closed: bool = False
    deleted: bool = False

    def api(self) -> dict[str, Any]:
        """The ``ForumTopic`` object."""
        topic: dict[str, Any] = {
            "message_thread_id": self.thread_id,
            "name": self.name,
            "icon_color": self.icon_color,
        }
        if self.icon_custom_emoji_id:
            topic["icon_custom_emoji_id"] = self.icon_custom_emoji_id
        return topic


@dataclass
class Chat:
    """A chat the bot can talk to (private chat id == user id)."""

    info: dict[str, Any]
    messages: list[StoredMessage] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    next_message_id: int = 1
    # Bumped on every visible change so the page can long-poll for edits/deletes too.
    version: int = 0
    # Groups made with the sim group API know their members; ad-hoc groups (None) do not.
    members: dict[int, Member] | None = None
    # The bot's own membership (kept apart: the bot's user id comes from the token in use).
    bot: Member | None = None
    topics: dict[int, Topic] = field(default_factory=dict)
    by_id: dict[int, StoredMessage] = field(default_factory=dict)
    by_thread: dict[int | None, list[StoredMessage]] = field(default_factory=dict)

    @property
    def id(self) -> int:
        """The chat id (negative for groups)."""
        return int(self.info["id"])

    @property
    def is_forum(self) -> bool:
        """True for a supergroup with topics enabled."""
        return bool(self.info.get("is_forum"))

    def find(self, message_id: int) -> StoredMessage | None:
        """The stored message with this id, in O(1)."""
        return self.by_id.get(message_id)


@dataclass
class CallbackRecord:
    """A callback query handed to the bot and whether/how it was answered."""

    chat_id: int
    message_id: int
    data: str
    created: float
    answered: bool = False
    text: str | None = None
    show_alert: bool = False
    url: str | None = None


@dataclass
class Fault:
    """An injected failure or slowdown for the next ``times`` calls of one method."""

    error_code: int | None
    description: str
    retry_after: int | None
    delay: float
    times: int  # -1 = forever
    parameters: dict[str, Any] | None = None


@dataclass
class Webhook:
    """Webhook configuration set by ``setWebhook``."""

    url: str
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None


class EmulatorState:
    """All mutable state of one emulator instance."""

    def __init__(self, callback_ttl: float = 15.0, limits: LimitConfig | None = None) -> None:
        from .limits import LimitConfig

        self.callback_ttl = callback_ttl
        # Start-up caps: /sim/reset returns to them after runtime changes.
        self.limit_config = limits or LimitConfig()
        self.cond = asyncio.Condition()
        self.closing = False
        self.bot_user: dict[str, Any] = make_bot_user(123456)
        # Hooks run by reset() to re-create start-up configuration (staff group, limits).
        self.on_reset: list[Callable[[EmulatorState], None]] = []
        self.reset()

    def reset(self) -> None:
        """Forget everything (used by ``POST /sim/reset``)."""
        self.updates: list[dict[str, Any]] = []
        self.next_update_id = 100_000_001
        self.chats: dict[int, Chat] = {}
        self.users: dict[int, dict[str, Any]] = {}
        self.blocked: set[int] = set()
        # Groups that became supergroups: old chat id -> new chat id (400 with migrate_to_chat_id).
        self.migrated: dict[int, int] = {}
        self.callbacks: dict[str, CallbackRecord] = {}
        self.outbox: list[dict[str, Any]] = []
        # update_id -> when it was first handed to the bot (getUpdates answer or webhook POST), so
        # a benchmark can tell the bot's time from the emulator's queueing; the newest only.
        self.handed_over: dict[int, float] = {}
        self.faults: dict[str, list[Fault]] = {}
        self.commands: dict[str, list[dict[str, str]]] = {}
        self.descriptions: dict[str, dict[str, str]] = {"description": {}, "short_description": {}}
        self.names: dict[str, str] = {}
        self.menu_buttons: dict[str, dict[str, Any]] = {}
        self.webhook: Webhook | None = None
        self.allowed_updates: list[str] | None = None
        # Incremented by each getUpdates so an older concurrent poll can be told "Conflict".
        self.poll_generation = 0
        self._ids = itertools.count(1)
        # file_id -> (kind, Bot API object) for every file the emulator invented, so the bot can
        # re-send an applicant's photo by file_id like on Telegram.
        self.files: dict[str, tuple[str, Any]] = {}
        self.next_group_id = -1001000000101
        from .limits import Limiter, Stats

        self.limiter: Limiter = Limiter(self.limit_config)
        self.stats: Stats = Stats()
        for hook in self.on_reset:
            hook(self)

    # -- helpers -------------------------------------------------------------------------------

    def unique(self, prefix: str) -> str:
        """A process-unique identifier (file ids, callback ids)."""
        return f"{prefix}{next(self._ids):06d}"

    async def notify(self) -> None:
        """Wake all long-polls so they re-check their predicates."""
        async with self.cond:
            self.cond.notify_all()

    async def wait_until(self, predicate: Callable[[], bool], seconds: float) -> bool:
        """Wait until ``predicate()`` is true or ``seconds`` pass; return the final value.

        Returns early (with the current value) once the server is shutting down, so pending
        long-polls never hold up a clean exit.
        """
        if predicate() or seconds <= 0 or self.closing:
            return predicate()
        async with self.cond:
            try:
                async with asyncio.timeout(seconds):
                    await self.cond.wait_for(lambda: self.closing or predicate())
            except TimeoutError:
                pass
        return predicate()

    async def close(self) -> None:
        """Release every long-poll (called when the server starts shutting down)."""
        self.closing = True
        await self.notify()

    def remember_user(self, user: dict[str, Any]) -> None:
        """Remember a user's ``User`` object by id."""
        self.users[int(user["id"])] = user

    def ensure_chat(self, info: dict[str, Any]) -> Chat:
        """Register a chat (when a user writes to the bot) or refresh its info."""
        chat_id = int(info["id"])
        chat = self.chats.get(chat_id)
        if chat is None:
            chat = Chat(info=dict(info))
            self.chats[chat_id] = chat
        else:
            chat.info.update(info)
        return chat

    def add_message(self, chat: Chat, message: StoredMessage) -> None:
        """Append a message to the chat history and its indexes."""
        chat.messages.append(message)
        chat.by_id[message.message_id] = message
        chat.by_thread.setdefault(message.thread_key, []).append(message)
        chat.version += 1

    def register_file(self, file_id: str, kind: str, obj: Any) -> None:
        """Remember an invented file so later sends by ``file_id`` resolve to it."""
        self.files[file_id] = (kind, obj)

    def take_message_id(self, chat: Chat) -> int:
        """Reserve the chat's next message id."""
        message_id = chat.next_message_id
        chat.next_message_id += 1
        return message_id

    def queue_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Assign an update_id if missing and queue the update for getUpdates/webhook.

        Like Telegram, an update of a type the bot did not ask for is never created
        (``chat_member`` and reactions only when listed explicitly in ``allowed_updates``).
        """
        if "update_id" not in update:
            update["update_id"] = self.next_update_id
        self.next_update_id = max(self.next_update_id, int(update["update_id"])) + 1
        if wanted(update_type(update), self.allowed_updates):
            self.updates.append(update)
        return update

    def note_handed_over(self, updates: list[dict[str, Any]], at: float) -> None:
        """Remember when each update first went to the bot (kept for the newest 100,000)."""
        for update in updates:
            self.handed_over.setdefault(int(update["update_id"]), at)
        if len(self.handed_over) > HANDED_OVER_KEPT:
            for update_id in list(itertools.islice(self.handed_over, HANDED_OVER_KEPT // 10)):
                del self.handed_over[update_id]

    def set_allowed_updates(self, allowed: list[str] | None) -> None:
        """Change ``allowed_updates`` and drop already queued updates the bot no longer wants."""
        self.allowed_updates = allowed or None
        self.updates = [u for u in self.updates if wanted(update_type(u), self.allowed_updates)]


def make_bot_user(bot_id: int) -> dict[str, Any]:
    """The bot's own ``User`` object (``from`` of bot messages)."""
    return {
        "id": bot_id,
        "is_bot": True,
        "first_name": BOT_FIRST_NAME,
        "username": BOT_USERNAME,
    }


# Sent only when the bot lists them in allowed_updates (Bot API: getUpdates.allowed_updates).
OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


def wanted(kind: str, allowed: list[str] | None) -> bool:
    """Whether an update of this type is delivered under ``allowed``."""
    if allowed:
        return kind in allowed
    return kind not in OPT_IN_UPDATES


def update_type(update: dict[str, Any]) -> str:
    """The update's payload key (``message``, ``callback_query``, ...)."""
    return next((key for key in update if key != "update_id"), "")
