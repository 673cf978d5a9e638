"""The real stack for end-to-end tests: sandboxes, action server, Rasa and bot on free ports."""

from __future__ import annotations

import secrets
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from ops.services import Service, stop_all
from ops.stack import MODEL, StackConfig, build_stack
from tests.e2e.applicant import Applicant


def free_port() -> int:
    """A currently free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Stack:
    """The running processes and how to reach them."""

    config: StackConfig
    services: dict[str, Service]
    sim: httpx.Client
    root: Path

    @property
    def rasa_url(self) -> str:
        """The Rasa server's base URL."""
        return f"http://127.0.0.1:{self.config.rasa_port}"

    def applicant(self, first_name: str = "Sari") -> Applicant:
        """A new Telegram user."""
        return Applicant(self.sim, first_name=first_name)

    def tracker_rows(self) -> list[str]:
        """Every event Rasa stored, as text, straight from the PostgreSQL tracker store."""
        from sqlalchemy import create_engine, text

        assert self.config.tracker_store_url
        url = self.config.tracker_store_url.replace("postgresql://", "postgresql+psycopg://")
        engine = create_engine(url)
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT sender_id, data FROM events")).all()
        engine.dispose()
        return [f"{sender} {data}" for sender, data in rows]

    def tracker(self, sender: str) -> dict:  # type: ignore[type-arg]
        """A conversation's tracker from Rasa's HTTP API."""
        response = httpx.get(
            f"{self.rasa_url}/conversations/{sender}/tracker",
            params={"token": self.config.rasa_token},
            timeout=10,
        )
        response.raise_for_status()
        return response.json()  # type: ignore[no-any-return]


POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/2"


@pytest.fixture(scope="session")
def tracker_database() -> Iterator[str]:
    """A fresh PostgreSQL database for Rasa's tracker store (the production path)."""
    from sqlalchemy import create_engine, text

    name = f"prakerja_tracker_{secrets.token_hex(5)}"
    admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, tracker_database: str) -> Iterator[Stack]:
    """Start every process once for the whole e2e session (PostgreSQL tracker, Redis locks)."""
    if not MODEL.exists():
        pytest.fail("no trained model: run the tests through `make test`")
    root = tmp_path_factory.mktemp("stack")
    config = StackConfig(
        run_dir=root / "run",
        log_dir=root / "log",
        data_dir=root / "data",
        sandbox_dir=root / "sandbox",
        rasa_port=free_port(),
        actions_port=free_port(),
        chat_port=free_port(),
        program_api_port=free_port(),
        rasa_token=secrets.token_hex(16),
        redis_url=REDIS_URL,
        tracker_store_url=tracker_database,
        bot_env={"LOG_LEVEL": "INFO"},
    )
    services = build_stack(config)
    started: list[Service] = []
    try:
        for service in services:
            service.start()
            started.append(service)
            service.wait_healthy()
        sim = httpx.Client(base_url=f"http://127.0.0.1:{config.chat_port}", timeout=60)
        yield Stack(config, {s.name: s for s in services}, sim, root)
        sim.close()
    finally:
        stop_all(started, timeout=10)


@pytest.fixture
def applicant(stack: Stack) -> Applicant:
    """A fresh applicant for one test."""
    return stack.applicant()
