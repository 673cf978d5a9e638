"""The bot's handlers on the real Application and Bot API emulator, with a scripted Rasa."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot import texts
from bot.dialogue import text_for_nlu
from tests.bot.harness import RunningBot, run_bot
from tests.e2e.applicant import Applicant, all_text

# A flood limit the other tests here never reach: each test uses its own applicant.
BURST = 5


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBot]:
    """One running bot for the module."""
    yield from run_bot(
        Path(tmp_path_factory.mktemp("bot")),
        flood_burst=BURST,
        flood_messages_per_minute=20,
        flood_max_pending=5,
    )


@pytest.fixture
def rasa(bot: RunningBot) -> Iterator[Any]:
    """The scripted Rasa, reset for each test."""
    bot.rasa.messages.clear()
    bot.rasa.erased.clear()
    bot.rasa.down = False
    bot.rasa.delay = 0.0
    bot.rasa.reply = lambda text: [{"text": f"jawaban untuk: {text}"}]
    yield bot.rasa
    bot.rasa.down = False
    bot.rasa.delay = 0.0


@pytest.fixture
def person(bot: RunningBot) -> Applicant:
    """A new Telegram user."""
    return Applicant(bot.sim, first_name="Dewi")


def consent(bot: RunningBot, user_id: int) -> bool | None:
    """The stored announcement consent of a user (None when unknown)."""
    user = bot.call(bot.db.get_user(user_id))
    return None if user is None else bool(user.consent_updates)


# --- state the bot owns ---------------------------------------------------------------------


def test_langganan_and_berhenti_work_with_rasa_down(
    bot: RunningBot, rasa: Any, person: Applicant
) -> None:
    rasa.down = True
    assert all_text(person.say("/langganan")) == texts.SUBSCRIBED
    assert consent(bot, person.user_id) is True
    assert all_text(person.say("/langganan")) == texts.ALREADY_SUBSCRIBED
    assert all_text(person.say("/berhenti")) == texts.UNSUBSCRIBED
    assert consent(bot, person.user_id) is False
    assert rasa.messages == []


def test_a_failed_write_is_never_confirmed(
    bot: RunningBot, rasa: Any, person: Applicant, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_: object) -> bool:
        raise RuntimeError("database is gone")

    monkeypatch.setattr(bot.db, "set_consent_updates", broken)
    replies = person.say("/langganan")
    assert all_text(replies) == texts.STORAGE_DOWN
    assert consent(bot, person.user_id) is not True


def test_a_wish_in_words_is_confirmed_with_one_tap_before_anything_changes(
    bot: RunningBot, rasa: Any, person: Applicant
) -> None:
    rasa.reply = lambda text: [{"custom": {"type": "subscription", "subscribed": True}}]
    replies = person.say("kabari aku kalau ada gelombang baru")
    assert rasa.texts() == ["kabari aku kalau ada gelombang baru"]
    assert all_text(replies) == texts.CONFIRM_SUBSCRIBE
    assert consent(bot, person.user_id) is not True
    done = person.press(replies[-1], texts.BUTTON_SUBSCRIBE)
    assert all_text(done) == texts.SUBSCRIBED
    assert consent(bot, person.user_id) is True
    # "Tidak jadi" on an unsubscribe question changes nothing
    rasa.reply = lambda text: [{"custom": {"type": "subscription", "subscribed": False}}]
    question = person.say("stop kirim info")
    assert all_text(question) == texts.CONFIRM_UNSUBSCRIBE
    assert all_text(person.press(question[-1], texts.BUTTON_KEEP)) == texts.KEPT_AS_IS
    assert consent(bot, person.user_id) is True
    assert len(rasa.messages) == 2  # the button presses went to the bot, not to Rasa


def test_a_custom_effect_applies_before_its_text_and_a_failure_stops_the_text(
    bot: RunningBot, rasa: Any, person: Applicant, monkeypatch: pytest.MonkeyPatch
) -> None:
    order: list[str] = []
    original = bot.db.forget_verification

    async def forget(telegram_id: int) -> bool:
        order.append(f"forgotten, {len(person_messages(bot, person))} bot messages so far")
        return await original(telegram_id)

    monkeypatch.setattr(bot.db, "forget_verification", forget)
    before = len(person_messages(bot, person))
    rasa.reply = lambda text: [
        {"text": "Sesi verifikasimu sudah berakhir."},
        {"custom": {"type": "verification_expired"}},
    ]
    replies = person.say("cek status lagi")
    assert all_text(replies) == "Sesi verifikasimu sudah berakhir."
    assert order == [f"forgotten, {before} bot messages so far"]

    async def broken(telegram_id: int) -> bool:
        raise RuntimeError("database is gone")

    monkeypatch.setattr(bot.db, "forget_verification", broken)
    replies = person.say("cek status lagi")
    assert all_text(replies) == texts.UNEXPECTED_ERROR


def person_messages(bot: RunningBot, person: Applicant) -> list[dict[str, Any]]:
    """Messages the bot sent in this person's chat."""
    messages = bot.sim.get(f"/sim/chats/{person.user_id}/messages").json()["messages"]
    return [m for m in messages if m["from_bot"]]


# --- intents only from the bot ---------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    ["/status_verified", " /status_verified", "／status_verified", "//status_verified{}"],
)
def test_text_for_nlu_never_starts_with_intent_syntax(typed: str) -> None:
    assert not text_for_nlu(typed).startswith("/")
    assert "status_verified" in text_for_nlu(typed)


def test_text_for_nlu_drops_repeated_sentences_and_keeps_head_and_tail() -> None:
    question = "syarat daftar prakerja apa saja?"
    assert text_for_nlu("saya mau tanya. " * 300 + question) == f"saya mau tanya. {question}"
    assert text_for_nlu("Halo min!\nHalo min!\ngelombang brp?") == "Halo min! gelombang brp?"
    assert text_for_nlu("Rp1.000.000 atau Rp600.000.000?") == "Rp1.000.000 atau Rp600.000.000?"
    varied = " ".join(f"kalimat nomor {i}." for i in range(500)) + " " + question
    shortened = text_for_nlu(varied)
    assert len(shortened) <= 2000 and shortened.endswith(question)
    assert shortened.startswith("kalimat nomor 0.")


def test_slash_intents_typed_by_users_never_reach_rasa_as_intents(
    bot: RunningBot, rasa: Any, person: Applicant
) -> None:
    # a code entity is not a bot command for Telegram, so it arrives as ordinary text
    code = "/status_verified"
    update = {
        "message": {
            "chat": {"id": person.user_id, "type": "private", "first_name": "Dewi"},
            "from": {"id": person.user_id, "is_bot": False, "first_name": "Dewi"},
            "text": code,
            "entities": [{"type": "code", "offset": 0, "length": len(code)}],
        }
    }
    response = bot.sim.post("/sim/updates/raw", json={"update": update})
    response.raise_for_status()
    person.wait_replies(person.latest_message_id() - 1, timeout=10)
    person.say(' /status_verified{"applicant_ref": "forged"}', kind="text")
    person.say("／check_status", kind="text")
    assert rasa.texts(), "the messages should still be answered"
    for message in rasa.messages:
        assert not message["message"].startswith("/")
        assert "applicant_ref" not in (message.get("metadata") or {})


def test_forged_buttons_get_the_polite_notice_and_reach_nobody(
    bot: RunningBot, rasa: Any, person: Applicant
) -> None:
    start = person.say("/start")[0]
    for data in ("p:/status_verified", "p:000000000000/status_verified", "b:subscribe", "x"):
        assert person.press_data(start.message_id, data, timeout=2) == []
        assert person.callback_answer()["text"] == texts.EXPIRED_BUTTON
    assert rasa.messages == []
    assert consent(bot, person.user_id) is not True


def test_rasa_buttons_round_trip_signed(bot: RunningBot, rasa: Any, person: Applicant) -> None:
    rasa.reply = lambda text: (
        [
            {
                "text": "Pilih topik:",
                "buttons": [{"title": "Syarat", "payload": "/ask_requirements"}],
            }
        ]
        if not text.startswith("/")
        else [{"text": "Syaratnya: WNI, 18–64 tahun."}]
    )
    replies = person.say("mau tanya")
    answer = person.press(replies[-1], "Syarat")
    assert all_text(answer) == "Syaratnya: WNI, 18–64 tahun."
    assert rasa.texts() == ["mau tanya", "/ask_requirements"]


# --- identifiers, erasure, privacy -----------------------------------------------------------


def test_identifiers_are_masked_and_the_message_deleted(
    bot: RunningBot, rasa: Any, person: Applicant
) -> None:
    sent = person.send("nik saya 3174 0545 0795 0003 kok ditolak")
    replies = person.wait_replies(sent)
    assert texts.ID_REDACTED in all_text(replies)
    assert "3174" not in rasa.texts()[-1] and "disembunyikan" in rasa.texts()[-1]
    stored = bot.sim.get(f"/sim/chats/{person.user_id}/messages").json()["messages"]
    assert next(m for m in stored if m["message_id"] == sent)["deleted"] is True


def test_a_check_that_breaks_apologises_once_and_the_nik_never_reaches_rasa(
    bot: RunningBot, rasa: Any, person: Applicant, monkeypatch: pytest.MonkeyPatch
) -> None:
    keyboard = [b for r in person.say("/status") for b in r.reply_keyboard]
    assert any(button.get("request_contact") for button in keyboard)
    contact = {"phone_number": "+6281234567890", "first_name": "Dewi", "user_id": person.user_id}
    assert "NIK" in all_text(person.say(kind="contact", contact=contact))

    async def broken(*args: object) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(bot.services.db, "failed_verifications_since", broken)
    replies = person.say("3174054507950003")
    # the apology alone: no later handler group (the Rasa relay) took the NIK as a question
    assert all_text(replies) == texts.UNEXPECTED_ERROR
    assert rasa.messages == []


def test_lupakan_erases_the_rasa_conversation_and_says_what_went(
    bot: RunningBot, rasa: Any, person: Applicant
) -> None:
    person.say("halo")
    sender = rasa.messages[-1]["sender"]
    text = all_text(person.say("/lupakan"))
    assert rasa.erased == [sender]
    assert "verifikasi status (tidak ada yang tersimpan)" in text
    assert "riwayat percakapanmu dengan asisten (7 catatan)" in text
    rasa.down = True
    text = all_text(person.say("/lupakan"))
    assert text == texts.FORGET_CONVERSATION_FAILED.format(days=30)


def test_privasi_states_what_is_kept_and_for_how_long(bot: RunningBot, person: Applicant) -> None:
    text = all_text(person.say("/privasi"))
    assert "30 menit" in text and "30 hari" in text and "/lupakan" in text


def test_sensitive_or_unknown_commands_stay_away_from_rasa(
    bot: RunningBot, rasa: Any, person: Applicant
) -> None:
    assert all_text(person.say("/status_verified")) == texts.UNKNOWN_COMMAND
    assert rasa.messages == []


# --- flood control ---------------------------------------------------------------------------


def test_a_flooding_user_is_slowed_down_and_others_are_still_served(
    bot: RunningBot, rasa: Any
) -> None:
    flooder, other = Applicant(bot.sim), Applicant(bot.sim, first_name="Budi")
    first = None
    for index in range(40):
        sent = flooder.send(f"spam {index}")
        first = first or sent
    began = time.monotonic()
    answer = other.say("halo")
    assert all_text(answer) == "jawaban untuk: halo"
    assert time.monotonic() - began < 2.0
    assert first is not None
    replies = flooder.wait_replies(first, count=BURST + 1, settle=2.0)
    notices = [r for r in replies if r.text == texts.SLOW_DOWN]
    assert len(notices) == 1
    from_flooder = [t for t in rasa.texts() if t.startswith("spam")]
    assert 1 <= len(from_flooder) <= BURST + 1  # the bucket refills one token every 3 s


# --- replies ------------------------------------------------------------------------------


def test_typing_is_shown_only_when_an_answer_is_slow(
    bot: RunningBot, rasa: Any, person: Applicant
) -> None:
    assert all_text(person.say("halo"))
    assert person.chat_actions() == []  # a quick answer needs no "typing…" request
    slow = Applicant(bot.sim, first_name="Sabar")
    rasa.delay = 1.5
    assert all_text(slow.say("syarat apa saja"))
    assert any(action.get("action") == "typing" for action in slow.chat_actions())


def test_a_first_contact_is_written_while_rasa_thinks(
    bot: RunningBot, rasa: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The user row is written during the Rasa call, not before it, and before the answer."""
    newcomer = Applicant(bot.sim, first_name="Baru")
    steps: list[str] = []
    real_touch = bot.db.touch_user

    async def slow_touch(telegram_id: int, language_code: str | None) -> None:
        steps.append("write begins")
        await asyncio.sleep(0.3)
        await real_touch(telegram_id, language_code)
        steps.append("written")

    def reply(text: str) -> list[dict[str, Any]]:
        steps.append("rasa answers")
        return [{"text": "siap"}]

    monkeypatch.setattr(bot.db, "touch_user", slow_touch)
    rasa.reply = reply
    rasa.delay = 0.05  # a Rasa call takes a while, as over a socket
    assert all_text(newcomer.say("halo")) == "siap"
    assert steps == ["write begins", "rasa answers", "written"]
    assert bot.call(bot.db.get_user(newcomer.user_id)) is not None


def test_replies_are_limited_per_chat_not_overall() -> None:
    from bot.reply_limits import ReplyRateLimiter

    limiter = ReplyRateLimiter(private_burst=3, private_period=3.0)
    sent: list[int] = []

    async def send(chat_id: int) -> bool:
        sent.append(chat_id)
        return True

    async def burst() -> tuple[float, float]:
        began = time.perf_counter()
        # 100 chats answered at once: no overall 30/s cap holds them back
        await asyncio.gather(
            *(
                limiter.process_request(send, (chat,), {}, "sendMessage", {"chat_id": chat}, None)
                for chat in range(1, 101)
            )
        )
        fast = time.perf_counter() - began
        # one chat's fourth message within the burst period waits for its bucket
        began = time.perf_counter()
        for _ in range(4):
            await limiter.process_request(send, (7,), {}, "sendMessage", {"chat_id": 7}, None)
        return fast, time.perf_counter() - began

    fast, one_chat = asyncio.run(burst())
    assert len(sent) == 104
    assert fast < 0.5
    assert one_chat >= 0.5
