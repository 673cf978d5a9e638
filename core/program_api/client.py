"""Async client for the Prakerja program API: a deadline per call, retries, a cache, a breaker."""

# Shared by the action server (Python 3.10) and the bot (Python 3.11): stdlib + httpx only.

from __future__ import annotations

import asyncio
import email.utils
import functools
import json
import logging
import os
import random
import time
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime, timezone
from typing import Any, TypeVar

import httpx

from core.env import env_seconds
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
from core.redaction import mask_references

log = logging.getLogger(__name__)

DEFAULT_URL = "http://127.0.0.1:8081"
DEFAULT_TOKEN = "sandbox-token"
DEFAULT_TIMEOUT = 5.0
# Total budget of one public call, retries and waits included. The action server's calls must
# leave room for Rasa's own work inside the bot's 10 s RASA_TIMEOUT.
DEFAULT_DEADLINE = 6.0
# Less time than this left cannot carry a useful request: fail at once instead of trying.
MIN_ATTEMPT = 0.05

R = TypeVar("R")

# --- logs -----------------------------------------------------------------------------------


class _MaskRefsInURLs(logging.Filter):
    """httpx logs every request URL at INFO, and status URLs carry the applicant reference.

    A runtime that calls ``core.redaction.install_log_redaction`` masks these anyway; this filter
    keeps the client safe in any process that imports it without doing so.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask references in the message and its arguments; never drop the record."""
        if isinstance(record.msg, str):
            record.msg = mask_references(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                mask_references(str(a)) if isinstance(a, (str, httpx.URL)) else a
                for a in record.args
            )
        return True


# A module-level object, so importing twice or building many clients adds it only once.
_HTTPX_LOG_FILTER = _MaskRefsInURLs()
logging.getLogger("httpx").addFilter(_HTTPX_LOG_FILTER)

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
        """closed | open | half-open."""
        if self.opened_at is None:
            return "closed"
        if self.clock() - self.opened_at >= self.reset_after:
            return "half-open"
        return "open"

    def before_request(self) -> None:
        """Fail fast while open or while another probe is out; otherwise let one through."""
        state = self.state
        if state == "open" or (state == "half-open" and self.probing):
            raise ProgramAPIUnavailable("circuit breaker open")
        if state == "half-open":
            self.probing = True

    def success(self) -> None:
        """A healthy answer closes the breaker."""
        self.failures, self.opened_at, self.probing = 0, None, False

    def failure(self) -> None:
        """Count one failure; a failed probe or too many in a row (re)open the breaker."""
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


class _Transient(ProgramAPIUnavailable):
    """Internal: a timeout, a transport error or a 5xx, worth another GET attempt."""


class _Budget:
    """What is left of one public call's total deadline."""

    def __init__(self, clock: Callable[[], float], seconds: float) -> None:
        self.clock, self.ends = clock, clock() + seconds

    def remaining(self) -> float:
        """Seconds left (negative once overrun)."""
        return self.ends - self.clock()


def _program_api_errors_only(
    func: Callable[..., Awaitable[R]],
) -> Callable[..., Coroutine[Any, Any, R]]:
    """Let only ProgramAPIErrors out of a public call (anything else: an unusable answer)."""

    @functools.wraps(func)
    async def wrapper(*args: Any, **kwargs: Any) -> R:
        try:
            return await func(*args, **kwargs)
        except _Transient as exc:
            # callers (and their logs) see the public type only
            raise ProgramAPIUnavailable(str(exc)) from None
        except ProgramAPIError:
            raise
        except Exception as exc:
            # e.g. a parsing bug; the message names the type only (str(exc) may hold data)
            log.warning("program API answer unusable (%s)", type(exc).__name__)
            raise ProgramAPIBadResponse(f"unexpected {type(exc).__name__}") from None

    return wrapper


class ProgramAPI:
    """Async Program API client: a total deadline per call, GET retries, a cache and a breaker."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        deadline: float = DEFAULT_DEADLINE,
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
        # `timeout` caps one attempt, `deadline` the whole call (attempts, backoff, Retry-After).
        self.timeout, self.deadline = timeout, deadline
        self.retries, self.backoff = retries, backoff
        self.cache_ttl, self.max_retry_after = cache_ttl, max_retry_after
        self._clock, self._sleep = clock, sleep
        self._breaker = _Breaker(breaker_threshold, breaker_reset, clock)
        self._cache: tuple[float, list[Gelombang]] | None = None
        self._cache_lock = asyncio.Lock()

    @classmethod
    def from_env(cls, **kwargs: Any) -> ProgramAPI:
        """Client configured from PROGRAM_API_URL / _TOKEN / _TIMEOUT / _DEADLINE."""
        return cls(
            os.environ.get("PROGRAM_API_URL", DEFAULT_URL),
            os.environ.get("PROGRAM_API_TOKEN", DEFAULT_TOKEN),
            timeout=env_seconds("PROGRAM_API_TIMEOUT", DEFAULT_TIMEOUT),
            deadline=env_seconds("PROGRAM_API_DEADLINE", DEFAULT_DEADLINE),
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
        """Use as `async with ProgramAPI(...) as api`."""
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Close the pool on leaving the block."""
        await self.aclose()

    # public API

    @_program_api_errors_only
    async def list_gelombang(self) -> list[Gelombang]:
        """All gelombang; cached for `cache_ttl` seconds."""
        # The budget starts before the lock: waiting behind another caller's fetch counts too
        # (that fetch is itself bounded by its own, earlier deadline).
        budget = _Budget(self._clock, self.deadline)
        async with self._cache_lock:
            if self._cache and self._clock() - self._cache[0] < self.cache_ttl:
                return list(self._cache[1])
            body = _Obj(await self._get_json("/v1/gelombang", "gelombang", budget), "$")
            items = list(body.items("data", parse_gelombang))
            self._cache = (self._clock(), items)
            return list(items)

    @_program_api_errors_only
    async def get_gelombang(self, nomor: int) -> Gelombang | None:
        """One gelombang, or None when the API does not know it."""
        budget = _Budget(self._clock, self.deadline)
        try:
            body = await self._get_json(f"/v1/gelombang/{int(nomor)}", "gelombang", budget)
        except ApplicantNotFound:
            return None
        return parse_gelombang(_Obj(body, "$"))

    def invalidate_cache(self) -> None:
        """Forget the cached gelombang list."""
        self._cache = None

    @_program_api_errors_only
    async def verify_applicant(self, nik: str, phone: str) -> str:
        """Match NIK + phone (E.164) and return the opaque applicant_ref."""
        if not is_valid_nik(nik) or not is_valid_phone(phone):
            raise ProgramAPIInvalidRequest("NIK must be 16 digits and phone +62…")
        budget = _Budget(self._clock, self.deadline)
        # A POST is never retried: a repeat could issue a second reference or count twice
        # against the server's verification limits.
        body = await self._attempt(
            "POST", "/v1/applicants/verify", budget, json_body={"nik": nik, "phone": phone}
        )
        ref = _Obj(body, "$").text("applicant_ref")
        if not ref:
            raise ProgramAPIBadResponse("$.applicant_ref: empty")
        log.info("applicant verified (ref %s)", mask_ref(ref))
        return ref

    @_program_api_errors_only
    async def get_status(self, applicant_ref: str) -> ApplicantStatus:
        """Status of a verified applicant; ApplicantNotFound when the ref is unknown/expired."""
        if (
            not isinstance(applicant_ref, str)
            or not applicant_ref
            or "/" in applicant_ref
            or len(applicant_ref) > 128
        ):
            raise ApplicantNotFound("invalid applicant_ref")
        budget = _Budget(self._clock, self.deadline)
        body = await self._get_json(f"/v1/applicants/{applicant_ref}/status", "status", budget)
        return parse_applicant_status(_Obj(body, "$"))

    # internals

    def _check(self, response: httpx.Response) -> Any:
        """Map a status code to an exception, or return the decoded JSON body."""
        status = response.status_code
        if status in (401, 403):
            raise ProgramAPIAuthError(f"HTTP {status}")
        if status == 404:
            raise ApplicantNotFound("HTTP 404")
        if status == 429:
            raise ProgramAPIRateLimited(_retry_after(response))
        if status == 422:
            raise ProgramAPIInvalidRequest("HTTP 422")
        if status >= 500:
            raise _Transient(f"HTTP {status}")
        if status != 200:
            raise ProgramAPIError(f"unexpected HTTP {status}")
        try:
            return json.loads(response.content)
        except ValueError:
            raise ProgramAPIBadResponse("response is not valid JSON") from None

    async def _get_json(self, path: str, what: str, budget: _Budget) -> Any:
        """GET with retries (connect errors, timeouts, 5xx, 429) and backoff, within `budget`."""
        attempt = 0
        while True:
            try:
                return await self._attempt("GET", path, budget)
            except (_Transient, ProgramAPIRateLimited) as exc:
                if attempt >= self.retries:
                    raise
                retry_after = exc.retry_after if isinstance(exc, ProgramAPIRateLimited) else None
                if retry_after is not None and retry_after > self.max_retry_after:
                    raise
                if retry_after is None:
                    # exponential backoff with full jitter
                    wait = random.uniform(0, self.backoff * (2**attempt))
                else:
                    wait = retry_after
                left = budget.remaining()
                if left - wait < MIN_ATTEMPT:
                    log.info(
                        "program API %s: no retry, a %.2f s wait does not fit in %.2f s left (%s)",
                        what,
                        wait,
                        max(left, 0.0),
                        exc,
                    )
                    raise
                attempt += 1
                log.info("program API %s: retry %d after %.2f s (%s)", what, attempt, wait, exc)
                await self._sleep(wait)

    async def _attempt(
        self, method: str, path: str, budget: _Budget, json_body: Any = None
    ) -> Any:
        """One request within the budget; the breaker settles whatever happens."""
        left = budget.remaining()
        if left < MIN_ATTEMPT:
            raise ProgramAPIUnavailable("deadline exceeded")
        self._breaker.before_request()
        try:
            body = await self._exchange(method, path, min(self.timeout, left), json_body)
        except (ProgramAPIUnavailable, ProgramAPIBadResponse):
            # down, slow, 5xx, an unusable answer or an unexpected failure
            self._breaker.failure()
            raise
        except ProgramAPIError:
            # 4xx (429 included) and the like: the server answered, so it is alive
            self._breaker.neutral()
            raise
        except BaseException:
            # CancelledError (or an interpreter exit): nothing learnt about the server, but the
            # probe must end so the next call may probe again.
            self._breaker.abandon()
            raise
        self._breaker.success()
        return body

    async def _exchange(self, method: str, path: str, timeout: float, json_body: Any) -> Any:
        """Send one request and decode it; every failure becomes a ProgramAPIError."""
        try:
            # httpx's timeout is per phase (a trickling body never trips it), so the whole
            # exchange is also capped.
            response = await asyncio.wait_for(
                self._client.request(method, path, json=json_body, timeout=timeout), timeout
            )
        except (asyncio.TimeoutError, httpx.TimeoutException):
            raise _Transient("timeout") from None
        except httpx.TransportError as exc:
            raise _Transient(type(exc).__name__) from None
        except httpx.HTTPError as exc:
            # e.g. DecodingError, TooManyRedirects: an answer, but not one we can use
            raise ProgramAPIBadResponse(type(exc).__name__) from None
        except Exception as exc:
            # The message names the type only: str(exc) may contain the URL with a reference.
            raise ProgramAPIUnavailable(f"unexpected {type(exc).__name__}") from None
        try:
            return self._check(response)
        except ProgramAPIError:
            raise
        except Exception as exc:
            raise ProgramAPIBadResponse(f"unexpected {type(exc).__name__}") from None


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
