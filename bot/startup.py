"""Start-up checks: a wrong setting stops the bot (and `make run`) with one sentence naming it."""

from __future__ import annotations

import errno
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.config import Settings

EXIT_INVALID_SETTINGS = 2


class SettingsError(Exception):
    """A setting that cannot work; ``str()`` is the one sentence to show the operator."""


def _sentence(error: Mapping[str, Any]) -> str:
    """``FLOOD_BURST is not valid (got 'abc'): input should be a valid integer.``"""
    name = str(error["loc"][0]).upper() if error.get("loc") else "a setting"
    message = str(error.get("msg", "invalid value"))
    message = message.removeprefix("Value error, ")
    message = message[:1].lower() + message[1:]
    given = error.get("input")
    shown = ""
    if isinstance(given, str) and "token" not in name.lower() and "key" not in name.lower():
        shown = f" (got {given[:40]!r})"
    return f"{name} is not valid{shown}: {message.rstrip('.')}."


def load_settings(**overrides: Any) -> Settings:
    """``Settings()``, with a validation error turned into :class:`SettingsError`."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError(" ".join(_sentence(e) for e in exc.errors()[:1])) from None


def check_database(url: str) -> None:
    """Connect once (3 s at most); :class:`SettingsError` naming DATABASE_URL when that fails."""
    from sqlalchemy import create_engine, make_url
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    try:
        parsed = make_url(url)
    except ArgumentError:
        raise SettingsError(
            "DATABASE_URL is not a database URL (e.g. sqlite:///bot.db)."
        ) from None
    shown = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() == "sqlite":
        folder = Path(parsed.database or ".").expanduser().resolve().parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SettingsError(
                f"DATABASE_URL points to a folder that cannot be created ({folder}): "
                f"{exc.strerror}."
            ) from None
        return
    connect_args = {"connect_timeout": 3} if parsed.get_backend_name() == "postgresql" else {}
    try:
        engine = create_engine(parsed, connect_args=connect_args)
    except (ArgumentError, ImportError) as exc:
        raise SettingsError(f"DATABASE_URL cannot be used ({shown}): {exc}.") from None
    try:
        with engine.connect():
            pass
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc) or exc).strip().splitlines()[0]
        raise SettingsError(
            f"DATABASE_URL is unreachable ({shown}): {reason.rstrip('.')}."
        ) from None
    finally:
        engine.dispose()


def check_port_free(variable: str, host: str, port: int) -> None:
    """:class:`SettingsError` naming ``variable`` when ``host:port`` cannot be listened on."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers bind
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise SettingsError(
                    f"{variable}: port {port} on {host} is already in use by another program."
                ) from None
            raise SettingsError(
                f"{variable}: cannot listen on {host}:{port} ({exc.strerror})."
            ) from None


def parse_port(variable: str, value: str | None, default: int) -> int:
    """A TCP port from an environment value; :class:`SettingsError` naming it otherwise."""
    if value is None or not value.strip():
        return default
    try:
        port = int(value.strip())
    except ValueError:
        raise SettingsError(
            f"{variable} must be a port number, not {value.strip()[:40]!r}."
        ) from None
    if not 1 <= port <= 65535:
        raise SettingsError(f"{variable} must be a port number from 1 to 65535, not {port}.")
    return port


def check_settings(settings: Settings) -> None:
    """What validation alone cannot tell: the database answers, the bot's ports are free."""
    check_database(settings.effective_database_url)
    if settings.telegram_webhook_url:
        check_port_free(
            "TELEGRAM_WEBHOOK_PORT",
            settings.telegram_webhook_listen,
            settings.telegram_webhook_port,
        )
        if settings.metrics_enabled and settings.metrics_port == settings.telegram_webhook_port:
            raise SettingsError(
                f"METRICS_PORT and TELEGRAM_WEBHOOK_PORT are both port {settings.metrics_port}."
            )
    if settings.metrics_enabled:
        check_port_free("METRICS_PORT", settings.metrics_host, settings.metrics_port)
