"""The per-user token bucket and pending cap behind flood control."""

from __future__ import annotations

from bot.flood import FloodGate


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_burst_then_refill_at_the_configured_rate() -> None:
    clock = Clock()
    gate = FloodGate(per_minute=20, burst=5, max_pending=100, clock=clock)
    assert [gate.admit(1, 0) for _ in range(7)] == [True] * 5 + [False] * 2
    clock.now += 3.0  # 20 a minute: one token every 3 s
    assert gate.admit(1, 0) is True
    assert gate.admit(1, 0) is False
    clock.now += 60
    assert sum(gate.admit(1, 0) for _ in range(10)) == 5  # never more than the burst


def test_users_have_separate_buckets() -> None:
    gate = FloodGate(per_minute=20, burst=2, max_pending=100, clock=Clock())
    assert [gate.admit(1, 0) for _ in range(3)] == [True, True, False]
    assert gate.admit(2, 0) is True


def test_too_many_pending_updates_are_refused_even_with_tokens() -> None:
    gate = FloodGate(per_minute=600, burst=50, max_pending=3, clock=Clock())
    assert gate.admit(1, pending=2) is True
    assert gate.admit(1, pending=3) is False


def test_one_warning_per_flood_rearmed_when_the_bucket_is_full_again() -> None:
    clock = Clock()
    gate = FloodGate(per_minute=60, burst=2, max_pending=100, clock=clock)
    gate.admit(1, 0), gate.admit(1, 0)
    assert gate.admit(1, 0) is False
    assert gate.should_warn(1) is True
    assert gate.admit(1, 0) is False
    assert gate.should_warn(1) is False
    clock.now += 10  # refilled to the full burst
    gate.admit(1, 0), gate.admit(1, 0)
    assert gate.admit(1, 0) is False
    assert gate.should_warn(1) is True


def test_memory_stays_bounded_with_many_users() -> None:
    clock = Clock()
    gate = FloodGate(per_minute=60, burst=1, max_pending=100, clock=clock, max_users=100)
    for user in range(100):
        gate.admit(user, 0)
    clock.now += 5  # every bucket has refilled
    for user in range(100, 150):
        gate.admit(user, 0)
    assert len(gate._buckets) <= 100
