"""Checking and normalising the identifiers applicants type: NIK, phone numbers, references."""

from __future__ import annotations

import re
import unicodedata

_NIK_RE = re.compile(r"^[0-9]{16}$")
_PHONE_RE = re.compile(r"^\+62[0-9]{8,13}$")


def normalize_phone(raw: str) -> str:
    """Turn '0812-3456 7890', '62812…' or '+62 812…' into E.164 '+62812…' (no validation)."""
    digits = re.sub(r"[^0-9+]", "", unicodedata.normalize("NFKC", raw).strip())
    if digits.startswith("+"):
        return "+" + digits[1:].replace("+", "")
    if digits.startswith("62"):
        return "+" + digits
    if digits.startswith("0"):
        return "+62" + digits[1:]
    return "+62" + digits


def is_valid_nik(nik: str) -> bool:
    """16 ASCII digits."""
    return bool(_NIK_RE.match(nik))


def is_valid_phone(phone: str) -> bool:
    """E.164 Indonesian number."""
    return bool(_PHONE_RE.match(phone))


def mask_ref(ref: str) -> str:
    """Short, non-reusable form of an applicant_ref for logs."""
    return ref[:4] + "…" if len(ref) > 4 else "…"


# Province codes (two first digits), incl. the Papua provinces created in 2022.
PROVINCE_CODES = frozenset(
    [
        *range(11, 20),
        21,
        *range(31, 37),
        *range(51, 54),
        *range(61, 66),
        *range(71, 77),
        81,
        82,
        *range(91, 98),
    ]
)
_SEPARATORS = re.compile(r"[\s.,_/()+\-\u2010-\u2015\u2212]")
# Invisible characters (zero-width spaces and joiners, soft hyphens, combining marks).
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Mn", "Me", "Cc"})


def normalise_nik(text: str) -> str:
    """NFKC (full-width digits become 0-9), minus separators and invisible characters."""
    normalised = unicodedata.normalize("NFKC", text)
    visible = "".join(
        char
        for char in normalised
        if char.isspace() or unicodedata.category(char) not in _INVISIBLE_CATEGORIES
    )
    return _SEPARATORS.sub("", visible.strip())


def nik_problem(nik: str) -> str | None:
    """Why ``nik`` cannot be a NIK (in Indonesian), or None when it looks plausible."""
    # Only ASCII 0-9 count: str.isdigit() also accepts '³' or '٣', which int() or the API reject.
    nik = unicodedata.normalize("NFKC", nik)
    if not nik:
        return "NIK belum diketik. Ketik 16 digit angka NIK-mu ya."
    if not re.fullmatch(r"[0-9]+", nik):
        return "NIK hanya berisi angka 0–9, tanpa huruf atau simbol."
    if len(nik) != 16:
        return f"NIK harus 16 digit, yang kamu ketik {len(nik)} digit."
    province, regency, district = int(nik[0:2]), int(nik[2:4]), int(nik[4:6])
    day, month = int(nik[6:8]), int(nik[8:10])
    if province not in PROVINCE_CODES or regency == 0 or district == 0:
        return "Kode wilayah di awal NIK tidak dikenal."
    if day > 40:  # women's NIKs add 40 to the day of birth
        day -= 40
    if not (1 <= day <= 31 and 1 <= month <= 12):
        return "Bagian tanggal lahir di NIK tidak valid."
    if nik[12:] == "0000":
        return "Empat digit terakhir NIK tidak valid."
    return None


def normalise_phone(raw: str) -> str | None:
    """An Indonesian mobile number in E.164 (+628…), or None when it is not one."""
    phone = normalize_phone(raw)
    return phone if is_valid_phone(phone) and phone.startswith("+628") else None
