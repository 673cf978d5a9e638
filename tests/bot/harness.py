"""The real bot Application against the local Bot API emulator, with a scripted Rasa.

Handler tests need no Rasa process: the bot's RasaClient talks to ``ScriptedRasa`` through an
``httpx.MockTransport``, which records every request and answers what the test scripted.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from telegram.ext import Application

from bot.app import build_application
from bot.config import Settings
from bot.db.database import Database, upgrade
from bot.metrics import METRICS_KEY
from bot.rasa_client import RasaClient
from bot.services import SERVICES_KEY, Services
from sandbox.telegram import create_app
from sandbox.telegram.emulator import make_server
from tests.emulator import free_port, serve_in_thread

TOKEN = "123456:HANDLER-tests"
Answer = list[dict[str, Any]]


@dataclass
class ScriptedRasa:
    """Answers the bot's Rasa requests from a script and records them."""

    reply: Callable[[str], Answer] = lambda text: [{"text": f"jawaban untuk: {text}"}]
    down: bool = False
    delay: float = 0.0  # seconds before each webhook answer (a slow Rasa)
    messages: list[dict[str, Any]] = field(default_factory=list)
    erased: list[str] = field(default_factory=list)
    # Events appended through the gated API (pause/resume), per sender.
    appended: dict[str, list[str]] = field(default_factory=dict)

    async def handle(self, request: httpx.Request) -> httpx.Response:
        """The MockTransport handler."""
        if self.down:
            raise httpx.ConnectError("Rasa is down", request=request)
        path = request.url.path
        if path.endswith("/erase"):
            sender = json.loads(request.content)["sender"]
            self.erased.append(sender)
            return httpx.Response(200, json={"erased_events": 7})
        if path.endswith("/webhook"):
            body = json.loads(request.content)
            self.messages.append(body)
            if self.delay:
                await asyncio.sleep(self.delay)
            return httpx.Response(200, json=self.reply(body["message"]))
        if path.startswith("/conversations/") and path.endswith("/tracker/events"):
            sender = path.split("/")[2]
            self.appended.setdefault(sender, []).append(json.loads(request.content)["event"])
            return httpx.Response(200, json={"sender_id": sender})
        if path.startswith("/conversations/") and path.endswith("/tracker"):
            sender = path.split("/")[2]
            events: list[dict[str, Any]] = []
            for body in self.messages:
                if body["sender"] == sender:
                    events.append({"event": "user", "text": body["message"]})
                    events.append({"event": "bot", "text": f"jawaban untuk: {body['message']}"})
            return httpx.Response(200, json={"sender_id": sender, "events": events})
        if path == "/status":
            return httpx.Response(200, json={"model_file": "model.tar.gz"})
        return httpx.Response(404)

    def texts(self) -> list[str]:
        """Every message text the bot sent to Rasa, in order."""
        return [m["message"] for m in self.messages]


@dataclass
class RunningBot:
    """The Application running in its own thread and event loop."""

    application: Application  # type: ignore[type-arg]
    loop: asyncio.AbstractEventLoop
    rasa: ScriptedRasa
    sim: httpx.Client

    @property
    def services(self) -> Services:
        """The bot's shared services."""
        services = self.application.bot_data[SERVICES_KEY]
        assert isinstance(services, Services)
        return services

    def call(self, coroutine: Any, timeout: float = 10) -> Any:
        """Run a coroutine on the bot's loop (e.g. a database query) and return its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    @property
    def db(self) -> Database:
        """The bot database."""
        return self.services.db


def serve_emulator(staff_group: bool = False) -> tuple[str, uvicorn.Server, threading.Thread]:
    """The Bot API emulator on a free port, in a background thread (optionally a staff forum)."""
    port = free_port()
    server = make_server(create_app(callback_ttl=5, staff_group=staff_group), "127.0.0.1", port)
    thread = serve_in_thread(server)
    return f"http://127.0.0.1:{port}", server, thread


def run_bot(data_dir: Path, *, staff_group: bool = False, **settings: Any) -> Iterator[RunningBot]:
    """Start emulator and bot; yield the running bot; stop both."""
    url, server, server_thread = serve_emulator(staff_group)
    settings.setdefault("metrics_port", 0)  # tests/bot/test_monitoring.py turns it on
    config = Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token=TOKEN,
        telegram_base_url=f"{url}/bot",
        rasa_url="http://rasa.test",
        program_api_url="http://program-api.test",
        data_dir=data_dir,
        **settings,
    )
    upgrade(config.effective_database_url)
    application = build_application(config)
    rasa = ScriptedRasa()
    original_post_init = application.post_init
    assert original_post_init is not None

    async def post_init(app: Application) -> None:  # type: ignore[type-arg]
        await original_post_init(app)
        services = app.bot_data[SERVICES_KEY]
        await services.rasa.aclose()
        services.rasa = RasaClient(
            config.rasa_url,
            "token",
            timeout=2,
            transport=httpx.MockTransport(rasa.handle),
            observer=app.bot_data[METRICS_KEY].rasa_request,
        )

    application.post_init = post_init
    loop = asyncio.new_event_loop()
    started = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)

        async def mark_started() -> None:
            started.set()

        loop.call_soon(lambda: loop.create_task(mark_started()))
        application.run_polling(stop_signals=None, close_loop=False, poll_interval=0)

    bot_thread = threading.Thread(target=run, daemon=True)
    bot_thread.start()
    sim = httpx.Client(base_url=url, timeout=30)
    try:
        started.wait(10)
        deadline = time.monotonic() + 15
        while SERVICES_KEY not in application.bot_data or not application.running:
            if time.monotonic() > deadline:
                raise RuntimeError("bot did not start")
            time.sleep(0.05)
        yield RunningBot(application, loop, rasa, sim)
    finally:
        loop.call_soon_threadsafe(application.stop_running)
        bot_thread.join(15)
        sim.close()
        server.should_exit = True
        server_thread.join(10)
