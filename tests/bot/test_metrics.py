"""The bot's metrics registry: each hook counts what it should, on a fresh registry per test."""

from __future__ import annotations

import asyncio
import socket
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from telegram import CallbackQuery, Chat, ChatMemberLeft, ChatMemberUpdated, Message, Update, User
from telegram.error import BadRequest, Forbidden, RetryAfter

from bot.config import Settings
from bot.db.database import Database
from bot.db.models import Broadcast, Ticket, utcnow
from bot.flood import FloodGate
from bot.metrics import BotMetrics, MeteredProgramAPI, update_type
from bot.monitoring import MonitoringServer, Readiness, build_app
from bot.ordering import PerUserUpdateProcessor
from bot.rasa_client import RasaClient, RasaUnavailable
from bot.startup import SettingsError, check_settings
from core.program_api import ApplicantNotFound, ProgramAPIUnavailable


@pytest.fixture
def metrics() -> BotMetrics:
    """A fresh registry (no process collectors: the numbers here are exact)."""
    return BotMetrics(process_collectors=False)


def value(metrics: BotMetrics, name: str, **labels: str) -> float:
    """A sample's value, 0 when it does not exist yet."""
    return metrics.registry.get_sample_value(name, labels) or 0.0


USER = User(42, "Sari", is_bot=False)
CHAT = Chat(42, "private")


def message_update(update_id: int, user_id: int = 42, text: str = "halo") -> Update:
    user = User(user_id, "Sari", is_bot=False)
    message = Message(
        update_id, date=utcnow(), chat=Chat(user_id, "private"), from_user=user, text=text
    )
    return Update(update_id, message=message)


# --- updates by type ------------------------------------------------------------------------


def test_update_types_are_telegrams_field_names() -> None:
    message = message_update(1).message
    assert message is not None
    query = CallbackQuery("q1", USER, "chat", message=message, data="x")
    member = ChatMemberUpdated(CHAT, USER, utcnow(), ChatMemberLeft(USER), ChatMemberLeft(USER))
    assert update_type(message_update(1)) == "message"
    assert update_type(Update(2, edited_message=message)) == "edited_message"
    assert update_type(Update(3, callback_query=query)) == "callback_query"
    assert update_type(Update(4, my_chat_member=member)) == "my_chat_member"
    assert update_type(Update(5)) == "unknown"  # a malformed update the bot skips
    assert update_type("not an update") == "unknown"


async def test_processor_counts_updates_replies_latency_and_flood_refusals(
    metrics: BotMetrics,
) -> None:
    flood = FloodGate(per_minute=1, burst=2, max_pending=5)
    processor = PerUserUpdateProcessor(8, flood=flood, metrics=metrics)

    async def handle() -> None:
        await asyncio.sleep(0.02)
        metrics.request_sent("sendChatAction")  # typing: not a reply
        metrics.request_sent("sendMessage")
        metrics.request_sent("editMessageText")

    for update_id in (1, 2, 3):  # the third is over the burst of 2
        await processor.process_update(message_update(update_id), handle())

    assert value(metrics, "prakerja_updates_total", type="message") == 3
    assert value(metrics, "prakerja_flood_refusals_total") == 1
    assert value(metrics, "prakerja_replies_total", kind="text") == 2
    assert value(metrics, "prakerja_replies_total", kind="edit") == 2
    assert value(metrics, "prakerja_replies_total", kind="chat_action") == 0
    assert value(metrics, "prakerja_reply_latency_seconds_count") == 2
    assert value(metrics, "prakerja_reply_latency_seconds_sum") >= 0.04
    # 20 ms handling lands above the 10 ms bucket and well inside 250 ms
    assert value(metrics, "prakerja_reply_latency_seconds_bucket", le="0.01") == 0
    assert value(metrics, "prakerja_reply_latency_seconds_bucket", le="0.25") == 2
    assert value(metrics, "prakerja_updates_in_progress") == 0


async def test_no_reply_no_latency_and_sends_outside_updates_are_not_replies(
    metrics: BotMetrics,
) -> None:
    processor = PerUserUpdateProcessor(8, metrics=metrics)

    async def silent() -> None:
        metrics.request_sent("answerCallbackQuery")

    await processor.process_update(message_update(1), silent())
    metrics.request_sent("sendMessage")  # a job or reminder, not a reply to an update
    assert value(metrics, "prakerja_reply_latency_seconds_count") == 0
    assert value(metrics, "prakerja_replies_total", kind="text") == 0


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_telegram_errors_while_handling_are_counted_by_kind(metrics: BotMetrics) -> None:
    with metrics.handling(0.0):
        metrics.request_failed("sendMessage", Forbidden("blocked"))
        metrics.request_failed("sendMessage", RetryAfter(3))
        metrics.request_failed("sendMessage", BadRequest("bad"))
    metrics.request_failed("getUpdates", Forbidden("outside any update"))
    assert value(metrics, "prakerja_telegram_errors_total", error="forbidden") == 1
    assert value(metrics, "prakerja_telegram_errors_total", error="rate_limited") == 1
    assert value(metrics, "prakerja_telegram_errors_total", error="bad_request") == 1


async def test_a_broken_metric_never_breaks_the_update(
    metrics: BotMetrics, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("metric store broken")

    monkeypatch.setattr(metrics.updates, "labels", broken)
    monkeypatch.setattr(metrics.replies, "labels", broken)
    monkeypatch.setattr(metrics.reply_latency, "observe", broken)
    processor = PerUserUpdateProcessor(8, metrics=metrics)
    handled: list[int] = []

    async def handle() -> None:
        metrics.request_sent("sendMessage")
        handled.append(1)

    await processor.process_update(message_update(1), handle())
    assert handled == [1]


# --- Rasa and the program API -----------------------------------------------------------------


async def test_rasa_requests_are_timed_by_operation_and_outcome(metrics: BotMetrics) -> None:
    mode = {"answer": "ok"}

    def handle(request: httpx.Request) -> httpx.Response:
        if mode["answer"] == "timeout":
            raise httpx.ReadTimeout("slow", request=request)
        if mode["answer"] == "down":
            raise httpx.ConnectError("refused", request=request)
        if mode["answer"] == "500":
            return httpx.Response(500)
        if mode["answer"] == "garbage":
            return httpx.Response(200, json={"not": "a list"})
        return httpx.Response(200, json=[{"text": "Halo"}])

    client = RasaClient(
        "http://rasa.test",
        "t",
        transport=httpx.MockTransport(handle),
        observer=metrics.rasa_request,
    )
    assert (await client.send_message("s", "halo"))[0].text == "Halo"
    for answer in ("timeout", "down", "500", "garbage"):
        mode["answer"] = answer
        with pytest.raises(RasaUnavailable):
            await client.send_message("s", "halo")
    await client.aclose()
    histogram = "prakerja_rasa_request_duration_seconds_count"
    assert value(metrics, histogram, operation="message", outcome="ok") == 1
    for outcome in ("timeout", "unreachable", "http_error", "bad_answer"):
        assert value(metrics, histogram, operation="message", outcome=outcome) == 1
        assert (
            value(metrics, "prakerja_rasa_errors_total", operation="message", outcome=outcome) == 1
        )
    assert value(metrics, "prakerja_rasa_errors_total", operation="message", outcome="ok") == 0


async def test_program_api_calls_are_timed_and_failures_counted(metrics: BotMetrics) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/applicants/verify":
            return httpx.Response(404, json={"error": "not_found"})
        return httpx.Response(503)

    api = MeteredProgramAPI(
        metrics, "http://api.test", "token", transport=httpx.MockTransport(handle), retries=0
    )
    with pytest.raises(ApplicantNotFound):
        await api.verify_applicant("3174054507950003", "+6281234567890")
    with pytest.raises(ProgramAPIUnavailable):
        await api.list_gelombang()
    await api.aclose()
    count = "prakerja_program_api_request_duration_seconds_count"
    assert value(metrics, count, operation="verify_applicant", outcome="not_found") == 1
    assert value(metrics, count, operation="list_gelombang", outcome="unavailable") == 1
    errors = "prakerja_program_api_errors_total"
    assert value(metrics, errors, operation="list_gelombang", outcome="unavailable") == 1
    # no match for a NIK + phone is an answer, not an error
    assert value(metrics, errors, operation="verify_applicant", outcome="not_found") == 0
    assert b"3174054507950003" not in metrics.exposition()
    assert b"6281234567890" not in metrics.exposition()


# --- scrape-time gauges ----------------------------------------------------------------------


def _ticket(applicant_id: int, status: str, now: datetime) -> Ticket:
    return Ticket(
        applicant_id=applicant_id,
        applicant_name="Sari",
        topic="ask_registration",
        staff_chat_id=-100,
        status=status,
        opened_at=now,
    )


async def test_open_tickets_and_running_broadcasts_are_read_at_scrape_time(
    metrics: BotMetrics, db: Database
) -> None:
    def seed(session: object) -> None:
        now = utcnow()
        session.add_all(  # type: ignore[attr-defined]
            [
                _ticket(1, "open", now),
                _ticket(2, "open", now),
                _ticket(3, "closed", now),
                Broadcast(id=7, status="running", total=10, sent=4, failed=1, blocked=2, html="a"),
                Broadcast(id=8, status="done", total=5, sent=5, html="b"),
            ]
        )

    await db.run(seed)
    await metrics.refresh_from_db(db, max_age=0)
    assert value(metrics, "prakerja_open_tickets") == 2
    assert value(metrics, "prakerja_broadcasts_running") == 1
    recipients = "prakerja_broadcast_recipients"
    assert value(metrics, recipients, broadcast="7", state="sent") == 4
    assert value(metrics, recipients, broadcast="7", state="failed") == 1
    assert value(metrics, recipients, broadcast="7", state="blocked") == 2
    assert value(metrics, recipients, broadcast="7", state="queued") == 3
    assert (
        metrics.registry.get_sample_value(recipients, {"broadcast": "8", "state": "sent"}) is None
    )

    def finish(session: object) -> None:
        broadcast = session.get(Broadcast, 7)  # type: ignore[attr-defined]
        broadcast.status, broadcast.sent, broadcast.failed = "done", 7, 1

    await db.run(finish)
    await metrics.refresh_from_db(db, max_age=0)
    assert value(metrics, "prakerja_broadcasts_running") == 0
    assert (
        metrics.registry.get_sample_value(recipients, {"broadcast": "7", "state": "sent"}) is None
    )


async def test_scrape_time_reads_are_cached(metrics: BotMetrics, db: Database) -> None:
    calls = 0
    original = db.run

    async def counting(work: object) -> object:
        nonlocal calls
        calls += 1
        return await original(work)  # type: ignore[arg-type]

    db.run = counting  # type: ignore[method-assign]
    await asyncio.gather(*(metrics.refresh_from_db(db) for _ in range(20)))
    await metrics.refresh_from_db(db)
    assert calls == 1


# --- readiness and the HTTP endpoint ------------------------------------------------------------


async def test_readiness_is_cached_and_a_stuck_check_is_not_started_twice() -> None:
    now = [0.0]
    started = {"db": 0, "rasa": 0}
    release = asyncio.Event()

    async def stuck_db() -> bool:
        started["db"] += 1
        await release.wait()
        return True

    async def rasa() -> bool:
        started["rasa"] += 1
        return True

    readiness = Readiness(
        {"db": stuck_db, "rasa": rasa}, ttl=2, timeout=0.05, clock=lambda: now[0]
    )
    assert await readiness.status() == {"db": False, "rasa": True}
    assert await readiness.status() == {"db": False, "rasa": True}  # cached
    assert started == {"db": 1, "rasa": 1}
    now[0] = 3.0
    assert await readiness.status() == {"db": False, "rasa": True}
    assert started == {"db": 1, "rasa": 2}  # the stuck database check was not started again
    release.set()
    await asyncio.sleep(0)
    now[0] = 6.0
    assert await readiness.status() == {"db": True, "rasa": True}


async def test_endpoint_serves_metrics_healthz_and_readyz(metrics: BotMetrics) -> None:
    rasa_up = {"value": True}

    async def rasa() -> bool:
        return rasa_up["value"]

    async def database() -> bool:
        raise ConnectionError("refused")

    readiness = Readiness({"rasa": rasa, "database": database}, ttl=0)
    server = MonitoringServer(build_app(metrics, readiness), "127.0.0.1", 0)
    await server.start()
    metrics.update_received(message_update(1))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as http:
            assert (await http.get("/healthz")).status_code == 200
            scrape = await http.get("/metrics")
            assert scrape.status_code == 200
            assert scrape.headers["content-type"].startswith("text/plain")
            assert 'prakerja_updates_total{type="message"} 1.0' in scrape.text
            ready = await http.get("/readyz")
            assert ready.status_code == 503
            assert ready.json()["down"] == ["database"]
            rasa_up["value"] = False
            assert (await http.get("/readyz")).json()["down"] == ["rasa", "database"]
    finally:
        await server.stop()
    with socket.socket() as sock:  # the port is released
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", server.port))


def test_process_metrics_are_exposed() -> None:
    text = BotMetrics().exposition().decode()
    assert "process_resident_memory_bytes" in text
    assert "python_info" in text


# --- settings -----------------------------------------------------------------------------------


def test_metrics_port_settings(tmp_path: Path) -> None:
    base = {"_env_file": None, "data_dir": tmp_path}
    assert Settings(**base).metrics_port == 9464  # type: ignore[arg-type]
    assert not Settings(**base, metrics_port="").metrics_enabled  # type: ignore[arg-type]
    assert not Settings(**base, metrics_port=0).metrics_enabled  # type: ignore[arg-type]
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        settings = Settings(**base, metrics_port=port)  # type: ignore[arg-type]
        with pytest.raises(SettingsError, match=rf"^METRICS_PORT: port {port} on 127.0.0.1 is"):
            check_settings(settings)
