"""The retention task: delete tracker events older than ``RETENTION_DAYS`` (default 30)."""

from __future__ import annotations

import asyncio
import logging
import time

from sanic import Sanic

from core.env import env_number
from nlu.server.trackers import prune_events, unsupported_for_retention

logger = logging.getLogger(__name__)

DEFAULT_RETENTION_DAYS = 30.0
INTERVAL_SECONDS = 3600.0


def retention_days_from_env() -> float:
    """``RETENTION_DAYS`` as a positive number of days (fractions allowed)."""
    days = env_number("RETENTION_DAYS", DEFAULT_RETENTION_DAYS, float, 0.0, "a number of days")
    if days == 0:
        raise ValueError("RETENTION_DAYS must be greater than 0.")
    return days


async def run_once(app: Sanic, days: float, now: float | None = None) -> int:
    """Prune the agent's tracker store once; the number of events deleted."""
    agent = getattr(app.ctx, "agent", None)
    if agent is None or agent.tracker_store is None:
        return 0
    cutoff = (time.time() if now is None else now) - days * 86400
    deleted, conversations = await prune_events(agent.tracker_store, agent.lock_store, cutoff)
    # Counts only: sender ids are pseudonyms, but still identify a conversation.
    logger.info(
        "retention: deleted %d tracker events older than %g days from %d conversations",
        deleted,
        days,
        conversations,
    )
    return deleted


async def retention_loop(app: Sanic, days: float, interval: float = INTERVAL_SECONDS) -> None:
    """Prune at start, then every ``interval`` seconds, until cancelled."""
    agent = getattr(app.ctx, "agent", None)
    if agent is not None and agent.tracker_store is not None:
        for name in unsupported_for_retention(agent.tracker_store):
            logger.warning("retention: %s is not pruned by this task", name)
    while True:
        try:
            await run_once(app, days)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("retention: pruning failed, retrying in %.0f s", interval)
        await asyncio.sleep(interval)


def install_retention(app: Sanic, days: float, interval: float = INTERVAL_SECONDS) -> None:
    """Start :func:`retention_loop` once the agent is loaded; stop it with the server."""

    async def start(running: Sanic, _loop: object) -> None:
        """After ``load_agent_on_start`` (a before_server_start listener) has run."""
        running.ctx.retention_task = asyncio.ensure_future(retention_loop(running, days, interval))

    async def stop(running: Sanic, _loop: object) -> None:
        """Cancel the loop so shutdown is not delayed."""
        task = getattr(running.ctx, "retention_task", None)
        if task is not None:
            task.cancel()

    app.register_listener(start, "after_server_start")
    app.register_listener(stop, "before_server_stop")
