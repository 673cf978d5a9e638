"""Synthetic gelombang and applicant status documents, relative to a given day (stdlib only)."""

# Kept free of FastAPI/pydantic and Python 3.10 compatible: the engine's action tests reuse these
# documents as API fixtures, so the sandbox and the tests never drift apart.

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Any

WIB = timezone(timedelta(hours=7), "WIB")

STATUS_CODES: tuple[str, ...] = (
    "BELUM_PUNYA_AKUN",
    "PENDAFTARAN_BELUM_LENGKAP",
    "SIAP_GABUNG",
    "GELOMBANG_BELUM_DIBUKA",
    "MENUNGGU_GELOMBANG_DITUTUP",
    "SEDANG_DIPROSES",
    "DALAM_PROSES_SELEKSI",
    "TIDAK_LOLOS",
    "LOLOS_BELUM_BELI_PELATIHAN",
    "KEPESERTAAN_DICABUT",
    "PELATIHAN_BERJALAN",
    "MENUNGGU_SERTIFIKAT",
    "MENUNGGU_ULASAN",
    "MENUNGGU_REKENING",
    "INSENTIF_DIJADWALKAN",
    "INSENTIF_GAGAL",
    "SURVEI_TERSEDIA",
    "SELESAI",
    "AKUN_DIBLOKIR",
)

REASON_TEXTS: dict[str, str] = {
    "KUOTA_PENUH": "Kuota gelombang sudah terpenuhi.",
    "NIK_TIDAK_VALID": "NIK tidak valid atau tidak ditemukan.",
    "DATA_TIDAK_SESUAI_DUKCAPIL": "Data NIK/KK/nama tidak sesuai dengan data Dukcapil.",
    "PENDIDIKAN_FORMAL_AKTIF": "Terdata sedang menempuh pendidikan formal.",
    "KATEGORI_TERLARANG": "Terdata dalam kategori yang tidak boleh mengikuti program.",
    "KK_SUDAH_2_PENERIMA": "Sudah ada 2 penerima dalam satu Kartu Keluarga.",
    "PERNAH_MENERIMA": "NIK sudah pernah menjadi penerima Kartu Prakerja.",
    "PENERIMA_BANSOS_LAIN": "Terdata sebagai penerima bantuan sosial lain.",
    "USIA_TIDAK_MEMENUHI": "Usia di luar 18–64 tahun.",
    "TERDAFTAR_LEMBAGA_LAIN": "NIK terdaftar sebagai penerima program lembaga lain.",
    "LAINNYA": "Tidak memenuhi ketentuan program.",
}

# Skema normal constants (2023+), see the domain brief §2 and §8.
SALDO_PELATIHAN = 3_500_000
INSENTIF_PASCA_PELATIHAN = 600_000
INSENTIF_SURVEI = 50_000
BATAS_BELI_HARI = 15

# Gelombang numbers used by the scenario timeline (fictional, after the last real one).
G_OLD, G_TRAINED, G_LAST, G_CLOSED, G_OPEN, G_NEXT = 76, 77, 78, 79, 80, 81


def at(day: date, hour: int = 0, minute: int = 0) -> str:
    """ISO 8601 timestamp with the +07:00 WIB offset."""
    return datetime.combine(day, time(hour, minute), tzinfo=WIB).isoformat()


def now_wib() -> datetime:
    """Current time in WIB, whole seconds."""
    return datetime.now(WIB).replace(microsecond=0)


def _timeline(today: date) -> dict[int, dict[str, Any]]:
    t = today
    d = timedelta
    return {
        G_OLD: {"dibuka": t - d(47), "ditutup": t - d(44), "pengumuman": t - d(40)},
        G_TRAINED: {"dibuka": t - d(33), "ditutup": t - d(30), "pengumuman": t - d(26)},
        G_LAST: {"dibuka": t - d(19), "ditutup": t - d(16), "pengumuman": t - d(10)},
        G_CLOSED: {"dibuka": t - d(9), "ditutup": t - d(6), "pengumuman": None},
        G_OPEN: {"dibuka": t - d(2), "ditutup": t + d(3), "pengumuman": None},
        G_NEXT: {"dibuka": t + d(12), "ditutup": t + d(15), "pengumuman": None},
    }


def build_gelombang(today: date, updated: datetime | None = None) -> list[dict[str, Any]]:
    """Six gelombang around `today`: three announced, one closed, one open, one upcoming."""
    updated = updated or now_wib()
    status = {G_CLOSED: "closed", G_OPEN: "open", G_NEXT: "upcoming"}
    out = []
    for nomor, t in _timeline(today).items():
        pengumuman = t["pengumuman"]
        out.append(
            {
                "nomor": nomor,
                "status": status.get(nomor, "announced"),
                "dibuka": at(t["dibuka"], 12, 0),
                "ditutup": at(t["ditutup"], 23, 59),
                "pengumuman": pengumuman.isoformat() if pengumuman else None,
                "kuota": None if nomor == G_NEXT else 50_000,
                "mode_pelatihan": ["daring", "luring", "bauran"],
                "diperbarui_pada": updated.isoformat(),
            }
        )
    return out


def mask_nik(nik: str) -> str:
    """Keep the region prefix and the serial; hide the birth date and the rest."""
    return nik[:4] + "*" * 8 + nik[-4:]


def _pelatihan(today: date, status: str, *, sertifikat: bool, ulasan: bool) -> dict[str, Any]:
    bought = today - timedelta(days=22)
    done = today - timedelta(days=4) if status == "SELESAI" else None
    return {
        "id": "PLT-0001",
        "judul": "Pemasaran Digital untuk UMKM",
        "lembaga": "Lembaga Pelatihan Contoh",
        "platform": "Pijar Mahir",
        "mode": "WEBINAR",
        "harga": 1_500_000,
        "dibeli_pada": at(bought, 20, 15),
        "kode_redeem_status": "SUDAH_DITUKAR",
        "status": status,
        "selesai_pada": done.isoformat() if done else None,
        "sertifikat_terbit": (today - timedelta(days=3)).isoformat() if sertifikat else None,
        "ulasan_rating_diisi": ulasan,
        "pelatihan_pertama": True,
    }


def _rekening(status: str = "TERSAMBUNG", gagal: str | None = None) -> dict[str, Any]:
    linked = status != "BELUM_TERSAMBUNG"
    return {
        "jenis": "E_MONEY" if linked else None,
        "penyedia": "DANA" if linked else None,
        "nomor_masked": "********0001" if linked else None,
        "status": status,
        "gagal_alasan": gagal,
    }


def _insentif(jenis: str, status: str, **dates: date | str | None) -> dict[str, Any]:
    nominal = INSENTIF_PASCA_PELATIHAN if jenis == "PASCA_PELATIHAN" else INSENTIF_SURVEI
    doc: dict[str, Any] = {
        "jenis": jenis,
        "nominal": nominal,
        "status": status,
        "dijadwalkan_pada": None,
        "dibayar_pada": None,
        "gagal_alasan": None,
    }
    for key, value in dates.items():
        doc[key] = value.isoformat() if isinstance(value, date) else value
    return doc


def _survei(nomor: int, status: str, today: date) -> dict[str, Any]:
    available = status != "BELUM_TERSEDIA"
    return {
        "nomor": nomor,
        "status": status,
        "tersedia_pada": (today - timedelta(days=3)).isoformat() if available else None,
        "batas_isi": (today + timedelta(days=27)).isoformat() if available else None,
    }


def _kartu(today: date, lolos_gelombang: int, saldo_sisa: int, dicabut: bool = False) -> dict:
    announced = _timeline(today)[lolos_gelombang]["pengumuman"]
    deadline = announced + timedelta(days=BATAS_BELI_HARI)
    return {
        "nomor_masked": "**** **** **** 4821",
        "saldo_awal": SALDO_PELATIHAN,
        "saldo_sisa": saldo_sisa,
        "batas_beli_pelatihan_pertama": deadline.isoformat(),
        "dicabut_pada": (deadline + timedelta(days=1)).isoformat() if dicabut else None,
    }


def _berhasil(nomor: int) -> dict[str, Any]:
    return {"nomor": nomor, "hasil": "BERHASIL", "alasan_kode": None, "alasan_teks": None}


def _gagal(nomor: int, kode: str) -> dict[str, Any]:
    return {
        "nomor": nomor,
        "hasil": "GAGAL",
        "alasan_kode": kode,
        "alasan_teks": REASON_TEXTS[kode],
    }


def _trained(today: date, doc: dict[str, Any], stage: str) -> None:
    """Fill the after-lolos parts for an applicant who bought a training (lolos in G_TRAINED)."""
    doc["riwayat_gelombang"] = [_gagal(G_OLD, "KUOTA_PENUH"), _berhasil(G_TRAINED)]
    doc["kartu"] = _kartu(today, G_TRAINED, SALDO_PELATIHAN - 1_500_000)
    doc["rekening"] = _rekening()
    waiting = _insentif("PASCA_PELATIHAN", "BELUM_MEMENUHI_SYARAT")
    doc["insentif"] = [waiting]
    doc["survei"] = [_survei(1, "BELUM_TERSEDIA", today), _survei(2, "BELUM_TERSEDIA", today)]
    done = stage != "PELATIHAN_BERJALAN"
    doc["pelatihan"] = [
        _pelatihan(
            today,
            "SELESAI" if done else "BERJALAN",
            sertifikat=stage not in ("PELATIHAN_BERJALAN", "MENUNGGU_SERTIFIKAT"),
            ulasan=stage not in ("PELATIHAN_BERJALAN", "MENUNGGU_SERTIFIKAT", "MENUNGGU_ULASAN"),
        )
    ]
    paid = today - timedelta(days=20)
    if stage == "MENUNGGU_REKENING":
        doc["rekening"] = _rekening("GAGAL_VALIDASI", "BELUM_PREMIUM")
        doc["rekening"]["penyedia"] = "OVO"
    elif stage == "INSENTIF_DIJADWALKAN":
        doc["insentif"] = [
            _insentif("PASCA_PELATIHAN", "DIJADWALKAN", dijadwalkan_pada=today - timedelta(days=1))
        ]
    elif stage == "INSENTIF_GAGAL":
        doc["insentif"] = [
            _insentif(
                "PASCA_PELATIHAN",
                "GAGAL",
                dijadwalkan_pada=today - timedelta(days=8),
                gagal_alasan="Data pemilik e-wallet berbeda dengan data akun Prakerja.",
            )
        ]
    elif stage in ("SURVEI_TERSEDIA", "SELESAI"):
        survey_done = stage == "SELESAI"
        doc["insentif"] = [
            _insentif("PASCA_PELATIHAN", "BERHASIL", dijadwalkan_pada=paid, dibayar_pada=paid),
            _insentif(
                "SURVEI_1",
                "BERHASIL" if survey_done else "BELUM_MEMENUHI_SYARAT",
                dibayar_pada=today - timedelta(days=2) if survey_done else None,
            ),
            _insentif(
                "SURVEI_2",
                "BERHASIL" if survey_done else "BELUM_MEMENUHI_SYARAT",
                dibayar_pada=today - timedelta(days=1) if survey_done else None,
            ),
        ]
        doc["survei"] = [
            _survei(1, "SELESAI" if survey_done else "TERSEDIA", today),
            _survei(2, "SELESAI" if survey_done else "BELUM_TERSEDIA", today),
        ]


def build_status(
    code: str,
    *,
    today: date,
    applicant_id: str,
    nama: str,
    nik_masked: str,
    alasan: str | None = None,
    updated: datetime | None = None,
) -> dict[str, Any]:
    """The full ApplicantStatus document for one `status_peserta` code."""
    if code not in STATUS_CODES:
        raise ValueError(f"unknown status_peserta {code!r}")
    tl = _timeline(today)
    tkd_done = at(today - timedelta(days=60), 10, 15)
    doc: dict[str, Any] = {
        "applicant_id": applicant_id,
        "nik_masked": nik_masked,
        "nama": nama,
        "skema": "SKEMA_NORMAL",
        "status_peserta": code,
        "akun": {
            "status": "AKTIF",
            "blokir_alasan": None,
            "email_terverifikasi": True,
            "hp_terverifikasi": True,
            "langkah_pendaftaran": "TKD_SELESAI",
        },
        "tkd": {"status": "SELESAI", "selesai_pada": tkd_done},
        "gelombang_aktif": None,
        "riwayat_gelombang": [],
        "kartu": None,
        "pelatihan": [],
        "rekening": None,
        "insentif": [],
        "survei": [],
        "diperbarui_pada": (updated or now_wib()).isoformat(),
    }

    def joined(nomor: int, status: str) -> dict[str, Any]:
        t = tl[nomor]
        return {
            "nomor": nomor,
            "dibuka": at(t["dibuka"], 12, 0),
            "ditutup": at(t["ditutup"], 23, 59),
            "status": status,
        }

    if code == "BELUM_PUNYA_AKUN":
        doc["akun"] = None
        doc["tkd"] = None
    elif code == "PENDAFTARAN_BELUM_LENGKAP":
        doc["akun"].update(hp_terverifikasi=False, langkah_pendaftaran="WAJAH_OK")
        doc["tkd"] = {"status": "BELUM", "selesai_pada": None}
    elif code == "MENUNGGU_GELOMBANG_DITUTUP":
        doc["gelombang_aktif"] = joined(G_OPEN, "MENUNGGU_DITUTUP")
    elif code == "SEDANG_DIPROSES":
        doc["gelombang_aktif"] = joined(G_CLOSED, "SEDANG_DIPROSES")
    elif code == "DALAM_PROSES_SELEKSI":
        doc["gelombang_aktif"] = joined(G_CLOSED, "DALAM_SELEKSI")
        doc["riwayat_gelombang"] = [_gagal(G_TRAINED, "KUOTA_PENUH")]
    elif code == "TIDAK_LOLOS":
        kode = alasan or "KUOTA_PENUH"
        if kode not in REASON_TEXTS:
            raise ValueError(f"unknown alasan_kode {kode!r}")
        doc["riwayat_gelombang"] = [_gagal(G_TRAINED, "KUOTA_PENUH"), _gagal(G_LAST, kode)]
    elif code == "LOLOS_BELUM_BELI_PELATIHAN":
        doc["riwayat_gelombang"] = [_berhasil(G_LAST)]
        doc["kartu"] = _kartu(today, G_LAST, SALDO_PELATIHAN)
        doc["rekening"] = _rekening("BELUM_TERSAMBUNG")
        doc["insentif"] = [_insentif("PASCA_PELATIHAN", "BELUM_MEMENUHI_SYARAT")]
    elif code == "KEPESERTAAN_DICABUT":
        doc["riwayat_gelombang"] = [_berhasil(G_OLD)]
        doc["kartu"] = _kartu(today, G_OLD, 0, dicabut=True)
    elif code == "AKUN_DIBLOKIR":
        doc["akun"].update(
            status="DIBLOKIR",
            blokir_alasan="Hasil verifikasi wajah tidak sesuai dengan foto e-KTP.",
        )
    elif code not in ("SIAP_GABUNG", "GELOMBANG_BELUM_DIBUKA"):
        _trained(today, doc, code)
    return doc
