"""A test double for a staff member in the emulator's demo staff forum (``--staff-group``)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx

STAFF_GROUP = -1001000000001
RINA = 500000001
BUDI = 500000002


@dataclass
class StaffMember:
    """One person in the staff forum, acting through the sim API."""

    sim: httpx.Client
    user_id: int = RINA
    chat_id: int = STAFF_GROUP

    def post(self, thread: int | str, text: str | None = None, **extra: Any) -> int:
        """Post into a topic (or ``"general"``); the new message id."""
        body: dict[str, Any] = {"user_id": self.user_id, "message_thread_id": thread, **extra}
        if text is not None:
            body["text"] = text
        response = self.sim.post(f"/sim/groups/{self.chat_id}/messages", json=body)
        response.raise_for_status()
        return int(response.json()["message_id"])

    def topics(self, include_deleted: bool = False) -> list[dict[str, Any]]:
        """The group's topics."""
        params = {"include_deleted": "1"} if include_deleted else {}
        response = self.sim.get(f"/sim/groups/{self.chat_id}/topics", params=params)
        response.raise_for_status()
        return list(response.json()["topics"])

    def topic_of(self, number: int, timeout: float = 20) -> dict[str, Any]:
        """The live topic of ticket ``number`` (its name starts with ``#number``)."""
        deadline = time.monotonic() + timeout
        while True:
            for topic in reversed(self.topics()):
                if topic["name"].removeprefix("✅ ").startswith(f"#{number} "):
                    return topic
            if time.monotonic() > deadline:
                raise AssertionError(f"no topic for ticket #{number}: {self.topics()}")
            time.sleep(0.2)

    def messages(self, thread: int | str) -> list[dict[str, Any]]:
        """Every live message of a topic."""
        response = self.sim.get(f"/sim/groups/{self.chat_id}/topics/{thread}/messages")
        response.raise_for_status()
        return list(response.json()["messages"])

    def wait_bot(
        self, thread: int | str, after: int = 0, count: int = 1, timeout: float = 30
    ) -> list[dict[str, Any]]:
        """At least ``count`` bot messages in the topic after message ``after`` (or fewer)."""
        response = self.sim.get(
            f"/sim/groups/{self.chat_id}/topics/{thread}/wait",
            params={"after_id": after, "count": count, "timeout": timeout},
            timeout=timeout + 5,
        )
        response.raise_for_status()
        return list(response.json()["messages"])

    def wait_text(
        self, thread: int | str, needle: str, after: int = 0, timeout: float = 30
    ) -> dict:  # type: ignore[type-arg]
        """The first bot message in the topic after ``after`` whose text contains ``needle``."""
        deadline = time.monotonic() + timeout
        while True:
            for message in self.messages(thread):
                if (
                    message["message_id"] > after
                    and message["from_bot"]
                    and needle in (message.get("text") or "")
                ):
                    return message
            if time.monotonic() > deadline:
                raise AssertionError(f"no {needle!r} in topic {thread}: {self.messages(thread)}")
            time.sleep(0.2)

    def card(self, thread: int) -> dict:  # type: ignore[type-arg]
        """The ticket card in a topic (as it is now, edits included)."""
        return self.wait_text(thread, "🎫 Tiket #")

    def delete_topic(self, thread: int) -> None:
        """Delete a topic with its messages (Telegram tells the bot nothing)."""
        self.sim.delete(f"/sim/groups/{self.chat_id}/topics/{thread}").raise_for_status()
