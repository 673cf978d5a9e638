"""ops.floor_relay: the benchmark's bare relay answers through the emulator as the bot would."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.privacy import rasa_sender_id
from ops.floor_relay import METADATA, relay
from sandbox.telegram.emulator import create_app, make_server
from tests.emulator import free_port, serve_in_thread

TOKEN = "123456:floor-relay-test"
USER = 424242


async def test_relays_a_text_to_rasa_and_its_answer_back(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    asked: list[tuple[dict[str, Any], str | None]] = []

    async def channel(request: Request) -> JSONResponse:
        body = await request.json()
        asked.append((body, request.headers.get("authorization")))
        answer = {"recipient_id": body["sender"], "text": f"jawab: {body['message']}"}
        return JSONResponse([answer])

    rasa_port, chat_port = free_port(), free_port()
    rasa = uvicorn.Server(
        uvicorn.Config(
            Starlette(routes=[Route("/webhooks/asisten/webhook", channel, methods=["POST"])]),
            host="127.0.0.1",
            port=rasa_port,
            log_level="warning",
        )
    )
    emulator = make_server(create_app(), "127.0.0.1", chat_port)
    threads = [serve_in_thread(rasa), serve_in_thread(emulator)]
    monkeypatch.setenv("TELEGRAM_BASE_URL", f"http://127.0.0.1:{chat_port}/bot")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("RASA_URL", f"http://127.0.0.1:{rasa_port}")
    monkeypatch.setenv("RASA_TOKEN", "rahasia")
    monkeypatch.setenv("PRIVACY_KEY", "kunci-uji")
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    task = asyncio.create_task(relay())
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{chat_port}") as sim:
            await sim.post(
                "/sim/updates/message", json={"user_id": USER, "first_name": "Uji", "text": "halo"}
            )
            replies: list[str] = []
            for _ in range(200):
                messages = (await sim.get(f"/sim/chats/{USER}/messages")).json()["messages"]
                replies = [m["text"] for m in messages if m["from_bot"]]
                if replies:
                    break
                await asyncio.sleep(0.02)
        assert replies == ["jawab: halo"]
        (body, authorization), *more = asked
        assert not more and authorization == "Bearer rahasia"
        # as the bot's sender id for this user, with the bot's metadata
        sender = rasa_sender_id(b"kunci-uji", USER)
        assert body == {"sender": sender, "message": "halo", "metadata": METADATA}
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        rasa.should_exit = emulator.should_exit = True
        for thread in threads:
            thread.join(timeout=5)
