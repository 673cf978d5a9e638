"""The end-to-end slice: emulator ↔ bot ↔ Rasa ↔ action server, as an applicant sees it."""

from __future__ import annotations

import time

import httpx

from tests.e2e.applicant import Applicant, all_text
from tests.e2e.conftest import Stack


def test_start_greets_and_offers_topics(applicant: Applicant) -> None:
    replies = applicant.say("/start")
    assert len(replies) == 1
    text = replies[0].text
    assert text.startswith("Halo, Sari!")
    assert "Asisten Prakerja" in text and "cek status" in text
    titles = [title for title, _ in replies[0].buttons]
    assert titles == ["Syarat ikut Prakerja", "Cara daftar", "Jadwal gelombang", "Cek status saya"]


def test_bantuan_lists_commands(applicant: Applicant) -> None:
    text = all_text(applicant.say("/bantuan"))
    for command in ("/start", "/status", "/langganan", "/berhenti", "/lupakan", "/privasi"):
        assert command in text


def test_command_menu_is_published(stack: Stack) -> None:
    commands = stack.sim.get("/sim/commands").json()
    published = str(commands)
    for command in ("start", "bantuan", "status", "langganan", "privasi"):
        assert f"'{command}'" in published


def test_halo_is_answered_in_indonesian_by_rasa(applicant: Applicant) -> None:
    replies = applicant.say("halo")
    assert replies, "no answer"
    assert replies[0].text.startswith("Halo")
    assert "Kartu Prakerja" in all_text(replies)


def test_faq_answer_carries_the_age_limits(applicant: Applicant) -> None:
    text = all_text(applicant.say("min syarat ikut prakerja apa aja ya?"))
    assert "18–64" in text or "18 sampai 64" in text


def test_button_press_sends_payload_to_rasa(applicant: Applicant) -> None:
    start = applicant.say("/start")[0]
    replies = applicant.press(start, "Syarat ikut Prakerja")
    assert applicant.callback_answer()["answered"] is True
    assert "18–64" in all_text(replies) or "18 sampai 64" in all_text(replies)


def test_malformed_callback_is_answered_and_nothing_is_sent(applicant: Applicant) -> None:
    start = applicant.say("/start")[0]
    replies = applicant.press_data(start.message_id, "garbage-data-not-from-bot", timeout=3)
    assert replies == []
    answer = applicant.callback_answer()
    assert answer["answered"] is True
    assert "tidak berlaku" in (answer.get("text") or "")


def test_sticker_gets_a_friendly_text_only_reply(applicant: Applicant) -> None:
    replies = applicant.say(kind="sticker")
    assert len(replies) == 1
    assert "Stiker" in replies[0].text and "pesan teks" in replies[0].text


def test_other_media_kinds_are_explained(applicant: Applicant) -> None:
    for kind in ("photo", "voice", "location", "document", "video"):
        replies = applicant.say(kind=kind)
        assert len(replies) == 1, kind
        assert "pesan teks" in replies[0].text, kind


def test_html_in_user_text_is_harmless(applicant: Applicant) -> None:
    replies = applicant.say("<b>halo</b> <script>alert(1)</script> & syarat prakerja?")
    text = all_text(replies)
    assert "18–64" in text or "18 sampai 64" in text, text  # understood as the question it is
    assert "<script>" not in text


def test_huge_message_is_answered(applicant: Applicant) -> None:
    text = "saya mau tanya soal prakerja. " * 300 + "syarat daftar prakerja apa saja?"
    replies = applicant.say(text)
    answer = all_text(replies)
    offered = [title for reply in replies for title, _ in reply.buttons]
    # the question at the end is answered, or offered first when the filler drowns it out
    assert (
        "18–64" in answer or "18 sampai 64" in answer or offered[:1] == ["Syarat ikut Prakerja"]
    ), (answer, offered)


def test_one_users_messages_are_answered_in_order(applicant: Applicant) -> None:
    first = applicant.send("halo")
    applicant.send("syarat ikut prakerja apa aja")
    applicant.send("makasih ya")
    replies = applicant.wait_replies(first, count=3, timeout=60, settle=3)
    texts = [reply.text for reply in replies]
    hello = next(i for i, t in enumerate(texts) if t.startswith("Halo"))
    rules = next(i for i, t in enumerate(texts) if "18–64" in t or "18 sampai 64" in t)
    thanks = next(i for i, t in enumerate(texts) if "Sama-sama" in t or "sama-sama" in t)
    assert hello < rules < thanks


def test_different_users_are_served_concurrently(stack: Stack) -> None:
    people = [stack.applicant() for _ in range(4)]
    sent = [person.send("halo") for person in people]
    began = time.monotonic()
    for person, after in zip(people, sent, strict=True):
        replies = person.wait_replies(after, timeout=30, settle=0.5)
        assert replies and replies[0].text.startswith("Halo"), all_text(replies)
    assert time.monotonic() - began < 10


def test_unknown_and_internal_commands_never_reach_rasa(applicant: Applicant) -> None:
    for command in ("/status_verified", "/perintahaneh"):
        replies = applicant.say(command)
        assert len(replies) == 1
        assert "tidak saya kenal" in replies[0].text


def test_identifiers_in_free_text_are_hidden_from_rasa(stack: Stack, applicant: Applicant) -> None:
    from bot.privacy import rasa_sender_id

    nik, phone = "3201014505900003", "081234567890"
    replies = applicant.say(f"nik saya {nik} no hp {phone} kenapa gak lolos ya")
    assert "sembunyikan" in all_text(replies)
    key = (stack.config.data_dir / "privacy.key").read_text().strip().encode()
    tracker = str(stack.tracker(rasa_sender_id(key, applicant.user_id)))
    assert nik not in tracker and phone not in tracker
    assert "disembunyikan" in tracker


def test_a_garbage_update_does_not_kill_the_bot(stack: Stack, applicant: Applicant) -> None:
    response = stack.sim.post(
        "/sim/updates/raw", json={"update": {"message": {"message_id": "x", "chat": None}}}
    )
    assert response.status_code in (200, 201)
    assert stack.services["bot"].alive()
    assert applicant.say("halo")


def test_rasa_is_reachable_only_with_the_token(stack: Stack) -> None:
    assert httpx.get(f"{stack.rasa_url}/status", timeout=5).status_code == 401
    query = httpx.get(
        f"{stack.rasa_url}/status", params={"token": stack.config.rasa_token}, timeout=5
    )
    assert query.status_code == 401  # a query token would end up in access logs
    ok = httpx.get(f"{stack.rasa_url}/status", headers=stack.rasa_auth, timeout=5)
    assert ok.status_code == 200
