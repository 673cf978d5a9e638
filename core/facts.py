"""Every programme fact the answers state: one keyed entry each, with its years and sources."""

# Python 3.10 and stdlib only: the bot (3.11), the action server (3.10) and the domain render step
# (ops/render_domain.py, run by ops/train.sh) all import this module. A rule change is one edit
# here; docs/facts.md explains the design. Source ids ("S25") point to the sources list of the
# domain brief (/work/shared/domain/prakerja-facts.md).

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

SKEMA_NORMAL = "SKEMA_NORMAL"
SEMI_BANSOS = "SEMI_BANSOS"
_SCHEME_SUFFIX = {SKEMA_NORMAL: "normal", SEMI_BANSOS: "semi_bansos"}

NORMAL = "skema normal, gelombang 48–71 (2023–2024)"
SEMI = "semi-bansos, gelombang 1–47 (2020–2022)"
ALL_YEARS = "2020–2024"


@dataclass(frozen=True)
class Fact:
    """One programme fact as the answers write it."""

    key: str
    text: str  # the exact words an answer uses (Indonesian)
    holds_for: str  # the scheme or years it holds for
    sources: tuple[str, ...]  # source ids of the domain brief
    confirmed: bool = True  # False: the brief marks it UNCONFIRMED; answers must hedge it
    value: int | None = None  # the number itself, when code computes with it
    pattern: str | None = None  # regex that spots the claim in any wording (unconfirmed facts)

    def __str__(self) -> str:
        """The text, so a fact can go straight into an f-string."""
        return self.text

    def spotter(self) -> re.Pattern[str]:
        """Regex that finds this claim in an answer: its own text or a paraphrase."""
        own = re.escape(self.text)
        return re.compile(f"{own}|{self.pattern}" if self.pattern else own, re.IGNORECASE)


_ALL: tuple[Fact, ...] = (
    # ---- schemes and years ------------------------------------------------------------------
    Fact("periode.normal", "2023–2024", NORMAL, ("S1", "S9", "S28", "S30")),
    Fact("periode.semi_bansos", "2020–2022", SEMI, ("S11", "S14b")),
    Fact("gelombang.normal", "gelombang 48–71", NORMAL, ("S28", "S29", "S30", "S13")),
    Fact("gelombang.semi_bansos", "gelombang 1–47", SEMI, ("S14b", "S58")),
    Fact(
        "program.status",
        "Per Oktober 2024, kelanjutan program setelah gelombang 71 belum diputuskan",
        "status known in Oct 2024",
        ("S32", "S33"),
    ),
    Fact(
        "program.setelah_2024",
        "aturan untuk 2025 dan seterusnya belum diumumkan",
        "after Oct 2024",
        ("S32", "S33"),
        confirmed=False,
        # open-ended wording ("2023 dan seterusnya", "sejak 2023", "gelombang 48 dst.")
        pattern=r"dan seterusnya|\bdst\b|\bsejak 2023|\b2025\b",
    ),
    # ---- eligibility -------------------------------------------------------------------------
    Fact(
        "usia", "18–64 tahun", "since gelombang 18 (Aug 2021); before: 18+", ("S6", "S27", "S52")
    ),
    Fact("kk.maks", "2 penerima", "since gelombang 12 (2021)", ("S45",), value=2),
    Fact("kk.sejak", "gelombang 12 (2021)", "since gelombang 12 (2021)", ("S45",)),
    Fact(
        "penerima_lama",
        "penerima sebelumnya tidak bisa dipilih lagi",
        SEMI + "; skema normal not confirmed",
        ("S49", "S51"),
        confirmed=False,
        pattern=r"belum pernah menerima|tidak bisa dipilih lagi|penerima (sebelumnya|lama)",
    ),
    Fact(
        "bumn.karyawan",
        "karyawan biasa BUMN",
        "the rule names BUMN/BUMD leadership only",
        ("S6", "S27"),
        confirmed=False,
        pattern=r"karyawan (biasa )?BUMN",
    ),
    Fact("bansos_lain.normal", "boleh ikut", NORMAL, ("S1", "S60")),
    Fact("bansos_lain.semi_bansos", "tidak boleh ikut", SEMI, ("S7", "S50")),
    # ---- registration and account -------------------------------------------------------------
    Fact("digit.nik", "16 digit", ALL_YEARS, ("S29", "S31"), value=16),
    Fact("digit.kartu", "16 digit", ALL_YEARS, ("S40",), value=16),
    Fact("otp.login_digit", "6 digit", "login OTP (help centre, undated)", ("S19",), value=6),
    Fact("otp.login_kirim_ulang", "5 kali", "login OTP only", ("S19",), value=5),
    Fact("otp.login_tunggu", "2 jam", "login OTP only", ("S19",), value=2),
    Fact("otp.rekening_salah", "lebih dari 3 kali", "account-linking OTP", ("S52",), value=3),
    Fact("otp.rekening_tunggu", "1 jam", "account-linking OTP", ("S52",), value=1),
    Fact(
        "email.karakter_2021",
        "Pada 2021, email berisi karakter selain huruf, angka, titik, dan @ sempat bermasalah",
        "2021",
        ("S63",),
    ),
    Fact(
        "tkd.normal", "2023: penalaran verbal dan kuantitatif, sekitar 40 menit", "2023", ("S41",)
    ),
    Fact(
        "tkd.lama",
        '2020–2021: "Tes Motivasi & Kemampuan Dasar", 18 soal dalam 25 menit',
        "2020–2021",
        ("S41",),
    ),
    Fact(
        "tkd.ulang",
        "Apakah TKD bisa diulang jika gagal belum ada informasi resmi yang pasti",
        ALL_YEARS,
        ("S41",),
        confirmed=False,
        pattern=r"(TKD|tes)[^.\n]{0,40}\b(diulang|mengulang|ngulang)\b",
    ),
    # ---- batches and selection ---------------------------------------------------------------
    Fact("pengumuman.cepat", "sekitar 3 hari (2021)", "2021", ("S67",)),
    Fact("pengumuman.lama", "sekitar 2 minggu (gelombang 23, 2022)", "2022", ("S69",)),
    # ---- benefits per scheme ------------------------------------------------------------------
    Fact("total.normal", "Rp4,2 juta", NORMAL, ("S1", "S9"), value=4_200_000),
    Fact("total.semi_bansos", "Rp3,55 juta", SEMI, ("S11",), value=3_550_000),
    Fact("saldo.normal", "Rp3,5 juta", NORMAL, ("S1", "S9"), value=3_500_000),
    Fact("saldo.semi_bansos", "Rp1 juta", SEMI, ("S11",), value=1_000_000),
    Fact("insentif_pasca.normal", "Rp600 ribu", NORMAL + ", once", ("S25",), value=600_000),
    Fact(
        "insentif_pasca.semi_bansos",
        "Rp600 ribu/bulan",
        SEMI + ", monthly",
        ("S11",),
        value=600_000,
    ),
    Fact("insentif_bulan.semi_bansos", "4 bulan", SEMI, ("S11",), value=4),
    Fact("insentif_total.semi_bansos", "Rp2,4 juta", SEMI, ("S11",), value=2_400_000),
    Fact("survei_nominal.normal", "Rp50 ribu", NORMAL, ("S25",), value=50_000),
    Fact("survei_nominal.semi_bansos", "Rp50 ribu", SEMI, ("S11", "S42"), value=50_000),
    Fact("survei_jumlah.normal", "2 survei", NORMAL, ("S25",), value=2),
    Fact("survei_jumlah.semi_bansos", "3 survei", SEMI, ("S11", "S42"), value=3),
    Fact("survei_total.normal", "Rp100 ribu", NORMAL, ("S25",), value=100_000),
    Fact("survei_total.semi_bansos", "Rp150 ribu", SEMI, ("S11", "S42"), value=150_000),
    Fact(
        "survei.waktu",
        "Kapan tiap survei muncul belum ada ketentuan resmi yang pasti",
        NORMAL,
        ("S25",),
        confirmed=False,
        pattern=r"survei \w+ (muncul|tersedia) (setelah|dalam)",
    ),
    # ---- training ----------------------------------------------------------------------------
    Fact("batas_beli.normal", "15 hari kalender", NORMAL, ("S22", "S23", "S24"), value=15),
    Fact("batas_beli.semi_bansos", "30 hari", SEMI, ("S8", "S43"), value=30),
    Fact("pelatihan.min_jam", "minimal 15 jam", NORMAL, ("S38",), value=15),
    Fact("webinar.batas", "maks. 3 jam/hari, maks. 150 peserta", "from Jan 2023", ("S37", "S38")),
    Fact("luring.batas", "maks. 8 jam/hari, maks. 40 peserta", "from Jan 2023", ("S37", "S38")),
    Fact(
        "luring.provinsi",
        "10 provinsi (DKI Jakarta, Jabar, Jateng, Jatim, Kalbar, Sumut, Sulsel, Bali, NTT, Papua)",
        "start of 2023, expanded gradually",
        ("S36", "S38"),
    ),
    Fact(
        "spl",
        "sempat dihapus pada 2023 dan tercantum lagi di FAQ 2024",
        "2023 dropped, 2024 listed again",
        ("S38", "S26"),
    ),
    Fact(
        "kehadiran",
        "wajib hadir penuh dan tugas akhir",
        "one participant's account (2024)",
        ("S48",),
        confirmed=False,
        pattern=r"100\s?%|semua sesi (dihadiri|wajib)|wajib hadir|tugas akhir|unjuk keterampilan",
    ),
    Fact(
        "sisa_saldo.batas",
        "batas waktu pemakaian sisa saldo belum dikonfirmasi",
        NORMAL,
        ("S25", "S14b"),
        confirmed=False,
        pattern=r"sisa saldo[^.\n]{0,60}(dipakai|digunakan|membeli)",
    ),
    Fact("sertifikat.terbit", "sekitar 1 hari kerja", ALL_YEARS, ("S71",), value=1),
    # ---- incentives and payout accounts --------------------------------------------------------
    Fact("insentif.cair", "3–5 hari kerja", ALL_YEARS, ("S43", "S78"), value=5),
    Fact("insentif.sinkron", "1×24 jam", ALL_YEARS, ("S44",), value=24),
    Fact("rekening.ewallet", "OVO, GoPay, LinkAja, DANA", ALL_YEARS, ("S12", "S13", "S53")),
    Fact(
        "rekening.bank",
        "BNI (2020–2022), BNI dan BCA (2023)",
        "2020–2023; 2024 not confirmed",
        ("S12", "S53"),
        confirmed=False,
        pattern=r"\bBNI\b|\bBCA\b",
    ),
    # ---- official channels -------------------------------------------------------------------
    Fact("url.situs", "www.prakerja.go.id", ALL_YEARS, ("S31", "S40")),
    Fact("url.dashboard", "dashboard.prakerja.go.id", ALL_YEARS, ("S31",)),
    Fact("url.bantuan", "bantuan.prakerja.go.id", ALL_YEARS, ("S19", "S20")),
    Fact("url.pengaduan", "bantuan.prakerja.go.id/hc/id/requests/new", ALL_YEARS, ("S19", "S50")),
    Fact("email.info", "info@prakerja.go.id", ALL_YEARS, ("S58", "S46")),
    Fact("instagram", "@prakerja.go.id", ALL_YEARS, ("S8", "S30")),
    Fact(
        "cs.telepon",
        "021-25541246",
        "announced Apr 2020; a 2024 blog lists 0800-1503-001",
        ("S10", "S50"),
        confirmed=False,
        pattern=r"021-?25541246|0800-?1503-?001|call ?cent(er|re) \d",
    ),
    Fact("dukcapil.telepon", "1500-537", ALL_YEARS, ("S54",)),
    Fact("dukcapil.whatsapp", "08118005373", ALL_YEARS, ("S54",)),
    Fact("dukcapil.email", "callcenter@dukcapil.kemendagri.go.id", ALL_YEARS, ("S54",)),
    Fact("bsu.url", "bsu.kemnaker.go.id", ALL_YEARS, ("S54",)),
    Fact("bsu.telepon", "1500-630", ALL_YEARS, ("S54",)),
    Fact("bpum.url", "eform.bri.co.id/bpum", ALL_YEARS, ("S54",)),
    Fact("dtks.url", "dtks.kemensos.go.id", ALL_YEARS, ("S49", "S50")),
    Fact("lapor.url", "lapor.go.id", ALL_YEARS, ("S49", "S50")),
)

FACTS: dict[str, Fact] = {f.key: f for f in _ALL}

# An answer that states an unconfirmed fact must say it is not certain (one of these) ...
HEDGE_MARKERS = (
    "belum pasti",
    "belum dikonfirmasi",
    "belum diumumkan",
    "belum diputuskan",
    "belum ada kepastian",
    "belum ada penegasan resmi",
    "belum ada ketentuan resmi",
    "belum ada informasi resmi",
    "bisa berubah",
)
# ... and point to an official channel (one of these).
CHANNEL_MARKERS = (
    "www.prakerja.go.id",
    "dashboard",
    "bantuan.prakerja.go.id",
    "info@prakerja.go.id",
    "@prakerja.go.id",
)

PLACEHOLDER = re.compile(r"\{fact:([a-z0-9_.]+)\}")


def fact(key: str) -> Fact:
    """The fact with this key (KeyError names the unknown key)."""
    try:
        return FACTS[key]
    except KeyError:
        raise KeyError(f"no fact {key!r} in core/facts.py") from None


def text(key: str) -> str:
    """The words an answer uses for this fact."""
    return fact(key).text


def value(key: str) -> int:
    """The number behind a numeric fact."""
    v = fact(key).value
    if v is None:
        raise ValueError(f"fact {key!r} has no numeric value")
    return v


def for_scheme(name: str, skema: str | None) -> Fact | None:
    """The `name.<scheme>` fact for an applicant's skema, or None for an unknown scheme."""
    suffix = _SCHEME_SUFFIX.get(skema or "")
    return FACTS.get(f"{name}.{suffix}") if suffix else None


def is_hedged(answer: str) -> bool:
    """Whether an answer says a claim is not certain and points to an official channel."""
    low = answer.lower()
    return any(m in low for m in HEDGE_MARKERS) and any(m in low for m in CHANNEL_MARKERS)


def render(template: str, quote: Callable[[str], str] = lambda s: s) -> str:
    """Replace every `{fact:<key>}` placeholder with the fact's text (passed through `quote`)."""
    return PLACEHOLDER.sub(lambda m: quote(text(m.group(1))), template)
