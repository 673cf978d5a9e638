"""Throwaway databases on the local PostgreSQL for tests (the helper lives in ops.postgres)."""

from __future__ import annotations

from ops.postgres import POSTGRES_ADMIN, temporary_postgres_database

__all__ = ["POSTGRES_ADMIN", "temporary_postgres_database"]
