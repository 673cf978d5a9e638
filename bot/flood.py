"""Flood control: a per-user token bucket and a cap on each user's pending updates."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float
    warned: bool = False


class FloodGate:
    """Decides, before an update is queued for its user, whether it may be handled.

    Each user has a bucket of ``burst`` tokens refilled at ``per_minute`` tokens a minute; an
    update takes one. A user with ``max_pending`` updates already waiting is refused too, so one
    account can never hold a large share of the working slots or of Rasa. A refused user is told
    once per flood (``should_warn``); the warning is re-armed when their bucket is full again.
    """

    def __init__(
        self,
        per_minute: float,
        burst: int,
        max_pending: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_users: int = 100_000,
    ) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.max_pending = max_pending
        self._clock = clock
        self._max_users = max_users
        self._buckets: dict[int, _Bucket] = {}
        self.refused = 0

    def _bucket(self, user_id: int, now: float) -> _Bucket:
        bucket = self._buckets.get(user_id)
        if bucket is None:
            if len(self._buckets) >= self._max_users:
                self._forget_full_buckets(now)
            bucket = self._buckets[user_id] = _Bucket(self.burst, now)
            return bucket
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.tokens >= self.burst:
            bucket.warned = False
        return bucket

    def _forget_full_buckets(self, now: float) -> None:
        """Drop users whose bucket has refilled: they are indistinguishable from new ones."""
        refill = self.burst / self.rate if self.rate > 0 else float("inf")
        for user_id in [u for u, b in self._buckets.items() if now - b.updated >= refill]:
            del self._buckets[user_id]

    def admit(self, user_id: int, pending: int) -> bool:
        """Whether this user's next update may be handled, given how many are already waiting."""
        bucket = self._bucket(user_id, self._clock())
        if pending >= self.max_pending or bucket.tokens < 1.0:
            self.refused += 1
            return False
        bucket.tokens -= 1.0
        return True

    def should_warn(self, user_id: int) -> bool:
        """True once per flood: the first refusal since the user's bucket was last full."""
        bucket = self._buckets.get(user_id)
        if bucket is None or bucket.warned:
            return False
        bucket.warned = True
        return True
