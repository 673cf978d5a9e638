"""The operators' endpoint end to end: /metrics, /healthz and /readyz of the real bot process.

The shared stack answers an applicant and its metrics show it; readiness failing is checked on a
small stack of its own (emulator, program API sandbox and bot, Rasa at a port nobody listens on),
so the shared stack's Rasa is never disturbed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.monitoring import READINESS_TTL
from ops.services import Service, stop_all
from ops.stack import StackConfig, build_stack, free_port
from tests.e2e.conftest import Stack

NIK = "3174054507950003"
PHONE = "081298765432"


def metrics_url(config: StackConfig) -> str:
    """The bot's monitoring endpoint in this stack."""
    assert config.metrics_url is not None
    return config.metrics_url


def sample(text: str, line_start: str) -> float:
    """The summed value of the exposition lines starting with ``line_start``."""
    return sum(
        float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(line_start)
    )


def test_an_answered_applicant_shows_in_the_metrics(stack: Stack) -> None:
    url = metrics_url(stack.config)
    before = httpx.get(f"{url}/metrics", timeout=10).text
    applicant = stack.applicant()
    replies = applicant.say("halo")
    assert replies and replies[0].text.startswith("Halo")
    # The latency is observed when the handling ends, just after the last reply was sent.
    deadline = time.monotonic() + 5
    while True:
        after = httpx.get(f"{url}/metrics", timeout=10)
        assert after.status_code == 200
        text = after.text
        latency = "prakerja_reply_latency_seconds_count"
        if sample(text, latency) > sample(before, latency) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    for line in (
        'prakerja_updates_total{type="message"}',
        'prakerja_replies_total{kind="text"}',
        "prakerja_reply_latency_seconds_count",
        'prakerja_rasa_request_duration_seconds_count{operation="message",outcome="ok"}',
    ):
        assert sample(text, line) >= sample(before, line) + 1, line
    assert sample(text, "prakerja_reply_latency_seconds_sum") > 0
    assert "prakerja_open_tickets" in text
    assert "process_resident_memory_bytes" in text


def test_healthz_and_readyz_on_the_full_stack(stack: Stack) -> None:
    url = metrics_url(stack.config)
    assert httpx.get(f"{url}/healthz", timeout=10).status_code == 200
    ready = httpx.get(f"{url}/readyz", timeout=10)
    assert ready.status_code == 200, ready.text
    assert ready.json() == {
        "status": "ready",
        "down": [],
        "checks": {"rasa": True, "database": True, "telegram": True},
    }


def test_identifiers_typed_by_an_applicant_never_reach_the_metrics(stack: Stack) -> None:
    applicant = stack.applicant()
    applicant.say(f"NIK saya {NIK} dan nomor HP {PHONE}")
    applicant.say(f"tolong cek {NIK[:4]} {NIK[4:8]} {NIK[8:12]} {NIK[12:]} ya")
    text = httpx.get(f"{metrics_url(stack.config)}/metrics", timeout=10).text
    for identifier in (NIK, PHONE, PHONE[1:], "62" + PHONE[1:]):
        assert identifier not in text
    assert str(applicant.user_id) not in text  # no Telegram id either


# --- readiness failing: a small stack without Rasa ---------------------------------------------


@pytest.fixture(scope="module")
def bot_only(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Service]]:
    """Emulator, program API sandbox and bot; RASA_URL points at a port nobody listens on."""
    root = Path(tmp_path_factory.mktemp("metrics-stack"))
    dead_rasa = f"http://127.0.0.1:{free_port()}"
    # a short STARTUP_WAIT_SECONDS: the bot would otherwise wait 300 s for this Rasa to come up
    bot_env = {"RASA_URL": dead_rasa, "LOG_LEVEL": "INFO", "STARTUP_WAIT_SECONDS": "1"}
    config = StackConfig.on_free_ports(root, bot_env=bot_env)
    wanted = {"program-api-sandbox", "telegram-emulator", "bot"}
    services = [s for s in build_stack(config) if s.name in wanted]
    started: list[Service] = []
    try:
        for service in services:
            service.start()
            started.append(service)
            service.wait_healthy()
        yield {s.name: s for s in services}
    finally:
        stop_all(started, timeout=10)


def test_readyz_names_what_is_down(bot_only: dict[str, Service]) -> None:
    url = bot_only["bot"].url
    assert httpx.get(f"{url}/healthz", timeout=10).status_code == 200
    down = httpx.get(f"{url}/readyz", timeout=10)
    assert down.status_code == 503
    assert down.json()["down"] == ["rasa"]
    assert down.json()["checks"] == {"rasa": False, "database": True, "telegram": True}
    # The Bot API server goes away too: both are named, the process still answers /healthz.
    bot_only["telegram-emulator"].stop()
    time.sleep(READINESS_TTL + 0.2)
    both = httpx.get(f"{url}/readyz", timeout=10)
    assert both.status_code == 503
    assert both.json()["down"] == ["rasa", "telegram"]
    assert httpx.get(f"{url}/healthz", timeout=10).status_code == 200
    assert bot_only["bot"].alive()
