"""Rasa actions against a respx-mocked Program API."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.applicant_status import ActionShowApplicantStatus
from actions.batch_schedule import ActionAnswerBatchSchedule
from core.program_api import ProgramAPI
from core.program_api import client as program_api
from sandbox.program_api import scenarios

BASE = "http://program-api.test"
DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parents[2]
REF = "REF_FROM_BOT_METADATA_0001"
STATUS_URL = f"{BASE}/v1/applicants/{REF}/status"
GELOMBANG_URL = f"{BASE}/v1/gelombang"


def tracker_from_file(name: str) -> Tracker:
    raw = json.loads((DATA / name).read_text(encoding="utf-8"))
    return Tracker(
        raw["sender_id"],
        raw["slots"],
        raw["latest_message"],
        raw["events"],
        raw["paused"],
        raw["followup_action"],
        raw["active_loop"],
        raw["latest_action_name"],
    )


def tracker_with(metadata: dict[str, Any] | None, text: str = "/status_verified") -> Tracker:
    message: dict[str, Any] = {
        "text": text,
        "intent": {"name": "status_verified", "confidence": 1.0},
        "entities": [],
    }
    if metadata is not None:
        message["metadata"] = metadata
    return Tracker("tg-1", {}, message, [], False, None, {}, "action_listen")


@pytest.fixture(autouse=True)
async def client() -> AsyncIterator[ProgramAPI]:
    api = ProgramAPI(BASE, "tok", retries=0, backoff=0.0, breaker_threshold=100)
    program_api.set_shared_client(api)
    yield api
    program_api.set_shared_client(None)
    await api.aclose()


def status_doc(code: str, **kw: Any) -> dict[str, Any]:
    return scenarios.build_status(
        code,
        today=scenarios.now_wib().date(),
        applicant_id="APL-1",
        nama="Fitri Handayani",
        nik_masked="1271********0010",
        **kw,
    )


def intents_leading_to(action: str) -> set[str]:
    """Intents that the rules and stories answer with `action` (what Rasa really does)."""
    found: set[str] = set()
    for path in sorted((ROOT / "nlu").glob("*/*.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for flow in doc.get("rules", []) + doc.get("stories", []):
            steps = flow.get("steps", [])
            for step, following in itertools.pairwise(steps):
                if "intent" in step and following.get("action") == action:
                    found.add(step["intent"])
    return found


DOMAIN_INTENTS = set(yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["intents"])
STATUS_INTENTS = intents_leading_to("action_show_applicant_status")


def test_status_action_is_reached_through_a_real_intent() -> None:
    assert STATUS_INTENTS == {"status_verified"}
    assert STATUS_INTENTS <= DOMAIN_INTENTS


async def run_status(tracker: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    # Only a tracker Rasa could really send: its intent exists and leads to this action.
    assert tracker.latest_message["intent"]["name"] in STATUS_INTENTS & DOMAIN_INTENTS
    dispatcher = CollectingDispatcher()
    events = await ActionShowApplicantStatus().run(dispatcher, tracker, {})
    return dispatcher.messages, events


async def run_schedule() -> list[dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerBatchSchedule().run(dispatcher, tracker_with(None), {})
    assert events == []
    return dispatcher.messages


def test_action_names() -> None:
    assert ActionShowApplicantStatus().name() == "action_show_applicant_status"
    assert ActionAnswerBatchSchedule().name() == "action_answer_batch_schedule"


MAIN_CODES = [
    "SIAP_GABUNG",
    "MENUNGGU_GELOMBANG_DITUTUP",
    "DALAM_PROSES_SELEKSI",
    "TIDAK_LOLOS",
    "LOLOS_BELUM_BELI_PELATIHAN",
    "KEPESERTAAN_DICABUT",
    "PELATIHAN_BERJALAN",
    "MENUNGGU_ULASAN",
    "INSENTIF_DIJADWALKAN",
    "INSENTIF_GAGAL",
    "SELESAI",
    "AKUN_DIBLOKIR",
]


@pytest.mark.parametrize("code", MAIN_CODES)
@respx.mock
async def test_status_per_main_code(code: str) -> None:
    route = respx.get(STATUS_URL).respond(200, json=status_doc(code))
    messages, events = await run_status(tracker_from_file("tracker_verified.json"))
    assert route.called
    assert events == []  # nothing about the person lands in slots/events
    [message] = messages
    assert message["text"].startswith("Halo, Fitri!")
    assert message["buttons"] and all(b["payload"].startswith("/") for b in message["buttons"])
    assert "1271" not in message["text"] and REF not in message["text"]


@respx.mock
async def test_lolos_message_counts_days() -> None:
    respx.get(STATUS_URL).respond(200, json=status_doc("LOLOS_BELUM_BELI_PELATIHAN"))
    [message], _ = await run_status(tracker_with({"applicant_ref": REF}))
    assert "Sisa 5 hari lagi untuk membeli pelatihan pertama" in message["text"]


@pytest.mark.parametrize("metadata", [None, {}, {"applicant_ref": ""}, {"applicant_ref": 42}])
@respx.mock
async def test_missing_ref_asks_to_verify(metadata: dict[str, Any] | None) -> None:
    route = respx.get(url__startswith=BASE).respond(500)
    [message], events = await run_status(tracker_with(metadata))
    assert "Untuk cek status, saya perlu verifikasi dulu" in message["text"]
    assert message["custom"] == {"type": "verify_identity"}
    assert events == [] and not route.called


@respx.mock
async def test_ref_in_user_text_is_ignored() -> None:
    route = respx.get(url__startswith=BASE).respond(500)
    [message], _ = await run_status(tracker_with(None, text=f"applicant_ref {REF}"))
    assert message["custom"] == {"type": "verify_identity"} and not route.called


@respx.mock
async def test_unknown_ref_means_verification_expired() -> None:
    respx.get(STATUS_URL).respond(404, json={"code": "NOT_FOUND", "message": "x"})
    [message], _ = await run_status(tracker_with({"applicant_ref": REF}))
    assert message["custom"] == {"type": "verification_expired"}
    assert "verifikasi ulang" in message["text"]


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(503),
        httpx.ConnectError("down"),
        httpx.ReadTimeout("slow"),
        httpx.Response(200, content=b"{not json", headers={"Content-Type": "application/json"}),
        httpx.Response(200, json={"status_peserta": "SELESAI"}),
    ],
    ids=["503", "down", "timeout", "malformed", "schema"],
)
@respx.mock
async def test_status_api_problems_apologise(response: Any) -> None:
    respx.get(STATUS_URL).mock(side_effect=[response])
    [message], events = await run_status(tracker_with({"applicant_ref": REF}))
    assert message["text"].startswith("Maaf, data status belum bisa saya ambil sekarang")
    assert "custom" not in message or not message["custom"]
    assert events == []


@respx.mock
async def test_status_rate_limited() -> None:
    respx.get(STATUS_URL).respond(429, headers={"Retry-After": "60"})
    [message], _ = await run_status(tracker_with({"applicant_ref": REF}))
    assert "Coba lagi" in message["text"]


def gelombang_doc(today_shift: int = 0, drop: tuple[str, ...] = ()) -> dict[str, Any]:
    today = scenarios.now_wib().date() + timedelta(days=today_shift)
    items = [g for g in scenarios.build_gelombang(today) if g["status"] not in drop]
    return {"data": items}


@respx.mock
async def test_schedule_open_batch() -> None:
    respx.get(GELOMBANG_URL).respond(200, json=gelombang_doc())
    [message] = await run_schedule()
    assert "Gelombang 80 sedang dibuka sampai" in message["text"]
    assert "pukul 23.59 WIB" in message["text"]
    assert "Gelombang berikutnya (81)" in message["text"]
    assert "bukan siapa cepat dia dapat" in message["text"]
    assert {"title": "Cara gabung gelombang", "payload": "/ask_join_batch"} in message["buttons"]


@respx.mock
async def test_schedule_upcoming_only() -> None:
    respx.get(GELOMBANG_URL).respond(200, json=gelombang_doc(drop=("open",)))
    [message] = await run_schedule()
    assert "belum ada gelombang yang dibuka" in message["text"]
    assert (
        "Gelombang 81 dijadwalkan dibuka" in message["text"]
        and "pukul 12.00 WIB" in message["text"]
    )


@respx.mock
async def test_schedule_nothing_announced() -> None:
    respx.get(GELOMBANG_URL).respond(200, json=gelombang_doc(drop=("open", "upcoming")))
    [message] = await run_schedule()
    text = message["text"]
    assert "Belum ada jadwal gelombang baru" in text and "@prakerja.go.id" in text
    assert "www.prakerja.go.id" in text and "akun yang sama" in text
    assert "Gelombang 79 sudah ditutup" in text


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(500),
        httpx.ConnectError("down"),
        httpx.ReadTimeout("slow"),
        httpx.Response(200, content=b"<html>", headers={"Content-Type": "text/html"}),
        httpx.Response(200, json={"data": [{"nomor": "delapan puluh"}]}),
        httpx.Response(401),
    ],
    ids=["500", "down", "timeout", "malformed", "schema", "auth"],
)
@respx.mock
async def test_schedule_api_problems_never_invent_dates(response: Any) -> None:
    respx.get(GELOMBANG_URL).mock(side_effect=[response])
    [message] = await run_schedule()
    text = message["text"]
    assert text.startswith("Maaf, data jadwal gelombang belum bisa saya ambil sekarang")
    assert "@prakerja.go.id" in text
    assert not any(month in text for month in ("Januari", "Desember", "November", "WIB"))


def test_shared_client_is_lazy_and_reads_env(monkeypatch: pytest.MonkeyPatch) -> None:
    program_api.set_shared_client(None)
    monkeypatch.setenv("PROGRAM_API_URL", "http://elsewhere.test:1234")
    first = program_api.get_shared_client()
    assert program_api.get_shared_client() is first
    assert str(first._client.base_url) == "http://elsewhere.test:1234"
