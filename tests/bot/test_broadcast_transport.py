"""The sender's lean Bot API client on a raw HTTP/1.1 server: framing, keep-alive, errors."""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.broadcast import content
from bot.broadcast.transport import SendClient, read_answer
from tests.bot.raw_http import Server, http, serve

TOKEN = "123456:TEST-token"


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    """The server on a free port; each test sets ``answer``."""
    state = Server(answer=lambda _: http(200, {"ok": True, "result": {"message_id": 7}}))
    async for running in serve(state):
        yield running


def client(server: Server, **kwargs: float) -> SendClient:
    """A client for the test server, like the sender builds it from the Bot's base URL."""
    return SendClient(f"http://127.0.0.1:{server.port}/bot{TOKEN}", pool=2, **kwargs)


async def test_a_send_posts_the_broadcast_as_json_and_reuses_the_connection(
    server: Server,
) -> None:
    sender = client(server)
    for chat_id in (11, 12, 13):
        answer = await sender.send(chat_id, "Halo <b>semua</b>", None, paid=chat_id == 13)
        assert answer.ok and answer.message_id == 7
    await sender.aclose()
    assert server.connections == 1
    line, body = server.requests[0]
    assert line == f"POST /bot{TOKEN}/sendMessage HTTP/1.1"
    assert body == content.bot_api_request(11, "Halo <b>semua</b>", None)[1]
    assert body["text"] == content.with_footer("Halo <b>semua</b>")
    assert "allow_paid_broadcast" not in body and server.requests[2][1]["allow_paid_broadcast"]
    await sender.send(14, "Foto", "file-id-1", paid=False)
    assert server.requests[3][0].endswith("/sendPhoto HTTP/1.1")
    assert server.requests[3][1]["photo"] == "file-id-1"


async def test_chunked_answers_and_connection_close_are_read(server: Server) -> None:
    replies = iter(
        [
            http(200, {"ok": True, "result": {"message_id": 1}}, chunked=True),
            http(200, {"ok": True, "result": {"message_id": 2}}, close=True),
            http(200, {"ok": True, "result": {"message_id": 3}}),
        ]
    )
    server.answer = lambda _: next(replies)
    sender = client(server)
    ids = [(await sender.send(1, "x", None, paid=False)).message_id for _ in range(3)]
    await sender.aclose()
    assert ids == [1, 2, 3] and server.connections == 2


async def test_errors_become_answers_with_what_the_sender_needs(server: Server) -> None:
    replies = iter(
        [
            http(
                429,
                {
                    "ok": False,
                    "error_code": 429,
                    "description": "Too Many Requests: retry after 3",
                    "parameters": {"retry_after": 3},
                },
            ),
            http(
                400,
                {
                    "ok": False,
                    "error_code": 400,
                    "description": "Bad Request: group chat was upgraded to a supergroup chat",
                    "parameters": {"migrate_to_chat_id": -1001234},
                },
            ),
            http(
                403,
                {
                    "ok": False,
                    "error_code": 403,
                    "description": "Forbidden: bot was blocked by the user",
                },
            ),
            http(
                400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}
            ),
            b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n",
            b"",  # the server drops the connection without an answer
        ]
    )
    server.answer = lambda _: next(replies)
    sender = client(server)
    limited, migrated, blocked, missing, gateway, dropped = [
        await sender.send(1, "x", None, paid=False) for _ in range(6)
    ]
    await sender.aclose()
    assert (limited.error_code, limited.retry_after) == (429, 3.0)
    assert (migrated.error_code, migrated.migrate_to_chat_id) == (400, -1001234)
    assert blocked.error_code == 403 and not blocked.ok
    assert missing.chat_not_found
    assert gateway.network == "NetworkError" and gateway.error_code == 502
    assert dropped.network == "NetworkError"
    assert read_answer(200, b"not json").ok is False


async def test_a_server_that_does_not_answer_is_a_timeout(server: Server) -> None:
    server.answer = lambda _: b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"  # never ends
    sender = client(server, timeout=0.5)
    answer = await sender.send(1, "x", None, paid=False)
    assert answer.network == "TimedOut"
    server.answer = lambda _: http(200, {"ok": True, "result": {"message_id": 9}})
    assert (await sender.send(1, "x", None, paid=False)).message_id == 9  # a fresh connection
    await sender.aclose()
    assert server.connections == 2


async def test_nothing_listening_is_a_network_error() -> None:
    listener = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    listener.close()
    await listener.wait_closed()
    sender = SendClient(f"http://127.0.0.1:{port}/bot{TOKEN}", pool=1)
    assert (await sender.send(1, "x", None, paid=False)).network == "NetworkError"
    with pytest.raises(ValueError):
        SendClient("ftp://example.org/bot", pool=1)


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed key and certificate for 127.0.0.1 (made with the openssl command)."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    command = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1"
    subprocess.run(
        [
            *command.split(),
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return key, cert


async def test_https_urls_speak_tls_and_check_the_certificate(
    certificate: tuple[Path, Path],
) -> None:
    key, cert = certificate
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert, key)
    state = Server(answer=lambda _: http(200, {"ok": True, "result": {"message_id": 5}}))
    listener = await asyncio.start_server(state.handle, "127.0.0.1", 0, ssl=server_tls)
    port = listener.sockets[0].getsockname()[1]
    async with listener:
        url = f"https://127.0.0.1:{port}/bot{TOKEN}"
        trusted = SendClient(url, pool=1, tls=ssl.create_default_context(cafile=str(cert)))
        assert (await trusted.send(1, "x", None, paid=False)).message_id == 5
        assert (await trusted.send(2, "x", None, paid=False)).message_id == 5
        await trusted.aclose()
        assert state.connections == 1
        # The system's trust store does not know this certificate: no send.
        untrusted = SendClient(url, pool=1)
        assert (await untrusted.send(1, "x", None, paid=False)).network == "NetworkError"
        await untrusted.aclose()
