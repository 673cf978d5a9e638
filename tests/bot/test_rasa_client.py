"""The Rasa client: request shape and bearer token, validation of answers, failures.

Messages go over ``bot.http11`` to a real local HTTP server (``tests.bot.raw_http``); the rare
operations (erasure, ``/status``) go through httpx and are checked with respx.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
import respx

from bot.rasa_client import (
    BotMessage,
    Button,
    RasaClient,
    RasaUnavailable,
    parse_bot_messages,
    rasa_outcome,
)
from tests.bot.raw_http import Server, raw, serve

RASA = "http://rasa.test"


@dataclass
class RasaAnswer:
    """What the local Rasa answers: a status and body, after a delay, or a cut-off answer."""

    status: int = 200
    body: bytes = b"[]"
    delay: float = 0.0
    close_mid_answer: bool = False

    async def __call__(self, _request: dict[str, object]) -> bytes:
        await asyncio.sleep(self.delay)
        if self.close_mid_answer:
            return b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 100\r\n\r\n[{"
        return raw(self.status, self.body)


@pytest.fixture
def answer() -> RasaAnswer:
    return RasaAnswer()


@pytest.fixture
async def fake_rasa(answer: RasaAnswer) -> AsyncIterator[Server]:
    async for running in serve(Server(answer=answer)):
        yield running


@pytest.fixture
async def client(fake_rasa: Server) -> AsyncIterator[RasaClient]:
    rasa = RasaClient(fake_rasa.url, "secret", timeout=0.5)
    yield rasa
    await rasa.aclose()


@pytest.fixture
async def respx_client() -> AsyncIterator[RasaClient]:
    rasa = RasaClient(RASA, "secret", timeout=0.5)
    yield rasa
    await rasa.aclose()


async def test_sends_sender_text_and_metadata(
    client: RasaClient, fake_rasa: Server, answer: RasaAnswer
) -> None:
    answer.body = json.dumps(
        [
            {"recipient_id": "tg-1", "text": "Halo!"},
            {
                "recipient_id": "tg-1",
                "buttons": [{"title": "Daftar", "payload": "/ask_registration"}],
            },
            {"recipient_id": "tg-1", "custom": {"type": "verify_identity"}},
            {"recipient_id": "tg-1", "image": "https://example.test/a.png"},
        ]
    ).encode()
    answers = await client.send_message("tg-1", "halo", {"telegram": {"language_code": "id"}})
    line, body = fake_rasa.requests[-1]
    headers = fake_rasa.headers[-1]
    assert line == "POST /webhooks/asisten/webhook HTTP/1.1"
    assert headers["authorization"] == "Bearer secret"
    assert headers["content-type"] == "application/json"
    assert body == {
        "sender": "tg-1",
        "message": "halo",
        "metadata": {"telegram": {"language_code": "id"}},
    }
    assert answers == [
        BotMessage(text="Halo!"),
        BotMessage(buttons=(Button("Daftar", "/ask_registration"),)),
        BotMessage(custom={"type": "verify_identity"}),
        BotMessage(image="https://example.test/a.png"),
    ]


async def test_messages_share_one_kept_alive_connection(
    client: RasaClient, fake_rasa: Server
) -> None:
    for _ in range(5):
        await client.send_message("tg-1", "halo")
    assert len(fake_rasa.requests) == 5
    assert fake_rasa.connections == 1


async def test_parallel_messages_each_get_their_answer(
    fake_rasa: Server, answer: RasaAnswer
) -> None:
    answer.delay = 0.05  # every request waits, so the ten overlap on several connections
    answer.body = b'[{"text": "ok"}]'
    rasa = RasaClient(fake_rasa.url, "secret", timeout=2)
    answers = await asyncio.gather(*(rasa.send_message(f"tg-{i}", "halo") for i in range(10)))
    await rasa.aclose()
    assert all(a == [BotMessage(text="ok")] for a in answers)
    assert sorted(body["sender"] for _, body in fake_rasa.requests) == sorted(
        f"tg-{i}" for i in range(10)
    )
    assert fake_rasa.connections > 1


async def test_rasa_url_with_a_path_prefix(fake_rasa: Server) -> None:
    rasa = RasaClient(fake_rasa.url + "/rasa/", "secret", timeout=0.5)
    await rasa.send_message("tg-1", "halo")
    await rasa.aclose()
    assert fake_rasa.requests[-1][0] == "POST /rasa/webhooks/asisten/webhook HTTP/1.1"


async def failure(client: RasaClient) -> str:
    """Send a message that must fail; the metrics label of its failure."""
    with pytest.raises(RasaUnavailable) as caught:
        await client.send_message("tg-1", "halo")
    return rasa_outcome(caught.value)


async def test_timeout_is_unavailable(client: RasaClient, answer: RasaAnswer) -> None:
    answer.delay = 2.0
    assert await failure(client) == "timeout"


async def test_connection_refused_is_unavailable() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    rasa = RasaClient(f"http://127.0.0.1:{port}", "secret", timeout=0.5)
    assert await failure(rasa) == "unreachable"
    await rasa.aclose()


async def test_connection_closed_mid_answer_is_unavailable(
    client: RasaClient, answer: RasaAnswer
) -> None:
    answer.close_mid_answer = True
    assert await failure(client) == "unreachable"
    answer.close_mid_answer = False  # the next message opens a new connection
    assert await client.send_message("tg-1", "halo") == []


@pytest.mark.parametrize("status", [500, 502, 503, 404, 401, 302])
async def test_http_errors_are_unavailable(
    client: RasaClient, answer: RasaAnswer, status: int
) -> None:
    answer.status = status
    assert await failure(client) == "http_error"


@pytest.mark.parametrize("body", [b"<html>proxy error</html>", b"\xff\xfe", b'{"text": "x"}'])
async def test_non_json_or_not_a_list_is_a_bad_answer(
    client: RasaClient, answer: RasaAnswer, body: bytes
) -> None:
    answer.body = body
    assert await failure(client) == "bad_answer"


async def test_without_token_no_authorization_header_is_sent(fake_rasa: Server) -> None:
    anonymous = RasaClient(fake_rasa.url, None, timeout=0.5)
    assert await anonymous.send_message("tg-1", "halo") == []
    assert "authorization" not in fake_rasa.headers[-1]
    await anonymous.aclose()


def test_a_token_with_a_line_break_is_refused() -> None:
    with pytest.raises(ValueError, match="header"):
        RasaClient("http://127.0.0.1:1", "secret\r\nX-Evil: 1")


@pytest.mark.parametrize(
    "garbage",
    [
        {"text": "not a list"},
        ["string item"],
        [{"text": 42}],
        [{"buttons": "nope"}],
        [{"buttons": [{"title": "x"}]}],
        [{"custom": "not an object"}],
        [{"image": ["x"]}],
    ],
)
def test_garbage_answers_are_rejected(garbage: object) -> None:
    with pytest.raises(RasaUnavailable):
        parse_bot_messages(garbage)


def test_empty_messages_are_dropped() -> None:
    assert parse_bot_messages([{"recipient_id": "x"}]) == []


@respx.mock
async def test_is_ready_checks_model_with_bearer_token(respx_client: RasaClient) -> None:
    route = respx.get(f"{RASA}/status").respond(json={"model_file": "models/prakerja.tar.gz"})
    assert await respx_client.is_ready()
    request = route.calls.last.request
    assert request.headers["Authorization"] == "Bearer secret"
    assert "token" not in request.url.params  # query tokens end up in access logs
    respx.get(f"{RASA}/status").respond(json={"model_file": None})
    assert not await respx_client.is_ready()
    respx.get(f"{RASA}/status").respond(401, json={"error": "unauthorized"})
    assert not await respx_client.is_ready()
    respx.get(f"{RASA}/status").respond(json=["not", "an", "object"])
    assert not await respx_client.is_ready()


@respx.mock
async def test_erase_conversation_posts_sender_with_token(respx_client: RasaClient) -> None:
    route = respx.post(f"{RASA}/webhooks/asisten/erase").respond(json={"erased_events": 12})
    assert await respx_client.erase_conversation("tg-1") == 12
    request = route.calls.last.request
    assert request.headers["Authorization"] == "Bearer secret"
    assert json.loads(request.content) == {"sender": "tg-1"}


@respx.mock
@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(401, json={"error": "unauthorized"}),
        httpx.Response(503, json={"error": "agent not ready"}),
        httpx.Response(200, text="oops"),
        httpx.Response(200, json={"erased_events": "12"}),
        httpx.Response(200, json={"erased_events": -1}),
        httpx.Response(200, json={"erased_events": True}),
        httpx.Response(200, json=[]),
    ],
)
async def test_erase_failures_are_unavailable(
    respx_client: RasaClient, answer: httpx.Response
) -> None:
    respx.post(f"{RASA}/webhooks/asisten/erase").mock(return_value=answer)
    with pytest.raises(RasaUnavailable):
        await respx_client.erase_conversation("tg-1")


@respx.mock
async def test_erase_timeout_is_unavailable(respx_client: RasaClient) -> None:
    respx.post(f"{RASA}/webhooks/asisten/erase").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(RasaUnavailable, match="in time"):
        await respx_client.erase_conversation("tg-1")
