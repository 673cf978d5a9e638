"""Starting, health-checking and stopping processes (for `make run` and the e2e tests)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
BOT_PYTHON = REPO / ".venvs" / "bot" / "bin" / "python"
ENGINE_BIN = REPO / ".venvs" / "engine" / "bin"
# Secrets a child never inherits from the supervisor's environment: each service that needs one
# gets it explicitly in ``Service.env`` (and none ever gets one on its command line).
PRIVATE_ENV = frozenset(
    {
        "RASA_TOKEN",
        "RASA_TOKEN_FILE",
        "ACTION_SERVER_TOKEN",
        "ACTION_SERVER_TOKEN_FILE",
        "TELEGRAM_BOT_TOKEN",
        "PROGRAM_API_TOKEN",
    }
)


class ServiceFailed(RuntimeError):
    """A process exited or did not become healthy in time."""


def http_ok(
    url: str,
    check: Callable[[httpx.Response], bool] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Callable[[], bool]:
    """A health probe: GET ``url`` (with ``headers``) answers 200 and ``check`` accepts it."""

    def probe() -> bool:
        try:
            response = httpx.get(url, timeout=2.0, headers=dict(headers or {}))
        except httpx.HTTPError:
            return False
        return response.status_code == 200 and (check is None or check(response))

    return probe


def file_exists(path: Path) -> Callable[[], bool]:
    """A health probe: the process wrote ``path`` when it was ready."""
    return path.exists


@dataclass
class Service:
    """One child process with its own process group, log file and health probe."""

    name: str
    argv: list[str]
    healthy: Callable[[], bool]
    log_path: Path
    env: Mapping[str, str] = field(default_factory=dict)
    startup_timeout: float = 60.0
    url: str = ""
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Launch the process in a new session so it can be stopped as a group."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        inherited = {k: v for k, v in os.environ.items() if k not in PRIVATE_ENV}
        env = {**inherited, **self.env}
        self.process = subprocess.Popen(
            self.argv,
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    def alive(self) -> bool:
        """Whether the process is still running."""
        return self.process is not None and self.process.poll() is None

    def wait_healthy(self) -> None:
        """Block until the health probe passes; fail early when the process dies."""
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise ServiceFailed(f"{self.name} exited during start-up\n{self.log_tail()}")
            if self.healthy():
                return
            time.sleep(0.25)
        raise ServiceFailed(
            f"{self.name} was not healthy after {self.startup_timeout:.0f}s\n{self.log_tail()}"
        )

    def signal(self, signum: int) -> None:
        """Send a signal to the whole process group."""
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signum)
            except ProcessLookupError:
                pass

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the group, then SIGKILL whatever is left after ``timeout``."""
        stop_all([self], timeout)

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of the log, for error messages."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def stop_all(services: list[Service], timeout: float = 10.0) -> None:
    """Stop services together so the whole stack is down within ``timeout`` (+ a kill margin)."""
    for service in reversed(services):
        service.signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for service in services:
        if service.process is None:
            continue
        try:
            service.process.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
    for service in services:
        service.signal(signal.SIGKILL)  # the group may hold children even if the leader exited
        if service.process is not None:
            try:
                service.process.wait(3)
            except subprocess.TimeoutExpired:
                pass
