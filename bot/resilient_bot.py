"""An ExtBot that survives malformed updates from the Bot API server."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.ext import ExtBot

if TYPE_CHECKING:
    from bot.metrics import BotMetrics

logger = logging.getLogger(__name__)


class ResilientBot(ExtBot[Any]):
    """Parses getUpdates results one by one.

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
        for observer in self.send_observers:
            observer(endpoint)
        metrics = self.metrics
        try:
            result = await super()._post(endpoint, data, *args, **kwargs)
        except Exception as exc:
            if metrics is not None:
                metrics.request_failed(endpoint, exc)
            raise
        if metrics is not None:
            metrics.request_sent(endpoint)
        if endpoint != "getUpdates" or not isinstance(result, list):
            return result
        return [entry for entry in map(self._sanitise, result) if entry is not None]

    def _sanitise(self, entry: Any) -> dict[str, Any] | None:
        update_id = entry.get("update_id") if isinstance(entry, dict) else None
        if not isinstance(update_id, int):
            logger.error("dropping an update without a valid update_id")
            return None
        try:
            Update.de_json(entry, self)
        except Exception:
            logger.exception("skipping malformed update %s", update_id)
            return {"update_id": update_id}
        return entry  # type: ignore[no-any-return]
