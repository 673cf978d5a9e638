"""explain_status: one explanation per status_peserta code, deadlines, reasons, buttons."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest

from actions.status_text import HANDLERS, REASONS, explain_status, first_name
from core.program_api import ApplicantStatus, parse_applicant_status
from core.program_api.models import _Obj
from sandbox.program_api import scenarios

TODAY = date(2026, 11, 26)  # a Thursday

INTENTS = {
    "ask_requirements", "ask_registration", "ask_basic_test", "ask_join_batch",
    "ask_batch_schedule", "ask_announcement", "ask_status_meaning", "ask_rejection_reason",
    "ask_benefits", "ask_buy_training", "ask_training_deadline", "ask_link_account",
    "ask_incentive_delay", "ask_survey", "ask_certificate", "ask_official_contact",
    "problem_account_blocked", "request_human",
}  # fmt: skip


def make(code: str, **kw: Any) -> ApplicantStatus:
    doc = scenarios.build_status(
        code,
        today=TODAY,
        applicant_id="APL-1",
        nama=kw.pop("nama", "Siti Nur Aminah"),
        nik_masked="3273********0002",
        **kw,
    )
    return parse_applicant_status(_Obj(doc, "$"))


def test_every_code_has_a_handler() -> None:
    assert set(HANDLERS) == set(scenarios.STATUS_CODES)


@pytest.mark.parametrize("code", scenarios.STATUS_CODES)
def test_every_code_explained(code: str) -> None:
    text, buttons = explain_status(make(code), TODAY)
    assert text.startswith("Halo, Siti!")
    assert "Nur" not in text.splitlines()[0] and "Aminah" not in text
    assert "<" not in text and ">" not in text  # plain text only; the bot escapes HTML
    assert "3273" not in text  # no identifiers echoed back
    assert 1 <= len(buttons) <= 3
    for b in buttons:
        assert set(b) == {"title", "payload"}
        assert b["payload"].startswith("/") and b["payload"][1:] in INTENTS


def test_explanations_differ_per_code() -> None:
    bodies = {explain_status(make(c), TODAY)[0].split("\n", 2)[2] for c in scenarios.STATUS_CODES}
    assert len(bodies) == len(scenarios.STATUS_CODES)


def test_lolos_shows_days_left_and_deadline() -> None:
    text, buttons = explain_status(make("LOLOS_BELUM_BELI_PELATIHAN"), TODAY)
    # announced TODAY-10, deadline +15 days → 5 days left
    assert (
        "Sisa 5 hari lagi untuk membeli pelatihan pertama (batas Selasa, 1 Desember 2026)" in text
    )
    assert "Rp3,5 juta" in text and "dicabut" in text
    assert {"/ask_buy_training", "/ask_training_deadline"} <= {b["payload"] for b in buttons}


@pytest.mark.parametrize(
    ("offset", "expected"),
    [(1, "Sisa 1 hari lagi"), (0, "Hari ini batas terakhir"), (-1, "sudah lewat")],
)
def test_deadline_edges(offset: int, expected: str) -> None:
    status = make("LOLOS_BELUM_BELI_PELATIHAN")
    assert status.kartu is not None
    kartu = replace(status.kartu, batas_beli_pelatihan_pertama=TODAY + timedelta(days=offset))
    text, _ = explain_status(replace(status, kartu=kartu), TODAY)
    assert expected in text


@pytest.mark.parametrize("kode", sorted(scenarios.REASON_TEXTS))
def test_every_rejection_reason(kode: str) -> None:
    text, buttons = explain_status(make("TIDAK_LOLOS", alasan=kode), TODAY)
    assert REASONS[kode].why in text and REASONS[kode].fix in text
    assert "Gelombang 78" in text
    assert ("akun yang sama" in text) == REASONS[kode].can_retry
    assert buttons[0]["payload"] == "/ask_rejection_reason"


def test_dukcapil_contact_for_data_mismatch() -> None:
    text, _ = explain_status(make("TIDAK_LOLOS", alasan="DATA_TIDAK_SESUAI_DUKCAPIL"), TODAY)
    assert "1500-537" in text


def test_incentive_waiting_reasons() -> None:
    assert "rating & ulasan" in explain_status(make("MENUNGGU_ULASAN"), TODAY)[0]
    assert "sertifikat" in explain_status(make("MENUNGGU_SERTIFIKAT"), TODAY)[0].lower()
    rekening = explain_status(make("MENUNGGU_REKENING"), TODAY)[0]
    assert "OVO" in rekening and "premium" in rekening
    scheduled = explain_status(make("INSENTIF_DIJADWALKAN"), TODAY)[0]
    assert "3–5 hari kerja" in scheduled and "Rp600 ribu" in scheduled
    # scheduled Wed 25 Nov 2026 → +5 working days = Wed 2 Dec 2026
    assert "Rabu, 2 Desember 2026" in scheduled


def test_incentive_overdue_points_to_official_channel() -> None:
    text, _ = explain_status(make("INSENTIF_DIJADWALKAN"), TODAY + timedelta(days=14))
    assert "Sudah lewat 5 hari kerja" in text


def test_pendaftaran_names_next_step() -> None:
    text, _ = explain_status(make("PENDAFTARAN_BELUM_LENGKAP"), TODAY)
    assert "OTP" in text


def test_blocked_mentions_appeal() -> None:
    text, buttons = explain_status(make("AKUN_DIBLOKIR"), TODAY)
    assert "Akun Terblokir" in text and "Formulir Pengaduan" in text
    assert buttons[0]["payload"] == "/problem_account_blocked"


def test_unknown_code_does_not_guess() -> None:
    status = replace(make("SIAP_GABUNG"), status_peserta="KODE_BARU")
    text, buttons = explain_status(status, TODAY)
    assert "belum bisa menjelaskan" in text and buttons


def test_first_name_only() -> None:
    assert first_name("  yohanes   lake ") == "Yohanes"
    assert first_name("") == ""
    text, _ = explain_status(make("SELESAI", nama=""), TODAY)
    assert text.startswith("Halo! ")


def test_selesai_totals() -> None:
    text, _ = explain_status(make("SELESAI"), TODAY)
    assert "Rp700.000" in text
    assert re.search(r"Data per \w+, \d+ \w+ \d{4} pukul \d\d\.\d\d WIB\.", text)


# --- facts by scheme and year (core/facts.py) ---------------------------------------------


def test_terdaftar_lembaga_lain_is_dated_to_the_semi_bansos_years() -> None:
    text, buttons = explain_status(make("TIDAK_LOLOS", alasan="TERDAFTAR_LEMBAGA_LAIN"), TODAY)
    assert "BSU atau BPUM" in text
    # the exclusion held in 2020–2022 only; skema normal lets other-aid recipients join
    assert "semi-bansos (2020–2022)" in text
    assert "skema normal (2023–2024) penerima bantuan lain boleh ikut" in text
    assert "bsu.kemnaker.go.id" in text and "1500-630" in text and "eform.bri.co.id/bpum" in text
    assert REASONS["TERDAFTAR_LEMBAGA_LAIN"].can_retry and "akun yang sama" in text
    assert "/ask_batch_schedule" in {b["payload"] for b in buttons}


def test_both_other_aid_reasons_name_the_years() -> None:
    for kode in ("PENERIMA_BANSOS_LAIN", "TERDAFTAR_LEMBAGA_LAIN"):
        reason = REASONS[kode]
        assert "2020–2022" in reason.why and "2023–2024" in f"{reason.why} {reason.fix}", kode
        assert "Sejak 2023" not in f"{reason.why} {reason.fix}", kode


def _without_incentive_records(code: str, skema: str) -> ApplicantStatus:
    """A status whose post-training incentive the API has not listed yet."""
    status = make(code)
    return replace(
        status, skema=skema, insentif=[i for i in status.insentif if i.jenis != "PASCA_PELATIHAN"]
    )


@pytest.mark.parametrize("code", ["PELATIHAN_BERJALAN", "MENUNGGU_ULASAN", "MENUNGGU_REKENING"])
def test_incentive_amount_follows_the_scheme(code: str) -> None:
    normal = explain_status(_without_incentive_records(code, "SKEMA_NORMAL"), TODAY)[0]
    semi = explain_status(_without_incentive_records(code, "SEMI_BANSOS"), TODAY)[0]
    unknown = explain_status(_without_incentive_records(code, "SKEMA_BARU"), TODAY)[0]
    assert re.search(r"[Ii]nsentif Rp600 ribu (bisa|tidak|menunggu)", normal), normal
    assert "/bulan" not in normal
    assert "Rp600 ribu/bulan selama 4 bulan" in semi
    # a scheme this bot does not know gets no amount rather than a guessed one
    assert "Rp600" not in unknown and "insentif" in unknown.lower()


def test_incentive_amount_from_the_api_wins_over_the_scheme() -> None:
    status = make("INSENTIF_DIJADWALKAN")
    pasca = [
        replace(i, nominal=750_000) if i.jenis == "PASCA_PELATIHAN" else i for i in status.insentif
    ]
    text, _ = explain_status(replace(status, skema="SEMI_BANSOS", insentif=pasca), TODAY)
    assert "Insentif Rp750 ribu kamu sudah dijadwalkan" in text
    assert "Rp600" not in text


def test_survey_amount_follows_the_scheme_when_the_api_has_none() -> None:
    status = replace(make("SURVEI_TERSEDIA"), insentif=[])
    assert "untuk insentif Rp50 ribu" in explain_status(status, TODAY)[0]
    unknown = explain_status(replace(status, skema="SKEMA_BARU"), TODAY)[0]
    assert "untuk insentif survei." in unknown and "Rp50" not in unknown


def test_leftover_balance_is_hedged() -> None:
    text, _ = explain_status(make("SELESAI"), TODAY)
    if "Sisa saldo" in text:
        assert "belum dikonfirmasi" in text and "dashboard" in text
    status = make("SELESAI")
    assert status.kartu is not None
    kartu = replace(status.kartu, saldo_sisa=500_000)
    text, _ = explain_status(replace(status, kartu=kartu), TODAY)
    assert "Sisa saldo pelatihan Rp500 ribu" in text and "belum dikonfirmasi" in text
