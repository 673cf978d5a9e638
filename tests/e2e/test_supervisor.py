"""`make run` as an operator runs it: settings honoured, children healed, JSON logs, clean Ctrl-C.

One `python -m ops.run` (no token: sandbox, emulator) for the whole module, on free ports, with
every path and several settings changed from their defaults. It kills processes, so it is its own
stack. Measured restart times are printed (run with ``-s``) and written to ``restarts.json``.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from bot import texts
from ops.services import UNFORMATTED_LOGGER
from ops.stack import MODEL, free_port
from tests.e2e.applicant import Applicant, all_text
from tests.e2e.processes import start_logged

pytestmark = pytest.mark.e2e

NIK = "3175091201990004"
PHONE = "081234567890"
QUESTION = "gelombang berapa yang lagi buka sekarang?"
ORDER = ["program-api-sandbox", "telegram-emulator", "action-server", "rasa", "bot"]
# These write their own JSON lines (core.logs); the sandboxes' lines are wrapped by the supervisor.
NATIVE_JSON = {"action-server", "rasa", "bot", "supervisor"}


@dataclass
class Run:
    """The running `make run` and where it keeps things."""

    process: subprocess.Popen[str]
    root: Path
    env: dict[str, str]
    output: Path

    @property
    def ports(self) -> dict[str, int]:
        """The ports the test chose."""
        return {k: int(v) for k, v in self.env.items() if k.endswith("_PORT")}

    def status(self) -> dict[str, dict[str, object]]:
        """The supervisor's status file."""
        path = self.root / "var" / "run" / "supervisor.json"
        return json.loads(path.read_text())  # type: ignore[no-any-return]

    def sim(self) -> httpx.Client:
        """A client for the emulator's sim API."""
        return httpx.Client(
            base_url=f"http://127.0.0.1:{self.ports['SANDBOX_CHAT_PORT']}", timeout=60
        )

    def wait_output(self, text: str, timeout: float) -> None:
        """Wait until `make run` printed ``text``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output.read_text():
                return
            assert self.process.poll() is None, self.output.read_text()[-3000:]
            time.sleep(0.5)
        raise AssertionError(f"no {text!r} after {timeout}s:\n{self.output.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    """`python -m ops.run` with changed settings; stopped with SIGKILL if a test left it up."""
    if not MODEL.exists():
        pytest.fail("no trained model: run the tests through `make test`")
    root = tmp_path_factory.mktemp("make-run")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"TELEGRAM_BOT_TOKEN", "PROGRAM_API_URL", "DATABASE_URL", "TRACKER_STORE_URL"}
    }
    env.update(
        {
            "SANDBOX_CHAT_PORT": str(free_port()),
            "SANDBOX_PROGRAM_API_PORT": str(free_port()),
            "RASA_PORT": str(free_port()),
            "ACTION_SERVER_PORT": str(free_port()),
            "METRICS_PORT": str(free_port()),
            "VAR_DIR": str(root / "var"),
            "DATA_DIR": str(root / "my-data"),
            "DATABASE_URL": f"sqlite:///{root / 'elsewhere' / 'bot-db.sqlite3'}",
            "LOG_DIR": str(root / "my-logs"),
            "LOG_FORMAT": "json",
            "LOG_LEVEL": "debug",
            "RASA_TIMEOUT": "9",
            "FLOOD_BURST": "7",
            "FLOOD_MESSAGES_PER_MINUTE": "40",
            "RETENTION_DAYS": "12",
            "VERIFICATION_WINDOW_MINUTES": "15",
            "PROGRAM_API_TIMEOUT": "4",
        }
    )
    output = root / "make-run.out"
    process = start_logged([sys.executable, "-m", "ops.run"], env, output)
    running = Run(process, root, env, output)
    try:
        running.wait_output("Press Ctrl-C to stop.", timeout=400)
        yield running
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def ask(sim: httpx.Client, timeout: float = 30.0) -> str:
    """A new applicant asks the schedule question (Rasa, action server, program API)."""
    return all_text(Applicant(sim).say(QUESTION, timeout=timeout))


def bot_log_entries(run: Run) -> list[dict[str, object]]:
    """Every JSON line of the bot's log."""
    path = run.root / "my-logs" / "bot.log"
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_settings_take_effect_under_make_run(run: Run) -> None:
    with run.sim() as sim:
        applicant = Applicant(sim)
        applicant.say(f"NIK saya {NIK} dan HP {PHONE}")
        assert "elombang" in ask(sim)
    # DATA_DIR holds the privacy key; DATABASE_URL (not $DATA_DIR/bot.sqlite3) the database.
    assert (run.root / "my-data" / "privacy.key").exists()
    assert not (run.root / "my-data" / "bot.sqlite3").exists()
    with sqlite3.connect(run.root / "elsewhere" / "bot-db.sqlite3") as db:
        ids = {row[0] for row in db.execute("SELECT telegram_id FROM users")}
    assert applicant.user_id in ids
    # The ports: each process answers on the port it was given.
    ports = run.ports
    for url in (
        f"http://127.0.0.1:{ports['SANDBOX_CHAT_PORT']}/healthz",
        f"http://127.0.0.1:{ports['SANDBOX_PROGRAM_API_PORT']}/healthz",
        f"http://127.0.0.1:{ports['ACTION_SERVER_PORT']}/health",
        f"http://127.0.0.1:{ports['METRICS_PORT']}/healthz",
    ):
        assert httpx.get(url, timeout=5).status_code == 200, url
    assert httpx.get(f"http://127.0.0.1:{ports['RASA_PORT']}/", timeout=5).status_code == 200
    # LOG_DIR, LOG_FORMAT, LOG_LEVEL: JSON lines, DEBUG records, per-update latency.
    entries = bot_log_entries(run)
    assert any(e["level"] == "DEBUG" for e in entries)
    handled = [e for e in entries if "latency_ms" in e]
    assert handled and all(isinstance(e["update_id"], int) for e in handled)
    # Everything else the bot reads, as it reports it at start-up.
    settings = next(str(e["event"]) for e in entries if str(e["event"]).startswith("settings:"))
    for expected in (
        f"DATA_DIR={run.root / 'my-data'}",
        f"DATABASE_URL=sqlite:///{run.root / 'elsewhere' / 'bot-db.sqlite3'}",
        "LOG_LEVEL=DEBUG",
        "LOG_FORMAT=json",
        "RASA_TIMEOUT=9.0",
        "FLOOD_BURST=7",
        "FLOOD_MESSAGES_PER_MINUTE=40.0",
        "RETENTION_DAYS=12",
        "VERIFICATION_WINDOW_MINUTES=15",
        "PROGRAM_API_TIMEOUT=4.0",
        f"RASA_URL=http://127.0.0.1:{ports['RASA_PORT']}",
        f"PROGRAM_API_URL=http://127.0.0.1:{ports['SANDBOX_PROGRAM_API_PORT']}",
        f"METRICS_PORT={ports['METRICS_PORT']}",
    ):
        assert expected in settings.split(" "), (expected, settings)


def test_json_logs_parse_line_by_line_and_hold_no_identifier(run: Run) -> None:
    with run.sim() as sim:  # identifiers in flight through every process, at DEBUG level
        Applicant(sim).say(f"cek status, NIK {NIK}, HP {PHONE}")
    files = sorted((run.root / "my-logs").glob("*.log*"))
    assert {p.name for p in files} >= {f"{name}.log" for name in ORDER} | {"supervisor.log"}
    for path in files:
        text = path.read_text()
        assert NIK not in text and PHONE not in text and PHONE[1:] not in text, path
        process = path.name.split(".log")[0]
        for line in text.splitlines():
            entry = json.loads(line)
            assert {"time", "level", "process", "logger", "event"} <= entry.keys(), (path, line)
            assert entry["process"] == process, (path, line)
            if process in NATIVE_JSON:
                # Written as JSON by the process itself, not wrapped by the supervisor.
                assert entry["logger"] != UNFORMATTED_LOGGER, (path, line)
    rasa = [json.loads(line) for line in (run.root / "my-logs" / "rasa.log").open()]
    loggers = {str(e["logger"]) for e in rasa}
    assert {"rasa.core.processor", "nlu.server"} <= loggers  # stdlib and structlog records
    assert any(str(e["event"]).startswith("processor.actions.") for e in rasa)  # structlog


def test_each_killed_child_is_restarted_and_the_applicant_answered_again(run: Run) -> None:
    with run.sim() as sim:
        baseline = ask(sim)
    assert "elombang" in baseline
    measured: dict[str, dict[str, float]] = {}
    for name in ORDER:
        before = run.status()
        pid = int(before[name]["pid"])  # type: ignore[arg-type]
        killed_at = time.monotonic()
        os.kill(pid, signal.SIGKILL)
        deadline = killed_at + 300
        while time.monotonic() < deadline:
            now = run.status()[name]
            if now["state"] == "running" and now["pid"] not in (None, pid):
                break
            time.sleep(0.2)
        else:
            pytest.fail(f"{name} not restarted: {run.status()}")
        restarted_at = time.monotonic()
        assert run.process.poll() is None
        for other in ORDER:
            if other not in (name, "bot") and not (name == "telegram-emulator"):
                assert run.status()[other]["pid"] == before[other]["pid"], other
        with run.sim() as sim:
            answer = ask(sim, timeout=20)
        answered_at = time.monotonic()
        assert answer == baseline, (name, answer)
        assert answered_at - restarted_at < 20
        measured[name] = {
            "restart_seconds": round(restarted_at - killed_at, 1),
            "answered_after_restart_seconds": round(answered_at - restarted_at, 1),
        }
        assert run.status()[name]["last_exit"] == "killed by SIGKILL"
    supervisor_log = (run.root / "my-logs" / "supervisor.log").read_text()
    for name in ORDER:
        assert f"{name} stopped (killed by SIGKILL); restarting in" in supervisor_log
    (run.root / "restarts.json").write_text(json.dumps(measured, indent=2))
    print("\nrestart after kill -9:", json.dumps(measured, indent=2))


def test_a_crash_loop_is_given_up_while_the_rest_keeps_serving(run: Run) -> None:
    port = run.ports["SANDBOX_PROGRAM_API_PORT"]
    pid = int(run.status()["program-api-sandbox"]["pid"])  # type: ignore[arg-type]
    with socket.socket() as squatter:
        # As servers do, so connections of the killed sandbox in TIME_WAIT do not matter.
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while True:  # take the port before the supervisor restarts the sandbox
            try:
                squatter.bind(("127.0.0.1", port))
                break
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(0.01)
        squatter.listen()
        deadline = time.monotonic() + 120
        while run.status()["program-api-sandbox"]["state"] != "gave_up":
            assert time.monotonic() < deadline, run.status()
            time.sleep(0.5)
    assert run.process.poll() is None  # make run goes on without the program API
    assert (
        "program-api-sandbox crashed 6 times"
        in (run.root / "my-logs" / "supervisor.log").read_text()
    )
    with run.sim() as sim:
        applicant = Applicant(sim)
        assert applicant.say("halo")[0].text.startswith("Halo")
        # The schedule needs the program API: the applicant gets the polite apology instead.
        assert ask(sim) not in ("", texts.NO_ANSWER)


def test_ctrl_c_stops_everything_within_15_seconds_without_orphans(run: Run) -> None:
    pids = [int(s["pid"]) for s in run.status().values() if s["pid"]]  # type: ignore[arg-type]
    assert len(pids) == len(ORDER) - 1  # all but the program API sandbox given up above
    began = time.monotonic()
    run.process.send_signal(signal.SIGINT)
    assert run.process.wait(20) == 0
    assert time.monotonic() - began < 15
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.killpg(pid, 0)
