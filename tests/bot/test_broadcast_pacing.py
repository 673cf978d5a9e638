"""The broadcast pacer: steady rate, one global pause on 429, live replies take slots first."""

from __future__ import annotations

import asyncio
import time

from bot.broadcast.pacing import Pacer
from bot.broadcast.sender import batch_size


async def elapsed_for(pacer: Pacer, waits: int) -> float:
    """Seconds that ``waits`` slots take."""
    began = time.monotonic()
    for _ in range(waits):
        await pacer.wait()
    return time.monotonic() - began


async def test_slots_come_at_the_rate() -> None:
    seconds = await elapsed_for(Pacer(100), 31)
    assert 0.28 <= seconds < 0.6


async def test_a_pause_stops_every_slot_until_it_ends() -> None:
    pacer = Pacer(1000)
    await pacer.wait()
    pacer.pause(0.3)
    pacer.pause(0.1)  # a shorter pause never shortens the running one
    assert await elapsed_for(pacer, 1) >= 0.28


async def test_live_sends_take_the_broadcasts_slots() -> None:
    pacer = Pacer(50)
    await pacer.wait()
    for _ in range(10):
        pacer.note_live_send()  # ten live replies: the broadcast yields ten slots (0.2 s)
    assert await elapsed_for(pacer, 1) >= 0.18


async def test_a_sender_that_fell_behind_catches_up_half_a_second_at_most() -> None:
    pacer = Pacer(100)
    await pacer.wait()
    await asyncio.sleep(2)  # a slow batch boundary
    assert await elapsed_for(pacer, 50) < 0.1  # half a second of slots at once …
    assert await elapsed_for(pacer, 20) >= 0.18  # … then the rate again


def test_the_in_flight_bound_is_about_one_second_of_sends() -> None:
    assert batch_size(25) == 25
    assert batch_size(3) == 10
    assert batch_size(1000) == 200
