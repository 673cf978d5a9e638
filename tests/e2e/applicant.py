"""A test double for a person: chats with the bot through the Bot API emulator's sim API."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

_user_ids = itertools.count(700_000_001)


@dataclass
class Reply:
    """One bot message as the emulator recorded it."""

    raw: dict[str, Any]

    @property
    def text(self) -> str:
        """The plain text (or caption) the user sees."""
        return str(self.raw.get("text") or self.raw.get("caption") or "")

    @property
    def message_id(self) -> int:
        """The message id in the chat."""
        return int(self.raw["message_id"])

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """Inline keyboard buttons as (title, callback_data)."""
        markup = self.raw.get("reply_markup") or {}
        return [
            (button["text"], button.get("callback_data", ""))
            for row in markup.get("inline_keyboard", [])
            for button in row
        ]

    @property
    def reply_keyboard(self) -> list[dict[str, Any]]:
        """Reply keyboard buttons (e.g. the contact request)."""
        markup = self.raw.get("reply_markup") or {}
        return [button for row in markup.get("keyboard", []) for button in row]


@dataclass
class Applicant:
    """One Telegram user in the emulator."""

    sim: httpx.Client
    user_id: int = field(default_factory=lambda: next(_user_ids))
    first_name: str = "Sari"
    last_seen_id: int = 0

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.sim.post(path, json=body)
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    def send(self, text: str | None = None, **extra: Any) -> int:
        """Send a message without waiting; returns its message id."""
        body: dict[str, Any] = {"user_id": self.user_id, "first_name": self.first_name, **extra}
        if text is not None:
            body["text"] = text
            if text.startswith("/") and "kind" not in extra:
                body["kind"] = "command"
        sent = self._post("/sim/updates/message", body)
        self.last_seen_id = max(self.last_seen_id, int(sent["message_id"]))
        return int(sent["message_id"])

    def say(
        self, text: str | None = None, *, timeout: float = 30.0, settle: float = 1.5, **extra: Any
    ) -> list[Reply]:
        """Send a message and return every bot reply that follows it."""
        after = self.send(text, **extra)
        return self.wait_replies(after, timeout=timeout, settle=settle)

    def press(
        self, reply: Reply, title: str, *, timeout: float = 30.0, settle: float = 1.5
    ) -> list[Reply]:
        """Press the inline button with this title under ``reply``."""
        data = dict(reply.buttons)[title]
        return self.press_data(reply.message_id, data, timeout=timeout, settle=settle)

    def press_data(
        self, message_id: int, data: str, *, timeout: float = 30.0, settle: float = 1.5
    ) -> list[Reply]:
        """Send a callback with arbitrary data and return the replies that follow."""
        after = self.latest_message_id()
        sent = self._post(
            "/sim/updates/callback",
            {"user_id": self.user_id, "message_id": message_id, "data": data},
        )
        self.last_callback_id = sent["callback_query_id"]
        return self.wait_replies(after, timeout=timeout, settle=settle)

    def callback_answer(self) -> dict[str, Any]:
        """The bot's answer to the last button press."""
        deadline = time.monotonic() + 10
        while True:
            answer: dict[str, Any] = self.sim.get(f"/sim/callbacks/{self.last_callback_id}").json()
            if answer.get("answered") or time.monotonic() > deadline:
                return answer
            time.sleep(0.1)

    def latest_message_id(self) -> int:
        """The id of the newest message in the chat."""
        messages = self.sim.get(f"/sim/chats/{self.user_id}/messages").json()["messages"]
        return max((int(m["message_id"]) for m in messages), default=0)

    def wait_replies(
        self, after: int, *, timeout: float = 30.0, settle: float = 1.5, count: int = 1
    ) -> list[Reply]:
        """Bot messages after ``after``: at least ``count``, then until ``settle`` s of quiet."""
        replies: list[Reply] = []
        data = self.sim.get(
            f"/sim/chats/{self.user_id}/wait",
            params={"after_id": after, "count": count, "timeout": timeout},
            timeout=timeout + 5,
        ).json()
        replies.extend(Reply(m) for m in data["messages"])
        while replies:
            more = self.sim.get(
                f"/sim/chats/{self.user_id}/wait",
                params={"after_id": replies[-1].message_id, "count": 1, "timeout": settle},
                timeout=settle + 5,
            ).json()["messages"]
            if not more:
                break
            replies.extend(Reply(m) for m in more)
        return replies

    def chat_actions(self) -> list[dict[str, Any]]:
        """Chat actions (typing…) the bot sent to this user."""
        data: dict[str, Any] = self.sim.get(f"/sim/chats/{self.user_id}/actions").json()
        return list(data.get("actions", []))


def all_text(replies: list[Reply]) -> str:
    """Every reply's text joined, for assertions on content."""
    return "\n".join(reply.text for reply in replies)
