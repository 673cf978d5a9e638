"""The hand-off on the real Application and the emulator's staff forum, with a scripted Rasa."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from bot import texts
from bot.config import Settings
from bot.staff_hours import StaffHours
from tests.bot.harness import RunningBot, run_bot
from tests.e2e.applicant import Applicant, all_text
from tests.e2e.staff import STAFF_GROUP, StaffMember

# As Rasa's channel sends utter_request_human: the text, then the custom payload on its own.
HANDOFF = [{"text": "Petugas resmi: bantuan.prakerja.go.id"}, {"custom": {"type": "handoff"}}]


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBot]:
    """A bot with the emulator's staff forum; staff on duty round the clock."""
    yield from run_bot(
        Path(tmp_path_factory.mktemp("handoff")),
        staff_group=True,
        staff_chat_id=[STAFF_GROUP],
        staff_hours="Mon-Sun 00:00-24:00",
        flood_burst=3,
        flood_messages_per_minute=6,
    )


@pytest.fixture
def rasa(bot: RunningBot) -> Iterator[Any]:
    """The scripted Rasa, answering every message with the hand-off payload."""
    bot.rasa.messages.clear()
    bot.rasa.appended.clear()
    bot.rasa.reply = lambda text: HANDOFF
    yield bot.rasa


def number_of(text: str) -> int:
    """The ticket number in the applicant's answer."""
    found = re.search(r"#(\d+)", text)
    assert found, text
    return int(found.group(1))


def test_rasa_handoff_opens_a_ticket_instead_of_the_official_channels(
    bot: RunningBot, rasa: Any
) -> None:
    person = Applicant(bot.sim, first_name="Sari")
    answer = all_text(person.say("saya mau bicara dengan petugas"))
    assert "bantuan.prakerja.go.id" not in answer and "antrean ke-1" in answer
    assert "Petugas sedang bertugas" in answer
    staff = StaffMember(bot.sim)
    thread = staff.topic_of(number_of(answer))["message_thread_id"]
    card = staff.card(thread)["text"]
    assert "saya mau bicara dengan petugas" in card  # transcript from the tracker
    assert list(rasa.appended.values()) == [["pause"]]
    rasa.messages.clear()
    person.say("halo")
    assert rasa.messages == []  # while the ticket is open, Rasa sees nothing
    person.say("/selesai")
    assert list(rasa.appended.values()) == [["pause", "resume"]]


def test_staff_are_not_flood_limited_and_blocked_applicants_are_reported(
    bot: RunningBot, rasa: Any
) -> None:
    person = Applicant(bot.sim, first_name="Tono")
    number = number_of(all_text(person.say("/petugas")))
    staff = StaffMember(bot.sim)
    thread = staff.topic_of(number)["message_thread_id"]
    after = person.latest_message_id()
    for index in range(8):  # more than the flood burst an applicant gets
        staff.post(thread, f"balasan {index}")
    replies = person.wait_replies(after, count=8, timeout=20)
    assert [r.text for r in replies] == [f"balasan {i}" for i in range(8)]
    bot.sim.post(f"/sim/users/{person.user_id}/block").raise_for_status()
    last = staff.messages(thread)[-1]["message_id"]
    staff.post(thread, "masih di sana?")
    assert staff.wait_text(thread, "memblokir bot", after=last)


def test_an_unreachable_group_sends_requests_back_to_official_channels(
    bot: RunningBot, rasa: Any
) -> None:
    bot.sim.delete(f"/sim/groups/{STAFF_GROUP}/members/bot").raise_for_status()
    try:
        person = Applicant(bot.sim, first_name="Udin")
        assert all_text(person.say("/petugas")) == texts.HANDOFF_UNAVAILABLE
        assert "bantuan.prakerja.go.id" in all_text(person.say("tolong sambungkan ke petugas"))
    finally:
        bot.sim.post(
            f"/sim/groups/{STAFF_GROUP}/members",
            json={
                "user_id": "bot",
                "status": "administrator",
                "rights": {"can_manage_topics": True},
            },
        ).raise_for_status()


@pytest.fixture(scope="module")
def bot_without_staff(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBot]:
    """A bot with no STAFF_CHAT_ID."""
    yield from run_bot(Path(tmp_path_factory.mktemp("nostaff")))


def test_without_a_staff_group_the_official_channels_stay(bot_without_staff: RunningBot) -> None:
    bot_without_staff.rasa.reply = lambda text: HANDOFF
    person = Applicant(bot_without_staff.sim)
    assert "bantuan.prakerja.go.id" in all_text(person.say("mau ke petugas"))
    assert all_text(person.say("/petugas")) == texts.HANDOFF_UNAVAILABLE
    assert all_text(person.say("/selesai")) == texts.NO_OPEN_TICKET
    assert all_text(person.say("/tutup")) == texts.UNKNOWN_COMMAND


def test_id_lists_are_comma_separated_and_a_bad_one_names_the_variable() -> None:
    settings = Settings(_env_file=None, staff_chat_id="-1001, -1002", admin_user_ids="5")  # type: ignore[call-arg]
    assert settings.staff_chat_id == [-1001, -1002] and settings.admin_user_ids == [5]
    with pytest.raises(ValidationError, match="STAFF_CHAT_ID must be a comma-separated"):
        Settings(_env_file=None, staff_chat_id="-1001,grup")  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="STAFF_HOURS"):
        Settings(_env_file=None, staff_hours="kapan saja")  # type: ignore[call-arg]


def test_staff_hours_in_wib() -> None:
    hours = StaffHours.parse("Mon-Fri 08:00-16:00")
    monday_9_wib = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
    assert hours.is_open(monday_9_wib)
    friday_17_wib = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
    assert not hours.is_open(friday_17_wib)
    opening = hours.next_opening(friday_17_wib)
    assert opening is not None and opening.weekday() == 0 and opening.hour == 8
