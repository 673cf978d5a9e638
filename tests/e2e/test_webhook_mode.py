"""Webhook mode: the Bot API server POSTs updates to the bot (with the secret token header)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from ops.services import BOT_PYTHON, Service, http_ok, stop_all
from ops.stack import SANDBOX_BOT_TOKEN, free_port
from tests.e2e.applicant import Applicant
from tests.e2e.conftest import Stack

# The webhook bot's monitoring port, set by the fixture.
WEBHOOK_BOT_METRICS_PORT = [0]


@pytest.fixture(scope="module")
def webhook_sim(stack: Stack) -> Iterator[httpx.Client]:
    """A second emulator and a second bot in webhook mode, sharing the stack's Rasa."""
    chat_port, webhook_port = free_port(), free_port()
    metrics_port = WEBHOOK_BOT_METRICS_PORT[0] = free_port()
    root = stack.root / "webhook"
    emulator = Service(
        name="webhook-emulator",
        argv=[str(BOT_PYTHON), "-m", "sandbox.telegram", "--port", str(chat_port)],
        healthy=http_ok(f"http://127.0.0.1:{chat_port}/healthz"),
        log_path=root / "emulator.log",
    )
    bot = Service(
        name="webhook-bot",
        argv=[str(BOT_PYTHON), "-m", "bot"],
        healthy=lambda: bool(
            (httpx.get(f"http://127.0.0.1:{chat_port}/sim/webhook").json()["webhook"] or {}).get(
                "url"
            )
        ),
        log_path=root / "bot.log",
        env={
            "TELEGRAM_BOT_TOKEN": SANDBOX_BOT_TOKEN,
            "TELEGRAM_BASE_URL": f"http://127.0.0.1:{chat_port}/bot",
            "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{webhook_port}/telegram",
            "TELEGRAM_WEBHOOK_PORT": str(webhook_port),
            "RASA_URL": stack.rasa_url,
            "RASA_TOKEN": stack.config.rasa_token,
            "PROGRAM_API_URL": stack.config.effective_program_api_url,
            "DATA_DIR": str(root / "data"),
            "METRICS_PORT": str(metrics_port),
        },
    )
    services = [emulator, bot]
    try:
        for service in services:
            service.start()
            service.wait_healthy()
        with httpx.Client(base_url=f"http://127.0.0.1:{chat_port}", timeout=60) as sim:
            yield sim
    finally:
        stop_all(services)


def test_webhook_is_registered_with_a_secret(webhook_sim: httpx.Client) -> None:
    info = webhook_sim.get("/sim/webhook").json()["webhook"]
    assert info["url"].endswith("/telegram")
    assert info["secret_token"]


def test_halo_over_webhook(webhook_sim: httpx.Client) -> None:
    replies = Applicant(webhook_sim).say("halo")
    assert replies and replies[0].text.startswith("Halo")


def test_metrics_and_readiness_in_webhook_mode(webhook_sim: httpx.Client) -> None:
    url = f"http://127.0.0.1:{WEBHOOK_BOT_METRICS_PORT[0]}"
    assert Applicant(webhook_sim).say("halo")
    metrics = httpx.get(f"{url}/metrics", timeout=10).text
    assert 'prakerja_updates_total{type="message"}' in metrics
    assert 'prakerja_replies_total{kind="text"}' in metrics
    ready = httpx.get(f"{url}/readyz", timeout=10)
    assert ready.status_code == 200, ready.text
