"""ProgramAPI: one total deadline per call, a breaker that always settles, no raw exceptions."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from datetime import date
from typing import Any

import httpx
import pytest
import respx

from core.program_api import (
    ProgramAPI,
    ProgramAPIBadResponse,
    ProgramAPIError,
    ProgramAPIRateLimited,
    ProgramAPIUnavailable,
)
from core.program_api import client as client_module
from sandbox.program_api import scenarios

BASE = "http://program-api.test"
GELOMBANG = f"{BASE}/v1/gelombang"
REF = "ref_SECRETSECRETSECRET_0001"
STATUS = f"{BASE}/v1/applicants/{REF}/status"
NIK = "3201021205980001"
PHONE = "+6281234560001"


class FakeTime:
    """A monotonic clock and a sleep that advances it instead of sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        """Current fake time."""
        return self.now

    async def sleep(self, seconds: float) -> None:
        """Record the wait and let fake time pass."""
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


def make_api(fake: FakeTime, **kw: Any) -> ProgramAPI:
    """A client on fake time (real HTTP mocked by respx)."""
    options: dict[str, Any] = {
        "timeout": 2.5,
        "retries": 2,
        "backoff": 0.0,
        "deadline": 6.0,
        "breaker_threshold": 100,
        "breaker_reset": 30.0,
        **kw,
    }
    return ProgramAPI(BASE, "tok", clock=fake.clock, sleep=fake.sleep, **options)


@pytest.fixture
async def api(fake: FakeTime) -> AsyncIterator[ProgramAPI]:
    client = make_api(fake)
    yield client
    await client.aclose()


def gelombang_body() -> dict[str, Any]:
    return {"data": scenarios.build_gelombang(date(2026, 11, 27))}


def slow_timeouts(fake: FakeTime, seen: list[float]) -> Callable[[httpx.Request], Any]:
    """respx side effect: every attempt uses up its whole timeout, then times out."""

    def effect(request: httpx.Request) -> Any:
        timeout = request.extensions["timeout"]["read"]
        seen.append(timeout)
        fake.now += timeout
        raise httpx.ReadTimeout("slow", request=request)

    return effect


# --- one total deadline ------------------------------------------------------------------


@respx.mock
async def test_attempt_timeouts_are_capped_by_the_remaining_budget(fake: FakeTime) -> None:
    api = make_api(fake, retries=5)
    seen: list[float] = []
    route = respx.get(GELOMBANG).mock(side_effect=slow_timeouts(fake, seen))
    started = fake.now
    with pytest.raises(ProgramAPIUnavailable) as info:
        await api.list_gelombang()
    # 2.5 + 2.5 + the 1.0 left; no fourth attempt although retries allow it
    assert seen == [2.5, 2.5, 1.0]
    assert route.call_count == 3
    assert type(info.value) is ProgramAPIUnavailable  # the public type, not an internal one
    assert fake.now - started <= 6.0
    await api.aclose()


@respx.mock
async def test_deadline_covers_status_and_backoff(
    fake: FakeTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    # full jitter picks the upper bound: waits of 0.5 s, then 1.0 s
    monkeypatch.setattr(client_module.random, "uniform", lambda low, high: high)
    api = make_api(fake, retries=2, backoff=0.5)
    seen: list[float] = []
    respx.get(STATUS).mock(side_effect=slow_timeouts(fake, seen))
    started = fake.now
    with pytest.raises(ProgramAPIUnavailable):
        await api.get_status(REF)
    # 2.5 + 0.5 + 2.5 = 5.5 s; the 1.0 s wait no longer fits, so no third attempt
    assert seen == [2.5, 2.5] and fake.sleeps == [0.5]
    assert fake.now - started == pytest.approx(5.5)
    await api.aclose()


@respx.mock
async def test_retry_after_beyond_the_remaining_budget_is_not_waited(fake: FakeTime) -> None:
    api = make_api(fake, max_retry_after=10.0)

    def busy(request: httpx.Request) -> httpx.Response:
        fake.now += 2.0  # the server took 2 s to say "come back in 5 s"; only 4 s are left
        return httpx.Response(429, headers={"Retry-After": "5"})

    route = respx.get(GELOMBANG).mock(side_effect=busy)
    with pytest.raises(ProgramAPIRateLimited) as info:
        await api.list_gelombang()
    assert info.value.retry_after == 5.0
    assert fake.sleeps == [] and route.call_count == 1
    await api.aclose()


@respx.mock
async def test_retry_after_within_the_budget_is_still_honoured(
    api: ProgramAPI, fake: FakeTime
) -> None:
    respx.get(GELOMBANG).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "2"}),
            httpx.Response(200, json=gelombang_body()),
        ]
    )
    assert len(await api.list_gelombang()) == 6
    assert fake.sleeps == [2.0]


@respx.mock
async def test_backoff_beyond_the_remaining_budget_is_not_waited(
    fake: FakeTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    # full jitter picks the upper bound: 5 s, while only 4 s remain
    monkeypatch.setattr(client_module.random, "uniform", lambda low, high: high)
    api = make_api(fake, backoff=5.0)

    def down(request: httpx.Request) -> httpx.Response:
        fake.now += 2.0
        return httpx.Response(503)

    route = respx.get(GELOMBANG).mock(side_effect=down)
    with pytest.raises(ProgramAPIUnavailable):
        await api.list_gelombang()
    assert fake.sleeps == [] and route.call_count == 1
    await api.aclose()


@respx.mock
async def test_no_attempt_without_budget(fake: FakeTime) -> None:
    api = make_api(fake, deadline=0.0)
    route = respx.get(GELOMBANG).respond(200, json=gelombang_body())
    with pytest.raises(ProgramAPIUnavailable, match="deadline"):
        await api.list_gelombang()
    assert not route.called
    await api.aclose()


class _SlowTransport(httpx.AsyncBaseTransport):
    """Real slowness a per-phase httpx timeout does not catch: late headers or a trickled body."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.requests = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        if self.mode == "headers":
            await asyncio.sleep(30)
        return httpx.Response(200, stream=_Trickle())


class _Trickle(httpx.AsyncByteStream):
    """A body that arrives one byte every 50 ms, forever."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            await asyncio.sleep(0.05)
            yield b" "


@pytest.mark.parametrize("mode", ["headers", "trickle"])
async def test_real_slow_server_ends_within_the_deadline(mode: str) -> None:
    transport = _SlowTransport(mode)
    api = ProgramAPI(
        BASE, "tok", timeout=5.0, retries=2, backoff=0.0, deadline=0.4, transport=transport
    )
    started = time.monotonic()
    with pytest.raises(ProgramAPIUnavailable):
        # the outer wait_for only keeps a broken client from hanging the test run
        await asyncio.wait_for(api.list_gelombang(), 5)
    assert time.monotonic() - started < 1.0
    assert transport.requests >= 1
    await api.aclose()


async def test_from_env_reads_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROGRAM_API_DEADLINE", "3.5")
    client = ProgramAPI.from_env()
    assert client.deadline == 3.5
    await client.aclose()
    monkeypatch.delenv("PROGRAM_API_DEADLINE")
    client = ProgramAPI.from_env()
    assert client.deadline == 6.0
    await client.aclose()


# --- the breaker always settles, and only ProgramAPIErrors leave the client -----------------


def undecodable(request: httpx.Request) -> httpx.Response:
    """A 200 whose gzip body is garbage: httpx raises DecodingError while reading it."""
    return httpx.Response(
        200, headers={"Content-Encoding": "gzip"}, stream=httpx.ByteStream(b"not gzip")
    )


def raiser(exc: Exception) -> Callable[[httpx.Request], Any]:
    """respx side effect raising `exc`."""

    def effect(request: httpx.Request) -> Any:
        raise exc

    return effect


ODD_FAILURES: dict[str, Callable[[httpx.Request], Any]] = {
    "decoding-body": undecodable,
    "decoding-error": raiser(httpx.DecodingError("bad encoding")),
    "redirects": raiser(httpx.TooManyRedirects("loop")),
    "value-error": raiser(ValueError("odd")),
    "runtime-error": raiser(RuntimeError(f"boom at /v1/applicants/{REF}/status")),
    "key-error": raiser(KeyError(REF)),
}


async def open_breaker(api: ProgramAPI, fake: FakeTime) -> None:
    """Trip the breaker with one 500 (threshold 1), then let it turn half-open."""
    respx.get(f"{GELOMBANG}/1").respond(500)
    with pytest.raises(ProgramAPIUnavailable):
        await api.get_gelombang(1)
    assert api.breaker_state == "open"
    fake.now += 31
    assert api.breaker_state == "half-open"


@pytest.mark.parametrize("failure", list(ODD_FAILURES), ids=list(ODD_FAILURES))
@respx.mock
async def test_get_probe_with_odd_failure_settles_the_breaker(
    fake: FakeTime, failure: str, caplog: pytest.LogCaptureFixture
) -> None:
    api = make_api(fake, retries=0, breaker_threshold=1)
    await open_breaker(api, fake)
    respx.get(STATUS).mock(side_effect=ODD_FAILURES[failure])
    with caplog.at_level(logging.DEBUG), pytest.raises(ProgramAPIError) as info:
        await api.get_status(REF)  # the probe
    assert isinstance(info.value, (ProgramAPIUnavailable, ProgramAPIBadResponse))
    assert REF not in str(info.value) and REF not in caplog.text
    assert api.breaker_state == "open"  # a failed probe re-opens, it never hangs half-open
    fake.now += 31
    respx.get(GELOMBANG).respond(200, json=gelombang_body())
    assert len(await api.list_gelombang()) == 6  # next probe goes out and closes the breaker
    assert api.breaker_state == "closed"
    await api.aclose()


@pytest.mark.parametrize("failure", list(ODD_FAILURES), ids=list(ODD_FAILURES))
@respx.mock
async def test_verify_probe_with_odd_failure_settles_the_breaker(
    fake: FakeTime, failure: str, caplog: pytest.LogCaptureFixture
) -> None:
    api = make_api(fake, retries=0, breaker_threshold=1)
    await open_breaker(api, fake)
    route = respx.post(f"{BASE}/v1/applicants/verify").mock(side_effect=ODD_FAILURES[failure])
    with caplog.at_level(logging.DEBUG), pytest.raises(ProgramAPIError) as info:
        await api.verify_applicant(NIK, PHONE)
    assert route.call_count == 1  # a POST is still never retried
    text = str(info.value) + caplog.text
    assert NIK not in text and PHONE not in text and REF not in text
    assert api.breaker_state == "open"
    fake.now += 31
    route.mock(side_effect=None).respond(200, json={"applicant_ref": REF})
    assert await api.verify_applicant(NIK, PHONE) == REF
    assert api.breaker_state == "closed"
    await api.aclose()


@respx.mock
async def test_odd_failures_count_towards_opening_the_breaker(fake: FakeTime) -> None:
    api = make_api(fake, retries=0, breaker_threshold=2)
    route = respx.get(GELOMBANG).mock(side_effect=undecodable)
    for _ in range(2):
        with pytest.raises(ProgramAPIBadResponse):
            await api.list_gelombang()
    assert api.breaker_state == "open"
    with pytest.raises(ProgramAPIUnavailable, match="breaker"):
        await api.list_gelombang()
    assert route.call_count == 2
    await api.aclose()


@respx.mock
async def test_cancelled_probe_is_abandoned(fake: FakeTime) -> None:
    api = make_api(fake, retries=0, breaker_threshold=1)
    await open_breaker(api, fake)
    started = asyncio.Event()

    async def hang(request: httpx.Request) -> httpx.Response:
        started.set()
        await asyncio.sleep(30)
        return httpx.Response(200, json=gelombang_body())

    respx.get(GELOMBANG).mock(side_effect=hang)
    task = asyncio.ensure_future(api.list_gelombang())
    await asyncio.wait_for(started.wait(), 2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert api.breaker_state == "half-open"
    respx.get(GELOMBANG).mock(side_effect=None).respond(200, json=gelombang_body())
    assert len(await api.list_gelombang()) == 6  # a new probe was allowed
    assert api.breaker_state == "closed"
    await api.aclose()


@respx.mock
async def test_a_parsing_bug_becomes_a_program_api_error(
    api: ProgramAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(obj: Any) -> Any:
        raise KeyError("nomor")

    monkeypatch.setattr(client_module, "parse_gelombang", broken)
    respx.get(GELOMBANG).respond(200, json=gelombang_body())
    with pytest.raises(ProgramAPIBadResponse):
        await api.list_gelombang()
    respx.get(f"{GELOMBANG}/80").respond(200, json=gelombang_body()["data"][4])
    with pytest.raises(ProgramAPIBadResponse):
        await api.get_gelombang(80)
    assert api.breaker_state == "closed"


@respx.mock
async def test_retry_logs_never_show_the_reference(
    fake: FakeTime, caplog: pytest.LogCaptureFixture
) -> None:
    api = make_api(fake, retries=1)
    respx.get(STATUS).mock(side_effect=[httpx.Response(503), httpx.ConnectError(REF)])
    with caplog.at_level(logging.DEBUG), pytest.raises(ProgramAPIUnavailable) as info:
        await api.get_status(REF)
    assert caplog.records  # the retries were logged …
    assert REF not in caplog.text and REF not in str(info.value)  # … without the reference
    await api.aclose()
