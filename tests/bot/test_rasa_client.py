"""The Rasa REST client: request shape, validation of answers, failures (respx)."""

from __future__ import annotations

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
    route = respx.post(f"{RASA}/webhooks/rest/webhook").respond(
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
    body = route.calls.last.request.content
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
    respx.post(f"{RASA}/webhooks/rest/webhook").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(RasaUnavailable, match="in time"):
        await client.send_message("tg-1", "halo")


@respx.mock
async def test_connection_refused_is_unavailable(client: RasaClient) -> None:
    respx.post(f"{RASA}/webhooks/rest/webhook").mock(side_effect=httpx.ConnectError("down"))
    with pytest.raises(RasaUnavailable):
        await client.send_message("tg-1", "halo")


@respx.mock
@pytest.mark.parametrize("status", [500, 502, 503, 404])
async def test_http_errors_are_unavailable(client: RasaClient, status: int) -> None:
    respx.post(f"{RASA}/webhooks/rest/webhook").respond(status)
    with pytest.raises(RasaUnavailable):
        await client.send_message("tg-1", "halo")


@respx.mock
async def test_non_json_is_unavailable(client: RasaClient) -> None:
    respx.post(f"{RASA}/webhooks/rest/webhook").respond(200, text="<html>proxy error</html>")
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
async def test_is_ready_checks_model_with_token(client: RasaClient) -> None:
    route = respx.get(f"{RASA}/status").respond(json={"model_file": "models/prakerja.tar.gz"})
    assert await client.is_ready()
    assert route.calls.last.request.url.params["token"] == "secret"
    respx.get(f"{RASA}/status").respond(json={"model_file": None})
    assert not await client.is_ready()
