"""Through Telegram, the fixed answers carry the corrected, dated and hedged wording."""

from __future__ import annotations

from core.facts import text
from tests.e2e.applicant import Applicant, all_text


def test_requirements_hedge_past_recipients(applicant: Applicant) -> None:
    replies = applicant.say("syarat ikut prakerja apa aja gan")
    answer = all_text(replies)
    assert text("usia") in answer and f"skema normal, {text('periode.normal')}" in answer
    assert "Belum pernah menerima Kartu Prakerja" not in answer  # no longer a certain rule
    assert text("penerima_lama") in answer and "belum ada penegasan resmi" in answer
    assert text("url.bantuan") in answer
    titles = [title for reply in replies for title, _ in reply.buttons]
    assert "Status program" in titles, titles


def test_other_aid_is_dated_and_leads_to_the_program_status(applicant: Applicant) -> None:
    replies = applicant.say("sy penerima PKH, bisa ikut prakerja gk?")
    answer = all_text(replies)
    assert f"Skema normal ({text('periode.normal')}): boleh ikut" in answer
    assert f"Semi-bansos ({text('periode.semi_bansos')}): dulu tidak boleh ikut" in answer
    assert "seterusnya" not in answer and "sejak 2023" not in answer.lower()
    status = next(reply for reply in replies if reply.buttons)
    followed = all_text(applicant.press(status, "Status program"))
    assert text("program.status") in followed and "bisa berubah" in followed
    assert text("instagram") in followed and text("url.situs") in followed


def test_certificate_answer_says_less_and_hedges(applicant: Applicant) -> None:
    answer = all_text(applicant.say("udh selesai pelatihan tp sertifikat blm muncul di dashboard"))
    assert text("sertifikat.terbit") in answer
    assert "melamar kerja" not in answer  # not in the sources
    assert "semua sesi dihadiri" not in answer
    assert text("kehadiran") in answer and "belum pasti" in answer
    assert text("email.info") in answer


def test_program_status_is_answered_plainly(applicant: Applicant) -> None:
    answer = all_text(applicant.say("prakerja masih berjalan gak sih"))
    assert text("program.status") in answer
    assert text("program.setelah_2024") in answer
    assert text("url.dashboard") in answer
