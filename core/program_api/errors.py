"""Errors of the program API client; messages never contain an identifier."""

from __future__ import annotations


class ProgramAPIError(Exception):
    """Base class for every Program API failure."""


class ProgramAPIUnavailable(ProgramAPIError):
    """Down, timed out, 5xx, deadline spent, breaker open or an unexpected failure: try later."""


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
    """Undecodable or malformed body, or one that does not match the contract."""


class ProgramAPIInvalidRequest(ProgramAPIError):
    """HTTP 422 or a client-side input check failed (message never contains the input)."""
