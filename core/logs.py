"""One log format for every process: text, or one JSON object per line, identifiers masked.

The bot (Python 3.11), Rasa and the action server (Python 3.10) all log through
:func:`configure_process_logging`; the supervisor wraps foreign lines with :func:`json_line`.
Stdlib only. Every JSON line has ``time`` (UTC, ISO 8601), ``level``, ``process``, ``logger``
and ``event``, plus ``update_id`` / ``latency_ms`` for a handled update and ``exc`` for a
traceback.
"""

from __future__ import annotations

import io
import json
import logging
import logging.handlers
import os
import sys
import threading
import types
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

from core.env import env_number
from core.redaction import install_log_redaction, redact_log_text

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LOG_FORMATS = ("text", "json")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_BACKUP_COUNT = 5
EXTRA_FIELDS = ("update_id", "latency_ms")
# Sanic's access log record carries its text in these attributes and an empty message.
ACCESS_FIELDS = ("host", "request", "status", "byte")
SANIC_LOGGERS = ("sanic.root", "sanic.error", "sanic.access", "sanic.server")
_LEVEL_WORDS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")


def utc_now_iso(timestamp: float | None = None) -> str:
    """``2026-12-02T01:02:03.456+00:00`` for ``timestamp`` (now when None)."""
    moment = (
        datetime.now(timezone.utc)
        if timestamp is None
        else datetime.fromtimestamp(timestamp, timezone.utc)
    )
    return moment.isoformat(timespec="milliseconds")


def json_line(process: str, level: str, logger: str, event: str, **extra: Any) -> str:
    """One JSON log line (not redacted here: callers pass masked text)."""
    entry: dict[str, Any] = {
        "time": extra.pop("time", None) or utc_now_iso(),
        "level": level,
        "process": process,
        "logger": logger,
        "event": event,
    }
    entry.update({key: value for key, value in extra.items() if value is not None})
    return json.dumps(entry, ensure_ascii=False, default=str)


def is_json_object(line: str) -> bool:
    """Whether ``line`` is one JSON object (a line some process already wrote as JSON)."""
    if not line.startswith("{"):
        return False
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def guess_level(line: str) -> str:
    """The log level a foreign log line names among its first words (INFO when none)."""
    head = line[:120].upper()
    for word in _LEVEL_WORDS:
        if word in head:
            return word
    return "INFO"


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, process, logger, event (+ update id, latency)."""

    def __init__(self, process: str) -> None:
        super().__init__()
        self.process = process

    def format(self, record: logging.LogRecord) -> str:
        """Serialise the record, masking the event again (framework extras skip the factory)."""
        event = record.getMessage()
        if not event and all(hasattr(record, key) for key in ACCESS_FIELDS):
            event = " ".join(str(getattr(record, key)) for key in ACCESS_FIELDS)  # sanic.access
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        extra = {key: getattr(record, key, None) for key in EXTRA_FIELDS}
        return json_line(
            self.process,
            record.levelname,
            record.name,
            redact_log_text(event),
            time=utc_now_iso(record.created),
            exc=redact_log_text(record.exc_text) if record.exc_text else None,
            **extra,
        )


class JsonLineStream(io.TextIOBase):
    """A text stream that turns whatever is written to it into JSON lines on ``target``.

    For output that bypasses logging (``print``, warnings, a library's own stream writer):
    lines that already are JSON objects pass unchanged, any other line is masked and wrapped
    with ``logger`` set to the stream's name (``stdout``, ``stderr``).
    """

    def __init__(self, target: TextIO, process: str, name: str) -> None:
        super().__init__()
        self.target = target
        self.process = process
        self.stream_name = name
        self._buffer = ""
        self._lock = threading.Lock()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        """The target's encoding (some libraries ask)."""
        return getattr(self.target, "encoding", None) or "utf-8"

    def writable(self) -> bool:
        """Always."""
        return True

    def isatty(self) -> bool:
        """Never a terminal: nothing should colour or animate JSON output."""
        return False

    def fileno(self) -> int:
        """The target's descriptor (for libraries that write below Python)."""
        return self.target.fileno()

    def write(self, text: str) -> int:
        """Buffer ``text`` and emit every complete line."""
        with self._lock:
            self._buffer += text
            *lines, self._buffer = self._buffer.split("\n")
            for line in lines:
                self._emit(line)
        return len(text)

    def flush(self) -> None:
        """Emit a pending partial line too, then flush the target."""
        with self._lock:
            if self._buffer:
                self._emit(self._buffer)
                self._buffer = ""
        self.target.flush()

    def _emit(self, line: str) -> None:
        line = line.rstrip("\r")
        if not line.strip():
            return
        if not is_json_object(line):
            masked = redact_log_text(line)
            line = json_line(self.process, guess_level(masked), self.stream_name, masked)
        self.target.write(line + "\n")
        self.target.flush()


@dataclass(frozen=True)
class LogSettings:
    """The logging settings every process reads: LOG_LEVEL, LOG_FORMAT, LOG_DIR and rotation."""

    level: str = "INFO"
    format: str = "text"
    directory: Path | None = None
    max_bytes: int = DEFAULT_MAX_BYTES
    backup_count: int = DEFAULT_BACKUP_COUNT

    @classmethod
    def from_env(cls, level: str | None = None) -> LogSettings:
        """Read the environment; :class:`ValueError` with one sentence naming a wrong variable."""
        env = os.environ
        chosen_level = (level or env.get("LOG_LEVEL") or "INFO").strip().upper()
        if chosen_level not in LOG_LEVELS:
            raise ValueError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {level!r}.")
        log_format = (env.get("LOG_FORMAT") or "text").strip().lower()
        if log_format not in LOG_FORMATS:
            raise ValueError(f"LOG_FORMAT must be text or json, not {log_format[:20]!r}.")
        directory = (env.get("LOG_DIR") or "").strip()
        return cls(
            level=chosen_level,
            format=log_format,
            directory=Path(directory) if directory else None,
            max_bytes=env_number("LOG_MAX_BYTES", DEFAULT_MAX_BYTES, int, 1024, "a whole number"),
            backup_count=env_number("LOG_BACKUP_COUNT", DEFAULT_BACKUP_COUNT, int, 0, "a count"),
        )


def make_formatter(process: str, log_format: str) -> logging.Formatter:
    """The JSON formatter for ``json``, the plain text one otherwise."""
    return JsonFormatter(process) if log_format == "json" else logging.Formatter(TEXT_FORMAT)


def configure_process_logging(
    process: str, settings: LogSettings, stream: TextIO | None = None
) -> logging.Formatter:
    """Log to ``stream`` (stderr) and ``LOG_DIR/<process>.log`` (rotated), identifiers masked.

    Warnings go through logging and an uncaught exception is logged as one record; in JSON,
    ``sys.stdout`` and ``sys.stderr`` are replaced by :class:`JsonLineStream` too (prints and
    anything else written there become JSON lines). Returns the formatter, for
    :func:`reformat_all_handlers` once a framework has added its own handlers. httpx/httpcore
    are quieted (their URLs hold tokens).
    """
    formatter = make_formatter(process, settings.format)
    target = stream or sys.stderr
    if settings.format == "json":
        target = _unwrapped(target)
        if not isinstance(sys.stdout, JsonLineStream):
            sys.stdout = JsonLineStream(_unwrapped(sys.stdout), process, "stdout")
        if not isinstance(sys.stderr, JsonLineStream):
            sys.stderr = JsonLineStream(_unwrapped(sys.stderr), process, "stderr")
    logging.captureWarnings(True)  # warnings and a crash are records: formatted and masked
    sys.excepthook = _log_uncaught
    handlers: list[logging.Handler] = [logging.StreamHandler(target)]
    if settings.directory is not None:
        settings.directory.mkdir(parents=True, exist_ok=True)
        handlers.append(
            logging.handlers.RotatingFileHandler(
                settings.directory / f"{process}.log",
                maxBytes=settings.max_bytes,
                backupCount=settings.backup_count,
                encoding="utf-8",
            )
        )
    for handler in handlers:
        handler.setFormatter(formatter)
    logging.basicConfig(level=settings.level, handlers=handlers, force=True)
    install_log_redaction()  # after basicConfig, so the new handlers get the filter too
    return formatter


def reformat_all_handlers(formatter: logging.Formatter) -> None:
    """Give every handler of every logger ``formatter`` (and the redaction filter).

    For frameworks that install their own handlers (Sanic's access and error logs, coloredlogs):
    call it after they did.
    """
    loggers: list[logging.Logger] = [logging.getLogger()]
    loggers += [
        logger
        for logger in list(logging.Logger.manager.loggerDict.values())
        if isinstance(logger, logging.Logger)
    ]
    for logger in loggers:
        for handler in logger.handlers:
            handler.setFormatter(formatter)
    install_log_redaction()


def propagate_to_root(names: tuple[str, ...] = SANIC_LOGGERS) -> None:
    """Let these loggers write through the root handlers only (their own handlers removed).

    Sanic installs its own handlers (or, built with ``configure_logging=False``, none, and Rasa
    and rasa-sdk then turn propagation off, so its errors reach only the bare last-resort
    handler): routed to the root, they get this process's format, file and masking.
    """
    for name in names:
        logger = logging.getLogger(name)
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
        logger.propagate = True


def _unwrapped(stream: TextIO) -> TextIO:
    return stream.target if isinstance(stream, JsonLineStream) else stream  # type: ignore[return-value]


def _log_uncaught(
    kind: type[BaseException], value: BaseException, tb: types.TracebackType | None
) -> None:
    """An uncaught exception as one (masked) record instead of raw traceback lines."""
    logging.getLogger("uncaught").critical(
        "uncaught %s, the process stops", kind.__name__, exc_info=(kind, value, tb)
    )
