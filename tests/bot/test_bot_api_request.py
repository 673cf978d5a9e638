"""The bot's Bot API requests on kept-alive connections (bot.bot_api.KeepAliveRequest)."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, NetworkError, TimedOut

from bot.bot_api import KeepAliveRequest
from bot.http11 import KeepAlivePool
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


async def test_a_hang_up_on_a_kept_alive_connection_is_sent_once_more_on_a_new_one(
    server: Server,  # noqa: F811
) -> None:
    calls = {"n": 0}

    def hang_up_once(body: dict[str, object]) -> bytes:
        if "chat_id" in body:
            calls["n"] += 1
            if calls["n"] == 1:
                return b""  # close without a byte of an answer
        return answers(body)

    server.answer = hang_up_once
    request = KeepAliveRequest(pool=1, read_timeout=0.5, connect_timeout=0.5)
    async with Bot(TOKEN, base_url=f"http://127.0.0.1:{server.port}/bot", request=request) as b:
        assert (await b.send_message(42, "halo")).message_id == 9
    assert [body.get("text") for _, body in server.requests] == [None, "halo", "halo"]
    assert server.connections == 2


async def test_a_hang_up_on_a_new_connection_is_a_network_error_and_the_next_works(
    server: Server,  # noqa: F811
) -> None:
    calls = {"n": 0}

    def hang_up_twice(body: dict[str, object]) -> bytes:
        if "chat_id" in body:
            calls["n"] += 1
            if calls["n"] <= 2:
                return b""  # the kept-alive attempt, then the new connection's
        return answers(body)

    server.answer = hang_up_twice
    request = KeepAliveRequest(pool=1, read_timeout=0.5, connect_timeout=0.5)
    async with Bot(TOKEN, base_url=f"http://127.0.0.1:{server.port}/bot", request=request) as b:
        with pytest.raises(NetworkError):  # the server closed the connection: no answer
            await b.send_message(42, "halo")
        assert (await b.send_message(42, "lagi")).message_id == 9
    assert [body.get("text") for _, body in server.requests] == [None, "halo", "halo", "lagi"]


def closing_server(requests: list[bytes], linger: float) -> tuple[socket.socket, int]:
    """A server in a thread: one answer per connection, then a close ``linger`` s later."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    data += conn.recv(65536)
                head, _, body = data.partition(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                while len(body) < length:
                    body += conn.recv(65536)
                requests.append(body)
                conn.sendall(answers(json.loads(body)))
                time.sleep(linger)

    threading.Thread(target=serve, daemon=True).start()
    return listener, listener.getsockname()[1]


async def test_a_connection_the_server_closed_while_idle_is_not_reused() -> None:
    """The server's close has reached the socket but not yet the event loop (uvicorn closes
    idle connections after 5 s; a reply sent just then used to fail)."""
    requests: list[bytes] = []
    listener, port = closing_server(requests, linger=0.1)
    pool = KeepAlivePool(f"http://127.0.0.1:{port}", size=1, user_agent="test")
    try:
        status, _ = await pool.post(
            "/bot/getMe", b"{}", time_limit=2, content_type="application/json"
        )
        assert status == 200
        connection = pool._connections[0]
        assert connection._usable()
        time.sleep(0.4)  # noqa: ASYNC251 -- the close arrives while this loop is blocked
        assert not connection._reader.at_eof()  # type: ignore[union-attr]  # loop not told yet
        assert not connection._usable()  # so the next request opens a new connection
        status, _ = await pool.post(
            "/bot/sendMessage", b'{"chat_id": 42, "text": "halo"}', time_limit=2,
            content_type="application/json",
        )  # fmt: skip
        assert status == 200
    finally:
        await pool.aclose()
        listener.close()
    assert len(requests) == 2


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
