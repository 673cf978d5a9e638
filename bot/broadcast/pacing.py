"""Pacing of broadcast sends: a steady rate, one global pause on 429, live replies first."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

# A sender that fell behind (a slow batch boundary) may catch up this much, no more: Telegram's
# bucket holds about one second of sends, and catching up only re-uses slots that went unused,
# so half a second of catch-up keeps the average at the rate without provoking a 429.
MAX_CATCH_UP_SECONDS = 0.5


class Pacer:
    """Hands out send slots at ``rate`` per second.

    ``pause`` stops every slot until the pause is over (Telegram's ``retry_after`` applies to
    the bot, not to one chat). ``note_live_send`` lets a live reply take the next slot, so
    replies to applicants never queue behind a broadcast and the sum stays within the rate.
    """

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.rate = rate
        self._next = clock()
        self._paused_until = 0.0

    @property
    def rate(self) -> float:
        """Slots per second."""
        return 1.0 / self._interval

    @rate.setter
    def rate(self, value: float) -> None:
        self._interval = 1.0 / max(value, 0.001)

    @property
    def paused_for(self) -> float:
        """Seconds left in the current pause (0 when not paused)."""
        return max(0.0, self._paused_until - self._clock())

    def pause(self, seconds: float) -> None:
        """Stop all slots for ``seconds`` (extends, never shortens, a running pause)."""
        until = self._clock() + seconds
        if until > self._paused_until:
            self._paused_until = until
        self._next = max(self._next, self._paused_until)

    def note_live_send(self) -> None:
        """A live reply used the bot's capacity: the broadcast gives up one slot."""
        self._next = max(self._next, self._clock() - MAX_CATCH_UP_SECONDS) + self._interval

    async def wait(self) -> None:
        """Wait for the next slot."""
        while True:
            now = self._clock()
            if self._paused_until > now:
                await asyncio.sleep(self._paused_until - now)
                continue
            slot = max(self._next, now - MAX_CATCH_UP_SECONDS)
            self._next = slot + self._interval
            if slot > now:
                await asyncio.sleep(slot - now)
            if self._paused_until <= self._clock():
                return
