"""The emulator's flood limits (429 + retry_after), blocking, unknown chats and scale."""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from telegram import Bot, ChatMember
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter

from sandbox.telegram import create_app, limits
from sandbox.telegram.__main__ import limits_from_args
from sandbox.telegram.emulator import make_server
from sandbox.telegram.forum import STAFF_GROUP_ID
from sandbox.telegram.limits import LimitConfig, TokenBucket

from .test_telegram_emulator import TOKEN, _free_port, _serve_in_thread

USER = 987650002
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    """An emulator with the staff group and, by default, no limits."""
    port = _free_port()
    server = make_server(create_app(staff_group=True), "127.0.0.1", port)
    thread = _serve_in_thread(server)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=5)


@pytest.fixture
async def sim(server_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A /sim client on a reset emulator with one applicant who opened the bot."""
    async with httpx.AsyncClient(base_url=server_url, timeout=30) as client:
        (await client.post("/sim/reset")).raise_for_status()
        (await client.post("/sim/users", json={"user_id": USER})).raise_for_status()
        yield client


class FrozenClock:
    """The buckets' clock, moved only by the test (the server thread reads it too)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FrozenClock:
    """Freeze the flood-limit clock so bucket refills do not depend on machine speed."""
    frozen = FrozenClock()
    monkeypatch.setattr(limits, "_clock", frozen)
    return frozen


@pytest.fixture
async def bot(server_url: str) -> AsyncIterator[Bot]:
    """A PTB Bot on the emulator."""
    async with Bot(TOKEN, base_url=f"{server_url}/bot") as tg_bot:
        yield tg_bot


async def _limits(sim: httpx.AsyncClient, **caps: Any) -> dict[str, Any]:
    response = await sim.post("/sim/limits", json=caps)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["limits"]
    return data


async def assert_raw_error(
    sim: httpx.AsyncClient, chat_id: int, code: int, description: str, parameters: dict[str, int]
) -> None:
    """A raw sendMessage gets exactly Telegram's error answer."""
    raw = await sim.post(f"/bot{TOKEN}/sendMessage", json={"chat_id": chat_id, "text": "x"})
    assert raw.status_code == code
    assert raw.json() == {
        "ok": False,
        "error_code": code,
        "description": description,
        "parameters": parameters,
    }


async def _stats(sim: httpx.AsyncClient) -> dict[str, Any]:
    data: dict[str, Any] = (await sim.get("/sim/stats")).json()["stats"]
    return data


async def test_limits_are_off_by_default_and_reset_restores_them(sim: httpx.AsyncClient) -> None:
    off = {"global_per_second": None, "paid_per_second": None, "group_per_minute": None}
    assert (await sim.get("/sim/limits")).json()["limits"] == off
    assert await _limits(sim, preset="telegram") == {
        "global_per_second": 30.0,
        "paid_per_second": 1000.0,
        "group_per_minute": 20.0,
    }
    (await sim.post("/sim/reset")).raise_for_status()
    assert (await sim.get("/sim/limits")).json()["limits"] == off
    assert (await sim.post("/sim/limits", json={"per_hour": 1})).status_code == 400


async def test_global_cap_answers_429_with_retry_after(
    bot: Bot, sim: httpx.AsyncClient, clock: FrozenClock
) -> None:
    await _limits(sim, global_per_second=5)
    for i in range(5):
        await bot.send_message(USER, f"pesan {i}")
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(USER, "kelebihan")
    assert "Retry in 1 seconds" in str(info.value)
    await assert_raw_error(sim, USER, 429, "Too Many Requests: retry after 1", {"retry_after": 1})
    assert await bot.get_me()  # only sends are limited
    clock.now += 0.2  # 5/s refills one token in 0.2 s
    assert (await bot.send_message(USER, "setelah menunggu")).text == "setelah menunggu"

    stats = await _stats(sim)
    assert stats["sent"] == 6 and stats["send_attempts"] == 8
    assert stats["rate_limited"] == {"global": 2, "paid": 0, "group": 0, "total": 2}
    assert stats["errors_by_code"] == {"429": 2}
    assert stats["sent_by_method"] == {"sendMessage": 6}
    assert 1 <= stats["peak_sends_per_second"] <= 6


async def test_paid_broadcast_has_its_own_higher_cap(
    bot: Bot, sim: httpx.AsyncClient, clock: FrozenClock
) -> None:
    await _limits(sim, global_per_second=2, paid_per_second=10)
    await bot.send_message(USER, "1")
    await bot.send_message(USER, "2")
    with pytest.raises(RetryAfter):
        await bot.send_message(USER, "3")
    for i in range(10):
        await bot.send_message(USER, f"berbayar {i}", allow_paid_broadcast=True)
    with pytest.raises(RetryAfter):
        await bot.send_message(USER, "berbayar 11", allow_paid_broadcast=True)
    stats = await _stats(sim)
    assert stats["paid_sent"] == 10 and stats["sent"] == 12
    assert stats["rate_limited"]["global"] == 1 and stats["rate_limited"]["paid"] == 1


async def test_per_group_cap(bot: Bot, sim: httpx.AsyncClient, clock: FrozenClock) -> None:
    await _limits(sim, group_per_minute=3)
    topic = await bot.create_forum_topic(STAFF_GROUP_ID, "Antrean")
    for i in range(3):
        await bot.send_message(
            STAFF_GROUP_ID, f"tiket {i}", message_thread_id=topic.message_thread_id
        )
    raw = await sim.post(
        f"/bot{TOKEN}/sendMessage", json={"chat_id": STAFF_GROUP_ID, "text": "satu lagi"}
    )
    # 3 per minute refill one message every 20 s.
    assert raw.status_code == 429 and raw.json()["parameters"] == {"retry_after": 20}
    with pytest.raises(RetryAfter):
        await bot.copy_message(STAFF_GROUP_ID, STAFF_GROUP_ID, topic.message_thread_id + 1)
    for i in range(5):
        await bot.send_message(USER, f"pribadi {i}")  # private chats are not group-capped
    assert (await _stats(sim))["rate_limited"]["group"] == 2
    clock.now += 20
    await bot.send_message(STAFF_GROUP_ID, "setelah 20 detik")


async def test_block_and_unblock_send_my_chat_member(bot: Bot, sim: httpx.AsyncClient) -> None:
    blocked = await sim.post(f"/sim/users/{USER}/block")
    assert blocked.json()["changed"] is True
    assert (await sim.post(f"/sim/users/{USER}/block")).json()["changed"] is False
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(USER, "Pengumuman")
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_photo(USER, "https://x.id/a.png")
    (await sim.post(f"/sim/users/{USER}/unblock")).raise_for_status()
    assert (await bot.send_message(USER, "Selamat datang kembali")).chat.id == USER

    first, second = await bot.get_updates(timeout=0)
    assert first.my_chat_member.chat.id == USER and first.my_chat_member.chat.type == "private"
    assert first.my_chat_member.from_user.id == USER
    assert first.my_chat_member.old_chat_member.status == ChatMember.MEMBER
    assert first.my_chat_member.new_chat_member.status == ChatMember.BANNED
    assert first.my_chat_member.new_chat_member.user.id == int(TOKEN.split(":")[0])
    assert second.my_chat_member.new_chat_member.status == ChatMember.MEMBER
    assert (await _stats(sim))["blocked"] == 2


async def test_unknown_chat_and_user_who_never_started(bot: Bot, sim: httpx.AsyncClient) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(123, "siapa?")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(-1001234567890, "grup?")
    # A staff member known from the group who never opened the bot privately.
    with pytest.raises(Forbidden, match="can't initiate conversation"):
        await bot.send_message(500000002, "Halo Budi")
    assert (await _stats(sim))["chat_not_found"] == 2


async def test_a_migrated_group_answers_400_with_its_new_id(
    bot: Bot, sim: httpx.AsyncClient
) -> None:
    old_id = -4_000_123
    response = await sim.post(f"/sim/chats/{old_id}/migrate", json={"title": "Grup Desa"})
    assert response.status_code == 200, response.text
    new_id = response.json()["migrate_to_chat_id"]
    assert str(new_id).startswith("-100")
    with pytest.raises(ChatMigrated) as raised:
        await bot.send_message(old_id, "halo grup")
    assert raised.value.new_chat_id == new_id
    sent = await bot.send_message(new_id, "halo supergrup")
    assert sent.chat.id == new_id and sent.chat.type == "supergroup"
    await assert_raw_error(
        sim,
        old_id,
        400,
        "Bad Request: group chat was upgraded to a supergroup chat",
        {"migrate_to_chat_id": new_id},
    )
    assert (await sim.post(f"/sim/chats/{old_id}/migrate", json={})).status_code == 400


async def test_thousands_of_chats_do_not_slow_requests(sim: httpx.AsyncClient) -> None:
    async def per_send(first_id: int, rounds: int = 30) -> float:
        timings = []
        for i in range(rounds):
            started = time.perf_counter()
            response = await sim.post(
                f"/bot{TOKEN}/sendMessage",
                json={"chat_id": first_id + (i * 7919) % 10, "text": "Pengumuman"},
            )
            timings.append(time.perf_counter() - started)
            assert response.status_code == 200
        return statistics.median(timings)

    bulk = await sim.post("/sim/users/bulk", json={"first_id": 600000000, "count": 10})
    assert bulk.json()["count"] == 10
    small = await per_send(600000000)
    bulk = await sim.post("/sim/users/bulk", json={"first_id": 610000000, "count": 10_000})
    assert bulk.json()["count"] == 10_000
    for user_id in range(610000000, 610000000 + 10_000, 499):
        await sim.post(f"/bot{TOKEN}/sendMessage", json={"chat_id": user_id, "text": "x"})
    large = await per_send(610000000 + 5000)
    assert (await sim.get("/sim/stats")).json()["chats"] >= 10_011
    assert large < small * 3 + 0.002, (small, large)


def test_token_bucket_and_cli_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    bucket = TokenBucket(rate=20 / 60, capacity=20)
    assert [bucket.take() for _ in range(20)] == [0] * 20
    assert bucket.take() == 3

    def parse(**overrides: Any) -> LimitConfig:
        defaults: dict[str, Any] = {
            "limits": None,
            "rate_limit": None,
            "paid_rate_limit": None,
            "group_rate_limit": None,
        }
        return limits_from_args(argparse.Namespace(**{**defaults, **overrides}))

    assert parse() == LimitConfig()
    assert parse(limits="telegram", group_rate_limit=0) == LimitConfig(30.0, 1000.0, None)
    monkeypatch.setenv("TG_EMULATOR_RATE_LIMIT", "25")
    assert parse() == LimitConfig(global_per_second=25.0)
    assert parse(rate_limit=0) == LimitConfig()
