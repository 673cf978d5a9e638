"""Helpers for the engine tests: free ports, child servers, a throwaway PostgreSQL database."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
MODEL = REPO / "models" / "prakerja.tar.gz"
POSTGRES = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}


def free_port() -> int:
    """A currently free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def child_server(
    argv: list[str], env: dict[str, str], ready_url: str, log: Path, timeout: float = 240
) -> Iterator[subprocess.Popen]:  # type: ignore[type-arg]
    """Start ``argv`` (cwd = repo) and yield once ``ready_url`` answers 200; stop it after."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            argv,
            cwd=REPO,
            env={**os.environ, "RASA_TELEMETRY_ENABLED": "false", **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                pytest.fail(f"{argv[2]} exited:\n{log.read_text(errors='replace')[-3000:]}")
            try:
                if httpx.get(ready_url, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"{argv[2]} not ready:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.5)
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


def engine_python() -> str:
    """The interpreter running these tests (the engine venv)."""
    return sys.executable


@pytest.fixture(scope="session")
def postgres_db() -> Iterator[str]:
    """A fresh database on the local PostgreSQL (its name), dropped afterwards."""
    import psycopg2

    name = f"prakerja_engine_{secrets.token_hex(5)}"
    admin = psycopg2.connect(dbname="postgres", **POSTGRES)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def sql_rows(database: str, sender: str | None = None) -> list[tuple[str, str]]:
    """(sender_id, type_name) of the ``events`` rows, optionally of one sender."""
    import psycopg2

    connection = psycopg2.connect(dbname=database, **POSTGRES)
    try:
        with connection.cursor() as cursor:
            if sender is None:
                cursor.execute("SELECT sender_id, type_name FROM events ORDER BY id")
            else:
                cursor.execute(
                    "SELECT sender_id, type_name FROM events WHERE sender_id = %s ORDER BY id",
                    (sender,),
                )
            return list(cursor.fetchall())
    finally:
        connection.close()
