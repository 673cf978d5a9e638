"""Action that answers "gelombang kapan dibuka?" from the Program API, never from memory."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.status_text import B_JOIN, B_REQUIREMENTS, B_STATUS_MEANING, button
from core.formatting import WIB, format_date, format_datetime_wib
from core.program_api import Gelombang, ProgramAPIError, get_shared_client

log = logging.getLogger(__name__)

OFFICIAL = "Instagram @prakerja.go.id dan www.prakerja.go.id"
NOT_FCFS = (
    "Ingat, seleksi dilakukan sistem setelah gelombang ditutup, bukan siapa cepat dia dapat. "
    "Yang belum lolos cukup gabung gelombang berikutnya dengan akun yang sama."
)
UNAVAILABLE_TEXT = (
    "Maaf, data jadwal gelombang belum bisa saya ambil sekarang. "
    f"Cek info resminya di {OFFICIAL}, atau coba tanya saya lagi sebentar lagi."
)
B_CONTACT_OFFICIAL = button("Kontak resmi", "ask_official_contact")


def schedule_text(items: list[Gelombang], now: datetime) -> str:
    """Indonesian answer for the current gelombang situation at `now`."""
    open_now = [g for g in items if g.status == "open" and g.dibuka <= now < g.ditutup]
    upcoming = sorted(
        (g for g in items if g.status == "upcoming" and g.dibuka > now), key=lambda g: g.dibuka
    )
    lines: list[str] = []
    if open_now:
        g = min(open_now, key=lambda g: g.ditutup)
        lines.append(f"Gelombang {g.nomor} sedang dibuka sampai {format_datetime_wib(g.ditutup)}.")
        lines.append(
            'Caranya: masuk ke dashboard.prakerja.go.id, klik "Gabung Gelombang", lalu '
            '"Ya, Gabung". Pastikan pendaftaran dan Tes Kemampuan Dasar sudah selesai.'
        )
    elif upcoming:
        g = upcoming[0]
        lines.append(
            f"Saat ini belum ada gelombang yang dibuka. Gelombang {g.nomor} dijadwalkan dibuka "
            f"{format_datetime_wib(g.dibuka)} sampai {format_datetime_wib(g.ditutup)}."
        )
        lines.append(f"Jadwal bisa berubah, jadi tetap pantau {OFFICIAL}.")
    else:
        closed = sorted((g for g in items if g.status == "closed"), key=lambda g: g.nomor)
        if closed:
            g = closed[-1]
            lines.append(
                f"Gelombang {g.nomor} sudah ditutup dan sedang dalam proses seleksi. "
                "Hasilnya diumumkan lewat SMS dan dashboard."
            )
        lines.append(
            "Belum ada jadwal gelombang baru yang diumumkan. Pantau pengumuman resminya di "
            f"{OFFICIAL}."
        )
    if open_now and upcoming:
        nxt = upcoming[0]
        lines.append(
            f"Gelombang berikutnya ({nxt.nomor}) dijadwalkan dibuka {format_date(nxt.dibuka)}."
        )
    lines.append(NOT_FCFS)
    return "\n".join(lines)


class ActionAnswerBatchSchedule(Action):
    """Tell which gelombang is open, or when the next one is expected."""

    def name(self) -> str:
        return "action_answer_batch_schedule"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        try:
            items = await get_shared_client().list_gelombang()
        except ProgramAPIError as exc:
            log.warning("gelombang schedule unavailable: %s", type(exc).__name__)
            dispatcher.utter_message(text=UNAVAILABLE_TEXT, buttons=[B_CONTACT_OFFICIAL])
            return []
        text = schedule_text(items, datetime.now(WIB))
        dispatcher.utter_message(text=text, buttons=[B_JOIN, B_REQUIREMENTS, B_STATUS_MEANING])
        return []
