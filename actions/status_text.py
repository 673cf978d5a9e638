"""Plain-text Indonesian explanations of an applicant status, with follow-up buttons."""

# The bot HTML-escapes everything, so the text uses line breaks and "•" bullets only.
# The buttons, like every other text of the action server, are defined in actions/texts.py.

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from actions.texts import (
    B_ANNOUNCEMENT,
    B_BASIC_TEST,
    B_BENEFITS,
    B_BLOCKED,
    B_BUY,
    B_CERTIFICATE,
    B_CONTACT,
    B_DEADLINE,
    B_HUMAN,
    B_INCENTIVE_DELAY,
    B_JOIN,
    B_LINK,
    B_REGISTRATION,
    B_REJECTION,
    B_REQUIREMENTS,
    B_SCHEDULE,
    B_STATUS_MEANING,
    B_SURVEY,
    Button,
)
from core import facts
from core.facts import SEMI_BANSOS, text
from core.formatting import (
    add_working_days,
    format_date,
    format_datetime_wib,
    format_rupiah,
    format_rupiah_short,
    working_days_between,
)
from core.program_api import ApplicantStatus, Insentif, Pelatihan

Lines = list[str]

# Every programme fact below comes from core/facts.py; tests/core/test_facts_guard.py fails on a
# number, amount, URL or contact typed into this module's texts.
SITUS = text("url.situs")
DASHBOARD = text("url.dashboard")
INFO_EMAIL = text("email.info")
INSTAGRAM = text("instagram")
PENGADUAN = f"Formulir Pengaduan di {text('url.pengaduan')}"
DUKCAPIL = (
    f"Dukcapil: telepon {text('dukcapil.telepon')}, WhatsApp {text('dukcapil.whatsapp')}, "
    f"atau email {text('dukcapil.email')}"
)
NORMAL_YEARS = text("periode.normal")
SEMI_YEARS = text("periode.semi_bansos")

LABELS: dict[str, str] = {
    "BELUM_PUNYA_AKUN": "Belum terdaftar",
    "PENDAFTARAN_BELUM_LENGKAP": "Pendaftaran belum lengkap",
    "SIAP_GABUNG": "Siap gabung gelombang",
    "GELOMBANG_BELUM_DIBUKA": "Gelombang belum dibuka",
    "MENUNGGU_GELOMBANG_DITUTUP": "Menunggu gelombang ditutup",
    "SEDANG_DIPROSES": "Sedang diproses",
    "DALAM_PROSES_SELEKSI": "Dalam proses seleksi",
    "TIDAK_LOLOS": "Kamu belum berhasil",
    "LOLOS_BELUM_BELI_PELATIHAN": "Lolos, segera beli pelatihan",
    "KEPESERTAAN_DICABUT": "Kepesertaan dicabut",
    "PELATIHAN_BERJALAN": "Pelatihan berlangsung",
    "MENUNGGU_SERTIFIKAT": "Menunggu sertifikat",
    "MENUNGGU_ULASAN": "Beri rating & ulasan",
    "MENUNGGU_REKENING": "Sambungkan rekening/e-wallet",
    "INSENTIF_DIJADWALKAN": "Insentif dijadwalkan",
    "INSENTIF_GAGAL": "Insentif gagal",
    "SURVEI_TERSEDIA": "Survei evaluasi tersedia",
    "SELESAI": "Program selesai",
    "AKUN_DIBLOKIR": "Akun diblokir",
}

# Next registration step after the last completed one (`akun.langkah_pendaftaran`).
NEXT_STEP: dict[str, str] = {
    "AKUN_DIBUAT": "verifikasi email (cek juga folder Spam untuk email dari Prakerja)",
    "EMAIL_OK": "verifikasi NIK, nomor KK, dan tanggal lahir",
    "KTP_KK_OK": "lengkapi data diri",
    "DATA_DIRI_OK": "unggah foto e-KTP asli (jelas, tidak terpotong, tanpa flash)",
    "FOTO_KTP_OK": "verifikasi wajah (ikuti petunjuk berkedip di layar)",
    "WAJAH_OK": "verifikasi nomor HP dengan kode OTP lewat SMS",
    "HP_OK": "isi pernyataan pendaftar",
    "PERNYATAAN_OK": "ikuti Tes Kemampuan Dasar (TKD)",
}


class Reason:
    """Why a selection failed, how to fix it, and whether joining again makes sense."""

    def __init__(self, why: str, fix: str, can_retry: bool = True) -> None:
        self.why, self.fix, self.can_retry = why, fix, can_retry


REASONS: dict[str, Reason] = {
    "KUOTA_PENUH": Reason(
        "Kuota gelombang sudah penuh. Ini bukan karena datamu salah.",
        "Gabung lagi di gelombang berikutnya.",
    ),
    "NIK_TIDAK_VALID": Reason(
        "NIK kamu tidak valid atau tidak ditemukan di data kependudukan.",
        f"Cek dan perbaiki data NIK ke {DUKCAPIL}.",
    ),
    "DATA_TIDAK_SESUAI_DUKCAPIL": Reason(
        "Data NIK, nomor KK, nama, atau tanggal lahir tidak sama dengan data Dukcapil.",
        f"Cek datamu ke {DUKCAPIL}. Setelah data benar, gabung gelombang berikutnya.",
    ),
    "PENDIDIKAN_FORMAL_AKTIF": Reason(
        "Kamu tercatat masih sekolah atau kuliah (data Dapodik/PDDikti).",
        "Jika sudah lulus atau berhenti, minta sekolah/kampus memperbarui datamu.",
    ),
    "KATEGORI_TERLARANG": Reason(
        "Kamu tercatat dalam kelompok yang tidak boleh ikut, misalnya ASN, TNI, Polri, "
        "anggota DPRD, kepala/perangkat desa, atau direksi/komisaris BUMN/BUMD.",
        f"Jika data itu keliru, ajukan lewat {PENGADUAN}.",
        can_retry=False,
    ),
    "KK_SUDAH_2_PENERIMA": Reason(
        f"Dalam satu Kartu Keluarga sudah ada {text('kk.maks')} Kartu Prakerja, batas "
        "maksimalnya.",
        f"Jika menurutmu data ini keliru, ajukan lewat {PENGADUAN}.",
        can_retry=False,
    ),
    "PERNAH_MENERIMA": Reason(
        "NIK kamu tercatat sudah pernah menerima Kartu Prakerja.",
        "Apakah penerima lama bisa ikut lagi di skema normal belum ada penegasan resmi. Jika "
        f"kamu merasa belum pernah menerima, ajukan lewat {PENGADUAN}.",
        can_retry=False,
    ),
    "PENERIMA_BANSOS_LAIN": Reason(
        f"Kamu tercatat sebagai penerima bantuan sosial lain (aturan tahun {SEMI_YEARS}).",
        f"Cek data DTKS di {text('dtks.url')} atau {text('lapor.url')}. Di skema normal "
        f"({NORMAL_YEARS}) penerima bansos lain {text('bansos_lain.normal')} Kartu Prakerja.",
    ),
    "USIA_TIDAK_MEMENUHI": Reason(
        f"Usiamu di luar batas {text('usia')}.",
        f"Jika tanggal lahirmu tercatat salah, perbaiki di {DUKCAPIL}.",
        can_retry=False,
    ),
    "TERDAFTAR_LEMBAGA_LAIN": Reason(
        "NIK kamu tercatat sebagai penerima program lembaga lain (BSU atau BPUM). Aturan ini "
        f"berlaku di skema semi-bansos ({SEMI_YEARS}); di skema normal ({NORMAL_YEARS}) "
        f"penerima bantuan lain {text('bansos_lain.normal')}.",
        f"Cek status BSU di {text('bsu.url')} atau telepon {text('bsu.telepon')}, dan BPUM di "
        f"{text('bpum.url')}.",
    ),
    "LAINNYA": Reason(
        "Kamu belum memenuhi ketentuan program.",
        f'Lihat alasannya di menu "Riwayat Gelombang" di dashboard, atau tanyakan lewat '
        f"{PENGADUAN}.",
    ),
}

_REKENING_GAGAL: dict[str, str] = {
    "NIK_TIDAK_SAMA": "NIK pemilik akun berbeda dengan NIK akun Prakerja. Pakai rekening atau "
    "e-wallet atas nama dan NIK kamu sendiri.",
    "BELUM_PREMIUM": "e-wallet belum premium. Upgrade dulu (verifikasi KTP dan selfie) di "
    "aplikasinya, lalu sambungkan ulang.",
    "TIDAK_AKTIF": "rekening atau e-wallet tidak aktif. Aktifkan dulu atau pakai akun lain atas "
    "namamu sendiri.",
}

HOW_TO_LINK = (
    'Cara menyambungkan: dashboard → Rekening → pilih penyedia → masukkan nomor → "Ya, '
    'Sambungkan" → masukkan kode OTP dari SMS. E-wallet harus premium dan terdaftar dengan '
    "nomor HP yang sama dengan akun Prakerja."
)


def first_name(nama: str) -> str:
    """First word of the name, capitalised; empty if there is none."""
    parts = nama.strip().split()
    return parts[0].capitalize() if parts else ""


def deadline_line(batas: date, today: date) -> str:
    """'Sisa 5 hari lagi untuk membeli pelatihan pertama (batas Senin, 1 Desember 2026).'"""
    days = (batas - today).days
    when = format_date(batas)
    if days > 1:
        return f"Sisa {days} hari lagi untuk membeli pelatihan pertama (batas {when})."
    if days == 1:
        return f"Sisa {days} hari lagi untuk membeli pelatihan pertama (batas besok, {when})."
    if days == 0:
        return f"Hari ini batas terakhir membeli pelatihan pertama ({when}). Segera beli hari ini!"
    return (
        f"Batas membeli pelatihan pertama ({when}) sudah lewat. Cek dashboard; jika statusmu "
        "belum berubah, hubungi kanal resmi."
    )


def _first_training(s: ApplicantStatus) -> Pelatihan | None:
    for p in s.pelatihan:
        if p.pelatihan_pertama:
            return p
    return s.pelatihan[0] if s.pelatihan else None


def _pasca(s: ApplicantStatus) -> Insentif | None:
    return next((i for i in s.insentif if i.jenis == "PASCA_PELATIHAN"), None)


def pasca_amount(s: ApplicantStatus) -> str:
    """The post-training incentive for this applicant: the API's amount, else the scheme's."""
    found = _pasca(s)
    if found:
        return format_rupiah_short(found.nominal)
    if s.skema == SEMI_BANSOS:
        monthly = text("insentif_pasca.semi_bansos")
        return f"{monthly} selama {text('insentif_bulan.semi_bansos')}"
    scheme = facts.for_scheme("insentif_pasca", s.skema)
    return scheme.text if scheme else ""


def _insentif(s: ApplicantStatus) -> str:
    """'insentif Rp600 ribu', or just 'insentif' when the scheme is unknown."""
    amount = pasca_amount(s)
    return f"insentif {amount}" if amount else "insentif"


def _cap(words: str) -> str:
    """First letter upper case, the rest untouched (str.capitalize would lower 'Rp')."""
    return words[:1].upper() + words[1:]


def _training_name(p: Pelatihan | None) -> str:
    return f'"{p.judul}"' if p else "pertamamu"


def _belum_punya_akun(s: ApplicantStatus, today: date) -> tuple[Lines, list[Button]]:
    return [
        "Kamu belum punya akun Kartu Prakerja. Langkah daftarnya:",
        f'• Buka {SITUS}, klik "Daftar", lalu verifikasi email.',
        "• Verifikasi NIK, nomor KK, dan tanggal lahir (harus sama dengan data Dukcapil).",
        "• Lengkapi data diri, unggah foto e-KTP asli, lalu verifikasi wajah.",
        "• Verifikasi nomor HP dengan OTP SMS dan isi pernyataan pendaftar.",
        "• Ikuti Tes Kemampuan Dasar (TKD).",
        "Daftar sendiri hanya di situs resmi; jangan pakai jasa joki.",
    ], [B_REGISTRATION, B_REQUIREMENTS, B_SCHEDULE]


def _pendaftaran_belum_lengkap(s: ApplicantStatus, today: date) -> tuple[Lines, list[Button]]:
    step = NEXT_STEP.get(s.akun.langkah_pendaftaran if s.akun else "", "")
    lines = ["Pendaftaranmu belum lengkap."]
    if step:
        lines.append(f"Langkah berikutnya: {step}.")
    lines += [
        f"Lanjutkan di {DASHBOARD}. Setelah semua langkah dan TKD selesai, kamu "
        "bisa gabung gelombang.",
    ]
    return lines, [B_REGISTRATION, B_BASIC_TEST, B_SCHEDULE]


def _siap_gabung(s: ApplicantStatus, today: date) -> tuple[Lines, list[Button]]:
    return [
        "Akunmu sudah siap. Tinggal gabung gelombang: saat gelombang dibuka, masuk ke dashboard, "
        'klik "Gabung Gelombang", lalu "Ya, Gabung".',
        "Seleksi dilakukan sistem setelah gelombang ditutup, bukan siapa cepat dia dapat.",
    ], [B_SCHEDULE, B_JOIN]


def _gelombang_belum_dibuka(s: ApplicantStatus, today: date) -> tuple[Lines, list[Button]]:
    return [
        "Akunmu sudah siap, tapi saat ini belum ada gelombang yang bisa kamu ikuti.",
        f"Pantau pengumuman di Instagram {INSTAGRAM} dan dashboard. Begitu dibuka, klik "
        '"Gabung Gelombang".',
    ], [B_SCHEDULE, B_JOIN]


def _menunggu_ditutup(s: ApplicantStatus, today: date) -> tuple[Lines, list[Button]]:
    g = s.gelombang_aktif
    lines = (
        [
            f"Kamu sudah tergabung di Gelombang {g.nomor}. Gelombang ini masih dibuka sampai "
            f"{format_datetime_wib(g.ditutup)}."
        ]
        if g
        else ["Kamu sudah tergabung di gelombang yang masih dibuka."]
    )
    lines.append(
        "Tidak perlu daftar ulang. Seleksi berjalan setelah gelombang ditutup, dan hasilnya "
        "diumumkan lewat SMS dan dashboard."
    )
    return lines, [B_ANNOUNCEMENT, B_STATUS_MEANING]


def _sedang_diproses(s: ApplicantStatus, today: date) -> tuple[Lines, list[Button]]:
    g = s.gelombang_aktif
    head = (
        f"Gelombang {g.nomor} sudah ditutup ({format_datetime_wib(g.ditutup)})."
        if g
        else "Gelombangmu sudah ditutup."
    )
    return [
        f"{head} Datamu sedang diproses sebelum seleksi.",
        "Ini normal. Hasil biasanya diumumkan beberapa hari setelah gelombang ditutup, lewat SMS "
        "dan dashboard.",
    ], [B_ANNOUNCEMENT, B_STATUS_MEANING]


def _dalam_seleksi(s: ApplicantStatus, today: date) -> tuple[Lines, list[Button]]:
    g = s.gelombang_aktif
    which = f"Gelombang {g.nomor}" if g else "gelombangmu"
    return [
        f"Seleksi {which} sedang berjalan. Status ini belum berarti lolos atau tidak lolos.",
        "Sistem mengecek datamu ke Dukcapil dan instansi lain, lalu memilih peserta yang "
        "memenuhi syarat secara acak sesuai kuota. Tunggu pengumuman lewat SMS dan dashboard.",
    ], [B_ANNOUNCEMENT, B_STATUS_MEANING]


def _tidak_lolos(s: ApplicantStatus, today: date) -> tuple[Lines, list[Button]]:
    failed = [r for r in s.riwayat_gelombang if r.hasil == "GAGAL"]
    last = failed[-1] if failed else None
    lines = [f"Kamu belum berhasil di Gelombang {last.nomor}." if last else "Kamu belum berhasil."]
    reason = REASONS.get(last.alasan_kode or "") if last else None
    if reason is None:
        detail = last.alasan_teks if last and last.alasan_teks else None
        reason = Reason(detail or REASONS["LAINNYA"].why, REASONS["LAINNYA"].fix)
    lines += [f"Alasan: {reason.why}", f"Yang bisa kamu lakukan: {reason.fix}"]
    buttons = [B_REJECTION]
    if reason.can_retry:
        lines.append(
            "Kamu tidak perlu daftar ulang: cukup gabung gelombang berikutnya dengan akun yang "
            "sama."
        )
        buttons += [B_SCHEDULE, B_JOIN]
    else:
        buttons.append(B_CONTACT)
    return lines, buttons


def _lolos_belum_beli(s: ApplicantStatus, today: date) -> tuple[Lines, list[Button]]:
    won = [r for r in s.riwayat_gelombang if r.hasil == "BERHASIL"]
    lines = [f"Selamat, kamu lolos Gelombang {won[-1].nomor}!" if won else "Selamat, kamu lolos!"]
    if s.kartu:
        lines.append(f"Saldo pelatihanmu {format_rupiah_short(s.kartu.saldo_sisa)}.")
        lines.append(deadline_line(s.kartu.batas_beli_pelatihan_pertama, today))
    lines += [
        "Kalau terlambat, kepesertaan dicabut dan kamu tidak bisa ikut Kartu Prakerja lagi.",
        "Langkahnya:",
        "• Tonton video singkat di dashboard dan sambungkan rekening/e-wallet.",
        '• Pilih pelatihan di platform digital resmi, bayar dengan metode "Kartu Prakerja", '
        f"lalu masukkan nomor kartu {text('digit.kartu')} dan kode OTP.",
        "• Jangan bagikan nomor kartu atau kode OTP kepada siapa pun.",
    ]
    return lines, [B_BUY, B_DEADLINE, B_LINK]


def _dicabut(s: ApplicantStatus, today: date) -> tuple[Lines, list[Button]]:
    k = s.kartu
    when = f" pada {format_date(k.dicabut_pada)}" if k and k.dicabut_pada else ""
    lines = [f"Maaf, kepesertaan Kartu Prakerja kamu sudah dicabut{when}."]
    if k:
        lines.append(
            "Pelatihan pertama tidak dibeli sampai batasnya "
            f"({format_date(k.batas_beli_pelatihan_pertama)})."
        )
    lines += [
        "Akibatnya saldo pelatihan hangus, tidak ada insentif, dan kamu tidak bisa ikut Kartu "
        "Prakerja lagi.",
        "Jika kamu yakin sudah membeli pelatihan sebelum batas, siapkan bukti pembeliannya lalu "
        f"isi {PENGADUAN} atau email {INFO_EMAIL}.",
    ]
    return lines, [B_DEADLINE, B_CONTACT]


def _pelatihan_berjalan(s: ApplicantStatus, today: date) -> tuple[Lines, list[Button]]:
    p = _first_training(s)
    lines = (
        [f'Pelatihan pertamamu sedang berjalan: "{p.judul}" ({p.lembaga}, lewat {p.platform}).']
        if p
        else ["Pelatihan pertamamu sedang berjalan."]
    )
    if p and p.kode_redeem_status == "BELUM_DITUKAR":
        lines.append("Kode voucher belum ditukar. Tukarkan dulu di situs lembaga pelatihan.")
    mode_tip = {
        "WEBINAR": "Ikuti semua sesi webinar; verifikasi wajah dilakukan sebelum setiap sesi.",
        "SPL": "Selesaikan semua materi; verifikasi wajah dilakukan setiap hari.",
        "LURING": "Ikuti sesi tatap muka sesuai jadwal lembaga pelatihan sampai selesai.",
    }
    lines.append(mode_tip.get(p.mode if p else "", "Ikuti semua sesi sampai selesai."))
    lines.append(
        "Setelah selesai, sertifikat muncul di dashboard. Lalu beri rating & ulasan supaya "
        f"{_insentif(s)} bisa dijadwalkan."
    )
    buttons = [B_CERTIFICATE, B_BENEFITS]
    if not s.rekening or s.rekening.status != "TERSAMBUNG":
        buttons.append(B_LINK)
    return lines, buttons


def _menunggu_sertifikat(s: ApplicantStatus, today: date) -> tuple[Lines, list[Button]]:
    p = _first_training(s)
    done = f" pada {format_date(p.selesai_pada)}" if p and p.selesai_pada else ""
    lines = [
        f"Pelatihan {_training_name(p)} sudah selesai{done}. Sertifikat biasanya muncul di "
        f"dashboard {text('sertifikat.terbit')} setelah platform mengirim laporan."
    ]
    # one working day of slack past the usual time before sending the applicant elsewhere
    late = facts.value("sertifikat.terbit") + 1
    if p and p.selesai_pada and working_days_between(p.selesai_pada, today) > late:
        lines.append(
            f"Sudah lewat dari perkiraan itu. Hubungi layanan pelanggan {p.platform} atau lembaga "
            f"pelatihannya; jika belum beres, email {INFO_EMAIL}."
        )
    lines.append("Setelah sertifikat terbit, beri rating & ulasan agar insentif dijadwalkan.")
    return lines, [B_CERTIFICATE, B_CONTACT]


def _menunggu_ulasan(s: ApplicantStatus, today: date) -> tuple[Lines, list[Button]]:
    p = _first_training(s)
    lines = [
        f"Sertifikat pelatihan {_training_name(p)} sudah terbit. Satu langkah lagi: beri rating "
        "& ulasan untuk pelatihan ini di dashboard Prakerja.",
        f"Tanpa rating & ulasan, {_insentif(s)} tidak akan dijadwalkan.",
    ]
    buttons = [B_INCENTIVE_DELAY]
    if not s.rekening or s.rekening.status != "TERSAMBUNG":
        lines.append("Pastikan juga rekening/e-wallet kamu sudah tersambung.")
        buttons.append(B_LINK)
    lines.append(
        f"Setelah ulasan diisi, jadwal insentif biasanya muncul dalam {text('insentif.sinkron')}."
    )
    return lines, buttons


def _menunggu_rekening(s: ApplicantStatus, today: date) -> tuple[Lines, list[Button]]:
    lines = [
        f"Pelatihanmu sudah selesai dan ulasan sudah diisi. {_cap(_insentif(s))} "
        "menunggu rekening atau e-wallet yang tersambung dan tervalidasi."
    ]
    r = s.rekening
    if r and r.status == "GAGAL_VALIDASI":
        provider = r.penyedia or "rekening/e-wallet"
        why = _REKENING_GAGAL.get(r.gagal_alasan or "", "datanya belum bisa divalidasi.")
        lines.append(f"Penyambungan {provider} gagal: {why}")
    lines.append(HOW_TO_LINK)
    return lines, [B_LINK, B_INCENTIVE_DELAY]


def _insentif_dijadwalkan(s: ApplicantStatus, today: date) -> tuple[Lines, list[Button]]:
    i = _pasca(s)
    incentive = _cap(_insentif(s))
    scheduled = i.dijadwalkan_pada if i else None
    window, most = text("insentif.cair"), facts.value("insentif.cair")
    if scheduled:
        latest = add_working_days(scheduled, most)
        lines = [
            f"{incentive} kamu sudah dijadwalkan pada {format_date(scheduled)}.",
            f"Dana biasanya masuk {window} setelah jadwal muncul, jadi paling lambat sekitar "
            f"{format_date(latest)} (belum termasuk hari libur).",
        ]
        if today > latest:
            lines.append(
                f"Sudah lewat {most} hari kerja. Cek status di dashboard dan pastikan rekeningmu "
                f"aktif; jika belum masuk juga, isi {PENGADUAN}."
            )
    else:
        lines = [
            f"{incentive} kamu sudah dijadwalkan. Dana biasanya masuk {window} setelah jadwal "
            "muncul di dashboard."
        ]
    provider = s.rekening.penyedia if s.rekening and s.rekening.penyedia else "rekening/e-wallet"
    lines.append(f"Pastikan {provider} kamu tetap aktif sampai dana masuk.")
    return lines, [B_INCENTIVE_DELAY, B_SURVEY]


def _insentif_gagal(s: ApplicantStatus, today: date) -> tuple[Lines, list[Button]]:
    failed = next((i for i in s.insentif if i.status == "GAGAL"), None)
    what = f"insentif {format_rupiah_short(failed.nominal)}" if failed else _insentif(s)
    lines = [f"Pembayaran {what} gagal."]
    if failed and failed.gagal_alasan:
        lines.append(f"Alasan: {failed.gagal_alasan}")
    lines += [
        "Biasanya karena rekening/e-wallet tidak aktif, belum premium, atau data pemiliknya "
        "(NIK/nama) berbeda dengan akun Prakerja.",
        'Perbaiki dulu: di dashboard pilih Rekening → Ubah → "Ya, Putuskan Rekening", lalu '
        "sambungkan rekening/e-wallet atas namamu sendiri.",
        f"Jika statusnya tetap gagal, isi {PENGADUAN}.",
    ]
    return lines, [B_LINK, B_CONTACT]


def _survei_tersedia(s: ApplicantStatus, today: date) -> tuple[Lines, list[Button]]:
    sv = next((x for x in s.survei if x.status == "TERSEDIA"), None)
    nomor = f" ke-{sv.nomor}" if sv else ""
    paid_per_survey = next((i.nominal for i in s.insentif if i.jenis.startswith("SURVEI")), None)
    per_scheme = facts.for_scheme("survei_nominal", s.skema)
    survey_pay = (
        format_rupiah_short(paid_per_survey)
        if paid_per_survey is not None
        else (per_scheme.text if per_scheme else "")
    )
    line = f"Survei evaluasi{nomor} sudah tersedia di dashboard."
    if sv and sv.batas_isi:
        line += f" Isi sebelum {format_date(sv.batas_isi)}"
    else:
        line += " Isi segera"
    line += f" untuk insentif {survey_pay}." if survey_pay else " untuk insentif survei."
    lines = [line, "Insentif survei dibayar setelah survei selesai diisi."]
    paid = sum(i.nominal for i in s.insentif if i.status == "BERHASIL")
    if paid:
        lines.append(f"Insentif yang sudah dibayarkan: {format_rupiah(paid)}.")
    return lines, [B_SURVEY, B_INCENTIVE_DELAY]


def _selesai(s: ApplicantStatus, today: date) -> tuple[Lines, list[Button]]:
    paid = sum(i.nominal for i in s.insentif if i.status == "BERHASIL")
    lines = ["Semua tahapan program sudah selesai."]
    if paid:
        lines.append(f"Total insentif yang sudah dibayarkan: {format_rupiah(paid)}.")
    if s.kartu and s.kartu.saldo_sisa > 0:
        lines.append(
            f"Sisa saldo pelatihan {format_rupiah_short(s.kartu.saldo_sisa)} bisa dipakai membeli "
            "pelatihan lain (tanpa insentif tambahan), tapi batas waktunya belum dikonfirmasi. "
            "Cek di dashboard sebelum membeli."
        )
    lines.append("Terima kasih sudah ikut Kartu Prakerja. Semoga sukses!")
    return lines, [B_CERTIFICATE, B_BUY]


def _diblokir(s: ApplicantStatus, today: date) -> tuple[Lines, list[Button]]:
    why = s.akun.blokir_alasan if s.akun else None
    lines = ["Akun Prakerja kamu diblokir." + (f" Alasan: {why}" if why else "")]
    lines += [
        "Akun bisa diblokir jika melanggar Syarat & Ketentuan, misalnya memakai data orang lain, "
        "memakai jasa joki, atau gagal verifikasi.",
        "Untuk mengajukan keberatan:",
        f"• Isi {PENGADUAN} dan lampirkan foto e-KTP dan KK asli, atau",
        f'• Kirim email ke {INFO_EMAIL} dengan subjek "Akun Terblokir".',
        "Jangan percaya pihak yang menawarkan jasa buka blokir berbayar.",
    ]
    return lines, [B_BLOCKED, B_HUMAN]


Handler = Callable[[ApplicantStatus, date], "tuple[Lines, list[Button]]"]

HANDLERS: dict[str, Handler] = {
    "BELUM_PUNYA_AKUN": _belum_punya_akun,
    "PENDAFTARAN_BELUM_LENGKAP": _pendaftaran_belum_lengkap,
    "SIAP_GABUNG": _siap_gabung,
    "GELOMBANG_BELUM_DIBUKA": _gelombang_belum_dibuka,
    "MENUNGGU_GELOMBANG_DITUTUP": _menunggu_ditutup,
    "SEDANG_DIPROSES": _sedang_diproses,
    "DALAM_PROSES_SELEKSI": _dalam_seleksi,
    "TIDAK_LOLOS": _tidak_lolos,
    "LOLOS_BELUM_BELI_PELATIHAN": _lolos_belum_beli,
    "KEPESERTAAN_DICABUT": _dicabut,
    "PELATIHAN_BERJALAN": _pelatihan_berjalan,
    "MENUNGGU_SERTIFIKAT": _menunggu_sertifikat,
    "MENUNGGU_ULASAN": _menunggu_ulasan,
    "MENUNGGU_REKENING": _menunggu_rekening,
    "INSENTIF_DIJADWALKAN": _insentif_dijadwalkan,
    "INSENTIF_GAGAL": _insentif_gagal,
    "SURVEI_TERSEDIA": _survei_tersedia,
    "SELESAI": _selesai,
    "AKUN_DIBLOKIR": _diblokir,
}


def explain_status(status: ApplicantStatus, today: date) -> tuple[str, list[Button]]:
    """Short Indonesian explanation of `status` plus follow-up buttons."""
    name = first_name(status.nama)
    greeting = f"Halo, {name}!" if name else "Halo!"
    handler = HANDLERS.get(status.status_peserta)
    if handler is None:
        # A code newer than this bot: say so rather than guess.
        lines = [
            f"Saya belum bisa menjelaskan status ini. Cek detailnya di {DASHBOARD}, "
            f"atau isi {PENGADUAN}."
        ]
        buttons = [B_STATUS_MEANING, B_CONTACT]
        label = status.status_peserta
    else:
        lines, buttons = handler(status, today)
        label = LABELS[status.status_peserta]
    text = "\n".join(
        [
            f"{greeting} Status Kartu Prakerja kamu: {label}.",
            "",
            *lines,
            "",
            f"Data per {format_datetime_wib(status.diperbarui_pada)}.",
        ]
    )
    return text, [dict(b) for b in buttons]
