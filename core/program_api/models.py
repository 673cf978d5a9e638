"""The program API's documents as typed dataclasses, and their validation (OpenAPI contract)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from core.program_api.errors import ProgramAPIBadResponse

T = TypeVar("T")


@dataclass(frozen=True)
class Gelombang:
    """One registration batch."""

    nomor: int
    status: str  # upcoming | open | closed | announced
    dibuka: datetime
    ditutup: datetime
    pengumuman: date | None
    kuota: int | None
    mode_pelatihan: tuple[str, ...]
    diperbarui_pada: datetime


@dataclass(frozen=True)
class Akun:
    """Account state."""

    status: str
    blokir_alasan: str | None
    email_terverifikasi: bool
    hp_terverifikasi: bool
    langkah_pendaftaran: str


@dataclass(frozen=True)
class Tkd:
    """Tes Kemampuan Dasar."""

    status: str
    selesai_pada: datetime | None


@dataclass(frozen=True)
class GelombangAktif:
    """Joined gelombang without a result yet."""

    nomor: int
    dibuka: datetime
    ditutup: datetime
    status: str


@dataclass(frozen=True)
class RiwayatGelombang:
    """One past selection result."""

    nomor: int
    hasil: str  # BERHASIL | GAGAL
    alasan_kode: str | None
    alasan_teks: str | None


@dataclass(frozen=True)
class Kartu:
    """Kartu Prakerja (masked)."""

    nomor_masked: str
    saldo_awal: int
    saldo_sisa: int
    batas_beli_pelatihan_pertama: date
    dicabut_pada: date | None


@dataclass(frozen=True)
class Pelatihan:
    """A bought training."""

    id: str
    judul: str
    lembaga: str
    platform: str
    mode: str
    harga: int
    dibeli_pada: datetime
    kode_redeem_status: str
    status: str
    selesai_pada: date | None
    sertifikat_terbit: date | None
    ulasan_rating_diisi: bool
    pelatihan_pertama: bool


@dataclass(frozen=True)
class Rekening:
    """Payout account (masked)."""

    jenis: str | None
    penyedia: str | None
    nomor_masked: str | None
    status: str
    gagal_alasan: str | None


@dataclass(frozen=True)
class Insentif:
    """One incentive payment."""

    jenis: str
    nominal: int
    status: str
    dijadwalkan_pada: date | None
    dibayar_pada: date | None
    gagal_alasan: str | None


@dataclass(frozen=True)
class Survei:
    """One evaluation survey."""

    nomor: int
    status: str
    tersedia_pada: date | None
    batas_isi: date | None


@dataclass(frozen=True)
class ApplicantStatus:
    """Applicant status (domain brief §13); identifiers are masked."""

    applicant_id: str
    nik_masked: str
    nama: str
    skema: str
    status_peserta: str
    akun: Akun | None
    tkd: Tkd | None
    gelombang_aktif: GelombangAktif | None
    riwayat_gelombang: tuple[RiwayatGelombang, ...]
    kartu: Kartu | None
    pelatihan: tuple[Pelatihan, ...]
    rekening: Rekening | None
    insentif: tuple[Insentif, ...]
    survei: tuple[Survei, ...]
    diperbarui_pada: datetime


# --- validation ---------------------------------------------------------------------------


class _Obj:
    """Typed accessors over one JSON object; errors name the field path, never the value."""

    def __init__(self, raw: Any, path: str) -> None:
        if not isinstance(raw, dict):
            raise ProgramAPIBadResponse(f"{path}: expected an object")
        self.raw, self.path = raw, path

    def _get(self, key: str) -> Any:
        if key not in self.raw:
            raise ProgramAPIBadResponse(f"{self.path}.{key}: missing")
        return self.raw[key]

    def _fail(self, key: str, what: str) -> ProgramAPIBadResponse:
        return ProgramAPIBadResponse(f"{self.path}.{key}: expected {what}")

    def text(self, key: str) -> str:
        value = self._get(key)
        if not isinstance(value, str):
            raise self._fail(key, "a string")
        return value

    def opt_text(self, key: str) -> str | None:
        return None if self._get(key) is None else self.text(key)

    def integer(self, key: str) -> int:
        value = self._get(key)
        # bool is an int subclass in Python but not in JSON
        if not isinstance(value, int) or isinstance(value, bool):
            raise self._fail(key, "an integer")
        return value

    def opt_integer(self, key: str) -> int | None:
        return None if self._get(key) is None else self.integer(key)

    def boolean(self, key: str) -> bool:
        value = self._get(key)
        if not isinstance(value, bool):
            raise self._fail(key, "a boolean")
        return value

    def enum(self, key: str, allowed: frozenset[str]) -> str:
        value = self.text(key)
        if value not in allowed:
            raise self._fail(key, "one of " + ", ".join(sorted(allowed)))
        return value

    def dt(self, key: str) -> datetime:
        text = self.text(key)
        try:
            # Python 3.10's fromisoformat does not accept a trailing "Z"
            value = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
        except ValueError:
            raise self._fail(key, "an ISO 8601 date-time") from None
        if value.tzinfo is None:
            raise self._fail(key, "a date-time with a UTC offset")
        return value

    def opt_dt(self, key: str) -> datetime | None:
        return None if self._get(key) is None else self.dt(key)

    def day(self, key: str) -> date:
        text = self.text(key)
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise self._fail(key, "an ISO 8601 date") from None

    def opt_day(self, key: str) -> date | None:
        return None if self._get(key) is None else self.day(key)

    def obj(self, key: str) -> _Obj:
        return _Obj(self._get(key), f"{self.path}.{key}")

    def opt_obj(self, key: str) -> _Obj | None:
        return None if self._get(key) is None else self.obj(key)

    def items(self, key: str, parse: Callable[[_Obj], T]) -> tuple[T, ...]:
        value = self._get(key)
        if not isinstance(value, list):
            raise self._fail(key, "a list")
        return tuple(parse(_Obj(item, f"{self.path}.{key}[{i}]")) for i, item in enumerate(value))


GELOMBANG_STATUSES = frozenset({"upcoming", "open", "closed", "announced"})


def parse_gelombang(o: _Obj) -> Gelombang:
    """Validate one gelombang object."""
    modes = o._get("mode_pelatihan")
    if not isinstance(modes, list) or not all(isinstance(m, str) for m in modes):
        raise o._fail("mode_pelatihan", "a list of strings")
    return Gelombang(
        nomor=o.integer("nomor"),
        status=o.enum("status", GELOMBANG_STATUSES),
        dibuka=o.dt("dibuka"),
        ditutup=o.dt("ditutup"),
        pengumuman=o.opt_day("pengumuman"),
        kuota=o.opt_integer("kuota"),
        mode_pelatihan=tuple(modes),
        diperbarui_pada=o.dt("diperbarui_pada"),
    )


def _akun(o: _Obj) -> Akun:
    return Akun(
        status=o.text("status"),
        blokir_alasan=o.opt_text("blokir_alasan"),
        email_terverifikasi=o.boolean("email_terverifikasi"),
        hp_terverifikasi=o.boolean("hp_terverifikasi"),
        langkah_pendaftaran=o.text("langkah_pendaftaran"),
    )


def _pelatihan(o: _Obj) -> Pelatihan:
    return Pelatihan(
        id=o.text("id"),
        judul=o.text("judul"),
        lembaga=o.text("lembaga"),
        platform=o.text("platform"),
        mode=o.text("mode"),
        harga=o.integer("harga"),
        dibeli_pada=o.dt("dibeli_pada"),
        kode_redeem_status=o.text("kode_redeem_status"),
        status=o.text("status"),
        selesai_pada=o.opt_day("selesai_pada"),
        sertifikat_terbit=o.opt_day("sertifikat_terbit"),
        ulasan_rating_diisi=o.boolean("ulasan_rating_diisi"),
        pelatihan_pertama=o.boolean("pelatihan_pertama"),
    )


def _maybe(o: _Obj | None, parse: Callable[[_Obj], T]) -> T | None:
    return None if o is None else parse(o)


def parse_applicant_status(o: _Obj) -> ApplicantStatus:
    """Validate an ApplicantStatus document (unknown status codes are kept as strings)."""
    return ApplicantStatus(
        applicant_id=o.text("applicant_id"),
        nik_masked=o.text("nik_masked"),
        nama=o.text("nama"),
        skema=o.text("skema"),
        status_peserta=o.text("status_peserta"),
        akun=_maybe(o.opt_obj("akun"), _akun),
        tkd=_maybe(o.opt_obj("tkd"), lambda t: Tkd(t.text("status"), t.opt_dt("selesai_pada"))),
        gelombang_aktif=_maybe(
            o.opt_obj("gelombang_aktif"),
            lambda g: GelombangAktif(
                g.integer("nomor"), g.dt("dibuka"), g.dt("ditutup"), g.text("status")
            ),
        ),
        riwayat_gelombang=o.items(
            "riwayat_gelombang",
            lambda r: RiwayatGelombang(
                r.integer("nomor"),
                r.text("hasil"),
                r.opt_text("alasan_kode"),
                r.opt_text("alasan_teks"),
            ),
        ),
        kartu=_maybe(
            o.opt_obj("kartu"),
            lambda k: Kartu(
                k.text("nomor_masked"),
                k.integer("saldo_awal"),
                k.integer("saldo_sisa"),
                k.day("batas_beli_pelatihan_pertama"),
                k.opt_day("dicabut_pada"),
            ),
        ),
        pelatihan=o.items("pelatihan", _pelatihan),
        rekening=_maybe(
            o.opt_obj("rekening"),
            lambda r: Rekening(
                r.opt_text("jenis"),
                r.opt_text("penyedia"),
                r.opt_text("nomor_masked"),
                r.text("status"),
                r.opt_text("gagal_alasan"),
            ),
        ),
        insentif=o.items(
            "insentif",
            lambda i: Insentif(
                i.text("jenis"),
                i.integer("nominal"),
                i.text("status"),
                i.opt_day("dijadwalkan_pada"),
                i.opt_day("dibayar_pada"),
                i.opt_text("gagal_alasan"),
            ),
        ),
        survei=o.items(
            "survei",
            lambda s: Survei(
                s.integer("nomor"),
                s.text("status"),
                s.opt_day("tersedia_pada"),
                s.opt_day("batas_isi"),
            ),
        ),
        diperbarui_pada=o.dt("diperbarui_pada"),
    )
