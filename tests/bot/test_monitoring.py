"""/metrics, /healthz and /readyz served by the real Application (emulator, scripted Rasa)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.monitoring import READINESS_TTL
from tests.bot.harness import RunningBot, run_bot
from tests.e2e.applicant import Applicant
from tests.emulator import free_port


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningBot, str]]:
    """A running bot with its monitoring endpoint on a free port."""
    port = free_port()
    for running in run_bot(Path(tmp_path_factory.mktemp("bot")), metrics_port=port):
        yield running, f"http://127.0.0.1:{port}"


def sample(text: str, line_start: str) -> float:
    """The value of the first exposition line starting with ``line_start``."""
    for line in text.splitlines():
        if line.startswith(line_start):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_an_answered_message_shows_in_metrics(bot: tuple[RunningBot, str]) -> None:
    running, url = bot
    before = httpx.get(f"{url}/metrics").text
    replies = Applicant(running.sim).say("gelombang berapa sekarang?")
    assert replies
    text = httpx.get(f"{url}/metrics").text
    for line in (
        'prakerja_updates_total{type="message"}',
        'prakerja_replies_total{kind="text"}',
        "prakerja_reply_latency_seconds_count",
        'prakerja_rasa_request_duration_seconds_count{operation="message",outcome="ok"}',
    ):
        assert sample(text, line) >= sample(before, line) + 1, line
    assert "prakerja_open_tickets 0.0" in text
    assert "process_cpu_seconds_total" in text


def test_healthz_and_readyz_follow_rasa(bot: tuple[RunningBot, str]) -> None:
    running, url = bot
    assert httpx.get(f"{url}/healthz").status_code == 200
    ready = httpx.get(f"{url}/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"rasa": True, "database": True, "telegram": True}
    running.rasa.down = True
    try:
        time.sleep(READINESS_TTL + 0.2)  # past the cached answer
        down = httpx.get(f"{url}/readyz")
        assert down.status_code == 503
        assert down.json()["down"] == ["rasa"]
        assert httpx.get(f"{url}/healthz").status_code == 200  # the process still runs
    finally:
        running.rasa.down = False
