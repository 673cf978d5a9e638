"""ResilientBot.get_updates: one broken entry never blocks the ones after it."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, cast

import pytest
from telegram import Update
from telegram.error import Forbidden, RetryAfter
from telegram.request import BaseRequest, RequestData

from bot.reply_limits import ReplyRateLimiter
from bot.resilient_bot import ResilientBot

if TYPE_CHECKING:
    from bot.metrics import BotMetrics

MESSAGE = {
    "message_id": 1,
    "date": 1_700_000_000,
    "chat": {"id": 42, "type": "private"},
    "from": {"id": 42, "is_bot": False, "first_name": "Sari"},
    "text": "halo",
}


class CannedRequest(BaseRequest):
    """Answers every call with one fixed Bot API result and records the calls."""

    def __init__(self, result: Any) -> None:
        self.result = result
        self.calls: list[tuple[str, dict[str, Any], float | None]] = []

    @property
    def read_timeout(self) -> float | None:
        return 5.0

    async def initialize(self) -> None:
        """Nothing to start."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        parameters = request_data.parameters if request_data else {}
        self.calls.append((url.rsplit("/", 1)[-1], parameters, read_timeout))
        return 200, json.dumps({"ok": True, "result": self.result}).encode()


def make_bot(result: Any) -> tuple[ResilientBot, CannedRequest]:
    request = CannedRequest(result)
    bot = ResilientBot("1:x", request=CannedRequest(True), get_updates_request=request)
    return bot, request


async def test_a_malformed_entry_becomes_an_empty_update_and_the_rest_are_parsed() -> None:
    broken = {"update_id": 8, "message": {"message_id": "not a number", "chat": 5}}
    bot, request = make_bot(
        [
            {"update_id": 7, "message": MESSAGE},
            broken,
            {"no": "id"},
            {"update_id": 9, "message": {**MESSAGE, "text": "masih ada?"}},
        ]
    )
    updates = await bot.get_updates(offset=7, timeout=30)

    assert [u.update_id for u in updates] == [7, 8, 9]
    assert all(isinstance(u, Update) for u in updates)
    assert updates[0].message is not None and updates[0].message.text == "halo"
    assert updates[1].message is None and updates[1].effective_chat is None
    assert updates[2].message is not None and updates[2].message.text == "masih ada?"
    assert updates[0].get_bot() is bot
    # the long poll's own timeout is added to the read timeout, as PTB does
    endpoint, parameters, read_timeout = request.calls[0]
    assert endpoint == "getUpdates"
    assert parameters["offset"] == 7 and parameters["timeout"] == 30
    assert read_timeout == 35.0


async def test_an_answer_that_is_not_a_list_gives_no_updates() -> None:
    bot, _ = make_bot({"surprise": True})
    assert await bot.get_updates(timeout=0) == ()


async def test_an_explicit_read_timeout_is_kept() -> None:
    bot, request = make_bot([])
    assert await bot.get_updates(timeout=10, read_timeout=2) == ()
    assert request.calls[0][2] == 12.0


class StatusRequest(CannedRequest):
    """Answers every call with one HTTP status and Bot API body."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(None)
        self.status, self.body = status, body

    async def do_request(
        self, url: str, method: str, *args: Any, **kwargs: Any
    ) -> tuple[int, bytes]:
        await super().do_request(url, method, *args, **kwargs)
        return self.status, json.dumps(self.body).encode()


class Seen:
    """Stands in for BotMetrics: which endpoints succeeded and failed."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.failed: list[tuple[str, type[BaseException]]] = []

    def request_sent(self, endpoint: str) -> None:
        self.sent.append(endpoint)

    def request_failed(self, endpoint: str, error: BaseException) -> None:
        self.failed.append((endpoint, type(error)))


def reply_bot(
    request: CannedRequest, limiter: ReplyRateLimiter | None = None
) -> tuple[ResilientBot, Seen, list[str]]:
    seen, observed = Seen(), []
    bot = ResilientBot(
        "1:x",
        request=request,
        get_updates_request=CannedRequest([]),
        rate_limiter=limiter or ReplyRateLimiter(),
        metrics=cast("BotMetrics", seen),
    )
    bot.send_observers.append(observed.append)
    return bot, seen, observed


async def test_call_sends_json_parameters_as_given_through_the_limiter_and_metrics() -> None:
    request = CannedRequest({"message_id": 7})
    bot, seen, observed = reply_bot(request)
    keyboard = {"inline_keyboard": [[{"text": "Cara daftar", "callback_data": "p:abc"}]]}
    result = await bot.call(
        "sendMessage",
        {"chat_id": 42, "text": "<b>halo</b>", "reply_markup": keyboard, "parse_mode": None},
    )
    assert result == {"message_id": 7}
    assert [call[:2] for call in request.calls] == [
        ("sendMessage", {"chat_id": 42, "text": "<b>halo</b>", "reply_markup": keyboard})
    ]
    assert observed == ["sendMessage"]
    assert seen.sent == ["sendMessage"] and seen.failed == []


async def test_call_raises_bot_api_errors_as_any_bot_method() -> None:
    blocked = {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked"}
    bot, seen, _ = reply_bot(StatusRequest(403, blocked))
    with pytest.raises(Forbidden):
        await bot.call("sendMessage", {"chat_id": 42, "text": "halo"})
    assert seen.failed == [("sendMessage", Forbidden)] and seen.sent == []


async def test_call_waits_out_a_flood_wait_and_retries() -> None:
    flood = {"ok": False, "error_code": 429, "description": "Too Many Requests",
             "parameters": {"retry_after": 1}}  # fmt: skip
    request = StatusRequest(429, flood)
    bot, seen, _ = reply_bot(request, ReplyRateLimiter(max_retries=1))
    with pytest.raises(RetryAfter):
        await bot.call("sendMessage", {"chat_id": 42, "text": "halo"})
    assert len(request.calls) == 2  # the first try and one retry a second later
    assert seen.failed == [("sendMessage", RetryAfter)]
