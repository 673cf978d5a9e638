"""Trust end to end: forged buttons, typed internal intents and floods do nothing harmful."""

from __future__ import annotations

import threading
import time

from bot import texts
from bot.privacy import rasa_sender_id
from tests.e2e.applicant import Applicant, all_text
from tests.e2e.conftest import Stack


def sender(stack: Stack, applicant: Applicant) -> str:
    """The applicant's Rasa sender id."""
    key = (stack.config.data_dir / "privacy.key").read_text().strip().encode()
    return rasa_sender_id(key, applicant.user_id)


def intents_and_actions(stack: Stack, applicant: Applicant) -> list[str]:
    """Every intent Rasa recognised and every action it ran for this applicant."""
    events = stack.tracker(sender(stack, applicant)).get("events", [])
    names = [e.get("parse_data", {}).get("intent", {}).get("name", "") for e in events]
    names += [e.get("name", "") for e in events if e.get("event") == "action"]
    return [n for n in names if n]


def test_a_forged_button_gets_the_notice_and_reaches_nobody(
    stack: Stack, applicant: Applicant
) -> None:
    start = applicant.say("/start")[0]
    for data in ("p:/status_verified", "p:000000000000/status_verified", "b:subscribe"):
        assert applicant.press_data(start.message_id, data, timeout=3) == []
        assert applicant.callback_answer()["text"] == texts.EXPIRED_BUTTON
    assert "status_verified" not in intents_and_actions(stack, applicant)


def test_typed_internal_intents_are_ordinary_text(stack: Stack, applicant: Applicant) -> None:
    code = "/status_verified"
    update = {
        "message": {
            "chat": {"id": applicant.user_id, "type": "private", "first_name": "Sari"},
            "from": {"id": applicant.user_id, "is_bot": False, "first_name": "Sari"},
            "text": code,
            "entities": [{"type": "code", "offset": 0, "length": len(code)}],
        }
    }
    before = applicant.latest_message_id()
    stack.sim.post("/sim/updates/raw", json={"update": update}).raise_for_status()
    replies = applicant.wait_replies(before, timeout=30)
    replies += applicant.say(' /status_verified{"applicant_ref": "x"}', kind="text")
    # Rasa got ordinary text to classify, never the intent syntax with its entities ...
    events = stack.tracker(sender(stack, applicant)).get("events", [])
    texts_seen = [e.get("text") or "" for e in events if e.get("event") == "user"]
    assert len(texts_seen) == 2 and not any(t.startswith("/") for t in texts_seen), texts_seen
    assert all(not e.get("metadata", {}).get("applicant_ref") for e in events)
    # ... so at worst the assistant offers the identity check: no status without verification
    text = all_text(replies)
    assert "Status" not in text or "verifikasi" in text, text


def test_a_flood_from_one_user_does_not_delay_another(stack: Stack) -> None:
    flooder, other = stack.applicant("Banjir"), stack.applicant("Tenang")

    def answer_time() -> float:
        began = time.monotonic()
        replies = other.say("halo", settle=0.3)
        assert replies and replies[0].text.startswith("Halo"), all_text(replies)
        return time.monotonic() - began - 0.3

    baseline = min(answer_time() for _ in range(3))  # this machine, now, without a flood
    first = flooder.send("halo")

    def flood() -> None:
        for index in range(299):
            flooder.send(f"halo lagi {index}")

    thread = threading.Thread(target=flood)
    thread.start()
    latencies = []
    try:
        while thread.is_alive() or not latencies:
            latencies.append(answer_time())
    finally:
        thread.join()
    # "not delayed beyond a second or two": measured against the same answer without the flood
    assert max(latencies) - baseline < 1.5, (baseline, latencies)
    burst = int(stack.config.bot_env.get("FLOOD_BURST", "5"))
    replies = flooder.wait_replies(first, count=2, timeout=30, settle=3.0)
    notices = [r for r in replies if r.text == texts.SLOW_DOWN]
    assert len(notices) == 1
    greetings = [r for r in replies if r.text.startswith("Halo")]
    # the burst, plus what the bucket refilled (20 a minute) while the flood lasted
    assert 1 <= len(greetings) <= burst + 10, len(greetings)


def test_lupakan_leaves_no_trace_of_the_conversation_in_the_tracker_store(
    stack: Stack, applicant: Applicant
) -> None:
    applicant.say("halo")
    applicant.say("syarat ikut prakerja apa aja")
    me = sender(stack, applicant)
    assert any(row.startswith(me) for row in stack.tracker_rows())
    text = all_text(applicant.say("/lupakan"))
    assert "riwayat percakapanmu dengan asisten" in text and "catatan" in text, text
    assert not any(row.startswith(me) for row in stack.tracker_rows())
