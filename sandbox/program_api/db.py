"""SQLite storage for the sandbox: seeded from demo_applicants.yml, NIK/phone only as hashes."""

import hashlib
import json
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from . import models, scenarios

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO_APPLICANTS = REPO_ROOT / "sandbox" / "demo_applicants.yml"
DEFAULT_DB = REPO_ROOT / "var" / "sandbox" / "program_api.sqlite"

# A fixed salt only stops copy-paste lookups of the demo data; the sandbox holds no real people.
_HASH_SALT = "asisten-prakerja-sandbox:"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS gelombang (nomor INTEGER PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS applicants (
    applicant_id TEXT PRIMARY KEY,
    nik_hash TEXT NOT NULL,
    phone_hash TEXT NOT NULL,
    doc TEXT NOT NULL,
    UNIQUE (nik_hash, phone_hash)
);
CREATE TABLE IF NOT EXISTS refs (
    ref TEXT PRIMARY KEY,
    applicant_id TEXT NOT NULL,
    expires_at REAL NOT NULL
);
"""


def digest(value: str) -> str:
    """SHA-256 hex digest of a salted identifier."""
    return hashlib.sha256((_HASH_SALT + value).encode()).hexdigest()


@dataclass(frozen=True)
class DemoApplicant:
    """One entry of sandbox/demo_applicants.yml."""

    nik: str
    phone: str
    name: str
    status: str
    alasan: str | None = None


def load_demo_applicants(path: Path = DEMO_APPLICANTS) -> list[DemoApplicant]:
    """Read and sanity-check the demo applicant list."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    people = [DemoApplicant(**{k: str(v) for k, v in item.items()}) for item in raw]
    for person in people:
        models.VerifyRequest(nik=person.nik, phone=person.phone)
        if person.status not in scenarios.STATUS_CODES:
            raise ValueError(f"demo applicant {person.name}: unknown status {person.status}")
    return people


class Store:
    """Tiny synchronous store; every call opens its own connection (fine for a sandbox)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def _conn(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path)
        try:
            with conn:
                yield conn
        finally:
            conn.close()

    def seed(self, people: list[DemoApplicant], today: date, now: datetime) -> None:
        """Recreate gelombang and applicants for `today`; keep unexpired refs across restarts."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._conn() as conn:
            conn.executescript(_SCHEMA)
            conn.execute("DELETE FROM gelombang")
            conn.execute("DELETE FROM applicants")
            conn.execute("DELETE FROM refs WHERE expires_at < ?", (now.timestamp(),))
            for g in scenarios.build_gelombang(today, now):
                models.Gelombang.model_validate(g)
                conn.execute("INSERT INTO gelombang VALUES (?, ?)", (g["nomor"], json.dumps(g)))
            for person in people:
                # Stable id across restarts so issued refs stay valid; it is not the NIK.
                applicant_id = "APL-" + digest("id:" + person.nik)[:16]
                doc = scenarios.build_status(
                    person.status,
                    today=today,
                    applicant_id=applicant_id,
                    nama=person.name,
                    nik_masked=scenarios.mask_nik(person.nik),
                    alasan=person.alasan,
                    updated=now,
                )
                models.ApplicantStatus.model_validate(doc)
                conn.execute(
                    "INSERT INTO applicants VALUES (?, ?, ?, ?)",
                    (applicant_id, digest(person.nik), digest(person.phone), json.dumps(doc)),
                )

    def list_gelombang(self) -> list[dict[str, Any]]:
        """All gelombang ordered by number."""
        with self._conn() as conn:
            rows = conn.execute("SELECT doc FROM gelombang ORDER BY nomor").fetchall()
        return [json.loads(r[0]) for r in rows]

    def put_gelombang(self, nomor: int, doc: dict[str, Any]) -> None:
        """Insert or replace one gelombang (sandbox endpoint for demos and tests)."""
        with self._conn() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO gelombang VALUES (?, ?)", (nomor, json.dumps(doc))
            )

    def get_gelombang(self, nomor: int) -> dict[str, Any] | None:
        """One gelombang or None."""
        with self._conn() as conn:
            row = conn.execute("SELECT doc FROM gelombang WHERE nomor = ?", (nomor,)).fetchone()
        return json.loads(row[0]) if row else None

    def verify(self, nik: str, phone: str, ttl: timedelta, now: datetime) -> str | None:
        """Issue a fresh opaque ref when NIK and phone match the same applicant."""
        with self._conn() as conn:
            row = conn.execute(
                "SELECT applicant_id FROM applicants WHERE nik_hash = ? AND phone_hash = ?",
                (digest(nik), digest(phone)),
            ).fetchone()
            if row is None:
                return None
            ref = secrets.token_urlsafe(24)
            conn.execute(
                "INSERT INTO refs VALUES (?, ?, ?)", (ref, row[0], (now + ttl).timestamp())
            )
        return ref

    def status_for_ref(self, ref: str, now: datetime) -> dict[str, Any] | None:
        """Status document for an unexpired ref, else None."""
        with self._conn() as conn:
            row = conn.execute(
                "SELECT a.doc FROM refs r JOIN applicants a ON a.applicant_id = r.applicant_id "
                "WHERE r.ref = ? AND r.expires_at >= ?",
                (ref, now.timestamp()),
            ).fetchone()
        return json.loads(row[0]) if row else None
