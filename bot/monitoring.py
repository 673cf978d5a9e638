"""The operators' HTTP endpoint: ``/metrics``, ``/healthz`` and ``/readyz`` in the bot's loop.

One small uvicorn server runs as a task of the bot's own event loop (polling or webhook mode),
started in ``post_init`` and stopped in ``post_shutdown`` (bot.app), bound to METRICS_HOST and
METRICS_PORT. It leaves signal handling to python-telegram-bot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.db.database import Database
from bot.metrics import BotMetrics
from bot.rasa_client import RasaClient, RasaRouter

logger = logging.getLogger(__name__)

# A readiness answer is reused this long, so a scrape storm costs one round of checks.
READINESS_TTL = 2.0
# Each dependency must answer within this; slower counts as down.
CHECK_TIMEOUT = 2.0

Check = Callable[[], Coroutine[Any, Any, bool]]


@dataclass
class Readiness:
    """Cheap, cached, bounded dependency checks: each runs at most once at a time.

    A check still running from an earlier round (a hung database, say) is reported down instead
    of being started again, so stuck checks can never pile up.
    """

    checks: Mapping[str, Check]
    ttl: float = READINESS_TTL
    timeout: float = CHECK_TIMEOUT
    clock: Callable[[], float] = time.monotonic
    _result: dict[str, bool] = field(default_factory=dict, init=False)
    _checked_at: float | None = field(default=None, init=False)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, init=False)
    _running: dict[str, asyncio.Task[bool]] = field(default_factory=dict, init=False)

    async def status(self) -> dict[str, bool]:
        """``{name: reachable}`` for every dependency, at most ``ttl`` seconds old."""
        async with self._lock:
            if self._checked_at is not None and self.clock() - self._checked_at < self.ttl:
                return dict(self._result)
            names = list(self.checks)
            results = await asyncio.gather(*(self._run(name) for name in names))
            self._result = dict(zip(names, results, strict=True))
            self._checked_at = self.clock()
            return dict(self._result)

    async def _run(self, name: str) -> bool:
        previous = self._running.get(name)
        if previous is not None and not previous.done():
            return False  # still stuck since an earlier round
        task: asyncio.Task[bool] = asyncio.create_task(
            self.checks[name](), name=f"readiness-{name}"
        )
        self._running[name] = task
        try:
            return bool(await asyncio.wait_for(asyncio.shield(task), self.timeout))
        except Exception as exc:
            logger.info("readiness: %s is not reachable (%s)", name, type(exc).__name__)
            return False


def rasa_check(
    rasa: Callable[[], RasaClient | RasaRouter], timeout: float = CHECK_TIMEOUT
) -> Check:
    """Rasa (the client ``rasa()`` returns now) answers ``/status`` with a loaded model."""

    async def check() -> bool:
        return await rasa().is_ready(seconds=timeout)

    return check


def database_check(db: Database) -> Check:
    """The bot database answers ``SELECT 1``."""

    async def check() -> bool:
        await db.run(lambda session: session.execute(text("SELECT 1")))
        return True

    return check


def telegram_check(http: httpx.AsyncClient, bot_api_url: str) -> Check:
    """The Bot API server (Telegram, or the emulator) answers ``getMe`` with ok.

    ``bot_api_url`` holds the token: it is never logged (the bot quiets httpx's request log and
    failures are reported by exception type only).
    """

    async def check() -> bool:
        response = await http.get(f"{bot_api_url}/getMe")
        return response.status_code == 200 and response.json().get("ok") is True

    return check


def build_app(metrics: BotMetrics, readiness: Readiness, db: Database | None = None) -> Starlette:
    """The three routes; ``db`` feeds the scrape-time gauges (open tickets, broadcasts)."""

    async def metrics_endpoint(request: Request) -> Response:
        if db is not None:
            await metrics.refresh_from_db(db)
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok\n")

    async def readyz(request: Request) -> Response:
        checks = await readiness.status()
        down = [name for name, ok in checks.items() if not ok]
        body = {"status": "unavailable" if down else "ready", "down": down, "checks": checks}
        return JSONResponse(body, status_code=503 if down else 200)

    return Starlette(
        routes=[
            Route("/metrics", metrics_endpoint),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
        ]
    )


class MonitoringServer:
    """The endpoint's lifecycle inside a running event loop."""

    def __init__(self, app: Starlette, host: str, port: int) -> None:
        self.host, self.port = host, port
        config = uvicorn.Config(
            app,
            log_config=None,
            access_log=False,
            lifespan="off",
            log_level="warning",
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        self._task: asyncio.Task[None] | None = None
        self._socket: socket.socket | None = None

    async def start(self) -> None:
        """Bind (an error here raises OSError at once) and serve in the background."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.port))
            sock.listen(128)
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        self._socket = sock
        self.port = int(sock.getsockname()[1])
        server = self._server
        # uvicorn's serve() without its signal handling: start up here, loop in a task.
        if not server.config.loaded:
            server.config.load()
        server.lifespan = server.config.lifespan_class(server.config)
        await server.startup(sockets=[sock])
        self._task = asyncio.create_task(self._serve(sock), name="metrics-http")
        logger.info("metrics, /healthz and /readyz on http://%s:%s", self.host, self.port)

    async def _serve(self, sock: socket.socket) -> None:
        await self._server.main_loop()
        await self._server.shutdown(sockets=[sock])

    async def stop(self) -> None:
        """Stop serving (within a few seconds) and release the port."""
        if self._task is None:
            return
        self._server.should_exit = True
        try:
            await asyncio.wait_for(self._task, timeout=5)
        except (TimeoutError, Exception):
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task
        if self._socket is not None:
            self._socket.close()
        self._task = None
