"""Action that shows a verified applicant's status; the bot supplies applicant_ref in metadata."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.status_text import B_CONTACT, explain_status
from core.formatting import WIB
from core.program_api import (
    ApplicantNotFound,
    ProgramAPIError,
    ProgramAPIRateLimited,
    get_shared_client,
)

log = logging.getLogger(__name__)

VERIFY_FIRST_TEXT = (
    "Untuk cek status, saya perlu verifikasi dulu bahwa ini benar kamu. "
    "Siapkan NIK dan nomor HP yang terdaftar di akun Prakerja, lalu ikuti langkah verifikasinya."
)
EXPIRED_TEXT = (
    "Sesi verifikasimu sudah berakhir. Untuk cek status, saya perlu verifikasi ulang dulu, ya."
)
UNAVAILABLE_TEXT = (
    "Maaf, data status belum bisa saya ambil sekarang. Coba lagi beberapa menit lagi, ya. "
    "Kamu juga bisa cek langsung di dashboard.prakerja.go.id."
)
RATE_LIMITED_TEXT = (
    "Maaf, sedang banyak permintaan sehingga status belum bisa saya ambil. "
    "Coba lagi sebentar lagi, ya."
)


def applicant_ref_from(tracker: Tracker) -> str | None:
    """applicant_ref set by the bot in message metadata (never taken from user text)."""
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    ref = metadata.get("applicant_ref") if isinstance(metadata, dict) else None
    return ref if isinstance(ref, str) and ref else None


class ActionShowApplicantStatus(Action):
    """Fetch and explain the applicant's Kartu Prakerja status."""

    def name(self) -> str:
        return "action_show_applicant_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        ref = applicant_ref_from(tracker)
        if ref is None:
            dispatcher.utter_message(
                text=VERIFY_FIRST_TEXT, json_message={"type": "verify_identity"}
            )
            return []
        try:
            status = await get_shared_client().get_status(ref)
        except ApplicantNotFound:
            dispatcher.utter_message(
                text=EXPIRED_TEXT, json_message={"type": "verification_expired"}
            )
            return []
        except ProgramAPIRateLimited:
            dispatcher.utter_message(text=RATE_LIMITED_TEXT)
            return []
        except ProgramAPIError as exc:
            log.warning("applicant status unavailable: %s", type(exc).__name__)
            dispatcher.utter_message(text=UNAVAILABLE_TEXT, buttons=[dict(B_CONTACT)])
            return []
        text, buttons = explain_status(status, datetime.now(WIB).date())
        dispatcher.utter_message(text=text, buttons=buttons)
        # Nothing about the person goes into slots or events: the ref stays in metadata only.
        return []
