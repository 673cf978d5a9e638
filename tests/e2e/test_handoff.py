"""Hand-off to staff end to end: real Rasa, the emulator's staff forum, the bot's database.

Most tests use the session stack (default SLA); the restart and the SLA reminder use a stack of
their own with a short TICKET_SLA_MINUTES and round-the-clock staff hours.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from bot import texts
from bot.privacy import rasa_sender_id
from tests.e2e.applicant import Applicant, Reply, all_text
from tests.e2e.conftest import E2E_BOT_ENV, Stack, running_stack
from tests.e2e.staff import StaffMember

NIK = "3171234567890001"
PHONE = "081234567890"


def sender_of(stack: Stack, applicant: Applicant) -> str:
    """The applicant's pseudonymous Rasa sender id."""
    key = (stack.config.data_dir / "privacy.key").read_text().strip().encode()
    return rasa_sender_id(key, applicant.user_id)


def ticket_number(replies: list[Reply]) -> int:
    """The ticket number the applicant was told."""
    found = re.search(r"tiketmu: #(\d+)", all_text(replies))
    assert found, all_text(replies)
    return int(found.group(1))


def queue_position(replies: list[Reply]) -> int:
    """The queue position the applicant was told."""
    found = re.search(r"antrean ke-(\d+)", all_text(replies))
    assert found, all_text(replies)
    return int(found.group(1))


def ticket_row(stack: Stack, number: int) -> dict[str, Any]:
    """The ticket's row in the bot database."""
    engine = create_engine(f"sqlite:///{stack.config.data_dir / 'bot.sqlite3'}")
    with engine.connect() as connection:
        row = connection.execute(text("SELECT * FROM tickets WHERE id = :n"), {"n": number})
        result = dict(row.mappings().one())
    engine.dispose()
    return result


def user_turns(stack: Stack, applicant: Applicant) -> int:
    """How many user messages Rasa has for the applicant."""
    events = stack.tracker(sender_of(stack, applicant))["events"]
    return sum(1 for event in events if event["event"] == "user")


def wait_for(check: Any, timeout: float = 20) -> Any:
    """Poll ``check`` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.2)


@pytest.fixture
def staff(stack: Stack) -> StaffMember:
    """Rina, the staff group's owner."""
    return StaffMember(stack.sim)


def test_open_by_intent_relay_both_ways_claim_close_and_rate(
    stack: Stack, applicant: Applicant, staff: StaffMember
) -> None:
    applicant.say("syarat ikut prakerja apa aja?")
    applicant.say(f"no hp saya {PHONE} kenapa otp tidak masuk")
    opened = applicant.say("saya mau bicara dengan petugas")
    answer = all_text(opened)
    number = ticket_number(opened)
    assert "antrean ke-" in answer and "/selesai" in answer
    assert "WIB" in answer or "bertugas" in answer
    assert "bantuan.prakerja.go.id" not in answer  # not the official-channels text any more

    topic = staff.topic_of(number)
    assert applicant.first_name in topic["name"]
    thread = topic["message_thread_id"]
    card = staff.card(thread)
    assert f"Tiket #{number}" in card["text"] and "belum verifikasi" in card["text"]
    assert "syarat ikut prakerja" in card["text"]  # the transcript
    assert PHONE not in card["text"] and "otp" in card["text"].lower()
    assert [b["text"] for row in card["reply_markup"]["inline_keyboard"] for b in row] == [
        texts.BUTTON_CLAIM,
        texts.BUTTON_CLOSE,
    ]
    tracker = stack.tracker(sender_of(stack, applicant))
    assert tracker["paused"] is True

    # the applicant's text (masked) and a photo reach the topic, not Rasa
    turns = user_turns(stack, applicant)
    last = staff.messages(thread)[-1]["message_id"]
    applicant.say(f"NIK saya {NIK}, tolong dicek")
    applicant.send(kind="photo", text="ini tangkapan layarnya")
    relayed = staff.wait_bot(thread, after=last, count=2)
    assert NIK not in relayed[0]["text"] and "tolong dicek" in relayed[0]["text"]
    assert relayed[1]["kind"] == "photo" and relayed[1]["caption"] == "ini tangkapan layarnya"
    assert user_turns(stack, applicant) == turns

    # staff replies arrive from the bot: copied, not forwarded, no staff name
    after = applicant.latest_message_id()
    staff.post(thread, "Halo, saya bantu cek ya.")
    reply = applicant.wait_replies(after)
    assert all_text(reply) == "Halo, saya bantu cek ya."
    assert reply[0].raw["forward_origin"] is None and reply[0].raw["from_bot"]
    assert "Rina" not in str(reply[0].raw)
    after = applicant.latest_message_id()
    staff.post(thread, "contoh tampilan", kind="photo")
    photo = applicant.wait_replies(after)
    assert photo[0].raw["kind"] == "photo" and photo[0].raw["forward_origin"] is None

    # an internal note stays in the group
    after = applicant.latest_message_id()
    note = staff.post(thread, "/catatan pelamar sudah verifikasi wajah")
    staff.wait_text(thread, "Catatan internal", after=note)
    assert applicant.wait_replies(after, timeout=2) == []

    # claim: shown on the card
    claim = staff.post(thread, "/ambil")
    staff.wait_text(thread, "diambil oleh Rina", after=claim)
    assert wait_for(lambda: "diambil oleh Rina" in staff.card(thread)["text"])
    assert ticket_row(stack, number)["claimed_by"] == staff.user_id

    # close by staff: topic done and closed, the applicant asked to rate
    after = applicant.latest_message_id()
    staff.post(thread, "/tutup")
    closing = applicant.wait_replies(after, count=2)
    assert f"#{number}" in closing[0].text and "menutup" in closing[0].text
    rating = closing[-1]
    assert rating.buttons[0][0] == "1"
    topic = staff.topic_of(number)
    assert topic["name"].startswith("✅ ") and topic["is_closed"]
    assert stack.tracker(sender_of(stack, applicant))["paused"] is False

    thanks = applicant.press(rating, "4")
    assert "4/5" in all_text(thanks)
    assert "sudah saya sampaikan" in all_text(applicant.say(f"cepat, hp saya {PHONE}"))
    row = ticket_row(stack, number)
    assert row["rating"] == 4 and row["status"] == "closed" and row["closed_by"] == "staff"
    assert PHONE not in row["rating_comment"] and "cepat" in row["rating_comment"]
    staff.wait_text(thread, "nilai 4/5")

    # and the assistant answers again
    again = all_text(applicant.say("cara daftar prakerja gimana?"))
    assert "daftar" in again.lower() and f"#{number}" not in again
    kinds = [e["event"] for e in stack.tracker(sender_of(stack, applicant))["events"]]
    assert "pause" in kinds and "resume" in kinds


def test_open_by_button_after_two_misses_and_queue_position(
    stack: Stack, staff: StaffMember
) -> None:
    first = stack.applicant("Ayu")
    position = queue_position(first.say("/petugas"))
    second = stack.applicant("Bayu")
    second.say("terus gmn")
    replies = second.say("gimana dong kak")
    offer = next(reply for reply in replies if reply.buttons)
    title = next(t for t, _ in offer.buttons if "Hubungi petugas" in t)
    opened = second.press(offer, title)
    assert queue_position(opened) == position + 1
    staff.topic_of(ticket_number(opened))
    for person in (first, second):
        person.say("/selesai")


def test_open_by_command_once_then_selesai(
    stack: Stack, applicant: Applicant, staff: StaffMember
) -> None:
    opened = applicant.say("/petugas")
    number = ticket_number(opened)
    still = all_text(applicant.say("/petugas"))
    assert f"#{number}" in still and "masih terbuka" in still
    assert all_text(applicant.say("sambungkan ke admin manusia")) == ""  # relayed, no answer
    thread = staff.topic_of(number)["message_thread_id"]
    staff.wait_text(thread, "sambungkan ke admin manusia")

    closing = applicant.say("/selesai")
    assert f"#{number}" in closing[0].text
    assert closing[-1].buttons  # the rating question
    staff.wait_text(thread, "Pelamar menutup tiket")
    assert staff.topic_of(number)["is_closed"]
    assert ticket_row(stack, number)["closed_by"] == "applicant"
    assert all_text(applicant.say("/selesai")) == texts.NO_OPEN_TICKET


def test_a_deleted_topic_is_recreated(
    stack: Stack, applicant: Applicant, staff: StaffMember
) -> None:
    number = ticket_number(applicant.say("/petugas"))
    old = staff.topic_of(number)["message_thread_id"]
    staff.delete_topic(old)
    applicant.say("halo, masih ada orang?")
    new = wait_for(
        lambda: staff.topic_of(number)["message_thread_id"] != old and staff.topic_of(number)
    )
    assert new, "topic not recreated"
    thread = new["message_thread_id"]
    staff.wait_text(thread, "masih ada orang")
    assert f"Tiket #{number}" in staff.card(thread)["text"]  # the card again
    applicant.say("/selesai")


def test_staff_commands_in_a_private_chat_do_nothing(
    stack: Stack, applicant: Applicant, staff: StaffMember
) -> None:
    number = ticket_number(applicant.say("/petugas"))
    for command in ("/tutup", "/ambil", "/antrian"):
        assert all_text(applicant.say(command)) == texts.UNKNOWN_COMMAND
    row = ticket_row(stack, number)
    assert row["status"] == "open" and row["claimed_by"] is None
    applicant.say("/selesai")


def test_queue_and_statistics_in_general(stack: Stack, staff: StaffMember) -> None:
    person = stack.applicant("Citra")
    number = ticket_number(person.say("/petugas"))
    asked = staff.post("general", "/antrian")
    queue = staff.wait_text("general", "Antrean tiket terbuka", after=asked)["text"]
    line = next(line for line in queue.splitlines() if f"#{number} " in line)
    assert "belum diambil" in line and "menunggu" in line
    person.say("/selesai")
    asked = staff.post("general", "/statistik")
    stats = staff.wait_text("general", "Statistik tiket", after=asked)["text"]
    assert "Hari ini" in stats and "7 hari terakhir" in stats and "dibuka" in stats


# -- a stack of its own: restart and SLA ------------------------------------------------------

SLA_MINUTES = 0.15  # 9 seconds


@pytest.fixture(scope="module")
def sla_stack(tmp_path_factory: pytest.TempPathFactory, tracker_database: str) -> Iterator[Stack]:
    """A stack with a short SLA and staff on duty round the clock (restarts the bot too)."""
    env = {
        **E2E_BOT_ENV,
        "TICKET_SLA_MINUTES": str(SLA_MINUTES),
        "STAFF_HOURS": "Mon-Sun 00:00-24:00",
    }
    root = Path(tmp_path_factory.mktemp("handoff-stack"))
    with running_stack(root, tracker_database, bot_env=env) as running:
        yield running


def test_a_bot_restart_mid_ticket_loses_nothing(sla_stack: Stack) -> None:
    applicant, staff = sla_stack.applicant("Dina"), StaffMember(sla_stack.sim)
    number = ticket_number(applicant.say("/petugas"))
    thread = staff.topic_of(number)["message_thread_id"]
    staff.post(thread, "/ambil")
    after = applicant.latest_message_id()
    staff.post(thread, "sebentar ya")
    assert "sebentar ya" in all_text(applicant.wait_replies(after))
    bot = sla_stack.services["bot"]
    bot.stop()
    bot.start()
    bot.wait_healthy()
    applicant.say("setelah restart")
    staff.wait_text(thread, "setelah restart")
    after = applicant.latest_message_id()
    staff.post(thread, "masih tersambung")
    assert "masih tersambung" in all_text(applicant.wait_replies(after))
    applicant.say("/selesai")


def test_an_unclaimed_ticket_gets_one_sla_reminder(sla_stack: Stack) -> None:
    applicant, staff = sla_stack.applicant("Eka"), StaffMember(sla_stack.sim)
    number = ticket_number(applicant.say("/petugas"))
    reminder = staff.wait_text("general", f"Tiket #{number} ", timeout=60)
    assert "belum diambil" in reminder["text"]
    waiting = wait_for(
        lambda: [r for r in applicant.wait_replies(0, timeout=1) if "masih menunggu" in r.text],
        timeout=60,
    )
    assert len(waiting) == 1
    time.sleep(SLA_MINUTES * 60)
    reminders = [
        m
        for m in staff.messages("general")
        if m["from_bot"] and f"Tiket #{number} " in (m.get("text") or "")
    ]
    assert len(reminders) == 1
    applicant.say("/selesai")
