"""The bot's Bot API requests on kept-alive connections (bot.bot_api.KeepAliveRequest)."""

from __future__ import annotations

import asyncio
import socket

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, NetworkError, TimedOut

from bot.bot_api import KeepAliveRequest
from tests.bot.test_broadcast_transport import TOKEN, Server, http, server  # noqa: F401

MESSAGE = {
    "message_id": 9,
    "date": 1_700_000_000,
    "chat": {"id": 42, "type": "private"},
    "text": "halo",
}


def answers(body: dict[str, object]) -> bytes:
    """getMe, then every send is answered with a message."""
    if "chat_id" not in body:
        user = {"id": 1, "is_bot": True, "first_name": "Asisten", "username": "asisten_bot"}
        return http(200, {"ok": True, "result": user})
    return http(200, {"ok": True, "result": MESSAGE})


async def test_a_send_is_a_json_post_with_typed_values_on_one_connection(
    server: Server,  # noqa: F811
) -> None:
    server.answer = answers
    request = KeepAliveRequest(pool=2)
    async with Bot(TOKEN, base_url=f"http://127.0.0.1:{server.port}/bot", request=request) as b:
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Cara daftar", callback_data="x")]])
        sent = await b.send_message(42, "halo <b>kak</b>", reply_markup=keyboard)
        await b.send_message(42, "lagi")
    assert sent.message_id == 9 and sent.text == "halo"
    line, body = server.requests[1]
    assert line == f"POST /bot{TOKEN}/sendMessage HTTP/1.1"
    assert body["chat_id"] == 42  # a number, not the string "42"
    assert body["text"] == "halo <b>kak</b>"
    assert body["reply_markup"] == {
        "inline_keyboard": [[{"text": "Cara daftar", "callback_data": "x"}]]
    }
    assert server.connections == 1  # getMe and both sends on one kept-alive connection


async def test_a_telegram_error_is_ptbs_own(server: Server) -> None:  # noqa: F811
    def refuse(body: dict[str, object]) -> bytes:
        if "chat_id" not in body:
            return answers(body)
        return http(400, {"ok": False, "error_code": 400, "description": "Bad Request: x"})

    server.answer = refuse
    request = KeepAliveRequest(pool=1)
    async with Bot(TOKEN, base_url=f"http://127.0.0.1:{server.port}/bot", request=request) as b:
        with pytest.raises(BadRequest):
            await b.send_message(42, "halo")


async def test_no_answer_is_timed_out_and_the_next_request_works(
    server: Server,  # noqa: F811
) -> None:
    calls = {"n": 0}

    def slow_once(body: dict[str, object]) -> bytes:
        if "chat_id" in body:
            calls["n"] += 1
            if calls["n"] == 1:
                return b""  # hang up without answering
        return answers(body)

    server.answer = slow_once
    request = KeepAliveRequest(pool=1, read_timeout=0.5, connect_timeout=0.5)
    async with Bot(TOKEN, base_url=f"http://127.0.0.1:{server.port}/bot", request=request) as b:
        with pytest.raises(NetworkError):  # the server closed the connection: no answer
            await b.send_message(42, "halo")
        assert (await b.send_message(42, "lagi")).message_id == 9


async def test_a_silent_server_is_timed_out() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(10)

    listener = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    request = KeepAliveRequest(pool=1, read_timeout=0.3, connect_timeout=0.3)
    bot = Bot(TOKEN, base_url=f"http://127.0.0.1:{port}/bot", request=request)
    try:
        with pytest.raises(TimedOut):
            await bot.get_me()
    finally:
        await request.shutdown()
        listener.close()


async def test_nothing_listening_is_a_network_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    request = KeepAliveRequest(pool=1, read_timeout=0.5, connect_timeout=0.5)
    bot = Bot(TOKEN, base_url=f"http://127.0.0.1:{port}/bot", request=request)
    with pytest.raises(NetworkError):
        await bot.get_me()
    await request.shutdown()
