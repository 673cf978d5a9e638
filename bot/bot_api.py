"""The one way a PTB Bot is set up: token, Bot API server, HTTP pool and the bot's defaults."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from telegram import LinkPreviewOptions
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.constants import ParseMode
from telegram.error import NetworkError, TimedOut
from telegram.ext import Defaults
from telegram.request import BaseRequest, HTTPXRequest, RequestData

from bot.config import Settings
from bot.http11 import CONNECTION_ERRORS, KeepAlivePool

READ_TIMEOUT = 15.0
CONNECT_TIMEOUT = 5.0
USER_AGENT = "asisten-prakerja (python-telegram-bot)"
MAX_ANSWER = 64 << 20  # a getUpdates batch of 100 long messages is a few MB at most


class KeepAliveRequest(BaseRequest):
    """PTB's Bot API requests as JSON POSTs on ``bot.http11``'s kept-alive connections.

    httpx cost about as much CPU per reply as the rest of the bot's work; every request the bot
    makes in the hot path (getUpdates, sendMessage, answerCallbackQuery, …) is a small JSON
    POST. Uploads (multipart) and file downloads (GET) go through an ``HTTPXRequest``. Errors are
    PTB's own: a timeout is ``TimedOut``, a broken connection ``NetworkError``.
    """

    def __init__(
        self,
        *,
        pool: int,
        read_timeout: float = READ_TIMEOUT,
        connect_timeout: float = CONNECT_TIMEOUT,
    ) -> None:
        self._size = pool
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._pools: dict[str, KeepAlivePool] = {}
        self._other = HTTPXRequest(
            connection_pool_size=max(1, pool // 4),
            read_timeout=read_timeout,
            connect_timeout=connect_timeout,
        )

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout (PTB adds it to getUpdates' long-poll timeout)."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Start the httpx client for uploads and downloads."""
        await self._other.initialize()

    async def shutdown(self) -> None:
        """Close every connection."""
        await self._other.shutdown()
        for pool in self._pools.values():
            await pool.aclose()
        self._pools.clear()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """See :meth:`telegram.request.BaseRequest.do_request`."""
        parts = urlsplit(url)
        if (
            method != "POST"
            or parts.scheme not in ("http", "https")
            or (request_data is not None and request_data.contains_files)
        ):
            return await self._other.do_request(
                url, method, request_data, read_timeout, write_timeout, connect_timeout,
                pool_timeout,
            )  # fmt: skip
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = (
            self._connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        )
        # one bound for the whole request: connecting, waiting for a connection, the answer
        limit = None if read is None else read + (connect or 0.0)
        body = json.dumps(request_data.parameters if request_data else {}).encode()
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        try:
            return await self._pool(f"{parts.scheme}://{parts.netloc}").post(
                path, body, time_limit=limit, content_type="application/json"
            )
        except TimeoutError as exc:
            raise TimedOut from exc
        except CONNECTION_ERRORS as exc:
            raise NetworkError(f"{type(exc).__name__}: {exc}") from exc

    def _pool(self, origin: str) -> KeepAlivePool:
        pool = self._pools.get(origin)
        if pool is None:
            pool = self._pools[origin] = KeepAlivePool(
                origin, size=self._size, user_agent=USER_AGENT, max_body=MAX_ANSWER
            )
        return pool


def bot_arguments(settings: Settings, *, pool: int) -> dict[str, Any]:
    """Keyword arguments for an ``ExtBot`` (or subclass) talking to ``TELEGRAM_BASE_URL``."""
    if settings.telegram_bot_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is required to talk to the Bot API")
    return {
        "token": settings.telegram_bot_token.get_secret_value(),
        "base_url": settings.telegram_base_url,
        "base_file_url": settings.telegram_base_file_url or "https://api.telegram.org/file/bot",
        "request": KeepAliveRequest(pool=pool),
        "defaults": Defaults(
            parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)
        ),
    }
