"""Normalising and checking the shape of a NIK (Nomor Induk Kependudukan) before any API call."""

from __future__ import annotations

import re

from actions.program_api import is_valid_phone, normalize_phone

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
_SEPARATORS = re.compile(r"[\s.\-_/]")


def normalise_nik(text: str) -> str:
    """Drop the spaces, dots and dashes people type between digit groups."""
    return _SEPARATORS.sub("", text.strip())


def nik_problem(nik: str) -> str | None:
    """Why ``nik`` cannot be a NIK (in Indonesian), or None when it looks plausible."""
    if not nik.isdigit():
        return "NIK hanya berisi angka."
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
