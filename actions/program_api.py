"""Async client for the Prakerja Program API (docs/program-api.openapi.yaml)."""

# Shared by the action server (Python 3.10) and the bot (Python 3.11): stdlib + httpx only,
# no rasa_sdk import here.

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import os
import random
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, TypeVar

import httpx

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_URL = "http://127.0.0.1:8081"
DEFAULT_TOKEN = "sandbox-token"


# --- errors -------------------------------------------------------------------------------


class ProgramAPIError(Exception):
    """Base class for every Program API failure."""


class ProgramAPIUnavailable(ProgramAPIError):
    """The API is down, timed out, answered 5xx, or the circuit breaker is open."""


class ProgramAPIRateLimited(ProgramAPIError):
    """HTTP 429; `retry_after` is the server's wait in seconds (None if unknown)."""

    def __init__(self, retry_after: float | None) -> None:
        super().__init__(f"rate limited (retry after {retry_after} s)")
        self.retry_after = retry_after


class ApplicantNotFound(ProgramAPIError):
    """No match on verify, or an unknown/expired applicant_ref on status."""


class ProgramAPIAuthError(ProgramAPIError):
    """HTTP 401/403: our token is missing, wrong or not allowed."""


class ProgramAPIBadResponse(ProgramAPIError):
    """Malformed JSON or a body that does not match the contract."""


class ProgramAPIInvalidRequest(ProgramAPIError):
    """HTTP 422 or a client-side input check failed (message never contains the input)."""


# --- data ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Gelombang:
    """One registration batch."""

    nomor: int
    status: str  # upcoming | open | closed | announced
    dibuka: datetime
    ditutup: datetime
    pengumuman: date | None
    kuota: int | None
    mode_pelatihan: tuple[str, ...]
    diperbarui_pada: datetime


@dataclass(frozen=True)
class Akun:
    """Account state."""

    status: str
    blokir_alasan: str | None
    email_terverifikasi: bool
    hp_terverifikasi: bool
    langkah_pendaftaran: str


@dataclass(frozen=True)
class Tkd:
    """Tes Kemampuan Dasar."""

    status: str
    selesai_pada: datetime | None


@dataclass(frozen=True)
class GelombangAktif:
    """Joined gelombang without a result yet."""

    nomor: int
    dibuka: datetime
    ditutup: datetime
    status: str


@dataclass(frozen=True)
class RiwayatGelombang:
    """One past selection result."""

    nomor: int
    hasil: str  # BERHASIL | GAGAL
    alasan_kode: str | None
    alasan_teks: str | None


@dataclass(frozen=True)
class Kartu:
    """Kartu Prakerja (masked)."""

    nomor_masked: str
    saldo_awal: int
    saldo_sisa: int
    batas_beli_pelatihan_pertama: date
    dicabut_pada: date | None


@dataclass(frozen=True)
class Pelatihan:
    """A bought training."""

    id: str
    judul: str
    lembaga: str
    platform: str
    mode: str
    harga: int
    dibeli_pada: datetime
    kode_redeem_status: str
    status: str
    selesai_pada: date | None
    sertifikat_terbit: date | None
    ulasan_rating_diisi: bool
    pelatihan_pertama: bool


@dataclass(frozen=True)
class Rekening:
    """Payout account (masked)."""

    jenis: str | None
    penyedia: str | None
    nomor_masked: str | None
    status: str
    gagal_alasan: str | None


@dataclass(frozen=True)
class Insentif:
    """One incentive payment."""

    jenis: str
    nominal: int
    status: str
    dijadwalkan_pada: date | None
    dibayar_pada: date | None
    gagal_alasan: str | None


@dataclass(frozen=True)
class Survei:
    """One evaluation survey."""

    nomor: int
    status: str
    tersedia_pada: date | None
    batas_isi: date | None


@dataclass(frozen=True)
class ApplicantStatus:
    """Applicant status (domain brief §13); identifiers are masked."""

    applicant_id: str
    nik_masked: str
    nama: str
    skema: str
    status_peserta: str
    akun: Akun | None
    tkd: Tkd | None
    gelombang_aktif: GelombangAktif | None
    riwayat_gelombang: tuple[RiwayatGelombang, ...]
    kartu: Kartu | None
    pelatihan: tuple[Pelatihan, ...]
    rekening: Rekening | None
    insentif: tuple[Insentif, ...]
    survei: tuple[Survei, ...]
    diperbarui_pada: datetime


# --- validation ---------------------------------------------------------------------------


class _Obj:
    """Typed accessors over one JSON object; errors name the field path, never the value."""

    def __init__(self, raw: Any, path: str) -> None:
        if not isinstance(raw, dict):
            raise ProgramAPIBadResponse(f"{path}: expected an object")
        self.raw, self.path = raw, path

    def _get(self, key: str) -> Any:
        if key not in self.raw:
            raise ProgramAPIBadResponse(f"{self.path}.{key}: missing")
        return self.raw[key]

    def _fail(self, key: str, what: str) -> ProgramAPIBadResponse:
        return ProgramAPIBadResponse(f"{self.path}.{key}: expected {what}")

    def text(self, key: str) -> str:
        value = self._get(key)
        if not isinstance(value, str):
            raise self._fail(key, "a string")
        return value

    def opt_text(self, key: str) -> str | None:
        return None if self._get(key) is None else self.text(key)

    def integer(self, key: str) -> int:
        value = self._get(key)
        # bool is an int subclass in Python but not in JSON
        if not isinstance(value, int) or isinstance(value, bool):
            raise self._fail(key, "an integer")
        return value

    def opt_integer(self, key: str) -> int | None:
        return None if self._get(key) is None else self.integer(key)

    def boolean(self, key: str) -> bool:
        value = self._get(key)
        if not isinstance(value, bool):
            raise self._fail(key, "a boolean")
        return value

    def enum(self, key: str, allowed: frozenset[str]) -> str:
        value = self.text(key)
        if value not in allowed:
            raise self._fail(key, "one of " + ", ".join(sorted(allowed)))
        return value

    def dt(self, key: str) -> datetime:
        text = self.text(key)
        try:
            # Python 3.10's fromisoformat does not accept a trailing "Z"
            value = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
        except ValueError:
            raise self._fail(key, "an ISO 8601 date-time") from None
        if value.tzinfo is None:
            raise self._fail(key, "a date-time with a UTC offset")
        return value

    def opt_dt(self, key: str) -> datetime | None:
        return None if self._get(key) is None else self.dt(key)

    def day(self, key: str) -> date:
        text = self.text(key)
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise self._fail(key, "an ISO 8601 date") from None

    def opt_day(self, key: str) -> date | None:
        return None if self._get(key) is None else self.day(key)

    def obj(self, key: str) -> _Obj:
        return _Obj(self._get(key), f"{self.path}.{key}")

    def opt_obj(self, key: str) -> _Obj | None:
        return None if self._get(key) is None else self.obj(key)

    def items(self, key: str, parse: Callable[[_Obj], T]) -> tuple[T, ...]:
        value = self._get(key)
        if not isinstance(value, list):
            raise self._fail(key, "a list")
        return tuple(parse(_Obj(item, f"{self.path}.{key}[{i}]")) for i, item in enumerate(value))


GELOMBANG_STATUSES = frozenset({"upcoming", "open", "closed", "announced"})


def parse_gelombang(o: _Obj) -> Gelombang:
    """Validate one gelombang object."""
    modes = o._get("mode_pelatihan")
    if not isinstance(modes, list) or not all(isinstance(m, str) for m in modes):
        raise o._fail("mode_pelatihan", "a list of strings")
    return Gelombang(
        nomor=o.integer("nomor"),
        status=o.enum("status", GELOMBANG_STATUSES),
        dibuka=o.dt("dibuka"),
        ditutup=o.dt("ditutup"),
        pengumuman=o.opt_day("pengumuman"),
        kuota=o.opt_integer("kuota"),
        mode_pelatihan=tuple(modes),
        diperbarui_pada=o.dt("diperbarui_pada"),
    )


def _akun(o: _Obj) -> Akun:
    return Akun(
        status=o.text("status"),
        blokir_alasan=o.opt_text("blokir_alasan"),
        email_terverifikasi=o.boolean("email_terverifikasi"),
        hp_terverifikasi=o.boolean("hp_terverifikasi"),
        langkah_pendaftaran=o.text("langkah_pendaftaran"),
    )


def _pelatihan(o: _Obj) -> Pelatihan:
    return Pelatihan(
        id=o.text("id"),
        judul=o.text("judul"),
        lembaga=o.text("lembaga"),
        platform=o.text("platform"),
        mode=o.text("mode"),
        harga=o.integer("harga"),
        dibeli_pada=o.dt("dibeli_pada"),
        kode_redeem_status=o.text("kode_redeem_status"),
        status=o.text("status"),
        selesai_pada=o.opt_day("selesai_pada"),
        sertifikat_terbit=o.opt_day("sertifikat_terbit"),
        ulasan_rating_diisi=o.boolean("ulasan_rating_diisi"),
        pelatihan_pertama=o.boolean("pelatihan_pertama"),
    )


def _maybe(o: _Obj | None, parse: Callable[[_Obj], T]) -> T | None:
    return None if o is None else parse(o)


def parse_applicant_status(o: _Obj) -> ApplicantStatus:
    """Validate an ApplicantStatus document (unknown status codes are kept as strings)."""
    return ApplicantStatus(
        applicant_id=o.text("applicant_id"),
        nik_masked=o.text("nik_masked"),
        nama=o.text("nama"),
        skema=o.text("skema"),
        status_peserta=o.text("status_peserta"),
        akun=_maybe(o.opt_obj("akun"), _akun),
        tkd=_maybe(o.opt_obj("tkd"), lambda t: Tkd(t.text("status"), t.opt_dt("selesai_pada"))),
        gelombang_aktif=_maybe(
            o.opt_obj("gelombang_aktif"),
            lambda g: GelombangAktif(
                g.integer("nomor"), g.dt("dibuka"), g.dt("ditutup"), g.text("status")
            ),
        ),
        riwayat_gelombang=o.items(
            "riwayat_gelombang",
            lambda r: RiwayatGelombang(
                r.integer("nomor"),
                r.text("hasil"),
                r.opt_text("alasan_kode"),
                r.opt_text("alasan_teks"),
            ),
        ),
        kartu=_maybe(
            o.opt_obj("kartu"),
            lambda k: Kartu(
                k.text("nomor_masked"),
                k.integer("saldo_awal"),
                k.integer("saldo_sisa"),
                k.day("batas_beli_pelatihan_pertama"),
                k.opt_day("dicabut_pada"),
            ),
        ),
        pelatihan=o.items("pelatihan", _pelatihan),
        rekening=_maybe(
            o.opt_obj("rekening"),
            lambda r: Rekening(
                r.opt_text("jenis"),
                r.opt_text("penyedia"),
                r.opt_text("nomor_masked"),
                r.text("status"),
                r.opt_text("gagal_alasan"),
            ),
        ),
        insentif=o.items(
            "insentif",
            lambda i: Insentif(
                i.text("jenis"),
                i.integer("nominal"),
                i.text("status"),
                i.opt_day("dijadwalkan_pada"),
                i.opt_day("dibayar_pada"),
                i.opt_text("gagal_alasan"),
            ),
        ),
        survei=o.items(
            "survei",
            lambda s: Survei(
                s.integer("nomor"),
                s.text("status"),
                s.opt_day("tersedia_pada"),
                s.opt_day("batas_isi"),
            ),
        ),
        diperbarui_pada=o.dt("diperbarui_pada"),
    )


# --- input helpers ------------------------------------------------------------------------

_NIK_RE = re.compile(r"^[0-9]{16}$")
_PHONE_RE = re.compile(r"^\+62[0-9]{8,13}$")


def normalize_phone(raw: str) -> str:
    """Turn '0812-3456 7890', '62812…' or '+62 812…' into E.164 '+62812…' (no validation)."""
    digits = re.sub(r"[^0-9+]", "", raw.strip())
    if digits.startswith("+"):
        return "+" + digits[1:].replace("+", "")
    if digits.startswith("62"):
        return "+" + digits
    if digits.startswith("0"):
        return "+62" + digits[1:]
    return "+62" + digits


def is_valid_nik(nik: str) -> bool:
    """16 ASCII digits."""
    return bool(_NIK_RE.match(nik))


def is_valid_phone(phone: str) -> bool:
    """E.164 Indonesian number."""
    return bool(_PHONE_RE.match(phone))


def mask_ref(ref: str) -> str:
    """Short, non-reusable form of an applicant_ref for logs."""
    return ref[:4] + "…" if len(ref) > 4 else "…"


# --- client -------------------------------------------------------------------------------


class _Breaker:
    """Consecutive-failure circuit breaker: closed → open (fail fast) → half-open (one probe)."""

    def __init__(self, threshold: int, reset_after: float, clock: Callable[[], float]) -> None:
        self.threshold, self.reset_after, self.clock = threshold, reset_after, clock
        self.failures = 0
        self.opened_at: float | None = None
        self.probing = False

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        if self.clock() - self.opened_at >= self.reset_after:
            return "half-open"
        return "open"

    def before_request(self) -> None:
        state = self.state
        if state == "open" or (state == "half-open" and self.probing):
            raise ProgramAPIUnavailable("circuit breaker open")
        if state == "half-open":
            self.probing = True

    def success(self) -> None:
        self.failures, self.opened_at, self.probing = 0, None, False

    def failure(self) -> None:
        self.failures += 1
        if self.probing or self.failures >= self.threshold:
            log.warning("program API circuit breaker open (%d failures)", self.failures)
            self.opened_at = self.clock()
        self.probing = False

    def abandon(self) -> None:
        """A cancelled probe must not leave the breaker half-open forever."""
        self.probing = False

    def neutral(self) -> None:
        """A response that says nothing about health (e.g. 4xx) ends a probe as success."""
        self.success()


class _Retryable(Exception):
    """Internal: one attempt failed in a way worth retrying."""

    def __init__(self, error: ProgramAPIError, wait: float | None = None) -> None:
        self.error, self.wait = error, wait


class ProgramAPI:
    """Async Program API client with timeouts, GET retries, a GET cache and a circuit breaker."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 5.0,
        retries: int = 2,
        backoff: float = 0.3,
        cache_ttl: float = 60.0,
        breaker_threshold: int = 5,
        breaker_reset: float = 30.0,
        max_retry_after: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=httpx.Timeout(timeout),
            transport=transport,
        )
        self.retries, self.backoff = retries, backoff
        self.cache_ttl, self.max_retry_after = cache_ttl, max_retry_after
        self._clock, self._sleep = clock, sleep
        self._breaker = _Breaker(breaker_threshold, breaker_reset, clock)
        self._cache: tuple[float, list[Gelombang]] | None = None
        self._cache_lock = asyncio.Lock()

    @classmethod
    def from_env(cls, **kwargs: Any) -> ProgramAPI:
        """Client configured from PROGRAM_API_URL / PROGRAM_API_TOKEN / PROGRAM_API_TIMEOUT."""
        return cls(
            os.environ.get("PROGRAM_API_URL", DEFAULT_URL),
            os.environ.get("PROGRAM_API_TOKEN", DEFAULT_TOKEN),
            timeout=float(os.environ.get("PROGRAM_API_TIMEOUT", "5")),
            **kwargs,
        )

    @property
    def breaker_state(self) -> str:
        """closed | open | half-open."""
        return self._breaker.state

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()

    async def __aenter__(self) -> ProgramAPI:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # public API

    async def list_gelombang(self) -> list[Gelombang]:
        """All gelombang; cached for `cache_ttl` seconds."""
        async with self._cache_lock:
            if self._cache and self._clock() - self._cache[0] < self.cache_ttl:
                return list(self._cache[1])
            body = _Obj(await self._get_json("/v1/gelombang"), "$")
            items = list(body.items("data", parse_gelombang))
            self._cache = (self._clock(), items)
            return list(items)

    async def get_gelombang(self, nomor: int) -> Gelombang | None:
        """One gelombang, or None when the API does not know it."""
        try:
            return parse_gelombang(_Obj(await self._get_json(f"/v1/gelombang/{nomor}"), "$"))
        except ApplicantNotFound:
            return None

    def invalidate_cache(self) -> None:
        """Forget the cached gelombang list."""
        self._cache = None

    async def verify_applicant(self, nik: str, phone: str) -> str:
        """Match NIK + phone (E.164) and return the opaque applicant_ref."""
        if not is_valid_nik(nik) or not is_valid_phone(phone):
            raise ProgramAPIInvalidRequest("NIK must be 16 digits and phone +62…")
        self._breaker.before_request()
        # A POST is never retried: a repeat could issue a second reference or count twice
        # against the server's verification limits.
        try:
            response = await self._client.post(
                "/v1/applicants/verify", json={"nik": nik, "phone": phone}
            )
        except asyncio.CancelledError:
            self._breaker.abandon()
            raise
        except httpx.TransportError as exc:
            self._breaker.failure()
            raise ProgramAPIUnavailable(f"verify failed: {type(exc).__name__}") from None
        try:
            body = self._check(response, not_found=ApplicantNotFound)
        except (ProgramAPIUnavailable, ProgramAPIBadResponse):
            self._breaker.failure()
            raise
        except ProgramAPIError:
            self._breaker.neutral()
            raise
        self._breaker.success()
        ref = _Obj(body, "$").text("applicant_ref")
        if not ref:
            raise ProgramAPIBadResponse("$.applicant_ref: empty")
        log.info("applicant verified (ref %s)", mask_ref(ref))
        return ref

    async def get_status(self, applicant_ref: str) -> ApplicantStatus:
        """Status of a verified applicant; ApplicantNotFound when the ref is unknown/expired."""
        if not applicant_ref or "/" in applicant_ref or len(applicant_ref) > 128:
            raise ApplicantNotFound("invalid applicant_ref")
        body = await self._get_json(f"/v1/applicants/{applicant_ref}/status")
        return parse_applicant_status(_Obj(body, "$"))

    # internals

    def _check(self, response: httpx.Response, not_found: type[ProgramAPIError]) -> Any:
        """Map a status code to an exception, or return the decoded JSON body."""
        status = response.status_code
        if status in (401, 403):
            raise ProgramAPIAuthError(f"HTTP {status}")
        if status == 404:
            raise not_found("HTTP 404")
        if status == 429:
            raise ProgramAPIRateLimited(_retry_after(response))
        if status == 422:
            raise ProgramAPIInvalidRequest("HTTP 422")
        if status >= 500:
            raise ProgramAPIUnavailable(f"HTTP {status}")
        if status != 200:
            raise ProgramAPIError(f"unexpected HTTP {status}")
        try:
            return json.loads(response.content)
        except ValueError:
            raise ProgramAPIBadResponse("response is not valid JSON") from None

    async def _get_json(self, path: str) -> Any:
        """GET with retries (connect errors, timeouts, 5xx, 429), backoff and the breaker."""
        attempt = 0
        while True:
            try:
                return await self._attempt_get(path)
            except _Retryable as retry:
                if attempt >= self.retries:
                    raise retry.error from None
                wait = retry.wait
                if wait is None:
                    # exponential backoff with full jitter
                    wait = random.uniform(0, self.backoff * (2**attempt))
                attempt += 1
                log.info("program API GET retry %d after %.2f s (%s)", attempt, wait, retry.error)
                await self._sleep(wait)

    async def _attempt_get(self, path: str) -> Any:
        self._breaker.before_request()
        try:
            response = await self._client.get(path)
        except asyncio.CancelledError:
            self._breaker.abandon()
            raise
        except httpx.TimeoutException:
            self._breaker.failure()
            raise _Retryable(ProgramAPIUnavailable("timeout")) from None
        except httpx.TransportError as exc:
            self._breaker.failure()
            raise _Retryable(ProgramAPIUnavailable(type(exc).__name__)) from None
        try:
            body = self._check(response, not_found=ApplicantNotFound)
        except ProgramAPIRateLimited as exc:
            # The server is alive, so a 429 does not count towards the breaker.
            self._breaker.neutral()
            if exc.retry_after is not None and exc.retry_after > self.max_retry_after:
                raise
            raise _Retryable(exc, exc.retry_after) from None
        except ProgramAPIUnavailable as exc:
            self._breaker.failure()
            raise _Retryable(exc) from None
        except ProgramAPIBadResponse:
            self._breaker.failure()
            raise
        except ProgramAPIError:
            self._breaker.neutral()
            raise
        self._breaker.success()
        return body


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date)."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


_shared: ProgramAPI | None = None


def get_shared_client() -> ProgramAPI:
    """The process-wide client, created on first use from the environment."""
    global _shared
    if _shared is None:
        _shared = ProgramAPI.from_env()
    return _shared


def set_shared_client(client: ProgramAPI | None) -> None:
    """Replace the process-wide client (tests, or the bot's own start-up wiring)."""
    global _shared
    _shared = client
