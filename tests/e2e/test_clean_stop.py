"""Stopping the bot with updates in flight: SIGTERM answers each exactly once; kill -9 measured.

50 applicants write at once; the bot is stopped as soon as it has fetched (polling) or accepted
(webhook) every update, then started again. This module stops processes: it has its own stack.
Measured numbers are printed (``-s``); docs/deployment.md quotes them.
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ops.services import BOT_PYTHON, Service, http_ok, stop_all
from ops.stack import SANDBOX_BOT_TOKEN, free_port
from tests.e2e.applicant import Applicant
from tests.e2e.conftest import Stack, running_stack

pytestmark = pytest.mark.e2e

IN_FLIGHT = 50
RESULTS: dict[str, dict[str, object]] = {}


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory: pytest.TempPathFactory, tracker_database: str) -> Iterator[Stack]:
    """A stack only this module uses."""
    with running_stack(tmp_path_factory.mktemp("clean-stop"), tracker_database) as running:
        yield running
    print("\nin-flight updates at stop:", json.dumps(RESULTS, indent=2))


@pytest.fixture(scope="module")
def webhook(own_stack: Stack) -> Iterator[tuple[httpx.Client, Service]]:
    """A second emulator and a bot in webhook mode that share the stack's Rasa."""
    chat_port, webhook_port = free_port(), free_port()
    root: Path = own_stack.root / "webhook"
    emulator = Service(
        name="webhook-emulator",
        argv=[str(BOT_PYTHON), "-m", "sandbox.telegram", "--port", str(chat_port)],
        healthy=http_ok(f"http://127.0.0.1:{chat_port}/healthz"),
        log_path=root / "emulator.log",
    )
    ready = root / "bot.ready"
    bot = Service(
        name="webhook-bot",
        argv=[str(BOT_PYTHON), "-m", "bot"],
        healthy=ready.exists,
        log_path=root / "bot.log",
        env={
            "TELEGRAM_BOT_TOKEN": SANDBOX_BOT_TOKEN,
            "TELEGRAM_BASE_URL": f"http://127.0.0.1:{chat_port}/bot",
            "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{webhook_port}/telegram",
            "TELEGRAM_WEBHOOK_PORT": str(webhook_port),
            "TELEGRAM_WEBHOOK_SECRET": "clean-stop-secret",
            "RASA_URL": own_stack.rasa_url,
            "RASA_TOKEN": own_stack.config.rasa_token,
            "PROGRAM_API_URL": own_stack.config.effective_program_api_url,
            "DATA_DIR": str(root / "data"),
            "BOT_READY_FILE": str(ready),
            "FLOOD_BURST": "15",
            "METRICS_PORT": str(free_port()),
        },
    )
    services = [emulator, bot]
    try:
        for service in services:
            service.start()
            service.wait_healthy()
        with httpx.Client(base_url=f"http://127.0.0.1:{chat_port}", timeout=60) as sim:
            yield sim, bot
    finally:
        stop_all(services)


def bot_messages(sim: httpx.Client, applicant: Applicant) -> list[dict[str, object]]:
    """The bot's messages in one applicant's chat."""
    messages = sim.get(f"/sim/chats/{applicant.user_id}/messages").json()["messages"]
    return [m for m in messages if m["from_bot"]]


def answered(sim: httpx.Client, applicants: list[Applicant]) -> int:
    """How many applicants have at least one answer."""
    return sum(1 for a in applicants if bot_messages(sim, a))


def stop_with_updates_in_flight(
    sim: httpx.Client, bot: Service, signum: int, mode: str, reply_delay: float = 0.0
) -> dict[str, object]:
    """Send 50 messages, stop the bot once it has taken them all, restart it, count answers.

    With ``reply_delay`` Telegram takes that long to accept each reply, so every update is still
    in flight when the signal comes, however fast the bot answers.
    """
    applicants = [Applicant(sim, first_name=f"Uji{i}") for i in range(IN_FLIGHT)]
    control = Applicant(sim)
    per_answer = len(control.say("halo"))  # how many messages one answer to "halo" is
    if reply_delay:
        fault = {"method": "sendMessage", "delay": reply_delay, "times": -1}
        sim.post("/sim/faults", json=fault).raise_for_status()
    try:
        for applicant in applicants:
            applicant.send("halo")
        deadline = time.monotonic() + 30
        while sim.get("/sim/stats").json()["pending_updates"] > 0:  # fetched / delivered
            assert time.monotonic() < deadline
            time.sleep(0.02)
        bot.signal(signum)
        stopped_at = time.monotonic()
        at_stop = answered(sim, applicants)
        assert bot.process is not None
        bot.process.wait(20)
        exit_seconds = time.monotonic() - stopped_at
        time.sleep(reply_delay * 2)  # replies sent before the exit land at Telegram meanwhile
        answered_by_exit = answered(sim, applicants)
    finally:
        if reply_delay:
            sim.delete("/sim/faults").raise_for_status()
    bot.start()
    bot.wait_healthy()
    time.sleep(8)  # anything redelivered after the restart has been answered by now
    counts = [len(bot_messages(sim, a)) for a in applicants]
    result: dict[str, object] = {
        "answered_when_stopped": at_stop,
        "answered_by_exit": answered_by_exit,
        "answered_in_the_end": sum(1 for c in counts if c),
        "lost": counts.count(0),
        "answered_twice": sum(1 for c in counts if c > per_answer),
        "exit_seconds": round(exit_seconds, 1),
    }
    RESULTS[f"{mode} {signal.Signals(signum).name}"] = result
    assert at_stop < IN_FLIGHT, "nothing was in flight: the test proves nothing"
    assert all(c in (0, per_answer) for c in counts), counts  # nobody is answered twice
    return result


def test_sigterm_in_polling_mode_answers_every_accepted_update_once(own_stack: Stack) -> None:
    result = stop_with_updates_in_flight(
        own_stack.sim, own_stack.services["bot"], signal.SIGTERM, "polling", reply_delay=0.3
    )
    assert result["answered_by_exit"] == IN_FLIGHT  # all answered before the bot exited
    assert result["lost"] == 0
    assert result["exit_seconds"] < 20  # type: ignore[operator]  # systemd TimeoutStopSec


def test_kill_9_in_polling_mode_loses_what_was_fetched_and_unanswered(own_stack: Stack) -> None:
    result = stop_with_updates_in_flight(
        own_stack.sim, own_stack.services["bot"], signal.SIGKILL, "polling", reply_delay=0.3
    )
    # The offset was confirmed with the next getUpdates: Telegram does not deliver them again.
    assert result["lost"] == IN_FLIGHT - result["answered_by_exit"]  # type: ignore[operator]


def test_sigterm_in_webhook_mode_answers_every_accepted_update_once(
    webhook: tuple[httpx.Client, Service],
) -> None:
    sim, bot = webhook
    result = stop_with_updates_in_flight(sim, bot, signal.SIGTERM, "webhook", reply_delay=0.3)
    assert result["lost"] == 0
    assert result["answered_in_the_end"] == IN_FLIGHT


def test_kill_9_in_webhook_mode_loses_what_was_accepted_and_unanswered(
    webhook: tuple[httpx.Client, Service],
) -> None:
    sim, bot = webhook
    result = stop_with_updates_in_flight(sim, bot, signal.SIGKILL, "webhook", reply_delay=0.3)
    # Each update got its 200 when it was queued: Telegram does not deliver it again.
    assert result["lost"] == IN_FLIGHT - result["answered_by_exit"]  # type: ignore[operator]
