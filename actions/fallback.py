"""Clarification flow for low-confidence messages (nlu_fallback and core fallback)."""

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

logger = logging.getLogger(__name__)

# intent -> short Indonesian topic label shown on a button
INTENT_LABELS: dict[str, str] = {
    "ask_requirements": "Syarat ikut Prakerja",
    "ask_eligibility_category": "Siapa yang boleh ikut",
    "ask_other_aid": "Penerima bansos lain",
    "ask_family_limit": "Batas penerima per KK",
    "ask_registration": "Cara daftar",
    "ask_basic_test": "Tes Kemampuan Dasar",
    "ask_join_batch": "Cara gabung gelombang",
    "ask_batch_schedule": "Jadwal gelombang",
    "ask_announcement": "Kapan pengumuman",
    "ask_status_meaning": "Arti status dashboard",
    "ask_rejection_reason": "Kenapa tidak lolos",
    "ask_benefits": "Besar manfaat/insentif",
    "ask_scheme_difference": "Beda skema lama & baru",
    "ask_training_mode": "Pelatihan daring/luring",
    "ask_buy_training": "Cara beli pelatihan",
    "ask_training_deadline": "Batas beli pelatihan",
    "ask_link_account": "Sambungkan rekening/e-wallet",
    "ask_incentive_delay": "Insentif belum cair",
    "ask_survey": "Survei evaluasi",
    "ask_certificate": "Sertifikat pelatihan",
    "ask_official_contact": "Kontak resmi & penipuan",
    "problem_email_verification": "Email verifikasi",
    "problem_otp": "Kode OTP",
    "problem_nik_kk": "Masalah NIK/KK",
    "problem_face_verification": "Verifikasi wajah/KTP",
    "problem_account_blocked": "Akun diblokir",
    "problem_login": "Tidak bisa login",
    "problem_change_phone": "Ganti nomor HP",
    "check_status": "Cek status saya",
    "request_human": "Hubungi petugas",
    "subscribe_updates": "Langganan info gelombang",
    "unsubscribe_updates": "Berhenti langganan",
}

# never offered as a topic button
_NOT_OFFERED = {
    "nlu_fallback",
    "out_of_scope",
    "status_verified",
    "greet",
    "goodbye",
    "thank",
    "affirm",
    "deny",
    "bot_challenge",
}


def top_topics(intent_ranking: list[dict[str, Any]], n: int = 2) -> list[str]:
    """Return the n most likely answerable intents from an NLU intent ranking."""
    ranked = sorted(intent_ranking or [], key=lambda r: r.get("confidence") or 0.0, reverse=True)
    topics: list[str] = []
    for item in ranked:
        name = item.get("name")
        if name in INTENT_LABELS and name not in _NOT_OFFERED and name not in topics:
            topics.append(name)
        if len(topics) == n:
            break
    return topics


def consecutive_misses(tracker: Tracker) -> int:
    """Count the user turns in a row (latest included) that ended in a clarification."""
    misses = 0
    user_turn_missed = False
    for event in reversed(tracker.events):
        etype = event.get("event")
        if etype == "action" and event.get("name") == ActionClarifyIntent.NAME:
            user_turn_missed = True
        elif etype == "user":
            intent = (event.get("parse_data") or {}).get("intent", {}).get("name")
            if intent == "deny" and not user_turn_missed:
                # "none of these" after a clarification keeps the streak going
                continue
            if intent == "nlu_fallback" or user_turn_missed:
                misses += 1
                user_turn_missed = False
            else:
                break
        elif etype in ("session_started", "restart"):
            break
    return misses


class ActionClarifyIntent(Action):
    """Ask which topic was meant; after a second miss in a row offer staff."""

    NAME = "action_clarify_intent"

    def name(self) -> str:
        return self.NAME

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[EventType]:
        ranking = tracker.latest_message.get("intent_ranking") or []
        misses = consecutive_misses(tracker)
        # the current message is the latest user event; count it even if the action
        # event for it is not in the tracker yet
        if misses == 0:
            misses = 1
        topics = top_topics(ranking)
        logger.debug("clarify: misses=%s topics=%s", misses, topics)

        if misses >= 2:
            buttons = [{"title": INTENT_LABELS[t], "payload": f"/{t}"} for t in topics[:1]] + [
                {"title": "Hubungi petugas resmi", "payload": "/request_human"}
            ]
            dispatcher.utter_message(
                text=(
                    "Maaf, saya masih belum menangkap maksudmu. "
                    "Mau lihat cara menghubungi petugas resmi Prakerja? Atau pilih topik di bawah."
                ),
                buttons=buttons,
            )
            return []

        if topics:
            buttons = [{"title": INTENT_LABELS[t], "payload": f"/{t}"} for t in topics]
            buttons.append({"title": "Bukan keduanya", "payload": "/deny"})
            dispatcher.utter_message(
                text="Maaf, saya kurang yakin maksudnya. Apakah kamu menanyakan salah satu ini?",
                buttons=buttons,
            )
        else:
            dispatcher.utter_message(
                text=(
                    "Maaf, saya belum paham maksudnya. Bisa ditulis ulang dengan kalimat lain? "
                    "Saya bisa bantu soal syarat, cara daftar, gelombang, pelatihan, "
                    "insentif, dan masalah akun Kartu Prakerja."
                )
            )
        return []
