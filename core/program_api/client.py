"""Async client for the Prakerja program API: timeouts, GET retries, a GET cache and a breaker."""

# Shared by the action server (Python 3.10) and the bot (Python 3.11): stdlib + httpx only.

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import os
import random
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import Any

import httpx

from core.identifiers import is_valid_nik, is_valid_phone, mask_ref
from core.program_api.errors import (
    ApplicantNotFound,
    ProgramAPIAuthError,
    ProgramAPIBadResponse,
    ProgramAPIError,
    ProgramAPIInvalidRequest,
    ProgramAPIRateLimited,
    ProgramAPIUnavailable,
)
from core.program_api.models import (
    ApplicantStatus,
    Gelombang,
    _Obj,
    parse_applicant_status,
    parse_gelombang,
)

log = logging.getLogger(__name__)

DEFAULT_URL = "http://127.0.0.1:8081"
DEFAULT_TOKEN = "sandbox-token"

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
