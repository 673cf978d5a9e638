"""A wrong setting stops `make run` (and the bot alone) with one sentence naming it, exit code 2.

Nothing is started first: no log folder, nothing listening on the ports `make run` would use.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from ops.services import BOT_PYTHON, REPO
from ops.stack import free_port

UNREACHABLE_DB = "postgresql+psycopg://prakerja:secret-pw@127.0.0.1:9/nowhere"


def base_env(tmp_path: Path) -> dict[str, str]:
    """A no-token `make run` environment on free ports under ``tmp_path``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"TELEGRAM_BOT_TOKEN", "DATABASE_URL", "PROGRAM_API_URL"}
    }
    env.update(
        {
            "SANDBOX_CHAT_PORT": str(free_port()),
            "SANDBOX_PROGRAM_API_PORT": str(free_port()),
            "RASA_PORT": str(free_port()),
            "ACTION_SERVER_PORT": str(free_port()),
            "METRICS_PORT": str(free_port()),
            "VAR_DIR": str(tmp_path / "var"),
            "DATA_DIR": str(tmp_path / "data"),
            "LOG_DIR": str(tmp_path / "log"),
        }
    )
    return env


def listening(port: int) -> bool:
    """Whether anything accepts connections on ``port``."""
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def run(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run a command from the repository and capture its output."""
    return subprocess.run(
        argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=60, check=False
    )


CASES = [
    ({"TELEGRAM_BOT_TOKEN": "not a token"}, "TELEGRAM_BOT_TOKEN is not valid: "),
    ({"DATABASE_URL": UNREACHABLE_DB}, "DATABASE_URL is unreachable ("),
    ({"RASA_PORT": "fifty"}, "RASA_PORT must be a port number, not 'fifty'."),
    ({"RASA_PROCESSES": "two"}, "RASA_PROCESSES must be a whole number, not 'two'."),
    ({"RASA_PROCESSES": "0"}, "RASA_PROCESSES must be from 1 to 16 (on ports from RASA_PORT"),
    ({"SANDBOX_CHAT_PORT": "80a"}, "SANDBOX_CHAT_PORT must be a port number, not '80a'."),
    ({"ACTION_SERVER_PORT": "70000"}, "ACTION_SERVER_PORT must be a port number from 1 to"),
    ({"METRICS_PORT": "nine"}, "METRICS_PORT must be a port number, not 'nine'."),
    ({"FLOOD_BURST": "lots"}, "FLOOD_BURST is not valid (got 'lots'): input should be"),
    ({"LOG_FORMAT": "xml"}, "LOG_FORMAT is not valid (got 'xml'): "),
    ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL is not valid (got 'LOUD'): "),
]


@pytest.mark.parametrize(("changes", "sentence"), CASES, ids=[next(iter(c)) for c, _ in CASES])
def test_make_run_refuses_an_invalid_setting_before_starting_anything(
    tmp_path: Path, changes: dict[str, str], sentence: str
) -> None:
    ports = base_env(tmp_path)
    env = ports | changes
    result = run([sys.executable, "-m", "ops.run"], env)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(sentence), result.stderr
    assert lines[0].endswith(".")
    assert "secret-pw" not in result.stderr  # the database password is never shown
    assert result.stdout == ""  # not one "starting …" line
    assert not (tmp_path / "log").exists()
    for name in ("SANDBOX_CHAT_PORT", "SANDBOX_PROGRAM_API_PORT"):
        assert not listening(int(ports[name]))


def test_make_run_refuses_a_port_in_use(tmp_path: Path) -> None:
    env = base_env(tmp_path)
    port = int(env["SANDBOX_PROGRAM_API_PORT"])
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        result = run([sys.executable, "-m", "ops.run"], env)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"SANDBOX_PROGRAM_API_PORT: port {port} on 127.0.0.1 is already in use by another program."
    )
    assert not (tmp_path / "log").exists()
    assert not listening(int(env["SANDBOX_CHAT_PORT"]))


@pytest.mark.parametrize("alone", [False, True], ids=["make run", "bot alone"])
def test_a_metrics_port_in_use_is_refused(tmp_path: Path, alone: bool) -> None:
    env = base_env(tmp_path)
    if alone:
        env["TELEGRAM_BOT_TOKEN"] = "123456:ABCDEFGHIJKLMNOP"
    port = int(env["METRICS_PORT"])
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        argv = [str(BOT_PYTHON), "-m", "bot"] if alone else [sys.executable, "-m", "ops.run"]
        result = run(argv, env)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == (
        f"METRICS_PORT: port {port} on 127.0.0.1 is already in use by another program."
    )


def test_two_services_on_one_port_are_refused(tmp_path: Path) -> None:
    env = base_env(tmp_path)
    env["ACTION_SERVER_PORT"] = env["RASA_PORT"]
    result = run([sys.executable, "-m", "ops.run"], env)
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == f"ACTION_SERVER_PORT and RASA_PORT are both port {env['RASA_PORT']}."
    )
    env = base_env(tmp_path)
    env["METRICS_PORT"] = env["RASA_PORT"]
    result = run([sys.executable, "-m", "ops.run"], env)
    assert result.returncode == 2
    assert result.stderr.strip() == f"METRICS_PORT and RASA_PORT are both port {env['RASA_PORT']}."


@pytest.mark.parametrize(
    ("changes", "sentence"),
    [
        ({"TELEGRAM_BOT_TOKEN": "12345"}, "TELEGRAM_BOT_TOKEN is not valid: "),
        (
            {"TELEGRAM_BOT_TOKEN": "123456:ABCDEFGHIJKLMNOP", "DATABASE_URL": UNREACHABLE_DB},
            "DATABASE_URL is unreachable (",
        ),
        (
            {"TELEGRAM_BOT_TOKEN": "123456:ABCDEFGHIJKLMNOP", "RASA_TIMEOUT": "-1"},
            "RASA_TIMEOUT is not valid (got '-1'): ",
        ),
        (
            {"TELEGRAM_BOT_TOKEN": "123456:ABCDEFGHIJKLMNOP", "RASA_URL": "rasa:5005"},
            "RASA_URL is not valid (got 'rasa:5005'): it must look like http://host:5005",
        ),
    ],
)
def test_the_bot_alone_refuses_an_invalid_setting(
    tmp_path: Path, changes: dict[str, str], sentence: str
) -> None:
    env = base_env(tmp_path) | changes
    result = run([str(BOT_PYTHON), "-m", "bot"], env)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(sentence), result.stderr
    assert "secret-pw" not in result.stderr
