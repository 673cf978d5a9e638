"""Knowledge answers through Telegram carry the key facts of the current scheme."""

from __future__ import annotations

import sqlite3

import pytest

from bot import texts
from tests.e2e.applicant import Applicant, all_text
from tests.e2e.conftest import Stack


@pytest.mark.parametrize(
    ("question", "facts"),
    [
        ("umur sy 50 thn msh bisa ikut prakerja gk?", ["18–64"]),
        ("klo lolos dpt duit brp sih skrg", ["Rp3,5 juta", "Rp600 ribu", "tidak bisa dicairkan"]),
        ("batas beli pelatihan pertama brp hari ya kak", ["15 hari"]),
        ("bedanya prakerja skrg sama yg thn 2021 apa?", ["semi-bansos", "skema normal"]),
        ("insentif survei dapet berapa", ["Rp50 ribu"]),
        ("satu KK boleh brp org yg dapet prakerja", ["2"]),
        ("sy lg kuliah semester 5 blh daftar gk", ["kuliah"]),
        ("nomor cs prakerja brp? ada yg nawarin jasa lolos", ["prakerja.go.id"]),
    ],
)
def test_answers_carry_key_facts(applicant: Applicant, question: str, facts: list[str]) -> None:
    text = all_text(applicant.say(question))
    for fact in facts:
        assert fact.lower() in text.lower(), f"{question!r} → {text!r}"


def test_requirements_offer_registration_next(applicant: Applicant) -> None:
    replies = applicant.say("syarat ikut kartu prakerja apa aja min")
    titles = [title.lower() for reply in replies for title, _ in reply.buttons]
    assert any("daftar" in title for title in titles), titles


def test_out_of_scope_is_redirected_politely(applicant: Applicant) -> None:
    text = all_text(applicant.say("cara daftar bpjs kesehatan mandiri gimana ya"))
    assert "Kartu Prakerja" in text or "Prakerja" in text
    assert "18–64" not in text


def test_vague_message_gets_a_clarifying_question_with_two_topics(applicant: Applicant) -> None:
    replies = applicant.say("terus gmn")
    assert "kurang yakin" in all_text(replies)
    titles = [title for reply in replies for title, _ in reply.buttons]
    assert len(titles) == 3 and titles[-1] == "Bukan keduanya", titles


def test_subscription_is_stored_and_can_be_stopped(stack: Stack, applicant: Applicant) -> None:
    def consent() -> bool:
        with sqlite3.connect(stack.config.data_dir / "bot.sqlite3") as db:
            row = db.execute(
                "SELECT consent_updates FROM users WHERE telegram_id = ?", (applicant.user_id,)
            ).fetchone()
        return bool(row and row[0])

    question = applicant.say("kabarin sy ya kalo ada gelombang baru dibuka")
    assert all_text(question) == texts.CONFIRM_SUBSCRIBE
    assert not consent()  # nothing changes on a classification alone
    assert all_text(applicant.press(question[-1], texts.BUTTON_SUBSCRIBE)) == texts.SUBSCRIBED
    assert consent()
    assert all_text(applicant.say("/berhenti")) == texts.UNSUBSCRIBED
    assert not consent()


def test_asking_for_a_person_opens_a_staff_ticket(applicant: Applicant) -> None:
    # The e2e stack has a staff group (tests/e2e/test_handoff.py covers the hand-off itself).
    text = all_text(applicant.say("sy mau ngomong sama petugas aja, bukan bot"))
    assert "Nomor tiketmu" in text
    applicant.say("/selesai")


def test_second_miss_in_a_row_offers_official_staff(applicant: Applicant) -> None:
    applicant.say("terus gmn")
    replies = applicant.say("gimana dong kak")
    titles = [title for reply in replies for title, _ in reply.buttons]
    assert "Hubungi petugas resmi" in titles, titles
    staff = next(reply for reply in replies if reply.buttons)
    text = all_text(applicant.press(staff, "Hubungi petugas resmi"))
    assert "Nomor tiketmu" in text
    applicant.say("/selesai")
