"""Every text the action server shows users (Indonesian), and the buttons the actions share."""

# The status explanations themselves stay in actions/status_text.py (they are mostly facts).
# Templates use str.format fields; the bot HTML-escapes everything, so plain text only.

from __future__ import annotations

from core.facts import text

Button = dict[str, str]


def button(title: str, intent: str) -> Button:
    """Rasa button dict that triggers `intent` directly."""
    return {"title": title, "payload": f"/{intent}"}


# --- shared buttons ----------------------------------------------------------------------------

B_REQUIREMENTS = button("Syarat ikut", "ask_requirements")
B_REGISTRATION = button("Cara daftar", "ask_registration")
B_BASIC_TEST = button("Tes Kemampuan Dasar", "ask_basic_test")
B_JOIN = button("Cara gabung gelombang", "ask_join_batch")
B_SCHEDULE = button("Jadwal gelombang", "ask_batch_schedule")
B_ANNOUNCEMENT = button("Kapan pengumuman?", "ask_announcement")
B_STATUS_MEANING = button("Arti status", "ask_status_meaning")
B_REJECTION = button("Alasan tidak lolos", "ask_rejection_reason")
B_BENEFITS = button("Manfaat & insentif", "ask_benefits")
B_BUY = button("Cara beli pelatihan", "ask_buy_training")
B_DEADLINE = button("Batas beli pelatihan", "ask_training_deadline")
B_LINK = button("Sambungkan rekening", "ask_link_account")
B_INCENTIVE_DELAY = button("Insentif belum masuk", "ask_incentive_delay")
B_SURVEY = button("Survei evaluasi", "ask_survey")
B_CERTIFICATE = button("Sertifikat", "ask_certificate")
B_CONTACT = button("Kontak resmi", "ask_official_contact")
B_BLOCKED = button("Akun diblokir", "problem_account_blocked")
B_HUMAN = button("Hubungi petugas resmi", "request_human")
B_NONE_OF_THESE = button("Bukan keduanya", "deny")

# --- any action --------------------------------------------------------------------------------

# Said when an action fails in a way it has no better words for (a bug, its budget ran out).
ACTION_FAILED_TEXT = (
    "Maaf, ada kendala di sistem saya sehingga pertanyaanmu belum bisa saya jawab sekarang. "
    "Coba lagi sebentar lagi, ya."
)

# --- action_show_applicant_status --------------------------------------------------------------

VERIFY_FIRST_TEXT = (
    "Untuk cek status, saya perlu verifikasi dulu bahwa ini benar kamu. "
    "Siapkan NIK dan nomor HP yang terdaftar di akun Prakerja, lalu ikuti langkah verifikasinya."
)
EXPIRED_TEXT = (
    "Sesi verifikasimu sudah berakhir. Untuk cek status, saya perlu verifikasi ulang dulu, ya."
)
STATUS_UNAVAILABLE_TEXT = (
    "Maaf, data status belum bisa saya ambil sekarang. Coba lagi beberapa menit lagi, ya. "
    f"Kamu juga bisa cek langsung di {text('url.dashboard')}."
)
STATUS_RATE_LIMITED_TEXT = (
    "Maaf, sedang banyak permintaan sehingga status belum bisa saya ambil. "
    "Coba lagi sebentar lagi, ya."
)

# --- action_answer_batch_schedule --------------------------------------------------------------

OFFICIAL_CHANNELS = f"Instagram {text('instagram')} dan {text('url.situs')}"
SCHEDULE_NOT_FCFS = (
    "Ingat, seleksi dilakukan sistem setelah gelombang ditutup, bukan siapa cepat dia dapat. "
    "Yang belum lolos cukup gabung gelombang berikutnya dengan akun yang sama."
)
SCHEDULE_UNAVAILABLE_TEXT = (
    "Maaf, data jadwal gelombang belum bisa saya ambil sekarang. "
    f"Cek info resminya di {OFFICIAL_CHANNELS}, atau coba tanya saya lagi sebentar lagi."
)
SCHEDULE_OPEN = "Gelombang {nomor} sedang dibuka sampai {ditutup}."
SCHEDULE_HOW_TO_JOIN = (
    f'Caranya: masuk ke {text("url.dashboard")}, klik "Gabung Gelombang", lalu '
    '"Ya, Gabung". Pastikan pendaftaran dan Tes Kemampuan Dasar sudah selesai.'
)
SCHEDULE_UPCOMING = (
    "Saat ini belum ada gelombang yang dibuka. Gelombang {nomor} dijadwalkan dibuka "
    "{dibuka} sampai {ditutup}."
)
SCHEDULE_MAY_CHANGE = f"Jadwal bisa berubah, jadi tetap pantau {OFFICIAL_CHANNELS}."
SCHEDULE_CLOSED = (
    "Gelombang {nomor} sudah ditutup dan sedang dalam proses seleksi. "
    "Hasilnya diumumkan lewat SMS dan dashboard."
)
SCHEDULE_NONE_ANNOUNCED = (
    "Belum ada jadwal gelombang baru yang diumumkan. Pantau pengumuman resminya di "
    f"{OFFICIAL_CHANNELS}."
)
SCHEDULE_NEXT = (
    "Gelombang berikutnya ({nomor}) dijadwalkan dibuka {dibuka}. " + SCHEDULE_MAY_CHANGE
)

# --- action_clarify_intent ---------------------------------------------------------------------

# intent -> short topic label shown on a button (at most 40 characters)
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
    "ask_program_status": "Status program Prakerja",
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
CLARIFY_ASK_TEXT = "Maaf, saya kurang yakin maksudnya. Apakah kamu menanyakan salah satu ini?"
CLARIFY_OFFER_HUMAN_TEXT = (
    "Maaf, saya masih belum menangkap maksudmu. "
    "Mau lihat cara menghubungi petugas resmi Prakerja? Atau pilih topik di bawah."
)
CLARIFY_REPHRASE_TEXT = (
    "Maaf, saya belum paham maksudnya. Bisa ditulis ulang dengan kalimat lain? "
    "Saya bisa bantu soal syarat, cara daftar, gelombang, pelatihan, "
    "insentif, dan masalah akun Kartu Prakerja."
)
