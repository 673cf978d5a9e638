"""Several Rasa processes (``RASA_URL`` with commas): sticky routing per sender, failover, erasure.

Messages go to real local HTTP servers (``tests.bot.raw_http``); erasure and ``/status`` go
through httpx and are checked with respx.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator

import httpx
import pytest
import respx

from bot.app import rasa_for
from bot.config import Settings
from bot.metrics import BotMetrics
from bot.rasa_client import BotMessage, RasaClient, RasaRouter, RasaUnavailable
from tests.bot.raw_http import Server, raw, serve


def answering(name: str, *, delay: float = 0.0, status: int = 200) -> Server:
    """A Rasa stand-in whose answer names it, so a test sees which process answered."""

    async def answer(_body: dict[str, object]) -> bytes:
        await asyncio.sleep(delay)
        return raw(status, json.dumps([{"text": name}]).encode())

    return Server(answer=answer)


@pytest.fixture
async def first() -> AsyncIterator[Server]:
    async for running in serve(answering("first")):
        yield running


@pytest.fixture
async def second() -> AsyncIterator[Server]:
    async for running in serve(answering("second")):
        yield running


def closed_port() -> int:
    """A loopback port nobody listens on (a Rasa process that died)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def router(*urls: str, clock: Clock | None = None, timeout: float = 0.5) -> RasaRouter:
    clients = [RasaClient(url, "secret", timeout=timeout) for url in urls]
    return RasaRouter(clients, down_seconds=5.0, clock=clock or Clock())


def senders_of(server: Server) -> set[str]:
    return {str(body["sender"]) for _, body in server.requests}


async def test_each_sender_always_goes_to_the_same_process(first: Server, second: Server) -> None:
    rasa = router(first.url, second.url)
    answered: dict[str, set[str]] = {}
    for turn in range(3):
        for n in range(40):
            sender = f"tg-{n}"
            (answer,) = await rasa.send_message(sender, f"pesan {turn}")
            answered.setdefault(sender, set()).add(str(answer.text))
    await rasa.aclose()
    assert all(len(names) == 1 for names in answered.values())  # never split across processes
    assert senders_of(first) and senders_of(second)  # both processes carry applicants
    assert not senders_of(first) & senders_of(second)
    # every turn of a sender reached its process in order
    for server in (first, second):
        for sender in senders_of(server):
            turns = [body["message"] for _, body in server.requests if body["sender"] == sender]
            assert turns == ["pesan 0", "pesan 1", "pesan 2"]


async def test_a_process_that_refuses_is_skipped_then_tried_again(second: Server) -> None:
    clock = Clock()
    dead = f"http://127.0.0.1:{closed_port()}"
    rasa = router(dead, second.url, clock=clock)
    # senders whose own process is the dead one still get their answers, from the other one
    answers = [await rasa.send_message(f"tg-{n}", "halo") for n in range(20)]
    assert all(a == [BotMessage(text="second")] for a in answers)
    assert len(second.requests) == 20
    own_dead = next(f"tg-{n}" for n in range(100) if rasa.home(f"tg-{n}") == 0)

    async for revived in serve(answering("revived")):
        await rasa.clients[0].aclose()
        rasa.clients[0] = RasaClient(revived.url, "secret", timeout=0.5)
        clock.now += 1  # still within the pause: not tried
        assert await rasa.send_message(own_dead, "halo") == [BotMessage(text="second")]
        assert revived.requests == []
        clock.now += 5  # the pause is over: its senders return to it
        assert await rasa.send_message(own_dead, "halo") == [BotMessage(text="revived")]
    await rasa.aclose()


async def test_every_process_refusing_is_unavailable() -> None:
    rasa = router(f"http://127.0.0.1:{closed_port()}", f"http://127.0.0.1:{closed_port()}")
    with pytest.raises(RasaUnavailable):
        await rasa.send_message("tg-1", "halo")
    with pytest.raises(RasaUnavailable):  # both marked down: still both tried, not refused unseen
        await rasa.send_message("tg-1", "halo")
    await rasa.aclose()


async def test_a_slow_or_failing_process_is_not_sent_the_message_twice() -> None:
    """A timeout or an HTTP error may come after Rasa handled the message: no second copy."""
    async for slow in serve(answering("slow", delay=2.0)):
        async for failing in serve(answering("failing", status=500)):
            async for spare in serve(answering("spare")):
                for bad in (slow, failing):
                    rasa = router(bad.url, spare.url, timeout=0.3)
                    # a sender whose own process is the bad one
                    sender = next(f"tg-{n}" for n in range(100) if rasa.home(f"tg-{n}") == 0)
                    with pytest.raises(RasaUnavailable):
                        await rasa.send_message(sender, "halo")
                    await rasa.aclose()
                assert spare.requests == []


@respx.mock
async def test_erasure_reaches_every_process() -> None:
    one = respx.post("http://rasa-1.test/webhooks/asisten/erase").respond(
        json={"erased_events": 4}
    )
    two = respx.post("http://rasa-2.test/webhooks/asisten/erase").respond(
        json={"erased_events": 0}
    )
    rasa = router("http://rasa-1.test", "http://rasa-2.test")
    assert await rasa.erase_conversation("tg-1") == 4
    assert one.called and two.called
    assert json.loads(two.calls.last.request.content) == {"sender": "tg-1"}
    await rasa.aclose()


@respx.mock
async def test_erasure_fails_when_one_process_cannot_confirm() -> None:
    """Privacy: a copy on an unreachable process must not be reported as erased."""
    respx.post("http://rasa-1.test/webhooks/asisten/erase").respond(json={"erased_events": 4})
    respx.post("http://rasa-2.test/webhooks/asisten/erase").mock(
        side_effect=httpx.ConnectError("refused")
    )
    rasa = router("http://rasa-1.test", "http://rasa-2.test")
    with pytest.raises(RasaUnavailable):
        await rasa.erase_conversation("tg-1")
    await rasa.aclose()


@respx.mock
async def test_ready_while_any_process_is() -> None:
    respx.get("http://rasa-1.test/status").respond(json={"model_file": "m.tar.gz"})
    down = respx.get("http://rasa-2.test/status").mock(side_effect=httpx.ConnectError("x"))
    rasa = router("http://rasa-1.test", "http://rasa-2.test")
    assert await rasa.is_ready(1.0)
    respx.get("http://rasa-1.test/status").respond(status_code=503)
    assert not await rasa.is_ready(1.0)
    assert down.called
    await rasa.aclose()


def test_rasa_url_lists_several_processes() -> None:
    settings = Settings(rasa_url=" http://127.0.0.1:5005 , http://127.0.0.1:5006/ ")
    assert settings.rasa_urls == ["http://127.0.0.1:5005", "http://127.0.0.1:5006/"]
    assert isinstance(rasa_for(settings, "secret", BotMetrics()), RasaRouter)
    assert isinstance(rasa_for(Settings(), "secret", BotMetrics()), RasaClient)


@pytest.mark.parametrize("value", ["http://127.0.0.1:5005,127.0.0.1:5006", ",", ""])
def test_a_bad_address_in_rasa_url_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="http://host:5005"):
        Settings(rasa_url=value)
