"""Starting, health-checking and stopping processes (for `make run` and the e2e tests)."""

from __future__ import annotations

import ctypes
import logging
import logging.handlers
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

from core.logs import guess_level, is_json_object, json_line
from core.redaction import redact_log_text

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


# Log files rotate by size; the supervisor writes every child's output through one of these.
DEFAULT_LOG_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_LOG_BACKUPS = 5
_PR_SET_PDEATHSIG = 1
# The logger named in a JSON-wrapped line that its process did not write as JSON itself.
UNFORMATTED_LOGGER = "unformatted"


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM when the supervisor dies, so nothing is orphaned."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the process group stop still applies
        pass


class LogSink:
    """A child's log file: rotated by size; in ``json`` format one JSON object per line.

    Lines the child already wrote as JSON objects pass unchanged; any other line is masked with
    ``core.redaction`` (a child that does not redact its own logs cannot leak through here) and,
    in ``json`` format, wrapped as ``core.logs.json_line`` with the logger ``unformatted`` (the
    supervisor's own remarks: ``supervisor``).
    """

    def __init__(
        self,
        path: Path,
        process: str,
        log_format: str = "text",
        max_bytes: int = DEFAULT_LOG_MAX_BYTES,
        backups: int = DEFAULT_LOG_BACKUPS,
    ) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.process = process
        self.json = log_format == "json"
        self._handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8"
        )
        self._handler.setFormatter(logging.Formatter("%(message)s"))
        self._lock = threading.Lock()

    def write_line(
        self, line: str, level: str | None = None, logger: str = UNFORMATTED_LOGGER
    ) -> None:
        """Append one line (without its newline), rotating first when the file is full."""
        line = line.rstrip("\r\n")
        if not line:
            return
        if not is_json_object(line):
            line = redact_log_text(line)
            if self.json:
                line = json_line(self.process, level or guess_level(line), logger, line)
        record = logging.LogRecord(self.process, logging.INFO, "", 0, line, None, None)
        with self._lock:
            self._handler.emit(record)

    def pump(self, stream: IO[bytes]) -> None:
        """Copy a child's output into the file until the child closes it."""
        with stream:
            for raw in iter(stream.readline, b""):
                self.write_line(raw.decode("utf-8", errors="replace"))

    def close(self) -> None:
        """Close the file."""
        self._handler.close()


def describe_exit(returncode: int | None) -> str:
    """``exit status 1`` or ``killed by SIGKILL`` for a Popen return code."""
    if returncode is None:
        return "still running"
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit status {returncode}"


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
    log_format: str = "text"
    log_max_bytes: int = DEFAULT_LOG_MAX_BYTES
    log_backups: int = DEFAULT_LOG_BACKUPS
    # Names of services that must be healthy before this one (re)starts, e.g. the bot needs the
    # Bot API emulator; when one of them restarts this one is restarted after it.
    requires: tuple[str, ...] = ()
    _sink: LogSink | None = field(default=None, repr=False)
    _pump: threading.Thread | None = field(default=None, repr=False)

    def start(self) -> None:
        """Launch the process in a new session so it can be stopped as a group."""
        if self._sink is None:
            self._sink = LogSink(
                self.log_path, self.name, self.log_format, self.log_max_bytes, self.log_backups
            )
        inherited = {k: v for k, v in os.environ.items() if k not in PRIVATE_ENV}
        env = {**inherited, **self.env}
        self.process = subprocess.Popen(
            self.argv,
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,  # only prctl: safe between fork and exec
        )
        assert self.process.stdout is not None
        self._pump = threading.Thread(
            target=self._sink.pump, args=(self.process.stdout,), daemon=True, name=self.name
        )
        self._pump.start()

    def note(self, message: str, level: str = "INFO") -> None:
        """Write a supervisor remark into this service's log (e.g. why it was restarted)."""
        if self._sink is None:
            self._sink = LogSink(
                self.log_path, self.name, self.log_format, self.log_max_bytes, self.log_backups
            )
        self._sink.write_line(f"[supervisor] {message}", level, logger="supervisor")

    @property
    def pid(self) -> int | None:
        """The process id of the current process, if any."""
        return self.process.pid if self.process is not None else None

    def alive(self) -> bool:
        """Whether the process is still running."""
        return self.process is not None and self.process.poll() is None

    def exit_description(self) -> str:
        """How the last process ended (``exit status 1``, ``killed by SIGKILL``)."""
        return describe_exit(self.process.poll() if self.process is not None else None)

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
        if self.process is not None:
            try:
                os.killpg(self.process.pid, signum)
            except (ProcessLookupError, PermissionError):
                pass

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the group, then SIGKILL whatever is left after ``timeout``."""
        stop_all([self], timeout)

    def finish_logging(self, timeout: float = 2.0) -> None:
        """Wait for the last output of a stopped process to reach the log file."""
        if self._pump is not None:
            self._pump.join(timeout)

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of the log, for error messages."""
        self.finish_logging(0.5 if not self.alive() else 0)
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def stop_all(services: list[Service], timeout: float = 10.0, drain_first: str = "") -> None:
    """Stop services so the whole stack is down within ``timeout`` (+ a kill margin).

    ``drain_first`` (the bot) is stopped alone first, for up to two thirds of ``timeout``, so it
    can finish the updates it accepted while Rasa and the action server still answer.
    """
    deadline = time.monotonic() + timeout
    first = [s for s in services if s.name == drain_first and s.process is not None]
    if first:
        _terminate(first, time.monotonic() + timeout * 2 / 3)
        for service in first:
            service.signal(signal.SIGKILL)
    _terminate([s for s in services if s not in first], deadline)
    for service in services:
        service.signal(signal.SIGKILL)  # the group may hold children even if the leader exited
        if service.process is not None:
            try:
                service.process.wait(3)
            except subprocess.TimeoutExpired:
                pass
        service.finish_logging(1.0)


def _terminate(services: list[Service], deadline: float) -> None:
    """SIGTERM every group, then wait for the leaders until ``deadline``."""
    for service in reversed(services):
        service.signal(signal.SIGTERM)
    for service in services:
        if service.process is None:
            continue
        try:
            service.process.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
