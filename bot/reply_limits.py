"""Rate limits for live replies: per chat, as Telegram applies them, not one global 30/s.

PTB's ``AIORateLimiter`` puts every request behind one overall limiter at Telegram's *bulk*
guideline (30 messages/s). For a bot that answers people that is the wrong limit: Telegram limits
replies per chat (about one message per second in a private chat, with short bursts allowed; 20
per minute in a group), and the bulk budget belongs to broadcasts, which have their own sender,
Bot and pacing (bot/broadcast). So this limiter keeps the group limit and the 429 handling (one
pause for everyone, ``retry_after`` honoured), drops the overall one, and adds a leaky bucket per
private chat. Chat actions ("typing…") are not messages and pass unlimited.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram._utils.types import JSONDict
from telegram.ext import AIORateLimiter

UNLIMITED_ENDPOINTS = frozenset({"sendChatAction", "answerCallbackQuery", "getMe", "getUpdates"})
_MAX_IDLE_LIMITERS = 4096


class ReplyRateLimiter(AIORateLimiter):
    """Per-private-chat bucket plus PTB's group limit and 429 retries; no overall cap."""

    def __init__(
        self,
        private_burst: int = 3,
        private_period: float = 3.0,
        group_max_rate: float = 20,
        group_time_period: float = 60,
        max_retries: int = 2,
    ) -> None:
        super().__init__(
            overall_max_rate=0,
            group_max_rate=group_max_rate,
            group_time_period=group_time_period,
            max_retries=max_retries,
        )
        self._private_burst = private_burst
        self._private_period = private_period
        self._private: dict[int, AsyncLimiter] = {}

    def _private_limiter(self, chat_id: int) -> AsyncLimiter:
        limiter = self._private.get(chat_id)
        if limiter is None:
            if len(self._private) > _MAX_IDLE_LIMITERS:
                # forget buckets that are full again (idle chats), as PTB does for groups
                for key, old in list(self._private.items()):
                    if old.has_capacity(old.max_rate):
                        del self._private[key]
            limiter = AsyncLimiter(self._private_burst, self._private_period)
            self._private[chat_id] = limiter
        return limiter

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        """Wait for the chat's own bucket (private chats), then PTB's group limit and retries."""
        chat_id = data.get("chat_id")
        if endpoint not in UNLIMITED_ENDPOINTS and isinstance(chat_id, int) and chat_id > 0:
            async with self._private_limiter(chat_id):
                pass
        return await super().process_request(
            callback, args, kwargs, endpoint, data, rate_limit_args
        )
