"""The supervisor heals real child processes: backoff, giving up, restarting dependents."""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from ops.services import LogSink, Service, stop_all
from ops.supervisor import State, Supervisor

NIK = "3201234567890001"


def sleeper(tmp_path: Path, name: str, *, requires: tuple[str, ...] = ()) -> Service:
    """A child that prints a line (with an identifier in it) and then runs until stopped."""
    code = f"import time; print('ready, NIK {NIK}', flush=True); time.sleep(600)"
    return Service(
        name=name,
        argv=[sys.executable, "-c", code],
        healthy=lambda: True,
        log_path=tmp_path / f"{name}.log",
        requires=requires,
    )


def crasher(tmp_path: Path, name: str) -> Service:
    """A child that always exits with status 3 right after starting."""
    code = "import sys; print('cannot start: config broken', flush=True); sys.exit(3)"
    return Service(
        name=name,
        argv=[sys.executable, "-c", code],
        healthy=lambda: False,
        log_path=tmp_path / f"{name}.log",
    )


def run_until(supervisor: Supervisor, done: object, timeout: float = 20.0) -> None:
    """Step the supervisor until ``done()`` is true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        supervisor.step()
        if done():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"not done after {timeout}s: {supervisor.status()}")


def start_all(services: list[Service]) -> None:
    """Start each service (they are healthy at once)."""
    for service in services:
        service.start()


def test_a_killed_child_is_restarted_and_the_others_keep_running(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    services = [sleeper(tmp_path, "api"), sleeper(tmp_path, "bot")]
    start_all(services)
    status = tmp_path / "status.json"
    supervisor = Supervisor(services, status_file=status)
    try:
        api, bot = services
        bot_pid, api_pid = bot.pid, api.pid
        time.sleep(0.3)
        os.kill(api_pid or 0, signal.SIGKILL)
        with caplog.at_level(logging.INFO, logger="supervisor"):
            run_until(
                supervisor,
                lambda: supervisor.children["api"].state is State.RUNNING and api.pid != api_pid,
            )
        assert bot.pid == bot_pid and bot.alive()
        assert api.alive()
        written = json.loads(status.read_text())
        assert written["api"]["restarts"] == 1
        assert written["api"]["last_exit"] == "killed by SIGKILL"
        assert written["api"]["pid"] == api.pid
        assert written["bot"]["restarts"] == 0
        restart_line = next(r for r in caplog.records if "restarting" in r.getMessage())
        # The exit status and the tail of the child's log, identifiers masked.
        assert "killed by SIGKILL" in restart_line.getMessage()
        assert "ready, NIK" in restart_line.getMessage()
        assert NIK not in restart_line.getMessage()
        assert NIK not in (tmp_path / "api.log").read_text()
    finally:
        stop_all(services, timeout=5)


def test_a_crash_loop_is_given_up_with_backoff_and_only_the_bot_is_essential(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    services = [crasher(tmp_path, "api"), sleeper(tmp_path, "bot")]
    start_all(services)
    supervisor = Supervisor(services, max_crashes=3, crash_window=60, max_backoff=0.4)
    try:
        began = time.monotonic()
        with caplog.at_level(logging.INFO, logger="supervisor"):
            run_until(supervisor, lambda: supervisor.children["api"].state is State.GAVE_UP)
        took = time.monotonic() - began
        assert supervisor.children["api"].restarts == 3
        assert took >= 0.5 + 0.4 + 0.4  # backoff between the attempts
        assert not supervisor.failed  # the bot still runs: make run keeps going
        assert services[1].alive()
        gave_up = [r.getMessage() for r in caplog.records if "giving up" in r.getMessage()]
        assert gave_up and "exit status 3" in gave_up[0] and "config broken" in gave_up[0]
    finally:
        stop_all(services, timeout=5)


def test_giving_up_on_the_bot_fails_the_stack(tmp_path: Path) -> None:
    services = [sleeper(tmp_path, "api"), crasher(tmp_path, "bot")]
    start_all(services)
    supervisor = Supervisor(services, max_crashes=1, max_backoff=0.2)
    try:
        run_until(supervisor, lambda: supervisor.failed)
        assert supervisor.children["bot"].state is State.GAVE_UP
    finally:
        stop_all(services, timeout=5)


def test_a_dependent_restarts_after_what_it_requires(tmp_path: Path) -> None:
    emulator = sleeper(tmp_path, "emulator")
    bot = sleeper(tmp_path, "bot", requires=("emulator",))
    services = [emulator, bot]
    start_all(services)
    supervisor = Supervisor(services)
    try:
        old_bot = bot.pid
        emulator.signal(signal.SIGKILL)
        run_until(
            supervisor,
            lambda: (
                all(c.state is State.RUNNING for c in supervisor.children.values())
                and bot.pid != old_bot
            ),
        )
        assert supervisor.children["bot"].restarts == 1
        assert supervisor.children["emulator"].restarts == 1
    finally:
        stop_all(services, timeout=5)


def test_stop_all_drains_the_bot_first_and_leaves_no_process(tmp_path: Path) -> None:
    # The "bot" takes 1 s to finish after SIGTERM; the API must still be up meanwhile.
    code = (
        "import signal, sys, time\n"
        "signal.signal(signal.SIGTERM, lambda *a: (time.sleep(1), print('drained', flush=True),"
        " sys.exit(0)))\n"
        "time.sleep(600)\n"
    )
    bot = Service("bot", [sys.executable, "-c", code], lambda: True, tmp_path / "bot.log")
    api = sleeper(tmp_path, "api")
    start_all([api, bot])
    time.sleep(0.5)
    began = time.monotonic()
    stop_all([api, bot], timeout=6, drain_first="bot")
    assert time.monotonic() - began < 6
    assert not api.alive() and not bot.alive()
    assert bot.process is not None and bot.process.returncode == 0
    assert "drained" in (tmp_path / "bot.log").read_text()
    for service in (api, bot):
        with pytest.raises(ProcessLookupError):
            os.killpg(service.pid or 0, 0)


def test_log_sink_rotates_by_size_and_writes_json_lines(tmp_path: Path) -> None:
    sink = LogSink(tmp_path / "x.log", "rasa", "json", max_bytes=2000, backups=2)
    for i in range(100):
        sink.write_line(f"2025-01-01 ERROR rasa.core: line {i} for NIK {NIK}")
    sink.write_line('{"time": "t", "level": "INFO", "process": "bot", "event": "as is"}')
    sink.close()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["x.log", "x.log.1", "x.log.2"]
    for path in tmp_path.iterdir():
        assert path.stat().st_size <= 2200
        for line in path.read_text().splitlines():
            entry = json.loads(line)
            assert {"time", "level", "process", "event"} <= entry.keys()
            assert NIK not in line
    last = (tmp_path / "x.log").read_text().splitlines()
    assert json.loads(last[-1])["event"] == "as is"
    assert json.loads(last[-2]) | {"time": ""} == {
        "time": "",
        "level": "ERROR",
        "process": "rasa",
        "logger": "unformatted",  # the child did not write this line as JSON itself
        "event": "2025-01-01 ERROR rasa.core: line 99 for NIK [NIK disembunyikan]",
    }
