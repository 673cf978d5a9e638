"""The Rasa client: request shape and bearer token, validation of answers, failures (respx)."""

from __future__ import annotations

import json

import httpx
import pytest
import respx

from bot.rasa_client import BotMessage, Button, RasaClient, RasaUnavailable, parse_bot_messages

RASA = "http://rasa.test"


@pytest.fixture
async def client() -> RasaClient:
    return RasaClient(RASA, "secret", timeout=0.5)


@respx.mock
async def test_sends_sender_text_and_metadata(client: RasaClient) -> None:
    route = respx.post(f"{RASA}/webhooks/asisten/webhook").respond(
        json=[
            {"recipient_id": "tg-1", "text": "Halo!"},
            {
                "recipient_id": "tg-1",
                "buttons": [{"title": "Daftar", "payload": "/ask_registration"}],
            },
            {"recipient_id": "tg-1", "custom": {"type": "verify_identity"}},
            {"recipient_id": "tg-1", "image": "https://example.test/a.png"},
        ]
    )
    answers = await client.send_message("tg-1", "halo", {"telegram": {"language_code": "id"}})
    request = route.calls.last.request
    assert request.headers["Authorization"] == "Bearer secret"
    assert "token" not in request.url.params
    body = request.content
    assert b'"sender":"tg-1"' in body.replace(b" ", b"")
    assert b'"metadata"' in body
    assert answers == [
        BotMessage(text="Halo!"),
        BotMessage(buttons=(Button("Daftar", "/ask_registration"),)),
        BotMessage(custom={"type": "verify_identity"}),
        BotMessage(image="https://example.test/a.png"),
    ]


@respx.mock
async def test_timeout_is_unavailable(client: RasaClient) -> None:
    respx.post(f"{RASA}/webhooks/asisten/webhook").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(RasaUnavailable, match="in time"):
        await client.send_message("tg-1", "halo")


@respx.mock
async def test_connection_refused_is_unavailable(client: RasaClient) -> None:
    respx.post(f"{RASA}/webhooks/asisten/webhook").mock(side_effect=httpx.ConnectError("down"))
    with pytest.raises(RasaUnavailable):
        await client.send_message("tg-1", "halo")


@respx.mock
@pytest.mark.parametrize("status", [500, 502, 503, 404])
async def test_http_errors_are_unavailable(client: RasaClient, status: int) -> None:
    respx.post(f"{RASA}/webhooks/asisten/webhook").respond(status)
    with pytest.raises(RasaUnavailable):
        await client.send_message("tg-1", "halo")


@respx.mock
async def test_non_json_is_unavailable(client: RasaClient) -> None:
    respx.post(f"{RASA}/webhooks/asisten/webhook").respond(200, text="<html>proxy error</html>")
    with pytest.raises(RasaUnavailable):
        await client.send_message("tg-1", "halo")


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
async def test_is_ready_checks_model_with_bearer_token(client: RasaClient) -> None:
    route = respx.get(f"{RASA}/status").respond(json={"model_file": "models/prakerja.tar.gz"})
    assert await client.is_ready()
    request = route.calls.last.request
    assert request.headers["Authorization"] == "Bearer secret"
    assert "token" not in request.url.params  # query tokens end up in access logs
    respx.get(f"{RASA}/status").respond(json={"model_file": None})
    assert not await client.is_ready()
    respx.get(f"{RASA}/status").respond(401, json={"error": "unauthorized"})
    assert not await client.is_ready()
    respx.get(f"{RASA}/status").respond(json=["not", "an", "object"])
    assert not await client.is_ready()


@respx.mock
async def test_erase_conversation_posts_sender_with_token(client: RasaClient) -> None:
    route = respx.post(f"{RASA}/webhooks/asisten/erase").respond(json={"erased_events": 12})
    assert await client.erase_conversation("tg-1") == 12
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
async def test_erase_failures_are_unavailable(client: RasaClient, answer: httpx.Response) -> None:
    respx.post(f"{RASA}/webhooks/asisten/erase").mock(return_value=answer)
    with pytest.raises(RasaUnavailable):
        await client.erase_conversation("tg-1")


@respx.mock
async def test_erase_timeout_is_unavailable(client: RasaClient) -> None:
    respx.post(f"{RASA}/webhooks/asisten/erase").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(RasaUnavailable, match="in time"):
        await client.erase_conversation("tg-1")


@respx.mock
async def test_without_token_no_authorization_header_is_sent() -> None:
    anonymous = RasaClient(RASA, None, timeout=0.5)
    route = respx.post(f"{RASA}/webhooks/asisten/webhook").respond(json=[])
    assert await anonymous.send_message("tg-1", "halo") == []
    assert "Authorization" not in route.calls.last.request.headers
    await anonymous.aclose()
