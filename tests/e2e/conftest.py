"""The real stack for end-to-end tests: sandboxes, action server, Rasa and bot on free ports."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from ops.services import Service, stop_all
from ops.stack import MODEL, StackConfig, build_stack
from tests.e2e.applicant import Applicant
from tests.postgres import temporary_postgres_database


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

    @property
    def rasa_auth(self) -> dict[str, str]:
        """The bearer header Rasa's gated API and the bot channel require."""
        return {"Authorization": f"Bearer {self.config.rasa_token}"}

    def tracker(self, sender: str) -> dict:  # type: ignore[type-arg]
        """A conversation's tracker from Rasa's HTTP API."""
        response = httpx.get(
            f"{self.rasa_url}/conversations/{sender}/tracker", headers=self.rasa_auth, timeout=10
        )
        response.raise_for_status()
        return response.json()  # type: ignore[no-any-return]

    def erase(self, sender: str) -> int:
        """Erase a conversation through the bot channel; the number of events deleted."""
        response = httpx.post(
            f"{self.rasa_url}/webhooks/asisten/erase",
            json={"sender": sender},
            headers=self.rasa_auth,
            timeout=10,
        )
        response.raise_for_status()
        return int(response.json()["erased_events"])


# Redis database 2, 3, …: one per pytest-xdist worker, so two stacks' Rasa locks never meet.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
REDIS_URL = f"redis://127.0.0.1:6379/{2 + (int(_WORKER) % 14 if _WORKER.isdigit() else 0)}"


@pytest.fixture(scope="session")
def tracker_database() -> Iterator[str]:
    """A fresh PostgreSQL database for Rasa's tracker store (the production path)."""
    with temporary_postgres_database("prakerja_tracker") as url:
        yield url.replace("postgresql+psycopg://", "postgresql://")


# Generous enough for tests that chat quickly, low enough for the flood test to meet the limit.
E2E_BOT_ENV = {"LOG_LEVEL": "INFO", "FLOOD_BURST": "15"}


@contextlib.contextmanager
def running_stack(root: Path, tracker_store_url: str, **overrides: Any) -> Iterator[Stack]:
    """Start every process on free ports under ``root``; stop them all afterwards."""
    if not MODEL.exists():
        pytest.fail("no trained model: run the tests through `make test`")
    # ``bot_env=`` adds to (or overrides) the e2e defaults, e.g. a short TICKET_SLA_MINUTES.
    bot_env = {**E2E_BOT_ENV, **overrides.pop("bot_env", {})}
    config = StackConfig.on_free_ports(
        root,
        redis_url=REDIS_URL,
        tracker_store_url=tracker_store_url,
        bot_env=bot_env,
        **overrides,
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


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, tracker_database: str) -> Iterator[Stack]:
    """Start every process once for the whole e2e session (PostgreSQL tracker, Redis locks).

    A module that stops or restarts processes uses its own ``running_stack`` instead, so no test
    depends on the order in which modules run.
    """
    with running_stack(tmp_path_factory.mktemp("stack"), tracker_database) as running:
        yield running


@pytest.fixture
def applicant(stack: Stack) -> Applicant:
    """A fresh applicant for one test."""
    return stack.applicant()
