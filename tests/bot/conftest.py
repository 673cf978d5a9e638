"""Fixtures shared by the bot's database tests: every query runs on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.db.database import Database, upgrade
from tests.postgres import temporary_postgres_database


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'bot.sqlite3'}"
        return
    with temporary_postgres_database("prakerja_test") as url:
        yield url


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """The bot database, migrated to the newest revision."""
    upgrade(database_url)
    database = Database(database_url)
    yield database
    database.dispose()
