"""The broadcast send path: Bot API posts on a pooled httpx client, reading only what it needs.

PTB builds a full ``Message`` object for every answer, about 7 ms of CPU per send, which bound
one sender process to ~100-140 sends/s. A broadcast send needs four things back: ``ok``,
``message_id``, ``error_code`` and the ``parameters`` (``retry_after``,
``migrate_to_chat_id``); this module posts the JSON body itself and reads just those.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

from bot.broadcast import content

# Bot API answers with a status the sender must treat as "Telegram did not take it, try again".
RETRYABLE_STATUS = frozenset({500, 502, 503, 504})


@dataclass(frozen=True)
class Answer:
    """What the Bot API said to one send (``ok`` with a message id, or an error)."""

    ok: bool
    message_id: int | None = None
    error_code: int | None = None
    description: str = ""
    retry_after: float | None = None
    migrate_to_chat_id: int | None = None
    network: str | None = None  # a timeout or connection error: no answer at all

    @property
    def chat_not_found(self) -> bool:
        """Telegram's "chat not found" (the chat is gone or never existed)."""
        return "chat not found" in self.description.lower()


def read_answer(status: int, body: bytes) -> Answer:
    """Decode a Bot API answer, keeping only the fields the sender uses."""
    try:
        data: Any = json.loads(body)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return Answer(False, error_code=status, description=f"HTTP {status}")
    if data.get("ok") is True:
        result = data.get("result")
        message_id = result.get("message_id") if isinstance(result, dict) else None
        return Answer(True, message_id=message_id if isinstance(message_id, int) else None)
    parameters = data.get("parameters")
    parameters = parameters if isinstance(parameters, dict) else {}
    retry_after = parameters.get("retry_after")
    migrate = parameters.get("migrate_to_chat_id")
    code = data.get("error_code")
    return Answer(
        False,
        error_code=code if isinstance(code, int) else status,
        description=str(data.get("description") or ""),
        retry_after=float(retry_after) if isinstance(retry_after, int | float) else None,
        migrate_to_chat_id=migrate if isinstance(migrate, int) else None,
    )


class SendClient:
    """Posts broadcasts to ``{bot.base_url}/{method}`` on ``pool`` kept-alive connections."""

    def __init__(self, base_url: str, *, pool: int, read_timeout: float = 15.0) -> None:
        self._base_url = base_url.rstrip("/")
        self._client = httpx.AsyncClient(
            limits=httpx.Limits(max_connections=pool, max_keepalive_connections=pool),
            timeout=httpx.Timeout(read_timeout, connect=5.0, pool=read_timeout),
            headers={"content-type": "application/json"},
        )

    async def send(self, chat_id: int, body_html: str, photo: str | None, *, paid: bool) -> Answer:
        """Send the broadcast to one chat; every outcome is an :class:`Answer`, never raised."""
        method, params = content.bot_api_request(chat_id, body_html, photo)
        if paid:
            params["allow_paid_broadcast"] = True
        try:
            response = await self._client.post(
                f"{self._base_url}/{method}", content=json.dumps(params).encode()
            )
        except httpx.TimeoutException:
            return Answer(False, network="TimedOut")
        except httpx.HTTPError:
            return Answer(False, network="NetworkError")
        if response.status_code in RETRYABLE_STATUS:
            return Answer(False, error_code=response.status_code, network="NetworkError")
        return read_answer(response.status_code, response.content)

    async def aclose(self) -> None:
        """Close the connections."""
        await self._client.aclose()
