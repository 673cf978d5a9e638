"""deploy/Procfile under honcho: the whole stack starts at once, answers, and stops cleanly.

Program API sandbox, Bot API emulator, action server, Rasa (the trained model) and the bot are
all started by honcho at the same moment, on free ports, with nothing but the two tokens set.
The applicant writes as soon as the emulator is up, long before Rasa has loaded its model: the
bot waits for Rasa itself (STARTUP_WAIT_SECONDS), so the answer is Rasa's, not an apology.
Then honcho gets SIGTERM and no process of the stack is left.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from bot import texts
from ops.services import BOT_PYTHON, REPO
from ops.stack import MODEL, free_port
from tests.e2e.applicant import Applicant, all_text
from tests.e2e.processes import start_logged

pytestmark = pytest.mark.e2e

HONCHO = BOT_PYTHON.parent / "honcho"
PROCFILE = REPO / "deploy" / "Procfile"
PROCESSES = {"programapi", "telegram", "actions", "rasa", "bot"}
NATIVE_JSON = {"actions", "rasa", "bot"}  # the sandboxes log as they like
QUESTION = "gelombang berapa yang lagi buka sekarang?"
# Settings the surrounding environment may hold that would point the stack elsewhere.
CLEARED = {
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_BASE_URL",
    "TELEGRAM_WEBHOOK_URL",
    "RASA_URL",
    "PROGRAM_API_URL",
    "DATA_DIR",
    "DATABASE_URL",
    "LOG_DIR",
    "STAFF_CHAT_ID",
    "REDIS_URL",
    "TRACKER_STORE_URL",
}


def wait_until(check: object, what: str, timeout: float, honcho: subprocess.Popen[str]) -> None:
    """Poll ``check()`` until true; fail when honcho exits or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert honcho.poll() is None, f"honcho exited before {what}"
        assert time.monotonic() < deadline, f"no {what} after {timeout:.0f}s"
        time.sleep(0.5)


def answers(url: str) -> bool:
    """Whether ``url`` answers 200."""
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_honcho_runs_the_whole_procfile_stack_answers_and_stops(tmp_path: Path) -> None:
    if not MODEL.exists():
        pytest.fail("no trained model: run the tests through `make test`")
    declared = {
        line.split(":", 1)[0]
        for line in PROCFILE.read_text().splitlines()
        if line and not line.startswith("#")
    }
    assert declared == PROCESSES
    assert "sleep" not in PROCFILE.read_text()  # the bot waits for what it needs itself
    ports = {
        "SANDBOX_CHAT_PORT": free_port(),
        "SANDBOX_PROGRAM_API_PORT": free_port(),
        "ACTION_SERVER_PORT": free_port(),
        "RASA_PORT": free_port(),
        "METRICS_PORT": free_port(),  # the bot's /metrics, /healthz, /readyz
    }
    empty_env_file = tmp_path / "empty.env"  # a developer's .env must not change the test
    empty_env_file.write_text("")
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    env.update({name: str(port) for name, port in ports.items()})
    env.update(
        {
            "VAR_DIR": str(tmp_path / "var"),
            "RASA_TOKEN": secrets.token_hex(16),
            "ACTION_SERVER_TOKEN": secrets.token_hex(16),
            "LOG_FORMAT": "json",
            "BOT_READY_FILE": str(tmp_path / "bot.ready"),
        }
    )
    output = tmp_path / "honcho.out"
    argv = [str(HONCHO), "-f", str(PROCFILE), "-d", str(REPO), "-e", str(empty_env_file)]
    honcho = start_logged([*argv, "--no-colour", "start"], env, output)
    chat = f"http://127.0.0.1:{ports['SANDBOX_CHAT_PORT']}"
    try:
        wait_until(lambda: answers(f"{chat}/healthz"), "Bot API emulator", 90, honcho)
        began = time.monotonic()
        with httpx.Client(base_url=chat, timeout=60) as sim:
            # Written while Rasa is still loading its model (the bot is not polling yet).
            assert not (tmp_path / "bot.ready").exists()
            answer = all_text(Applicant(sim).say(QUESTION, timeout=480, settle=3))
        answered_after = time.monotonic() - began
        assert "elombang" in answer and texts.NO_ANSWER not in answer, answer
        assert (tmp_path / "bot.ready").exists()
        for url in (
            f"http://127.0.0.1:{ports['SANDBOX_PROGRAM_API_PORT']}/healthz",
            f"http://127.0.0.1:{ports['ACTION_SERVER_PORT']}/health",
            f"http://127.0.0.1:{ports['RASA_PORT']}/",
            f"http://127.0.0.1:{ports['METRICS_PORT']}/readyz",
        ):
            assert answers(url), url
        assert (tmp_path / "var" / "data" / "privacy.key").exists()  # DATA_DIR follows VAR_DIR
        honcho.send_signal(signal.SIGTERM)
        stopping = time.monotonic()
        honcho.wait(60)
        stopped_after = time.monotonic() - stopping
    finally:
        if honcho.poll() is None:
            os.killpg(honcho.pid, signal.SIGKILL)
    text = output.read_text()
    pids = {
        name: int(pid)
        for name, pid in re.findall(r"system\s+\| (\w+)\.1 started \(pid=(\d+)\)", text)
    }
    assert set(pids) == PROCESSES, text[-3000:]
    time.sleep(1)
    for pid in pids.values():  # each ran in its own process group: none of it is left
        with pytest.raises(ProcessLookupError):
            os.killpg(pid, 0)
    for port in ports.values():
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
    # LOG_FORMAT=json reaches the processes through honcho: their every line is JSON.
    for line in text.splitlines():
        match = re.match(r"^\S+ (\w+)\.1\s+\| (.*)$", line)
        if match and match.group(1) in NATIVE_JSON:
            entry = json.loads(match.group(2))
            assert {"time", "level", "process", "logger", "event"} <= entry.keys(), line
    print(
        f"\nProcfile stack: answered {answered_after:.0f}s after the emulator was up; "
        f"stopped in {stopped_after:.1f}s"
    )
