"""Per-user ordering: one user's updates run one after another, different users in parallel."""

from __future__ import annotations

import asyncio

from telegram import Chat, Message, Update, User

from bot.ordering import PerUserUpdateProcessor, update_key


def make_update(update_id: int, user_id: int) -> Update:
    user = User(user_id, "Sari", is_bot=False)
    chat = Chat(user_id, "private")
    message = Message(update_id, date=None, chat=chat, from_user=user, text="x")  # type: ignore[arg-type]
    return Update(update_id, message=message)


def test_update_key_is_the_user() -> None:
    assert update_key(make_update(1, 42)) == 42
    assert update_key(Update(2)) is None
    assert update_key("not an update") is None


async def test_same_user_is_serialised_in_arrival_order() -> None:
    processor = PerUserUpdateProcessor(8)
    log: list[str] = []

    async def handle(name: str, delay: float) -> None:
        log.append(f"start {name}")
        await asyncio.sleep(delay)
        log.append(f"end {name}")

    await asyncio.gather(
        processor.process_update(make_update(1, 7), handle("a", 0.05)),
        processor.process_update(make_update(2, 7), handle("b", 0.0)),
        processor.process_update(make_update(3, 7), handle("c", 0.01)),
    )
    assert log == ["start a", "end a", "start b", "end b", "start c", "end c"]


async def test_different_users_run_concurrently() -> None:
    processor = PerUserUpdateProcessor(8)
    running = 0
    peak = 0

    async def handle() -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.05)
        running -= 1

    await asyncio.gather(
        *(processor.process_update(make_update(i, 100 + i), handle()) for i in range(5))
    )
    assert peak == 5


async def test_flooding_user_does_not_starve_others() -> None:
    processor = PerUserUpdateProcessor(2)
    finished: list[str] = []

    async def handle(name: str, delay: float) -> None:
        await asyncio.sleep(delay)
        finished.append(name)

    flood = [processor.process_update(make_update(i, 1), handle(f"f{i}", 0.02)) for i in range(10)]
    other = processor.process_update(make_update(99, 2), handle("other", 0.0))
    await asyncio.gather(*flood, other)
    assert finished.index("other") < 3


async def test_idle_users_are_forgotten() -> None:
    processor = PerUserUpdateProcessor(4)

    async def handle() -> None:
        await asyncio.sleep(0)

    await processor.process_update(make_update(1, 5), handle())
    assert processor._locks == {} and processor._waiters == {}
