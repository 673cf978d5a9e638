"""Telegram's flood limits (token buckets) and the send counters behind ``GET /sim/stats``.

All limits are off unless configured. When on, they behave like Telegram's documented limits:
about 30 messages per second across all chats, up to 1000 per second for sends with
``allow_paid_broadcast``, and 20 messages per minute into one group. A send beyond a limit gets
``429 Too Many Requests: retry after N`` with ``parameters.retry_after``. Every check is O(1), so
the cost of a request does not depend on how many chats exist.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from .state import ApiError

# Bot API methods that create a message (and so count against the flood limits).
SEND_METHODS = frozenset(
    {
        "sendmessage",
        "sendphoto",
        "senddocument",
        "sendvoice",
        "sendsticker",
        "copymessage",
        "forwardmessage",
    }
)


def _clock() -> float:
    """Monotonic seconds for the buckets (tests replace it to freeze time)."""
    return time.monotonic()


TELEGRAM_PRESET = {"global_per_second": 30.0, "paid_per_second": 1000.0, "group_per_minute": 20.0}


@dataclass
class LimitConfig:
    """Configured caps; ``None`` (or 0) switches a cap off."""

    global_per_second: float | None = None
    paid_per_second: float | None = None
    group_per_minute: float | None = None

    @classmethod
    def from_env(cls) -> LimitConfig:
        """Caps from ``TG_EMULATOR_RATE_LIMIT``/``_PAID_RATE_LIMIT``/``_GROUP_RATE_LIMIT``."""
        preset = os.environ.get("TG_EMULATOR_LIMITS", "").strip().lower() == "telegram"
        config = cls(**TELEGRAM_PRESET) if preset else cls()
        for attr, var in (
            ("global_per_second", "TG_EMULATOR_RATE_LIMIT"),
            ("paid_per_second", "TG_EMULATOR_PAID_RATE_LIMIT"),
            ("group_per_minute", "TG_EMULATOR_GROUP_RATE_LIMIT"),
        ):
            raw = os.environ.get(var, "").strip()
            if raw:
                setattr(config, attr, _cap(float(raw)))
        return config

    def updated(self, changes: dict[str, Any]) -> LimitConfig:
        """A copy with the given fields replaced (unknown fields are an error)."""
        values = asdict(self)
        for key, value in changes.items():
            if key not in values:
                raise ValueError(f"unknown limit {key!r}; expected one of {sorted(values)}")
            values[key] = _cap(float(value)) if value is not None else None
        return LimitConfig(**values)


def _cap(value: float) -> float | None:
    if value < 0:
        raise ValueError("limits must not be negative")
    return value or None


@dataclass
class TokenBucket:
    """``rate`` tokens per second, holding at most ``capacity`` (the allowed burst)."""

    rate: float
    capacity: float
    tokens: float = -1.0
    stamp: float = field(default_factory=lambda: _clock())

    def __post_init__(self) -> None:
        if self.tokens < 0:
            self.tokens = self.capacity

    def take(self) -> int:
        """Take one token; return 0 on success or the whole seconds to wait (at least 1)."""
        current = _clock()
        self.tokens = min(self.capacity, self.tokens + (current - self.stamp) * self.rate)
        self.stamp = current
        if self.tokens >= 1:
            self.tokens -= 1
            return 0
        return max(1, math.ceil((1 - self.tokens) / self.rate))


@dataclass
class Stats:
    """Counters of Bot API traffic, as served by ``GET /sim/stats``."""

    requests: int = 0
    send_attempts: int = 0
    sent: int = 0
    paid_sent: int = 0
    sent_by_method: dict[str, int] = field(default_factory=dict)
    errors_by_code: dict[str, int] = field(default_factory=dict)
    rate_limited: dict[str, int] = field(
        default_factory=lambda: {"global": 0, "paid": 0, "group": 0}
    )
    blocked: int = 0
    chat_not_found: int = 0
    thread_not_found: int = 0
    peak_sends_per_second: int = 0
    first_send_at: float | None = None
    last_send_at: float | None = None
    _second: int = -1
    _in_second: int = 0

    def record(self, method: str, params: dict[str, Any], error: ApiError | None) -> None:
        """Count one finished Bot API call."""
        self.requests += 1
        name = method.lower()
        is_send = name in SEND_METHODS
        if is_send:
            self.send_attempts += 1
        if error is not None:
            key = str(error.code)
            self.errors_by_code[key] = self.errors_by_code.get(key, 0) + 1
            description = error.description
            if description == "Forbidden: bot was blocked by the user":
                self.blocked += 1
            elif description == "Bad Request: chat not found":
                self.chat_not_found += 1
            elif description == "Bad Request: message thread not found":
                self.thread_not_found += 1
            return
        if not is_send:
            return
        self.sent += 1
        self.sent_by_method[method] = self.sent_by_method.get(method, 0) + 1
        if _flag(params.get("allow_paid_broadcast")):
            self.paid_sent += 1
        stamp = time.time()
        self.first_send_at = self.first_send_at or stamp
        self.last_send_at = stamp
        second = int(stamp)
        if second != self._second:
            self._second, self._in_second = second, 0
        self._in_second += 1
        self.peak_sends_per_second = max(self.peak_sends_per_second, self._in_second)

    def view(self) -> dict[str, Any]:
        """JSON form (private bookkeeping fields left out)."""
        data = {key: value for key, value in asdict(self).items() if not key.startswith("_")}
        data["rate_limited"]["total"] = sum(self.rate_limited.values())
        return data


def _flag(value: Any) -> bool:
    return value is True or value in ("true", "True", "1", 1)


class Limiter:
    """Applies :class:`LimitConfig` to sends: one global, one paid and one bucket per group."""

    def __init__(self, config: LimitConfig) -> None:
        self.configure(config)

    def configure(self, config: LimitConfig) -> None:
        """Switch to new caps; buckets start full."""
        self.config = config
        self.global_bucket = _bucket_per_second(config.global_per_second)
        self.paid_bucket = _bucket_per_second(config.paid_per_second)
        self.group_buckets: dict[int, TokenBucket] = {}

    def check(
        self, method: str, params: dict[str, Any], chat_type: str | None, stats: Stats
    ) -> None:
        """Raise 429 when this send exceeds a cap (the caller passes the target chat's type)."""
        if method.lower() not in SEND_METHODS:
            return
        per_minute = self.config.group_per_minute
        if per_minute and chat_type in ("group", "supergroup"):
            chat_id = int(params["chat_id"])
            bucket = self.group_buckets.get(chat_id)
            if bucket is None:
                bucket = TokenBucket(rate=per_minute / 60.0, capacity=per_minute)
                self.group_buckets[chat_id] = bucket
            _take(bucket, stats, "group")
        if _flag(params.get("allow_paid_broadcast")):
            # Paid broadcasts have their own, higher cap instead of the free one.
            if self.paid_bucket is not None:
                _take(self.paid_bucket, stats, "paid")
        elif self.global_bucket is not None:
            _take(self.global_bucket, stats, "global")


def _bucket_per_second(rate: float | None) -> TokenBucket | None:
    return TokenBucket(rate=rate, capacity=max(1.0, rate)) if rate else None


def _take(bucket: TokenBucket, stats: Stats, which: str) -> None:
    wait = bucket.take()
    if wait:
        stats.rate_limited[which] += 1
        raise ApiError(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})
