"""Pydantic response/request models mirroring docs/program-api.openapi.yaml."""

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Error(_Strict):
    """Error body used by every non-2xx response."""

    code: str
    message: str


class Gelombang(_Strict):
    """One registration batch."""

    nomor: int = Field(ge=1)
    status: Literal["upcoming", "open", "closed", "announced"]
    dibuka: datetime
    ditutup: datetime
    pengumuman: date | None
    kuota: int | None = Field(ge=0)
    mode_pelatihan: list[Literal["daring", "luring", "bauran"]]
    diperbarui_pada: datetime


class GelombangList(_Strict):
    """Wrapper for the gelombang list."""

    data: list[Gelombang]


class VerifyRequest(_Strict):
    """NIK + phone submitted for matching."""

    nik: str = Field(pattern=r"^[0-9]{16}$")
    phone: str = Field(pattern=r"^\+62[0-9]{8,13}$")


class VerifyResponse(_Strict):
    """Opaque reference for a matched applicant."""

    applicant_ref: str = Field(min_length=16, max_length=128)


StatusPeserta = Literal[
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
]

AlasanKode = Literal[
    "KUOTA_PENUH",
    "NIK_TIDAK_VALID",
    "DATA_TIDAK_SESUAI_DUKCAPIL",
    "PENDIDIKAN_FORMAL_AKTIF",
    "KATEGORI_TERLARANG",
    "KK_SUDAH_2_PENERIMA",
    "PERNAH_MENERIMA",
    "PENERIMA_BANSOS_LAIN",
    "USIA_TIDAK_MEMENUHI",
    "TERDAFTAR_LEMBAGA_LAIN",
    "LAINNYA",
]


class Akun(_Strict):
    """Account state."""

    status: Literal["AKTIF", "BELUM_VERIFIKASI_EMAIL", "DIBLOKIR"]
    blokir_alasan: str | None
    email_terverifikasi: bool
    hp_terverifikasi: bool
    langkah_pendaftaran: Literal[
        "AKUN_DIBUAT",
        "EMAIL_OK",
        "KTP_KK_OK",
        "DATA_DIRI_OK",
        "FOTO_KTP_OK",
        "WAJAH_OK",
        "HP_OK",
        "PERNYATAAN_OK",
        "TKD_SELESAI",
    ]


class Tkd(_Strict):
    """Tes Kemampuan Dasar state."""

    status: Literal["BELUM", "SELESAI", "TIDAK_LULUS"]
    selesai_pada: datetime | None


class GelombangAktif(_Strict):
    """The gelombang joined whose result is not out yet."""

    nomor: int = Field(ge=1)
    dibuka: datetime
    ditutup: datetime
    status: Literal["MENUNGGU_DITUTUP", "SEDANG_DIPROSES", "DALAM_SELEKSI"]


class RiwayatGelombang(_Strict):
    """One past selection result."""

    nomor: int = Field(ge=1)
    hasil: Literal["BERHASIL", "GAGAL"]
    alasan_kode: AlasanKode | None
    alasan_teks: str | None


class Kartu(_Strict):
    """Kartu Prakerja once lolos."""

    nomor_masked: str
    saldo_awal: int = Field(ge=0)
    saldo_sisa: int = Field(ge=0)
    batas_beli_pelatihan_pertama: date
    dicabut_pada: date | None


class Pelatihan(_Strict):
    """A bought training."""

    id: str
    judul: str
    lembaga: str
    platform: str
    mode: Literal["WEBINAR", "SPL", "LURING"]
    harga: int = Field(ge=0)
    dibeli_pada: datetime
    kode_redeem_status: Literal["BELUM_DITUKAR", "SUDAH_DITUKAR"]
    status: Literal["DIBELI", "BERJALAN", "SELESAI", "TIDAK_SELESAI"]
    selesai_pada: date | None
    sertifikat_terbit: date | None
    ulasan_rating_diisi: bool
    pelatihan_pertama: bool


class Rekening(_Strict):
    """Linked payout account (masked)."""

    jenis: Literal["BANK", "E_MONEY"] | None
    penyedia: Literal["BNI", "BCA", "OVO", "GOPAY", "DANA", "LINKAJA"] | None
    nomor_masked: str | None
    status: Literal["BELUM_TERSAMBUNG", "TERSAMBUNG", "GAGAL_VALIDASI"]
    gagal_alasan: Literal["NIK_TIDAK_SAMA", "BELUM_PREMIUM", "TIDAK_AKTIF"] | None


class Insentif(_Strict):
    """One incentive payment."""

    jenis: Literal["PASCA_PELATIHAN", "SURVEI_1", "SURVEI_2"]
    nominal: int = Field(ge=0)
    status: Literal[
        "BELUM_MEMENUHI_SYARAT", "DIJADWALKAN", "DALAM_PENGECEKAN", "DIPROSES", "BERHASIL", "GAGAL"
    ]
    dijadwalkan_pada: date | None
    dibayar_pada: date | None
    gagal_alasan: str | None


class Survei(_Strict):
    """One evaluation survey."""

    nomor: int = Field(ge=1)
    status: Literal["BELUM_TERSEDIA", "TERSEDIA", "SELESAI", "KEDALUWARSA"]
    tersedia_pada: date | None
    batas_isi: date | None


class ApplicantStatus(_Strict):
    """Full applicant status (domain brief §13)."""

    applicant_id: str
    nik_masked: str = Field(pattern=r"^[0-9]{4}\*{8}[0-9]{4}$")
    nama: str
    skema: Literal["SEMI_BANSOS", "SKEMA_NORMAL"]
    status_peserta: StatusPeserta
    akun: Akun | None
    tkd: Tkd | None
    gelombang_aktif: GelombangAktif | None
    riwayat_gelombang: list[RiwayatGelombang]
    kartu: Kartu | None
    pelatihan: list[Pelatihan]
    rekening: Rekening | None
    insentif: list[Insentif]
    survei: list[Survei]
    diperbarui_pada: datetime
