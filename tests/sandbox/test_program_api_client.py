"""The shared ProgramAPI client (core/program_api) against the sandbox, on Python 3.11."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from actions.status_text import explain_status
from core.program_api import (
    ApplicantNotFound,
    ProgramAPI,
    ProgramAPIBadResponse,
    ProgramAPIRateLimited,
    ProgramAPIUnavailable,
)
from sandbox.program_api.app import create_app
from sandbox.program_api.db import load_demo_applicants

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "client-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PEOPLE = load_demo_applicants()


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return create_app(tmp_path_factory.mktemp("pa") / "db.sqlite", token=TOKEN)


@pytest.fixture
async def api(app: FastAPI) -> AsyncIterator[ProgramAPI]:
    client = ProgramAPI(
        "http://sandbox", TOKEN, retries=1, backoff=0.0, transport=httpx.ASGITransport(app=app)
    )
    yield client
    await client._client.delete("/_sandbox/faults")
    await client.aclose()


@pytest.mark.parametrize("person", PEOPLE, ids=lambda p: f"{p.status}-{p.nik[-4:]}")
async def test_verify_status_and_explain(api: ProgramAPI, person: Any) -> None:
    ref = await api.verify_applicant(person.nik, person.phone)
    status = await api.get_status(ref)
    assert status.status_peserta == person.status
    text, buttons = explain_status(status, date.today())
    assert text.startswith(f"Halo, {person.name.split()[0]}!") and buttons


async def test_no_match(api: ProgramAPI) -> None:
    with pytest.raises(ApplicantNotFound):
        await api.verify_applicant(PEOPLE[0].nik, PEOPLE[1].phone)
    with pytest.raises(ApplicantNotFound):
        await api.get_status("unknown-reference-0000")


async def test_gelombang(api: ProgramAPI) -> None:
    items = await api.list_gelombang()
    assert [g.status for g in items].count("open") == 1
    assert await api.get_gelombang(items[0].nomor) == items[0]
    assert await api.get_gelombang(99999) is None


async def fault(api: ProgramAPI, **config: Any) -> None:
    response = await api._client.post("/_sandbox/faults", json=config)
    assert response.status_code == 200


async def test_faults_map_to_errors(api: ProgramAPI) -> None:
    await fault(api, mode="error500")
    with pytest.raises(ProgramAPIUnavailable):
        await api.list_gelombang()
    await fault(api, mode="ratelimit", retry_after=60)
    with pytest.raises(ProgramAPIRateLimited):
        await api.list_gelombang()
    await fault(api, mode="malformed")
    with pytest.raises(ProgramAPIBadResponse):
        await api.list_gelombang()
    await fault(api, mode="error500", times=1)
    assert len(await api.list_gelombang()) == 6  # one retry rides over a single 500


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    port = free_port()
    db = tmp_path_factory.mktemp("srv") / "program_api.sqlite"
    env = {**os.environ, "PROGRAM_API_TOKEN": TOKEN}
    cmd = [sys.executable, "-m", "sandbox.program_api", "--port", str(port), "--db", str(db)]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/healthz", timeout=0.5).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("sandbox did not start")
        yield url, db
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


async def test_cli_server_timeout_fault(server: tuple[str, Path]) -> None:
    url, db = server
    assert db.exists()
    api = ProgramAPI(url, TOKEN, timeout=0.3, retries=1, backoff=0.0)
    try:
        assert await api.list_gelombang()
        api.invalidate_cache()
        await fault(api, mode="timeout")
        started = time.monotonic()
        with pytest.raises(ProgramAPIUnavailable):
            await api.list_gelombang()
        assert time.monotonic() - started < 3
    finally:
        await api._client.delete("/_sandbox/faults")
        await api.aclose()


async def test_cli_server_deadline_bounds_retries_and_waits(server: tuple[str, Path]) -> None:
    """A hanging server and a long Retry-After both end the call within its total deadline."""
    url, _ = server
    api = ProgramAPI(url, TOKEN, timeout=2.0, retries=2, backoff=0.0, deadline=0.8)
    try:
        await fault(api, mode="timeout")
        started = time.monotonic()
        with pytest.raises(ProgramAPIUnavailable):
            await api.list_gelombang()
        assert time.monotonic() - started < 1.5  # not 3 attempts of 2 s
        await fault(api, mode="ratelimit", retry_after=2)
        started = time.monotonic()
        with pytest.raises(ProgramAPIRateLimited) as info:
            await api.list_gelombang()
        assert info.value.retry_after == 2
        assert time.monotonic() - started < 1.0  # the 2 s wait did not fit, so it was not taken
    finally:
        await api._client.delete("/_sandbox/faults")
        await api.aclose()


def test_cli_server_rejects_wrong_token(server: tuple[str, Path]) -> None:
    url, _ = server
    response = httpx.get(f"{url}/v1/gelombang", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
