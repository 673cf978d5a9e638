"""ProgramAPI client: parsing, cache, retries, Retry-After, circuit breaker, error mapping."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import date
from typing import Any

import httpx
import pytest
import respx

from core.identifiers import normalize_phone
from core.program_api import (
    ApplicantNotFound,
    ProgramAPI,
    ProgramAPIAuthError,
    ProgramAPIBadResponse,
    ProgramAPIInvalidRequest,
    ProgramAPIRateLimited,
    ProgramAPIUnavailable,
)
from sandbox.program_api import scenarios

BASE = "http://program-api.test"
NIK = "3201021205980001"
PHONE = "+6281234560001"
REF = "ref_abcdefghijklmnopqrstuvwxyz"
TODAY = date(2026, 11, 27)


class FakeClock:
    """Manually advanced monotonic clock."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Sleeps:
    """Records requested sleeps instead of sleeping."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def gelombang_body() -> dict[str, Any]:
    return {"data": scenarios.build_gelombang(TODAY)}


def status_body(code: str = "LOLOS_BELUM_BELI_PELATIHAN") -> dict[str, Any]:
    return scenarios.build_status(
        code, today=TODAY, applicant_id="APL-1", nama="Fitri Handayani", nik_masked="1271****"
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def api(clock: FakeClock, sleeps: Sleeps) -> Any:
    client = ProgramAPI(
        BASE,
        "tok",
        timeout=0.5,
        retries=2,
        backoff=0.01,
        cache_ttl=60,
        breaker_threshold=3,
        breaker_reset=30,
        clock=clock,
        sleep=sleeps,
    )
    yield client
    await client.aclose()


@respx.mock
async def test_list_gelombang_parses_and_sends_token(api: ProgramAPI) -> None:
    route = respx.get(f"{BASE}/v1/gelombang").respond(200, json=gelombang_body())
    items = await api.list_gelombang()
    assert [g.nomor for g in items] == [76, 77, 78, 79, 80, 81]
    assert items[4].status == "open" and items[4].ditutup.utcoffset().total_seconds() == 7 * 3600
    assert items[0].pengumuman is not None and items[5].kuota is None
    assert route.calls.last.request.headers["Authorization"] == "Bearer tok"


@respx.mock
async def test_list_gelombang_is_cached_until_ttl(api: ProgramAPI, clock: FakeClock) -> None:
    route = respx.get(f"{BASE}/v1/gelombang").respond(200, json=gelombang_body())
    await api.list_gelombang()
    clock.now += 59
    await api.list_gelombang()
    assert route.call_count == 1
    clock.now += 2
    await api.list_gelombang()
    assert route.call_count == 2


@respx.mock
async def test_get_status_parses_every_scenario(api: ProgramAPI) -> None:
    for code in scenarios.STATUS_CODES:
        respx.get(f"{BASE}/v1/applicants/{REF}/status").respond(200, json=status_body(code))
        status = await api.get_status(REF)
        assert status.status_peserta == code
    lolos = status_body()
    respx.get(f"{BASE}/v1/applicants/{REF}/status").respond(200, json=lolos)
    status = await api.get_status(REF)
    assert status.kartu is not None and status.kartu.saldo_awal == 3_500_000
    assert status.kartu.batas_beli_pelatihan_pertama == date(2026, 12, 2)


@respx.mock
async def test_retries_5xx_with_exponential_backoff(api: ProgramAPI, sleeps: Sleeps) -> None:
    route = respx.get(f"{BASE}/v1/gelombang").mock(
        side_effect=[
            httpx.Response(500),
            httpx.Response(503),
            httpx.Response(200, json=gelombang_body()),
        ]
    )
    assert len(await api.list_gelombang()) == 6
    assert route.call_count == 3
    assert len(sleeps.calls) == 2
    # full jitter: attempt n waits in [0, backoff * 2**n]
    assert 0 <= sleeps.calls[0] <= 0.01 and 0 <= sleeps.calls[1] <= 0.02


@respx.mock
async def test_gives_up_after_retries(api: ProgramAPI) -> None:
    route = respx.get(f"{BASE}/v1/gelombang").respond(502)
    with pytest.raises(ProgramAPIUnavailable):
        await api.list_gelombang()
    assert route.call_count == 3


@respx.mock
async def test_timeout_and_connect_error_are_retried(api: ProgramAPI) -> None:
    route = respx.get(f"{BASE}/v1/gelombang").mock(
        side_effect=[
            httpx.ReadTimeout("slow"),
            httpx.ConnectError("down"),
            httpx.Response(200, json=gelombang_body()),
        ]
    )
    await api.list_gelombang()
    assert route.call_count == 3


@respx.mock
async def test_timeout_everywhere_is_unavailable(api: ProgramAPI) -> None:
    respx.get(f"{BASE}/v1/applicants/{REF}/status").mock(side_effect=httpx.ConnectTimeout("x"))
    with pytest.raises(ProgramAPIUnavailable):
        await api.get_status(REF)


async def test_real_timeout_is_enforced() -> None:
    """The per-request timeout really fires (transport that never answers in time)."""

    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(200)

    class SlowTransport(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            try:
                return await asyncio.wait_for(
                    slow(request), timeout=request.extensions["timeout"]["read"]
                )
            except asyncio.TimeoutError:
                raise httpx.ReadTimeout("read timeout", request=request) from None

    client = ProgramAPI(BASE, "tok", timeout=0.05, retries=0, transport=SlowTransport())
    with pytest.raises(ProgramAPIUnavailable):
        await client.get_status(REF)
    await client.aclose()


@respx.mock
async def test_retry_after_is_honoured(api: ProgramAPI, sleeps: Sleeps) -> None:
    respx.get(f"{BASE}/v1/gelombang").mock(
        side_effect=[
            httpx.Response(
                429, headers={"Retry-After": "2"}, json={"code": "RATE_LIMITED", "message": "x"}
            ),
            httpx.Response(200, json=gelombang_body()),
        ]
    )
    await api.list_gelombang()
    assert sleeps.calls == [2.0]


@respx.mock
async def test_long_retry_after_raises_rate_limited(api: ProgramAPI, sleeps: Sleeps) -> None:
    route = respx.get(f"{BASE}/v1/gelombang").respond(429, headers={"Retry-After": "120"})
    with pytest.raises(ProgramAPIRateLimited) as info:
        await api.list_gelombang()
    assert info.value.retry_after == 120
    assert route.call_count == 1 and sleeps.calls == []


@respx.mock
async def test_persistent_429_ends_rate_limited_without_opening_breaker(api: ProgramAPI) -> None:
    respx.get(f"{BASE}/v1/gelombang").respond(429, headers={"Retry-After": "1"})
    for _ in range(3):
        with pytest.raises(ProgramAPIRateLimited):
            await api.list_gelombang()
    assert api.breaker_state == "closed"


@respx.mock
async def test_breaker_opens_then_half_opens(api: ProgramAPI, clock: FakeClock) -> None:
    route = respx.get(f"{BASE}/v1/gelombang").respond(500)
    with pytest.raises(ProgramAPIUnavailable):
        await api.list_gelombang()  # 3 attempts = threshold
    assert api.breaker_state == "open"
    calls = route.call_count
    with pytest.raises(ProgramAPIUnavailable, match="breaker"):
        await api.list_gelombang()
    assert route.call_count == calls  # failed fast, no request

    clock.now += 31
    assert api.breaker_state == "half-open"
    with pytest.raises(ProgramAPIUnavailable):
        await api.list_gelombang()  # probe fails → open again at once
    assert route.call_count == calls + 1
    assert api.breaker_state == "open"

    clock.now += 31
    route.respond(200, json=gelombang_body())
    assert len(await api.list_gelombang()) == 6  # probe succeeds → closed
    assert api.breaker_state == "closed"


@respx.mock
async def test_malformed_json_is_bad_response_without_retry(api: ProgramAPI) -> None:
    route = respx.get(f"{BASE}/v1/gelombang").respond(
        200, content=b'{"data": [{"nomor": 1,', headers={"Content-Type": "application/json"}
    )
    with pytest.raises(ProgramAPIBadResponse):
        await api.list_gelombang()
    assert route.call_count == 1


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d.pop("status_peserta"), "status_peserta"),
        (lambda d: d.update(kartu={**d["kartu"], "saldo_awal": "3500000"}), "saldo_awal"),
        (lambda d: d.update(riwayat_gelombang={}), "riwayat_gelombang"),
        (lambda d: d.update(diperbarui_pada="2026-11-27T10:00:00"), "diperbarui_pada"),
        (lambda d: d["insentif"][0].update(nominal=True), "nominal"),
        (lambda d: d.update(akun=[]), "akun"),
    ],
)
@respx.mock
async def test_schema_mismatch_is_bad_response(api: ProgramAPI, mutate: Any, field: str) -> None:
    body = status_body()
    mutate(body)
    respx.get(f"{BASE}/v1/applicants/{REF}/status").respond(200, json=body)
    with pytest.raises(ProgramAPIBadResponse, match=field):
        await api.get_status(REF)


@respx.mock
async def test_gelombang_with_bad_status_is_rejected(api: ProgramAPI) -> None:
    body = gelombang_body()
    body["data"][0]["status"] = "maybe"
    respx.get(f"{BASE}/v1/gelombang").respond(200, json=body)
    with pytest.raises(ProgramAPIBadResponse, match="status"):
        await api.list_gelombang()


@pytest.mark.parametrize("code", [401, 403])
@respx.mock
async def test_auth_errors_are_not_retried(api: ProgramAPI, code: int) -> None:
    route = respx.get(f"{BASE}/v1/gelombang").respond(code, json={"code": "X", "message": "x"})
    with pytest.raises(ProgramAPIAuthError):
        await api.list_gelombang()
    assert route.call_count == 1 and api.breaker_state == "closed"


@respx.mock
async def test_status_404_is_applicant_not_found(api: ProgramAPI) -> None:
    respx.get(f"{BASE}/v1/applicants/{REF}/status").respond(
        404, json={"code": "NOT_FOUND", "message": "x"}
    )
    with pytest.raises(ApplicantNotFound):
        await api.get_status(REF)


async def test_status_rejects_path_tricks_without_request(api: ProgramAPI) -> None:
    with pytest.raises(ApplicantNotFound):
        await api.get_status("../gelombang")


@respx.mock
async def test_verify_success_and_no_logging_of_identifiers(
    api: ProgramAPI, caplog: pytest.LogCaptureFixture
) -> None:
    route = respx.post(f"{BASE}/v1/applicants/verify").respond(200, json={"applicant_ref": REF})
    with caplog.at_level(logging.DEBUG):
        assert await api.verify_applicant(NIK, PHONE) == REF
    assert json.loads(route.calls.last.request.content) == {"nik": NIK, "phone": PHONE}
    assert NIK not in caplog.text and PHONE not in caplog.text and REF not in caplog.text


@respx.mock
async def test_verify_no_match(api: ProgramAPI) -> None:
    respx.post(f"{BASE}/v1/applicants/verify").respond(
        404, json={"code": "NO_MATCH", "message": "x"}
    )
    with pytest.raises(ApplicantNotFound):
        await api.verify_applicant(NIK, PHONE)


@respx.mock
async def test_verify_is_never_retried(api: ProgramAPI) -> None:
    route = respx.post(f"{BASE}/v1/applicants/verify").respond(503)
    with pytest.raises(ProgramAPIUnavailable):
        await api.verify_applicant(NIK, PHONE)
    assert route.call_count == 1


@respx.mock
async def test_verify_connect_error_is_unavailable(api: ProgramAPI) -> None:
    respx.post(f"{BASE}/v1/applicants/verify").mock(side_effect=httpx.ConnectError("down"))
    with pytest.raises(ProgramAPIUnavailable):
        await api.verify_applicant(NIK, PHONE)


async def test_verify_validates_input_locally(api: ProgramAPI) -> None:
    with pytest.raises(ProgramAPIInvalidRequest) as info:
        await api.verify_applicant("12345", PHONE)
    assert "12345" not in str(info.value)


@respx.mock
async def test_verify_malformed(api: ProgramAPI) -> None:
    respx.post(f"{BASE}/v1/applicants/verify").respond(200, json={"ref": "x"})
    with pytest.raises(ProgramAPIBadResponse):
        await api.verify_applicant(NIK, PHONE)


async def test_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROGRAM_API_URL", "http://example.test:9999/")
    monkeypatch.setenv("PROGRAM_API_TOKEN", "secret")
    monkeypatch.setenv("PROGRAM_API_TIMEOUT", "2.5")
    client = ProgramAPI.from_env()
    assert str(client._client.base_url) == "http://example.test:9999"
    assert client._client.timeout.read == 2.5
    assert client._client.headers["Authorization"] == "Bearer secret"
    await client.aclose()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0812-3456-7890", "+6281234567890"),
        ("62 812 3456 7890", "+6281234567890"),
        ("+62 812 3456 7890", "+6281234567890"),
        ("812 3456 7890", "+6281234567890"),
    ],
)
def test_normalize_phone(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected
