"""An ExtBot that survives malformed updates from the Bot API server."""

from __future__ import annotations

import datetime as dtm
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram._utils.defaultvalue import DEFAULT_NONE, DefaultValue
from telegram._utils.types import JSONDict, ODVInput
from telegram.ext import ExtBot
from telegram.request import RequestData

# internal to PTB (the pinned version), but all a RequestData is made of
from telegram.request._requestparameter import RequestParameter

if TYPE_CHECKING:
    from bot.metrics import BotMetrics

logger = logging.getLogger(__name__)


class ResilientBot(ExtBot[Any]):
    """Parses getUpdates results one by one, and each only once.

    PTB parses a whole batch at once and retries with the same offset when any entry is broken,
    so one malformed update would block every later update forever. Here a broken entry becomes an
    empty update with the same id: it is logged, confirmed with the next offset and skipped.
    """

    def __init__(self, *args: Any, metrics: BotMetrics | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        with self._unfrozen():
            # Called with the method name before each request (the broadcast pacer counts sends).
            self.send_observers: list[Callable[[str], None]] = []
            # Counts replies and Bot API errors (bot.metrics).
            self.metrics = metrics

    async def _post(self, endpoint: str, data: Any = None, *args: Any, **kwargs: Any) -> Any:
        return await self._observed(endpoint, super()._post, endpoint, data, *args, **kwargs)

    async def _observed(
        self, endpoint: str, post: Callable[..., Awaitable[Any]], /, *args: Any, **kwargs: Any
    ) -> Any:
        """``post(*args, **kwargs)``, told to the send observers and counted in the metrics."""
        for observer in self.send_observers:
            observer(endpoint)
        metrics = self.metrics
        try:
            result = await post(*args, **kwargs)
        except Exception as exc:
            if metrics is not None:
                metrics.request_failed(endpoint, exc)
            raise
        if metrics is not None:
            metrics.request_sent(endpoint)
        return result

    async def call(self, endpoint: str, api_kwargs: JSONDict) -> Any:
        """One Bot API call whose parameters are JSON already (the reply path); its raw result.

        ``do_api_request`` would warn for endpoints that have a method (sendMessage), and PTB's
        ``_post`` converts each parameter (defaults, dates, objects to dicts) on the way: a
        reply's chat id, HTML and keyboard need none of it. The rate limiter, the observers and
        the metrics see the call as any other, and errors are raised as by any Bot method.
        """
        data = {key: value for key, value in api_kwargs.items() if value is not None}
        if self.rate_limiter is None:
            return await self._observed(endpoint, self._post_json, endpoint, data)
        return await self._observed(
            endpoint,
            self.rate_limiter.process_request,
            callback=self._post_json,
            args=(endpoint, data),
            kwargs={},
            endpoint=endpoint,
            data=data,
            rate_limit_args=None,
        )

    async def _post_json(self, endpoint: str, data: JSONDict) -> Any:
        # what Bot._do_post builds, minus RequestParameter.from_input's conversions
        parameters = [
            RequestParameter(key, value, input_files=None) for key, value in data.items()
        ]
        request = self._request[1]
        return await request.post(f"{self._base_url}/{endpoint}", RequestData(parameters))

    async def get_updates(
        self,
        offset: int | None = None,
        limit: int | None = None,
        timeout: int | dtm.timedelta | None = None,  # noqa: ASYNC109 (PTB's signature)
        allowed_updates: Sequence[str] | None = None,
        *,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
        api_kwargs: JSONDict | None = None,
    ) -> tuple[Update, ...]:
        """PTB's getUpdates, with each entry parsed on its own (checking and parsing in one go)."""
        data: JSONDict = {
            "timeout": timeout,
            "offset": offset,
            "limit": limit,
            "allowed_updates": allowed_updates,
        }
        # as in Bot.get_updates: the long-poll's own timeout is added to the read timeout
        if isinstance(read_timeout, DefaultValue):
            base_timeout = self._request[0].read_timeout or 0
        else:
            base_timeout = read_timeout or 0
        if isinstance(timeout, dtm.timedelta):
            poll_seconds: float = timeout.total_seconds()
        else:
            poll_seconds = timeout or 0
        result = await self._post(
            "getUpdates",
            data,
            read_timeout=base_timeout + poll_seconds,
            write_timeout=write_timeout,
            connect_timeout=connect_timeout,
            pool_timeout=pool_timeout,
            api_kwargs=api_kwargs,
        )
        if not isinstance(result, list):
            logger.error("getUpdates answered something other than a list; ignoring it")
            return ()
        updates = tuple(update for update in map(self._parse, result) if update is not None)
        for update in updates:
            self.insert_callback_data(update)
        return updates

    def _parse(self, entry: Any) -> Update | None:
        update_id = entry.get("update_id") if isinstance(entry, dict) else None
        if not isinstance(update_id, int):
            logger.error("dropping an update without a valid update_id")
            return None
        try:
            return Update.de_json(entry, self)
        except Exception:
            logger.exception("skipping malformed update %s", update_id)
            return Update(update_id)
