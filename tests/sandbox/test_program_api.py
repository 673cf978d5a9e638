"""Program API sandbox: verify, status per demo applicant, auth, faults, privacy of storage."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from sandbox.program_api import scenarios
from sandbox.program_api.app import create_app
from sandbox.program_api.db import load_demo_applicants

AUTH = {"Authorization": "Bearer sandbox-token"}
PEOPLE = load_demo_applicants()


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return create_app(tmp_path_factory.mktemp("pa") / "program_api.sqlite", token="sandbox-token")


@pytest.fixture
async def http(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        yield client
        await client.delete("/_sandbox/faults", headers=AUTH)


async def verify(http: httpx.AsyncClient, nik: str, phone: str) -> httpx.Response:
    return await http.post(
        "/v1/applicants/verify", json={"nik": nik, "phone": phone}, headers=AUTH
    )


def test_demo_file_covers_every_status_code() -> None:
    assert {p.status for p in PEOPLE} == set(scenarios.STATUS_CODES)
    assert len({p.nik for p in PEOPLE}) == len(PEOPLE)
    for p in PEOPLE:
        assert 11 <= int(p.nik[:2]) <= 94
        day, month = int(p.nik[6:8]), int(p.nik[8:10])
        assert 1 <= day % 40 <= 31 and 1 <= month <= 12
        assert p.phone.startswith("+628")


async def test_healthz_needs_no_token(http: httpx.AsyncClient) -> None:
    response = await http.get("/healthz")
    assert response.json() == {"ok": True}


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "x"}]
)
async def test_v1_requires_token(http: httpx.AsyncClient, headers: dict[str, str]) -> None:
    response = await http.get("/v1/gelombang", headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHORIZED"
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_gelombang_relative_to_today(http: httpx.AsyncClient) -> None:
    items = (await http.get("/v1/gelombang", headers=AUTH)).json()["data"]
    statuses = [g["status"] for g in items]
    assert statuses.count("open") == 1 and statuses.count("upcoming") == 1
    assert "announced" in statuses
    now = scenarios.now_wib().isoformat()
    [open_g] = [g for g in items if g["status"] == "open"]
    assert open_g["dibuka"] < now < open_g["ditutup"] and open_g["ditutup"].endswith(
        "T23:59:00+07:00"
    )
    one = await http.get(f"/v1/gelombang/{open_g['nomor']}", headers=AUTH)
    assert one.json() == open_g
    missing = await http.get("/v1/gelombang/9999", headers=AUTH)
    assert missing.status_code == 404 and missing.json()["code"] == "NOT_FOUND"


@pytest.mark.parametrize("person", PEOPLE, ids=lambda p: f"{p.status}-{p.nik[-4:]}")
async def test_status_per_demo_applicant(http: httpx.AsyncClient, person: Any) -> None:
    response = await verify(http, person.nik, person.phone)
    assert response.status_code == 200
    ref = response.json()["applicant_ref"]
    assert len(ref) >= 16 and person.nik not in ref
    status = (await http.get(f"/v1/applicants/{ref}/status", headers=AUTH)).json()
    assert status["status_peserta"] == person.status
    assert status["nama"] == person.name
    assert status["nik_masked"] == person.nik[:4] + "********" + person.nik[-4:]
    body = json.dumps(status)
    assert person.nik not in body and person.phone not in body and person.phone[1:] not in body


async def test_each_verify_issues_a_fresh_ref(http: httpx.AsyncClient) -> None:
    p = PEOPLE[0]
    first = (await verify(http, p.nik, p.phone)).json()["applicant_ref"]
    second = (await verify(http, p.nik, p.phone)).json()["applicant_ref"]
    assert first != second


async def test_no_match_is_uniform(http: httpx.AsyncClient) -> None:
    a, b = PEOPLE[0], PEOPLE[1]
    answers = [
        await verify(http, a.nik, b.phone),  # both exist, different people
        await verify(http, a.nik, "+6289999999999"),  # NIK exists, phone unknown
        await verify(http, "3201010101900099", a.phone),  # NIK unknown
        await verify(http, "3201010101900099", "+6289999999999"),
    ]
    assert {r.status_code for r in answers} == {404}
    assert len({r.content for r in answers}) == 1
    assert answers[0].json()["code"] == "NO_MATCH"


@pytest.mark.parametrize(
    "body",
    [
        {"nik": "123", "phone": "+6281234560001"},
        {"nik": "3201021205980001", "phone": "081234560001"},
        {"nik": "3201021205980001"},
        {"nik": 3201021205980001, "phone": "+6281234560001"},
        {"nik": "3201021205980001", "phone": "+6281234560001", "extra": 1},
    ],
)
async def test_invalid_body_is_422_without_echo(http: httpx.AsyncClient, body: Any) -> None:
    response = await http.post("/v1/applicants/verify", json=body, headers=AUTH)
    assert response.status_code == 422
    assert response.json()["code"] == "INVALID_REQUEST"
    assert "3201021205980001" not in response.text and "081234560001" not in response.text


async def test_unparsable_json_is_422(http: httpx.AsyncClient) -> None:
    headers = {**AUTH, "Content-Type": "application/json"}
    response = await http.post("/v1/applicants/verify", content=b"{nik: 1", headers=headers)
    assert response.status_code == 422 and response.json()["code"] == "INVALID_REQUEST"


async def test_unknown_ref_is_404(http: httpx.AsyncClient) -> None:
    response = await http.get("/v1/applicants/not-a-real-ref-123456/status", headers=AUTH)
    assert response.status_code == 404 and response.json()["code"] == "NOT_FOUND"


async def test_expired_ref_is_404(tmp_path: Path) -> None:
    from datetime import timedelta

    app = create_app(tmp_path / "db.sqlite", token="t", ref_ttl=timedelta(seconds=0.01))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://s") as http:
        p = PEOPLE[0]
        auth = {"Authorization": "Bearer t"}
        ref = (
            await http.post(
                "/v1/applicants/verify", json={"nik": p.nik, "phone": p.phone}, headers=auth
            )
        ).json()["applicant_ref"]
        await asyncio.sleep(0.05)
        response = await http.get(f"/v1/applicants/{ref}/status", headers=auth)
        assert response.status_code == 404


async def set_fault(http: httpx.AsyncClient, **config: Any) -> None:
    response = await http.post("/_sandbox/faults", json=config, headers=AUTH)
    assert response.status_code == 200, response.text


async def test_fault_admin_requires_token(http: httpx.AsyncClient) -> None:
    response = await http.post("/_sandbox/faults", json={"mode": "error500"})
    assert response.status_code == 401


async def test_fault_error500_times(http: httpx.AsyncClient) -> None:
    await set_fault(http, mode="error500", times=2)
    codes = [(await http.get("/v1/gelombang", headers=AUTH)).status_code for _ in range(3)]
    assert codes == [500, 500, 200]


async def test_fault_ratelimit(http: httpx.AsyncClient) -> None:
    await set_fault(http, mode="ratelimit", retry_after=7)
    response = await http.get("/v1/gelombang", headers=AUTH)
    assert response.status_code == 429 and response.headers["Retry-After"] == "7"
    assert response.json()["code"] == "RATE_LIMITED"
    assert (await http.get("/healthz")).status_code == 200  # only /v1 is affected


async def test_fault_latency(http: httpx.AsyncClient) -> None:
    await set_fault(http, mode="latency", seconds=0.2, times=1)
    started = time.monotonic()
    response = await http.get("/v1/gelombang", headers=AUTH)
    assert response.status_code == 200 and time.monotonic() - started >= 0.2


async def test_fault_malformed(http: httpx.AsyncClient) -> None:
    await set_fault(http, mode="malformed")
    response = await http.get("/v1/gelombang", headers=AUTH)
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()


async def test_fault_timeout_hangs_until_reset(http: httpx.AsyncClient) -> None:
    await set_fault(http, mode="timeout")
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(http.get("/v1/gelombang", headers=AUTH), timeout=0.2)
    pending = asyncio.ensure_future(http.get("/v1/gelombang", headers=AUTH))
    await asyncio.sleep(0.05)
    assert not pending.done()
    await http.delete("/_sandbox/faults", headers=AUTH)
    response = await asyncio.wait_for(pending, timeout=2)
    assert response.status_code == 503
    assert (await http.get("/v1/gelombang", headers=AUTH)).status_code == 200


async def test_fault_config_validated(http: httpx.AsyncClient) -> None:
    response = await http.post("/_sandbox/faults", json={"mode": "explode"}, headers=AUTH)
    assert response.status_code == 422


def test_database_holds_no_plaintext_identifiers(app: FastAPI) -> None:
    db_path = app.state.store.path
    raw = Path(db_path).read_bytes()
    with sqlite3.connect(db_path) as conn:
        dump = "\n".join(conn.iterdump())
    for p in PEOPLE:
        for value in (p.nik, p.phone, p.phone[1:], "0" + p.phone[3:]):
            assert value.encode() not in raw and value not in dump


async def test_served_schema_is_the_contract(http: httpx.AsyncClient) -> None:
    doc = (await http.get("/openapi.json")).json()
    assert doc["openapi"].startswith("3.1")
    assert "/v1/applicants/verify" in doc["paths"]
    assert (await http.get("/openapi.yaml")).text.startswith("openapi:")


def test_status_codes_agree_everywhere() -> None:
    """The pydantic Literal, the stdlib tuple (used on Python 3.10) and the OpenAPI enum agree."""
    from pathlib import Path
    from typing import get_args

    import yaml

    from sandbox.program_api.models import StatusPeserta
    from sandbox.program_api.scenarios import STATUS_CODES

    document = yaml.safe_load(Path("docs/program-api.openapi.yaml").read_text())
    openapi_enum = document["components"]["schemas"]["StatusPeserta"]["enum"]
    assert list(get_args(StatusPeserta)) == list(STATUS_CODES) == list(openapi_enum)


async def test_sandbox_endpoint_adds_and_opens_a_gelombang(http: httpx.AsyncClient) -> None:
    before = (await http.get("/v1/gelombang", headers=AUTH)).json()["data"]
    upcoming = await http.post("/_sandbox/gelombang", json={"status": "upcoming"}, headers=AUTH)
    assert upcoming.status_code == 200
    nomor = upcoming.json()["nomor"]
    assert nomor == max(g["nomor"] for g in before) + 1
    opened = await http.post(
        "/_sandbox/gelombang", json={"nomor": nomor, "status": "open"}, headers=AUTH
    )
    assert opened.json()["dibuka"] == upcoming.json()["dibuka"]
    listed = (await http.get(f"/v1/gelombang/{nomor}", headers=AUTH)).json()
    assert listed["status"] == "open"
    assert (await http.post("/_sandbox/gelombang", json={"status": "open"})).status_code == 401
