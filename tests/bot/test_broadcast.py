"""Broadcasts on the real Application and Bot API emulator: admins, preview, delivery, 429, 403."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot import texts
from bot.broadcast import content
from bot.broadcast.drafts import draft_html, event_key
from bot.broadcast.runtime import BROADCASTER_KEY, Broadcaster
from bot.broadcast.store import DONE, PAUSED, RUNNING
from bot.db.models import Broadcast
from core.program_api import Gelombang
from tests.bot.harness import RunningBot, run_bot
from tests.e2e.applicant import Applicant, Reply, all_text

ADMIN_ID = 900_000_001


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBot]:
    """One running bot with one admin."""
    yield from run_bot(
        Path(tmp_path_factory.mktemp("bot")),
        admin_user_ids=[ADMIN_ID],
        broadcast_rate=40,
        flood_burst=50,
        flood_messages_per_minute=600,
    )


def broadcaster(bot: RunningBot) -> Broadcaster:
    """The bot's broadcaster."""
    found = bot.application.bot_data[BROADCASTER_KEY]
    assert isinstance(found, Broadcaster)
    return found


@pytest.fixture
def admin(bot: RunningBot) -> Applicant:
    """The admin's chat (a fresh message horizon for each test)."""
    person = Applicant(bot.sim, user_id=ADMIN_ID, first_name="Admin")
    person.last_seen_id = person.latest_message_id()
    return person


@pytest.fixture(autouse=True)
def no_limits(bot: RunningBot) -> Iterator[None]:
    """Each test starts with no emulator caps and no subscribers left from the previous one."""
    bot.sim.post("/sim/limits", json={"preset": "off"})

    async def unsubscribe_all() -> None:
        from sqlalchemy import update

        from bot.db.models import User

        await bot.db.run(lambda s: s.execute(update(User).values(consent_updates=False)))

    bot.call(unsubscribe_all())
    yield
    bot.sim.post("/sim/limits", json={"preset": "off"})


def subscribers(bot: RunningBot, count: int) -> list[Applicant]:
    """New users who sent /langganan."""
    people = [Applicant(bot.sim, first_name=f"Pelanggan{i}") for i in range(count)]
    for person in people:
        assert all_text(person.say("/langganan", settle=0.2)) == texts.SUBSCRIBED
    return people


def messages(bot: RunningBot, user_id: int) -> list[dict[str, Any]]:
    """Every message in a private chat."""
    data = bot.sim.get(f"/sim/chats/{user_id}/messages").json()
    return list(data["messages"])


def bot_texts(bot: RunningBot, user_id: int) -> list[str]:
    """The texts (or captions) the bot sent to a user."""
    return [
        str(m.get("text") or m.get("caption") or "")
        for m in messages(bot, user_id)
        if (m.get("from") or {}).get("is_bot", True)
    ]


def wait_for(bot: RunningBot, broadcast_id: int, status: str, timeout: float = 60) -> Broadcast:
    """The broadcast row once it reached ``status``."""
    deadline = time.monotonic() + timeout
    while True:
        b = bot.call(broadcaster(bot).store.get(broadcast_id))
        if b is not None and b.status == status:
            return b  # type: ignore[no-any-return]
        if time.monotonic() > deadline:
            raise AssertionError(f"broadcast {broadcast_id} is {b and b.status}, not {status}")
        time.sleep(0.2)


def preview(admin: Applicant, command: str) -> tuple[list[Reply], Reply, int]:
    """Send /siaran …; the replies, the message with Kirim/Batal and the broadcast id."""
    replies = admin.say(command, settle=0.5)
    control = next(r for r in replies if dict(r.buttons).get(texts.BUTTON_BROADCAST_SEND))
    found = re.search(r"siaran #(\d+)", control.text)
    assert found
    return replies, control, int(found.group(1))


def wait_text(bot: RunningBot, user_id: int, needle: str, timeout: float = 15) -> str:
    """The text of the bot message in this chat that contains ``needle`` (waits for it)."""
    deadline = time.monotonic() + timeout
    while True:
        for text in bot_texts(bot, user_id):
            if needle in text:
                return text
        if time.monotonic() > deadline:
            raise AssertionError(f"no message with {needle!r}")
        time.sleep(0.2)


def summary_counts(text: str) -> dict[str, int]:
    """The numbers of a progress or summary message."""
    return {k: int(v) for k, v in re.findall(r"^([A-Za-z ]+): (\d+)", text, flags=re.M)}


def test_a_non_admin_siaran_is_refused_and_sends_nothing(bot: RunningBot) -> None:
    someone = Applicant(bot.sim, first_name="Bukan Admin")
    fan = subscribers(bot, 1)[0]
    before = len(bot_texts(bot, fan.user_id))
    assert all_text(someone.say("/siaran Halo semua", settle=0.5)) == texts.BROADCAST_NOT_ADMIN
    assert all_text(someone.say("/siaran_status", settle=0.3)) == texts.BROADCAST_NOT_ADMIN
    recent = bot.call(broadcaster(bot).store.recent(50))
    assert all(b.created_by != someone.user_id for b in recent)
    time.sleep(0.5)
    assert len(bot_texts(bot, fan.user_id)) == before


def test_preview_then_batal_sends_nothing(bot: RunningBot, admin: Applicant) -> None:
    fans = subscribers(bot, 3)
    replies, control, broadcast_id = preview(admin, "/siaran <b>Gelombang 99</b> dibuka")
    shown = replies[0]
    assert shown.text == "Gelombang 99 dibuka\n\nBerhenti menerima kabar: /berhenti"
    assert "Penerima: 3 pelanggan" in control.text
    answer = admin.press(control, texts.BUTTON_BROADCAST_DROP, settle=0.5)
    assert all_text(answer) == texts.BROADCAST_DROPPED.format(id=broadcast_id)
    time.sleep(1)
    for fan in fans:
        assert not any("Gelombang 99" in t for t in bot_texts(bot, fan.user_id))
    # A late Kirim on a cancelled draft sends nothing either.
    later = admin.press_data(
        control.message_id, dict(control.buttons)[texts.BUTTON_BROADCAST_SEND]
    )
    assert "sudah diproses" in all_text(later)


def test_kirim_delivers_exactly_once_to_every_subscriber_and_nobody_else(
    bot: RunningBot, admin: Applicant
) -> None:
    fans = subscribers(bot, 12)
    quitter = fans.pop()
    quitter.say("/berhenti", settle=0.2)
    outsider = Applicant(bot.sim, first_name="Tamu")
    outsider.say("/start", settle=0.2)
    _, control, broadcast_id = preview(admin, "/siaran Kabar <i>penting</i> #1")
    admin.press(control, texts.BUTTON_BROADCAST_SEND, settle=0.5)
    done = wait_for(bot, broadcast_id, DONE)
    assert (done.total, done.sent, done.failed, done.blocked) == (11, 11, 0, 0)
    for fan in fans:
        assert sum("Kabar penting #1" in t for t in bot_texts(bot, fan.user_id)) == 1
    for other in (quitter, outsider):
        assert not any("Kabar penting #1" in t for t in bot_texts(bot, other.user_id))
    summary = summary_counts(wait_text(bot, ADMIN_ID, f"Siaran #{broadcast_id} selesai"))
    assert summary["Terkirim"] == 11 and summary["Total penerima"] == 11
    assert summary["Terkirim"] + summary["Gagal"] + summary["Memblokir bot"] == 11
    assert summary["Tidak dikirim"] == 0
    progress = summary_counts(wait_text(bot, ADMIN_ID, f"Siaran #{broadcast_id} – selesai"))
    assert progress["Terkirim"] == 11 and progress["Tersisa"] == 0


def test_a_photo_after_bare_siaran_is_previewed_and_sent_with_its_caption(
    bot: RunningBot, admin: Applicant
) -> None:
    fans = subscribers(bot, 2)
    assert all_text(admin.say("/siaran", settle=0.3)) == texts.BROADCAST_ASK
    replies = admin.say("Poster <b>gelombang</b>", kind="photo", settle=0.5)
    assert replies[0].raw.get("photo") and replies[0].text.startswith("Poster gelombang")
    control = next(r for r in replies if r.buttons)
    broadcast_id = int(re.search(r"#(\d+)", control.text).group(1))  # type: ignore[union-attr]
    admin.press(control, texts.BUTTON_BROADCAST_SEND, settle=0.3)
    wait_for(bot, broadcast_id, DONE)
    for fan in fans:
        got = [
            m for m in messages(bot, fan.user_id) if "Poster gelombang" in str(m.get("caption"))
        ]
        assert len(got) == 1 and got[0].get("photo")


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("<script>x</script>", texts.BROADCAST_BAD_TAG.format(tag="script")),
        ("<b>tebal", texts.BROADCAST_UNBALANCED.format(tag="b")),
        ("x" * 5000, None),
    ],
)
def test_invalid_text_is_refused_before_any_preview(
    bot: RunningBot, admin: Applicant, body: str, problem: str | None
) -> None:
    replies = admin.say(f"/siaran {body}", settle=0.5)
    assert len(replies) == 1 and not replies[0].buttons
    if problem is None:
        assert "terlalu panjang" in replies[0].text
    else:
        assert replies[0].text == html.unescape(problem)


def test_429_pauses_all_sending_and_nothing_is_lost_or_doubled(
    bot: RunningBot, admin: Applicant
) -> None:
    fans = subscribers(bot, 40)
    bot.sim.delete("/sim/stats")
    bot.sim.post("/sim/limits", json={"global_per_second": 10})  # below BROADCAST_RATE (40)
    _, control, broadcast_id = preview(admin, "/siaran Uji batas kirim")
    admin.press(control, texts.BUTTON_BROADCAST_SEND, settle=0.3)
    done = wait_for(bot, broadcast_id, DONE, timeout=90)
    assert done.sent == 40 and done.rate_limited > 0
    stats = bot.sim.get("/sim/stats").json()["stats"]
    assert stats["rate_limited"]["global"] >= done.rate_limited
    for fan in fans:
        assert sum("Uji batas kirim" in t for t in bot_texts(bot, fan.user_id)) == 1


def test_users_who_blocked_the_bot_are_dropped_and_unsubscribed(
    bot: RunningBot, admin: Applicant
) -> None:
    fans = subscribers(bot, 6)
    store = broadcaster(bot).store
    broadcast_id = bot.call(store.create("Uji blokir", None, created_by=ADMIN_ID))

    async def start_paused() -> None:
        await store.start(broadcast_id, None)
        await store.transition(broadcast_id, [RUNNING], PAUSED)

    bot.call(start_paused())
    # Blocked after the recipients were chosen: the send itself meets the 403.
    for fan in fans[:2]:
        bot.sim.post(f"/sim/users/{fan.user_id}/block")
    bot.call(store.transition(broadcast_id, [PAUSED], RUNNING))
    broadcaster(bot).sender.kick()
    done = wait_for(bot, broadcast_id, DONE)
    assert (done.sent, done.blocked, done.total) == (4, 2, 6)
    for fan in fans[:2]:
        user = bot.call(bot.db.get_user(fan.user_id))
        assert user.blocked_bot and not user.consent_updates
    # Unblocking and /langganan subscribes again.
    bot.sim.post(f"/sim/users/{fans[0].user_id}/unblock")
    assert all_text(fans[0].say("/langganan", settle=0.3)) == texts.SUBSCRIBED


def test_a_group_that_became_a_supergroup_is_sent_to_at_its_new_id_once(
    bot: RunningBot,
) -> None:
    old_id = -4_000_777
    fans = subscribers(bot, 2)

    bot.call(bot.db.set_consent_updates(old_id, True))  # /langganan in the group
    new_id = bot.sim.post(f"/sim/chats/{old_id}/migrate", json={}).json()["migrate_to_chat_id"]
    bot.sim.delete("/sim/stats")
    store = broadcaster(bot).store
    broadcast_id = bot.call(store.create("Uji grup pindah", None, created_by=ADMIN_ID))
    bot.call(store.start(broadcast_id, None))
    broadcaster(bot).sender.kick()
    done = wait_for(bot, broadcast_id, DONE)
    assert (done.total, done.sent, done.failed, done.blocked) == (3, 3, 0, 0)
    assert sum("Uji grup pindah" in t for t in bot_texts(bot, new_id)) == 1
    for fan in fans:
        assert sum("Uji grup pindah" in t for t in bot_texts(bot, fan.user_id)) == 1
    stats = bot.sim.get("/sim/stats").json()["stats"]
    assert stats["send_attempts"] == 4 and stats["errors_by_code"] == {"400": 1}
    rows = bot.call(store.recipient_rows(broadcast_id))
    assert old_id not in {r.telegram_id for r in rows} and new_id in {r.telegram_id for r in rows}
    # The subscription moved: the next broadcast goes straight to the supergroup.
    moved, left = bot.call(bot.db.get_user(new_id)), bot.call(bot.db.get_user(old_id))
    assert moved.consent_updates and not moved.blocked_bot and not left.consent_updates
    bot.sim.delete("/sim/stats")
    again = bot.call(store.create("Uji grup kedua", None, created_by=ADMIN_ID))
    bot.call(store.start(again, None))
    broadcaster(bot).sender.kick()
    assert wait_for(bot, again, DONE).sent == 3
    assert bot.sim.get("/sim/stats").json()["stats"]["errors_by_code"] == {}


def test_siaran_status_lists_recent_broadcasts(bot: RunningBot, admin: Applicant) -> None:
    subscribers(bot, 1)
    _, control, broadcast_id = preview(admin, "/siaran Status uji")
    admin.press(control, texts.BUTTON_BROADCAST_SEND, settle=0.3)
    wait_for(bot, broadcast_id, DONE)
    status = all_text(admin.say("/siaran_status", settle=0.3))
    assert f"#{broadcast_id} – selesai: terkirim 1" in status


def test_draft_text_and_events_from_the_program_api() -> None:
    from datetime import UTC, datetime

    g = Gelombang(
        nomor=80,
        status="open",
        dibuka=datetime(2026, 12, 1, 5, 0, tzinfo=UTC),
        ditutup=datetime(2026, 12, 8, 16, 59, tzinfo=UTC),
        pengumuman=None,
        kuota=None,
        mode_pelatihan=("daring",),
        diperbarui_pada=datetime(2026, 12, 1, tzinfo=UTC),
    )
    html = draft_html(g)
    assert "Gelombang 80" in html and "12.00 WIB" in html and "23.59 WIB" in html
    assert "www.prakerja.go.id" in html
    assert content.validate(html, caption=False) is None
    assert event_key(g) == "gelombang:80:open"
